//! Guessing second-factor codes: wrong authenticator, recovery and email codes count toward the
//! same lockout as wrong passwords. The address that guesses is stopped first; spread over a
//! second address, the guesses lock the account, and even the right code is then refused with
//! the localized "too many failures" message.

use std::net::{IpAddr, Ipv4Addr};

use vestibule_crds::config::TenantConfig;

use crate::flow::sign_in_page_only;
use crate::mfa::{enrol, events, otp, signed_in};
use crate::mfa_email_codes::{customer_with_email_codes, send_code};
use crate::mfa_recovery_codes::{codes_policy, generate};
use crate::support::browser::Page;
use crate::support::{Backend, Browser, TestIdp};

const LOCKED_OUT: &str = "Zu viele fehlgeschlagene Anmeldungen";

/// Authenticator apps, recovery codes and email codes; an account locks after three failures
/// (an address is stopped after two).
fn tenant(config: &mut TenantConfig) {
    codes_policy("[totp, recoveryCodes, emailOtp]", "")(config);
    config.attack_protection.lockout.max_failures = 3;
}

/// Signs `email` in with the password from `address`, in German: the second-factor page.
async fn second_factor_page(idp: &TestIdp, email: &str, address: u8) -> (Browser, Page) {
    let mut browser = idp.browser_at(Ipv4Addr::new(127, 0, 20, address));
    browser.accept_language = Some("de".into());
    let login = browser.get("/login").await;
    let asked = sign_in_page_only(&browser, login, email).await;
    assert!(asked.body.contains(r#"action="/mfa""#), "{}", asked.body);
    (browser, asked)
}

/// Guesses `wrong` at `action` (field `field`): twice from the first address (the second stops
/// it), then once from another, which locks the account; returns the browser there.
async fn guess(browser: &Browser, page: &Page, action: &str, field: &str, wrong: &str) -> Browser {
    for _ in 0..2 {
        let refused = browser.submit(page, action, &[(field, wrong)]).await;
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let stopped = browser.submit(page, action, &[(field, wrong)]).await;
    assert_eq!(stopped.status, 429, "the address is stopped: {}", stopped.body);
    assert!(stopped.body.contains(LOCKED_OUT), "{}", stopped.body);
    let elsewhere = browser.moved_to(IpAddr::V4(Ipv4Addr::new(127, 0, 21, 1)));
    let third = elsewhere.submit(page, action, &[(field, wrong)]).await;
    assert_eq!(third.status, 401, "the third failure on the account: {}", third.body);
    elsewhere
}

/// The right code on a locked account: refused, localized, and the session stays one factor.
async fn refused_while_locked(
    idp: &TestIdp,
    browser: &Browser,
    page: &Page,
    action: &str,
    field: &str,
    right: &str,
    email: &str,
) {
    let refused = browser.submit(page, action, &[(field, right)]).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.body.contains(LOCKED_OUT), "localized: {}", refused.body);
    assert_eq!(browser.get("/account").await.status, 303, "no second factor");
    let log = events(idp, email).await;
    assert!(log.iter().any(|(event, _)| event == "account_locked"), "{log:?}");
    idp.smtp.wait_for_subject(email, "Your account is locked").await;
}

async fn guessed_authenticator_codes_lock_the_account(backend: Backend) {
    let idp = TestIdp::start_with(backend, tenant).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let key = enrol(&idp, &signed_in(&idp, email).await).await;
    idp.clock.advance(3600); // the enrolment's wrong code is out of the lockout window
    let (browser, asked) = second_factor_page(&idp, email, 1).await;
    let wrong = if otp(&idp, &key) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let elsewhere = guess(&browser, &asked, "/mfa", "code", wrong).await;
    idp.clock.advance(30);
    let right = otp(&idp, &key);
    refused_while_locked(&idp, &elsewhere, &asked, "/mfa", "code", &right, email).await;
}

async fn guessed_recovery_codes_lock_the_account(backend: Backend) {
    let idp = TestIdp::start_with(backend, tenant).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let manager = signed_in(&idp, email).await;
    enrol(&idp, &manager).await;
    let codes = generate(&manager).await;
    idp.clock.advance(3600);
    let (browser, asked) = second_factor_page(&idp, email, 2).await;
    let elsewhere = guess(&browser, &asked, "/mfa/recovery", "recovery_code", "AAAA-BBBB-CCCC").await;
    refused_while_locked(
        &idp,
        &elsewhere,
        &asked,
        "/mfa/recovery",
        "recovery_code",
        &codes[0],
        email,
    )
    .await;
}

async fn guessed_email_codes_lock_the_account(backend: Backend) {
    let idp = TestIdp::start_with(backend, tenant).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    idp.clock.advance(3600);
    let mut browser = idp.browser_at(Ipv4Addr::new(127, 0, 20, 3));
    let login = browser.get("/login").await;
    let asked = sign_in_page_only(&browser, login, email).await;
    let code = send_code(&idp, &browser, &asked, email, 3).await;
    browser.accept_language = Some("de".into());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let elsewhere = guess(&browser, &asked, "/mfa/email", "email_code", wrong).await;
    refused_while_locked(&idp, &elsewhere, &asked, "/mfa/email", "email_code", &code, email).await;
}

on_both_backends!(
    guessed_authenticator_codes_lock_the_account,
    guessed_recovery_codes_lock_the_account,
    guessed_email_codes_lock_the_account,
);
