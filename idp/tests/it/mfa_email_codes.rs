//! Codes by email: turned on from the account page, sent to the sign-in that asks (read here
//! from the SMTP capture), accepted once, refused once expired, dead after five wrong tries,
//! refused in another sign-in, and sent at most five times an hour per account.

use vestibule_idp::config::Tenant;

use crate::flow::{authorize_url, claims, exchange_web, pkce, sign_in_page_only};
use crate::mfa::{events, signed_in};
use crate::mfa_recovery_codes::codes_policy;
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::{Backend, Browser, TestIdp};

/// The six-digit code in a sign-in code email.
pub(crate) fn code_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| line.len() == 6 && line.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in:\n{text}"))
        .to_owned()
}

/// A verified customer who turned email codes on; returns the browser that did.
pub(crate) async fn customer_with_email_codes(idp: &TestIdp, email: &str) -> Browser {
    let user = idp.user(email).await;
    let browser = signed_in(idp, email).await;
    let account = browser.get("/account").await;
    assert!(account.body.contains("Turn on codes by email"), "{}", account.body);
    let confirm = browser.submit(&account, "/account/email-codes/enable", &[]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let code = code_in(&idp.smtp.wait_for(email, 1).await.text);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = browser
        .submit(&confirm, "/account/email-codes/confirm", &[("email_code", wrong)])
        .await;
    assert_eq!(refused.status, 400, "a wrong first code turns nothing on");
    assert!(!idp.state.store.email_otp_enabled(&user.id).await.unwrap());
    let on = browser
        .submit(&confirm, "/account/email-codes/confirm", &[("email_code", &code)])
        .await;
    assert_eq!(on.status, 303, "{}", on.body);
    assert!(on.location().ends_with("saved=email-otp-enabled"));
    // Turning them on is told at the address, like every change of a factor.
    let told = idp.smtp.wait_for(email, 2).await;
    assert!(
        told.subject.starts_with("Codes by email were turned on"),
        "{}",
        told.subject
    );
    let account = browser.get("/account").await;
    assert!(account.body.contains("Turn off codes by email"), "{}", account.body);
    browser
}

/// Signs in with the password in `browser`: the second-factor page, offering email codes.
pub(crate) async fn second_factor_page(browser: &Browser, email: &str) -> Page {
    let login = browser.get("/login").await;
    let asked = sign_in_page_only(browser, login, email).await;
    assert!(asked.body.contains(r#"action="/mfa/email/send""#), "{}", asked.body);
    asked
}

/// Asks for a code on `asked`; returns the code of the `n`th message to `email`.
pub(crate) async fn send_code(idp: &TestIdp, browser: &Browser, asked: &Page, email: &str, n: usize) -> String {
    let sent = browser.submit(asked, "/mfa/email/send", &[]).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("A code is on its way"), "{}", sent.body);
    let mail = idp.smtp.wait_for(email, n).await;
    assert!(mail.subject.contains("Your sign-in code"), "{}", mail.subject);
    code_in(&mail.text)
}

fn lenient_lockout(config: &mut vestibule_crds::config::TenantConfig) {
    codes_policy("[emailOtp]", "")(config);
    config.attack_protection.lockout.max_failures = 50;
}

async fn an_email_code_signs_in_once(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    let browser = idp.browser();
    let pkce = pkce();
    let login = browser
        .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce, &[])).await)
        .await;
    let asked = sign_in_page_only(&browser, login, email).await;
    assert!(
        !asked.body.contains(r#"action="/mfa""#),
        "no authenticator app to ask for"
    );
    assert_eq!(
        browser.get("/account").await.status,
        303,
        "no account page before the code"
    );
    let code = send_code(&idp, &browser, &asked, email, 3).await;
    // Stored hashed: the code is not in its row.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM email_codes")
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 2, "the enrolment's code and this one");
    assert!(stored.iter().all(|hash| !hash.contains(&code) && hash.len() == 64));
    let done = browser
        .follow(browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await)
        .await;
    let location = done.location();
    assert!(location.starts_with(REDIRECT), "{location}\n{}", done.body);
    let authorization = query_param(&location, "code").unwrap();
    let tokens = exchange_web(&idp, &authorization, &pkce.verifier).await.json();
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id_token["acr"], "urn:vestibule:acr:mfa");
    // Spent: the same code again is refused.
    let again = browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(again.status, 401, "an email code works once");
    assert!(again.body.contains("not valid or has expired"), "{}", again.body);
}

async fn an_expired_email_code_is_refused(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    let browser = idp.browser();
    let asked = second_factor_page(&browser, email).await;
    let code = send_code(&idp, &browser, &asked, email, 3).await;
    idp.clock.advance(10 * 60 + 1);
    let late = browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(late.status, 401, "ten minutes, no more");
    let fresh = send_code(&idp, &browser, &asked, email, 4).await;
    let done = browser.submit(&asked, "/mfa/email", &[("email_code", &fresh)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(browser.get("/account").await.status, 200);
}

async fn an_email_code_dies_after_five_wrong_tries(backend: Backend) {
    let idp = TestIdp::start_with(backend, lenient_lockout).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    let browser = idp.browser();
    let asked = second_factor_page(&browser, email).await;
    let code = send_code(&idp, &browser, &asked, email, 3).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let refused = browser.submit(&asked, "/mfa/email", &[("email_code", wrong)]).await;
        assert_eq!(refused.status, 401);
    }
    let dead = browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(dead.status, 401, "five wrong tries end the code");
    let log = events(&idp, email).await;
    let counted = log
        .iter()
        .filter(|(event, detail)| event == "login_failed" && detail.as_deref() == Some("wrong email code"))
        .count();
    // Each try counts toward the lockout (and the wrong first code at enrolment did too).
    assert_eq!(counted, 7, "{log:?}");
    let fresh = send_code(&idp, &browser, &asked, email, 4).await;
    let done = browser.submit(&asked, "/mfa/email", &[("email_code", &fresh)]).await;
    assert_eq!(done.status, 303, "a new code works: {}", done.body);
}

async fn an_email_code_from_another_sign_in_is_refused(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    let first = idp.browser();
    let first_page = second_factor_page(&first, email).await;
    let second = idp.browser();
    let second_page = second_factor_page(&second, email).await;
    let code = send_code(&idp, &first, &first_page, email, 3).await;
    let elsewhere = second
        .submit(&second_page, "/mfa/email", &[("email_code", &code)])
        .await;
    assert_eq!(elsewhere.status, 401, "a code belongs to the sign-in that asked for it");
    assert_eq!(second.get("/account").await.status, 303);
    let own = first.submit(&first_page, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(own.status, 303, "{}", own.body);
}

async fn sending_email_codes_is_limited_per_account(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    // From three addresses: the limit is the account's, not an address's.
    let mut sent = 1; // the code that turned them on
    for address in 1..=3u8 {
        let browser = idp.browser_from(address);
        let asked = second_factor_page(&browser, email).await;
        for _ in 0..2 {
            let answer = browser.submit(&asked, "/mfa/email/send", &[]).await;
            if sent < 5 {
                assert_eq!(answer.status, 200, "{}", answer.body);
                sent += 1;
            } else {
                assert_eq!(answer.status, 429, "the sixth code within the hour is refused");
                assert!(answer.body.contains("Too many codes were sent"), "{}", answer.body);
            }
        }
    }
    idp.smtp.wait_for(email, 6).await;
    assert_eq!(idp.smtp.count_to(email), 6, "five codes and the notice, no more");
    // An hour later the account may be sent codes again.
    idp.clock.advance(3600);
    let browser = idp.browser_from(4);
    let asked = second_factor_page(&browser, email).await;
    let code = send_code(&idp, &browser, &asked, email, 7).await;
    let done = browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
}

async fn under_required_a_customer_with_nothing_set_up_proves_an_email_code(backend: Backend) {
    let policy = codes_policy("[totp, emailOtp]", "enforcement: required");
    let idp = TestIdp::start_with(backend, policy).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = idp.browser();
    let asked = second_factor_page(&browser, email).await;
    assert!(
        !asked.body.contains(r#"action="/mfa""#),
        "no authenticator app is set up"
    );
    let code = send_code(&idp, &browser, &asked, email, 1).await;
    let done = browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(browser.get("/account").await.status, 200);
}

async fn turning_email_codes_off_needs_the_password_and_ends_the_question(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    let browser = idp.browser();
    let asked = second_factor_page(&browser, email).await;
    let code = send_code(&idp, &browser, &asked, email, 3).await;
    let done = browser.submit(&asked, "/mfa/email", &[("email_code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    idp.clock.advance(10 * 60);
    let account = browser.get("/account").await;
    let refused = browser.submit(&account, "/account/email-codes/disable", &[]).await;
    assert_eq!(refused.status, 400, "no password, no change");
    let off = browser
        .submit(
            &account,
            "/account/email-codes/disable",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(off.status, 303, "{}", off.body);
    assert!(off.location().ends_with("saved=email-otp-disabled"));
    let log = events(&idp, email).await;
    assert!(log.iter().any(|(event, _)| event == "email_otp_disabled"), "{log:?}");
    let told = idp.smtp.wait_for(email, 4).await;
    assert!(
        told.subject.starts_with("Codes by email were turned off"),
        "{}",
        told.subject
    );
    let again = idp.browser();
    let login = again.get("/login").await;
    let landed = again.follow(sign_in_page_only(&again, login, email).await).await;
    assert!(!landed.body.contains(r#"action="/mfa/email/send""#), "{}", landed.body);
    assert_eq!(again.get("/account").await.status, 200);
}

async fn under_required_an_unconfirmed_address_is_confirmed_before_codes_go_to_it(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        codes_policy("[emailOtp]", "enforcement: required")(config);
        config.registration.require_email_verification = false;
    })
    .await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    sqlx::query("UPDATE users SET email_verified = 0 WHERE id = $1")
        .bind(&user.id)
        .execute(idp.state.store.pool())
        .await
        .unwrap();
    let mut browser = idp.browser();
    browser.accept_language = Some("de".into());
    let pkce = pkce();
    let login = browser
        .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce, &[])).await)
        .await;
    // Not sent round the enrolment (which has no app to set up) again and again: a page.
    let first = sign_in_page_only(&browser, login, email).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body.contains("Bestätigen Sie zuerst Ihre E-Mail-Adresse"),
        "localized: {}",
        first.body
    );
    let sent = browser.submit(&first, "/verify/resend", &[]).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = idp.smtp.wait_for(email, 1).await.link(&idp.url("/verify?token="));
    assert!(
        link.contains("request="),
        "the link leads back into the sign-in: {link}"
    );
    let confirm = browser.get(&link).await;
    let confirmed = browser.submit(&confirm, "/verify", &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    // Back in the sign-in, the code goes to the address now confirmed.
    let asked = browser.follow(browser.get(&first.url).await).await;
    assert!(asked.body.contains(r#"action="/mfa/email/send""#), "{}", asked.body);
}

async fn under_required_the_last_factor_cannot_be_turned_off(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    let browser = customer_with_email_codes(&idp, email).await;
    let user = idp.state.store.user_by_email(email).await.unwrap().unwrap();
    let mut config = idp.tenant().config.clone();
    config.mfa_policies =
        vec![serde_yaml::from_str("{id: test.codes, factors: [emailOtp], enforcement: required}").unwrap()];
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());
    let account = browser.get("/account").await;
    assert_eq!(account.status, 200, "{}", account.body);
    let refused = browser.submit(&account, "/account/email-codes/disable", &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("must keep a second step"), "{}", refused.body);
    assert!(idp.state.store.email_otp_enabled(&user.id).await.unwrap());
}

async fn two_uses_of_one_email_code_at_once_let_exactly_one_through(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[emailOtp]", "")).await;
    let email = "ada@example.com";
    customer_with_email_codes(&idp, email).await;
    let browser = idp.browser();
    let asked = second_factor_page(&browser, email).await;
    let code = send_code(&idp, &browser, &asked, email, 3).await;
    let fields = [("email_code", code.as_str())];
    let uses = (0..4).map(|_| browser.submit(&asked, "/mfa/email", &fields));
    let answers = futures::future::join_all(uses).await;
    let statuses: Vec<u16> = answers.iter().map(|page| page.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "{statuses:?}");
}

on_both_backends!(
    under_required_an_unconfirmed_address_is_confirmed_before_codes_go_to_it,
    under_required_the_last_factor_cannot_be_turned_off,
    two_uses_of_one_email_code_at_once_let_exactly_one_through,
    turning_email_codes_off_needs_the_password_and_ends_the_question,
    under_required_a_customer_with_nothing_set_up_proves_an_email_code,
    an_email_code_signs_in_once,
    an_expired_email_code_is_refused,
    an_email_code_dies_after_five_wrong_tries,
    an_email_code_from_another_sign_in_is_refused,
    sending_email_codes_is_limited_per_account,
);
