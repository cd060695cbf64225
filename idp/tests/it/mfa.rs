//! Two-factor sign-in with an authenticator app: enrolment from the account page, the code asked
//! at every sign-in after it, wrong and replayed codes refused and counted, removal. Codes are
//! computed by a library we did not write (npm `otplib`, `e2e/node/totp-code.mjs`).

use std::path::Path;
use std::process::Command;

use vestibule_crds::config::{MfaPolicyConfig, TenantConfig};

use crate::flow::{authorize_url, claims, exchange_web, pkce, sign_in_page_only};
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::smtp::ensure_node_modules;
use crate::support::{Backend, Browser, TestIdp};

/// An authenticator-app policy, `optional` unless `extra` says otherwise (YAML flow mapping
/// entries of an `MfaPolicy` config).
pub fn policy(extra: &str) -> impl FnOnce(&mut TenantConfig) {
    let yaml = format!(
        "{{id: test.mfa, factors: [totp]{}{extra}}}",
        if extra.is_empty() { "" } else { ", " }
    );
    let policy: MfaPolicyConfig = serde_yaml::from_str(&yaml).unwrap();
    move |config: &mut TenantConfig| config.mfa_policies.push(policy)
}

/// The code of the base32 `key` at the IdP's current time, by otplib.
pub fn otp(idp: &TestIdp, key: &str) -> String {
    otp_at(key, idp.state.now().seconds())
}

/// The code of `key` at Unix time `seconds`, from otplib.
pub fn otp_at(key: &str, seconds: i64) -> String {
    ensure_node_modules();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node/totp-code.mjs");
    let output = Command::new("node")
        .arg(script)
        .arg(key)
        .arg(seconds.to_string())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The key shown for manual entry on the setup page.
pub fn shown_key(page: &Page) -> String {
    let start = page.body.find(r#"<code id="totp-key">"#).expect("the key is shown") + 20;
    let end = page.body[start..].find("</code>").unwrap() + start;
    page.body[start..end].to_owned()
}

pub async fn signed_in(idp: &TestIdp, email: &str) -> Browser {
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let done = browser
        .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    browser
}

/// Sets up an authenticator for the customer signed in in `browser`; returns its key.
pub async fn enrol(idp: &TestIdp, browser: &Browser) -> String {
    let account = browser.get("/account").await;
    assert!(account.body.contains("Set up an authenticator app"), "{}", account.body);
    let setup = browser
        .follow(browser.submit(&account, "/account/totp/start", &[]).await)
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(
        setup.body.contains(r#"src="data:image/svg+xml;base64,"#),
        "a QR code drawn as SVG"
    );
    let key = shown_key(&setup);
    let wrong = browser
        .submit(&setup, "/account/totp/confirm", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, 400, "a wrong first code confirms nothing");
    let done = browser
        .submit(&setup, "/account/totp/confirm", &[("code", &otp(idp, &key))])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location().ends_with("saved=totp-enabled"));
    key
}

pub async fn events(idp: &TestIdp, email: &str) -> Vec<(String, Option<String>)> {
    let user = idp.state.store.user_by_email(email).await.unwrap().unwrap();
    let log = idp.state.store.audit_of_user(&user.id).await.unwrap();
    log.into_iter().map(|entry| (entry.event, entry.detail)).collect()
}

async fn an_enrolled_authenticator_is_asked_at_every_sign_in(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("")).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    let key = enrol(&idp, &browser).await;
    let account = browser.get("/account").await;
    assert!(account.body.contains("An authenticator app is set up"));
    let mail = idp.smtp.wait_for(email, 1).await;
    assert!(
        mail.subject.contains("An authenticator app was set up"),
        "{}",
        mail.subject
    );
    // The secret is sealed at rest: neither its base32 nor its bytes are in the row.
    let factor = idp.state.store.totp(&user.id).await.unwrap().unwrap();
    let compact: String = key.split_whitespace().collect();
    assert!(!factor.secret_sealed.contains(&compact[..8]));
    assert!(factor.confirmed_at.is_some());

    let mut other = idp.browser();
    other.accept_language = Some("de".into());
    let pkce = pkce();
    let login = other
        .follow(other.get(&authorize_url(&idp, "web", "openid", &pkce, &[])).await)
        .await;
    let asked = sign_in_page_only(&other, login, email).await;
    assert!(
        asked.body.contains(r#"action="/mfa""#),
        "the code is asked:\n{}",
        asked.body
    );
    assert_eq!(
        other.get("/account").await.status,
        303,
        "no account page before the code"
    );
    let wrong = other.submit(&asked, "/mfa", &[("code", "123456")]).await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("Dieser Code ist ungültig"),
        "localized: {}",
        wrong.body
    );
    // The code of the enrolment's time step was used: the same code again is a replay (the
    // step's own code, whatever step the clock has reached since).
    let factor = idp.state.store.totp(&user.id).await.unwrap().unwrap();
    let used = otp_at(&key, factor.last_step.unwrap() * 30);
    let replayed = other.submit(&asked, "/mfa", &[("code", &used)]).await;
    assert_eq!(replayed.status, 401, "a code is accepted once");
    let failures = events(&idp, email).await;
    let counted = failures
        .iter()
        .filter(|(event, detail)| event == "login_failed" && detail.as_deref() == Some("wrong one-time code"))
        .count();
    assert_eq!(
        counted, 3,
        "the wrong first code, the wrong and the replayed codes count: {failures:?}"
    );
    idp.clock.advance(30);
    let done = other
        .follow(other.submit(&asked, "/mfa", &[("code", &otp(&idp, &key))]).await)
        .await;
    let done = if done.body.contains(r#"action="/consent""#) {
        other
            .follow(other.submit(&done, "/consent", &[("decision", "allow")]).await)
            .await
    } else {
        done
    };
    let location = done.location();
    assert!(location.starts_with(REDIRECT), "{location}");
    let code = query_param(&location, "code").unwrap();
    let tokens = exchange_web(&idp, &code, &pkce.verifier).await.json();
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id_token["acr"], "urn:vestibule:acr:mfa");
    assert_eq!(
        other.get("/account").await.status,
        200,
        "the session now has both factors"
    );
}

async fn removing_the_authenticator_needs_a_recent_authentication(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("")).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    enrol(&idp, &browser).await;
    idp.clock.advance(10 * 60);
    let account = browser.get("/account").await;
    assert!(account.body.contains("confirm your password first"), "{}", account.body);
    let refused = browser
        .submit(&account, "/account/totp/remove", &[("current_password", "nope")])
        .await;
    assert_eq!(refused.status, 400);
    assert!(idp.state.store.has_totp(&user.id).await.unwrap());
    let removed = browser
        .submit(&account, "/account/totp/remove", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert!(removed.location().ends_with("saved=totp-removed"));
    // Both notices have arrived; the mailer delivers concurrently, so in either order.
    idp.smtp.wait_for(email, 2).await;
    let subjects: Vec<String> = idp
        .smtp
        .messages()
        .into_iter()
        .filter(|mail| mail.to.iter().any(|to| to == email))
        .map(|mail| mail.subject)
        .collect();
    assert!(
        subjects
            .iter()
            .any(|subject| subject.contains("authenticator app was removed")),
        "{subjects:?}"
    );
    let event_names: Vec<String> = events(&idp, email).await.into_iter().map(|(event, _)| event).collect();
    assert!(event_names.contains(&"totp_enrolled".to_owned()) && event_names.contains(&"totp_removed".to_owned()));
    // Signing in again asks for no code.
    let again = idp.browser();
    let login = again.get("/login").await;
    let done = again
        .follow(
            again
                .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
                .await,
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(!done.body.contains(r#"action="/mfa""#));
}

async fn setting_up_an_authenticator_after_a_while_asks_for_the_password(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("")).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    idp.clock.advance(10 * 60);
    let account = browser.get("/account").await;
    let csrf = account.hidden("csrf");
    let refused = browser.post("/account/totp/start", &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, 400, "no password, no enrolment");
    assert!(
        refused.body.contains("current password is incorrect"),
        "{}",
        refused.body
    );
    let started = browser
        .submit(&account, "/account/totp/start", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    assert!(started.location().ends_with("/account/totp"));
    // Unconfirmed, the authenticator is not asked for.
    let again = signed_in(&idp, email).await;
    assert_eq!(again.get("/account").await.status, 200);
}

async fn without_a_policy_no_authenticator_is_offered_or_asked(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    let account = browser.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(!account.body.contains("/account/totp/start"), "{}", account.body);
    let csrf = account.hidden("csrf");
    let refused = browser.post("/account/totp/start", &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, 303);
    assert!(
        idp.state.store.totp(&user.id).await.unwrap().is_none(),
        "nothing started"
    );
}

async fn a_policy_for_another_client_asks_no_code_at_this_one(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("appliesTo: {clients: [partner]}")).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    // The account page offers what any client accepts, and asks for it once set up.
    enrol(&idp, &browser).await;
    let other = idp.browser();
    let pkce = pkce();
    let login = other
        .follow(other.get(&authorize_url(&idp, "web", "openid", &pkce, &[])).await)
        .await;
    let next = sign_in_page_only(&other, login, email).await;
    assert!(
        !next.body.contains(r#"action="/mfa""#),
        "web is under no policy:\n{}",
        next.body
    );
    assert_eq!(
        other.get("/account").await.status,
        303,
        "the account page still asks for the code"
    );
}

async fn a_code_more_than_one_step_away_is_refused(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("")).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let key = enrol(&idp, &signed_in(&idp, email).await).await;
    // Later steps than the enrolment's: a refusal below is for the time, not a replay.
    idp.clock.advance(120);
    let mut browser = idp.browser();
    browser.accept_language = Some("de".into());
    let login = browser.get("/login").await;
    let asked = sign_in_page_only(&browser, login, email).await;
    assert!(asked.body.contains(r#"action="/mfa""#), "{}", asked.body);
    let now = idp.state.now().seconds();
    // RFC 6238 5.2: one step of drift either side, no more.
    for (seconds, what) in [(now - 60, "expired"), (now + 60, "not yet valid")] {
        let refused = browser
            .submit(&asked, "/mfa", &[("code", &otp_at(&key, seconds))])
            .await;
        assert_eq!(refused.status, 401, "{what}");
        assert!(
            refused.body.contains("Dieser Code ist ungültig"),
            "{what}: {}",
            refused.body
        );
    }
    let late = browser
        .submit(&asked, "/mfa", &[("code", &otp_at(&key, now - 30))])
        .await;
    assert_eq!(late.status, 303, "one step late is accepted: {}", late.body);
}

on_both_backends!(
    a_code_more_than_one_step_away_is_refused,
    without_a_policy_no_authenticator_is_offered_or_asked,
    a_policy_for_another_client_asks_no_code_at_this_one,
    setting_up_an_authenticator_after_a_while_asks_for_the_password,
    an_enrolled_authenticator_is_asked_at_every_sign_in,
    removing_the_authenticator_needs_a_recent_authentication,
);
