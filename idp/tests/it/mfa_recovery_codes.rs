//! Recovery codes: generated from the account page (shown once, emailed about, stored hashed),
//! each spent once at sign-in instead of the authenticator, a new set ending the old, and two
//! uses of one code at once letting exactly one through.

use vestibule_crds::config::{MfaPolicyConfig, TenantConfig};

use crate::flow::{authorize_url, claims, exchange_web, pkce, sign_in_page_only};
use crate::mfa::{enrol, events, signed_in};
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::smtp::Mail;
use crate::support::{Backend, Browser, TestIdp};

/// A policy with `factors` (a YAML flow list), `optional` unless `extra` (YAML flow mapping
/// entries) says otherwise.
pub(crate) fn codes_policy(factors: &str, extra: &str) -> impl FnOnce(&mut TenantConfig) {
    let separator = if extra.is_empty() { "" } else { ", " };
    let yaml = format!("{{id: test.codes, factors: {factors}{separator}{extra}}}");
    let policy: MfaPolicyConfig = serde_yaml::from_str(&yaml).unwrap();
    move |config: &mut TenantConfig| config.mfa_policies.push(policy)
}

/// The codes listed on the page that shows a new set.
fn shown_codes(page: &Page) -> Vec<String> {
    let start = page.body.find(r#"id="recovery-codes""#).expect("the codes are listed");
    let end = page.body[start..].find("</ol>").unwrap() + start;
    page.body[start..end]
        .split("<code>")
        .skip(1)
        .map(|rest| rest.split("</code>").next().unwrap().to_owned())
        .collect()
}

/// Generates a set from the account page of `browser`; returns the codes shown.
pub(crate) async fn generate(browser: &Browser) -> Vec<String> {
    let account = browser.get("/account").await;
    assert!(account.body.contains("Recovery codes"), "{}", account.body);
    let shown = browser.submit(&account, "/account/recovery-codes", &[]).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.header("cache-control").as_deref(), Some("no-store"));
    let codes = shown_codes(&shown);
    assert_eq!(codes.len(), 10, "{}", shown.body);
    codes
}

/// Signs in with the password in a fresh browser: the second-factor page.
async fn second_factor_page(idp: &TestIdp, email: &str) -> (Browser, Page) {
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let asked = sign_in_page_only(&browser, login, email).await;
    assert!(asked.body.contains(r#"action="/mfa/recovery""#), "{}", asked.body);
    (browser, asked)
}

/// The message to `email` whose subject has `subject`, once `n` have arrived (the mailer
/// delivers concurrently: in any order).
pub(crate) async fn mail_about(idp: &TestIdp, email: &str, n: usize, subject: &str) -> Mail {
    idp.smtp.wait_for(email, n).await;
    let mut mine = idp.smtp.messages().into_iter();
    mine.find(|mail| mail.to.iter().any(|to| to == email) && mail.subject.contains(subject))
        .unwrap_or_else(|| panic!("no message about {subject:?} to {email}"))
}

async fn recovery_codes_are_shown_once_and_each_works_once(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[totp, recoveryCodes]", "")).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    let before = browser.get("/account").await;
    assert!(!before.body.contains("Recovery codes"), "no other factor, no codes");
    enrol(&idp, &browser).await;
    let codes = generate(&browser).await;
    // Shown once: neither the account page nor the route shows them again.
    let again = browser.get("/account/recovery-codes").await;
    assert_eq!(again.status, 303);
    let account = browser.get("/account").await;
    assert!(codes.iter().all(|code| !account.body.contains(code.as_str())));
    assert!(
        account.body.contains("10 unused recovery codes are left."),
        "{}",
        account.body
    );
    // Stored hashed: no code, with or without its dashes, is in the table.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes WHERE user_id = $1")
        .bind(user.id.as_str())
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for code in &codes {
        let compact = code.replace('-', "");
        assert!(stored.iter().all(|hash| !hash.contains(&compact) && hash.len() == 64));
    }
    mail_about(&idp, email, 2, "New recovery codes were generated").await;

    // At sign-in, through a client: a wrong code is refused and counted, a right one signs in.
    let other = idp.browser();
    let pkce = pkce();
    let login = other
        .follow(other.get(&authorize_url(&idp, "web", "openid", &pkce, &[])).await)
        .await;
    let asked = sign_in_page_only(&other, login, email).await;
    let wrong = other
        .submit(&asked, "/mfa/recovery", &[("recovery_code", "AAAA-BBBB-CCCC")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("recovery code is not valid"), "{}", wrong.body);
    // Typed as people type: lower case, spaces for dashes.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let done = other
        .follow(
            other
                .submit(&asked, "/mfa/recovery", &[("recovery_code", &typed)])
                .await,
        )
        .await;
    let location = done.location();
    assert!(location.starts_with(REDIRECT), "{location}\n{}", done.body);
    let code = query_param(&location, "code").unwrap();
    let tokens = exchange_web(&idp, &code, &pkce.verifier).await.json();
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // Spent: the same code in another sign-in is refused.
    let (third, asked) = second_factor_page(&idp, email).await;
    let reused = third
        .submit(&asked, "/mfa/recovery", &[("recovery_code", &codes[0])])
        .await;
    assert_eq!(reused.status, 401, "a recovery code works once");
    let log = events(&idp, email).await;
    let failed = |detail: &str| {
        log.iter()
            .filter(|(event, d)| event == "login_failed" && d.as_deref() == Some(detail))
            .count()
    };
    assert_eq!(failed("wrong recovery code"), 2, "{log:?}");
    assert!(
        log.contains(&("recovery_code_used".into(), Some("9 left".into()))),
        "{log:?}"
    );
    let used = mail_about(&idp, email, 3, "A recovery code was used").await;
    assert!(used.text.contains("9 codes are left"), "{}", used.text);
}

async fn a_new_set_of_recovery_codes_ends_the_old_one(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[totp, recoveryCodes]", "")).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    enrol(&idp, &browser).await;
    let old = generate(&browser).await;
    let new = generate(&browser).await;
    assert!(old.iter().all(|code| !new.contains(code)));
    let (other, asked) = second_factor_page(&idp, email).await;
    let refused = other
        .submit(&asked, "/mfa/recovery", &[("recovery_code", &old[1])])
        .await;
    assert_eq!(refused.status, 401, "the old set stopped working");
    let done = other
        .submit(&asked, "/mfa/recovery", &[("recovery_code", &new[1])])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(other.get("/account").await.status, 200, "signed in with both factors");
    let generated = events(&idp, email).await;
    let count = generated
        .iter()
        .filter(|(event, _)| event == "recovery_codes_generated")
        .count();
    assert_eq!(count, 2);
}

async fn two_uses_of_one_recovery_code_at_once_let_exactly_one_through(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[totp, recoveryCodes]", "")).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    enrol(&idp, &browser).await;
    let codes = generate(&browser).await;
    let mut sign_ins = Vec::new();
    for _ in 0..4 {
        sign_ins.push(second_factor_page(&idp, email).await);
    }
    let fields = [("recovery_code", codes[2].as_str())];
    let uses = sign_ins
        .iter()
        .map(|(browser, asked)| browser.submit(asked, "/mfa/recovery", &fields));
    let answers = futures::future::join_all(uses).await;
    let statuses: Vec<u16> = answers.iter().map(|page| page.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "{statuses:?}");
    let left: i64 = idp
        .state
        .store
        .recovery_codes_left(&idp.state.store.user_by_email(email).await.unwrap().unwrap().id)
        .await
        .unwrap();
    assert_eq!(left, 9);
}

async fn recovery_codes_are_offered_only_where_a_policy_allows_them(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[totp]", "")).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    enrol(&idp, &browser).await;
    let account = browser.get("/account").await;
    assert!(!account.body.contains("Recovery codes"), "{}", account.body);
    let forced = browser
        .post("/account/recovery-codes", &[("csrf", &account.hidden("csrf"))])
        .await;
    assert_eq!(forced.status, 303, "{}", forced.body);
    assert_eq!(idp.state.store.recovery_codes_left(&user.id).await.unwrap(), 0);
}

async fn recovery_codes_alone_are_no_second_factor(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[totp, recoveryCodes]", "")).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    enrol(&idp, &browser).await;
    let codes = generate(&browser).await;
    let account = browser.get("/account").await;
    let removed = browser.submit(&account, "/account/totp/remove", &[]).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let account = browser.get("/account").await;
    assert!(!account.body.contains("Recovery codes"), "nothing left to back up");
    // Signing in asks for nothing: unused codes do not make a factor of their own.
    let other = idp.browser();
    let login = other.get("/login").await;
    let done = other.follow(sign_in_page_only(&other, login, email).await).await;
    assert!(!done.body.contains(r#"action="/mfa/recovery""#), "{}", done.body);
    assert_eq!(other.get("/account").await.status, 200);
    let posted = other
        .post(
            "/mfa/recovery",
            &[("csrf", &done.hidden("csrf")), ("recovery_code", &codes[0])],
        )
        .await;
    assert_ne!(posted.status, 401, "not even tried: {}", posted.body);
    let left = idp.state.store.user_by_email(email).await.unwrap().unwrap();
    assert_eq!(idp.state.store.recovery_codes_left(&left.id).await.unwrap(), 10);
}

async fn generating_recovery_codes_after_a_while_asks_for_the_password(backend: Backend) {
    let idp = TestIdp::start_with(backend, codes_policy("[totp, recoveryCodes]", "")).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    enrol(&idp, &browser).await;
    idp.clock.advance(10 * 60);
    let account = browser.get("/account").await;
    let refused = browser.submit(&account, "/account/recovery-codes", &[]).await;
    assert_eq!(refused.status, 400, "no password, no codes");
    assert!(
        refused.body.contains("current password is incorrect"),
        "{}",
        refused.body
    );
    assert_eq!(idp.state.store.recovery_codes_left(&user.id).await.unwrap(), 0);
    let shown = browser
        .submit(&account, "/account/recovery-codes", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown_codes(&shown).len(), 10);
}

on_both_backends!(
    generating_recovery_codes_after_a_while_asks_for_the_password,
    recovery_codes_alone_are_no_second_factor,
    recovery_codes_are_offered_only_where_a_policy_allows_them,
    recovery_codes_are_shown_once_and_each_works_once,
    a_new_set_of_recovery_codes_ends_the_old_one,
    two_uses_of_one_recovery_code_at_once_let_exactly_one_through,
);
