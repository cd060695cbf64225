//! When the second factor is demanded: `required` (enrolment before any code is issued),
//! `adaptive` (a risk score from new devices, new networks and recent failures; step-up and
//! refusal), step-up by `acr_values` inside a single-factor session, and a class a client
//! requires of every sign-in. acr/amr are checked by openid-client. Trusted devices are in
//! `mfa_trusted_devices`.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use vestibule_crds::config::TenantConfig;

use crate::flow::{Pkce, authorize_url, claims, exchange_web, pkce, sign_in_page_only};
use crate::mfa::{enrol, events, otp, policy, shown_key, signed_in};
use crate::support::browser::{Browser, Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT, WEB_SECRET};
use crate::support::smtp::ensure_node_modules;
use crate::support::{Backend, TestIdp};

pub(crate) const EMAIL: &str = "ada@example.com";

/// Starts an authorization at `web` with `extra` parameters and follows it to its first page.
pub(crate) async fn authorize(idp: &TestIdp, browser: &Browser, pkce: &Pkce, extra: &[(&str, &str)]) -> Page {
    browser
        .follow(browser.get(&authorize_url(idp, "web", "openid", pkce, extra)).await)
        .await
}

/// Signs in at `web` with the password and returns the page that follows.
pub(crate) async fn password_at_web(idp: &TestIdp, browser: &Browser, pkce: &Pkce) -> Page {
    let login = authorize(idp, browser, pkce, &[]).await;
    sign_in_page_only(browser, login, EMAIL).await
}

pub(crate) fn asks_code(page: &Page) -> bool {
    page.body.contains(r#"action="/mfa""#)
}

/// Enters the authenticator's current code on `page` (after moving to the next time step, so
/// the code is never a replay), with `extra` fields.
pub(crate) async fn enter_code(
    idp: &TestIdp,
    browser: &Browser,
    page: &Page,
    key: &str,
    extra: &[(&str, &str)],
) -> Page {
    idp.clock.advance(30);
    let code = otp(idp, key);
    let mut fields = vec![("code", code.as_str())];
    fields.extend_from_slice(extra);
    browser.follow(browser.submit(page, "/mfa", &fields).await).await
}

/// The ID token of the redirect `done` (to the client, with a code).
pub(crate) async fn id_token(idp: &TestIdp, done: &Page, pkce: &Pkce) -> serde_json::Value {
    let location = done.location();
    assert!(
        location.starts_with(REDIRECT),
        "{} {location}\n{}",
        done.status,
        done.body
    );
    let code = query_param(&location, "code").unwrap();
    let tokens = exchange_web(idp, &code, &pkce.verifier).await.json();
    claims(tokens["id_token"].as_str().unwrap())
}

/// Ends the browser's session (the login page carries a CSRF token for the sign-out form).
pub(crate) async fn sign_out(browser: &Browser) {
    let login = browser.get("/login").await;
    let done = browser.post("/logout", &[("csrf", &login.hidden("csrf"))]).await;
    assert_eq!(done.status, 200, "{}", done.body);
}

/// A customer with an authenticator set up from the account page (no client: the device is not
/// known yet); returns its key.
pub(crate) async fn enrolled(idp: &TestIdp) -> String {
    idp.user(EMAIL).await;
    let browser = signed_in(idp, EMAIL).await;
    enrol(idp, &browser).await
}

async fn required_sends_a_customer_without_a_factor_to_enrol_before_any_code(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("enforcement: required")).await;
    let user = idp.user(EMAIL).await;
    let browser = idp.browser();
    let pkce = pkce();
    let enrolment = password_at_web(&idp, &browser, &pkce).await;
    assert_eq!(enrolment.status, 200, "{}", enrolment.body);
    assert!(enrolment.body.contains(r#"action="/mfa/enrol""#), "{}", enrolment.body);
    assert!(enrolment.body.contains("needs a second sign-in step"));
    assert_eq!(
        browser.get("/account").await.status,
        303,
        "no account page before the factor"
    );
    let key = shown_key(&enrolment);
    let wrong = browser.submit(&enrolment, "/mfa/enrol", &[("code", "000000")]).await;
    assert_eq!(wrong.status, 400);
    assert!(
        !idp.state.store.has_totp(&user.id).await.unwrap(),
        "not confirmed by a wrong code"
    );
    // Reloading shows the same key: the enrolment under way is kept, not replaced.
    let again = browser.get(&enrolment.url).await;
    assert_eq!(shown_key(&again), key);
    idp.clock.advance(30);
    let done = browser
        .follow(
            browser
                .submit(&enrolment, "/mfa/enrol", &[("code", &otp(&idp, &key))])
                .await,
        )
        .await;
    let id = id_token(&idp, &done, &pkce).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id["acr"], "urn:vestibule:acr:mfa");
    assert!(idp.state.store.has_totp(&user.id).await.unwrap());
    // The next sign-in asks for the code of the authenticator just set up.
    let other = idp.browser();
    let asked = password_at_web(&idp, &other, &pkce).await;
    assert!(asks_code(&asked), "{}", asked.body);
    // The last factor cannot be removed under `required`.
    let account = browser.get("/account").await;
    let refused = browser.submit(&account, "/account/totp/remove", &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("must keep a second step"), "{}", refused.body);
    assert!(idp.state.store.has_totp(&user.id).await.unwrap());
}

async fn optional_asks_only_enrolled_customers(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("")).await;
    idp.user("bob@example.com").await;
    let key = enrolled(&idp).await;
    let pkce = pkce();
    let browser = idp.browser();
    let login = authorize(&idp, &browser, &pkce, &[]).await;
    let plain = sign_in_page_only(&browser, login, "bob@example.com").await;
    assert_eq!(id_token(&idp, &plain, &pkce).await["amr"], serde_json::json!(["pwd"]));
    let other = idp.browser();
    let asked = password_at_web(&idp, &other, &pkce).await;
    assert!(asks_code(&asked));
    let done = enter_code(&idp, &other, &asked, &key, &[]).await;
    assert_eq!(id_token(&idp, &done, &pkce).await["acr"], "urn:vestibule:acr:mfa");
    // prompt=login and an elapsed max_age ask both factors again, in the same session.
    for extra in [("prompt", "login"), ("max_age", "60")] {
        idp.clock.advance(120);
        let login = authorize(&idp, &other, &pkce, &[extra]).await;
        assert!(
            login.body.contains(r#"action="/login""#),
            "{extra:?}: the password first"
        );
        let asked = sign_in_page_only(&other, login, EMAIL).await;
        assert!(asks_code(&asked), "{extra:?}: then the code:\n{}", asked.body);
        let done = enter_code(&idp, &other, &asked, &key, &[]).await;
        assert_eq!(
            id_token(&idp, &done, &pkce).await["amr"],
            serde_json::json!(["pwd", "otp", "mfa"])
        );
    }
}

/// An adaptive policy that never asks on its own.
const ADAPTIVE_NEVER: &str = "enforcement: adaptive, adaptive: {stepUpThreshold: 40, denyThreshold: 90, \
     newDeviceWeight: 0, newNetworkWeight: 0, recentFailuresWeight: 0}";

/// An adaptive policy with the given weights (step up from 40, refuse from 90).
pub(crate) fn adaptive(device: u32, network: u32, failures: u32) -> String {
    format!(
        "enforcement: adaptive, adaptive: {{stepUpThreshold: 40, denyThreshold: 90, newDeviceWeight: {device}, \
         newNetworkWeight: {network}, recentFailuresWeight: {failures}}}"
    )
}

pub(crate) async fn risk_details(idp: &TestIdp) -> Vec<String> {
    events(idp, EMAIL)
        .await
        .into_iter()
        .filter(|(event, _)| event == "risk_assessed")
        .filter_map(|(_, detail)| detail)
        .collect()
}

async fn adaptive_steps_up_a_new_device_and_not_a_known_one(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(&adaptive(50, 0, 0))).await;
    let key = enrolled(&idp).await;
    let browser = idp.browser();
    let pkce = pkce();
    let asked = password_at_web(&idp, &browser, &pkce).await;
    assert!(asks_code(&asked), "a new device steps up:\n{}", asked.body);
    let details = risk_details(&idp).await;
    assert!(
        details[0].starts_with("score=50 new_device=true") && details[0].ends_with("decision=step_up"),
        "{details:?}"
    );
    let done = enter_code(&idp, &browser, &asked, &key, &[]).await;
    assert_eq!(id_token(&idp, &done, &pkce).await["acr"], "urn:vestibule:acr:mfa");
    sign_out(&browser).await;
    let again = password_at_web(&idp, &browser, &pkce).await;
    let id = id_token(&idp, &again, &pkce).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd"]), "the device is known now");
    assert_eq!(id["acr"], "urn:vestibule:acr:password");
    assert!(risk_details(&idp).await[0].contains("score=0 new_device=false"));
    // A browser without the device cookie is a new device again.
    let other = idp.browser();
    assert!(asks_code(&password_at_web(&idp, &other, &pkce).await));
}

async fn adaptive_steps_up_a_new_network(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(&adaptive(0, 50, 0))).await;
    let key = enrolled(&idp).await;
    let pkce = pkce();
    let home = idp.browser_at(Ipv4Addr::new(127, 0, 7, 1));
    let asked = password_at_web(&idp, &home, &pkce).await;
    assert!(asks_code(&asked));
    enter_code(&idp, &home, &asked, &key, &[]).await;
    // Another address of the same /24 is the same network.
    let neighbour = idp.browser_at(Ipv4Addr::new(127, 0, 7, 200));
    let known = password_at_web(&idp, &neighbour, &pkce).await;
    assert_eq!(id_token(&idp, &known, &pkce).await["amr"], serde_json::json!(["pwd"]));
    let away = idp.browser_at(Ipv4Addr::new(127, 0, 8, 1));
    assert!(asks_code(&password_at_web(&idp, &away, &pkce).await));
    // A customer with no factor has nothing to step up to: let through, and the audit says so.
    idp.user("bob@example.com").await;
    let bob = idp.browser_at(Ipv4Addr::new(127, 0, 9, 1));
    let login = authorize(&idp, &bob, &pkce, &[]).await;
    let through = sign_in_page_only(&bob, login, "bob@example.com").await;
    assert_eq!(id_token(&idp, &through, &pkce).await["amr"], serde_json::json!(["pwd"]));
    let audit = events(&idp, "bob@example.com").await;
    assert!(
        audit.iter().any(|(event, detail)| event == "risk_assessed"
            && detail
                .as_deref()
                .is_some_and(|d| d.ends_with("decision=step_up no_factor_to_ask"))),
        "{audit:?}"
    );
}

async fn adaptive_steps_up_after_failures(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(&adaptive(0, 0, 50))).await;
    let key = enrolled(&idp).await;
    idp.clock.advance(3600); // the enrolment's wrong code is out of the lockout window
    let pkce = pkce();
    let calm = idp.browser();
    let plain = password_at_web(&idp, &calm, &pkce).await;
    assert_eq!(id_token(&idp, &plain, &pkce).await["amr"], serde_json::json!(["pwd"]));
    let browser = idp.browser();
    let login = authorize(&idp, &browser, &pkce, &[]).await;
    let wrong = browser
        .submit(&login, "/login", &[("email", EMAIL), ("password", "not-the-password")])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let asked = sign_in_page_only(&browser, wrong, EMAIL).await;
    assert!(asks_code(&asked), "{}", asked.body);
    assert!(risk_details(&idp).await[0].contains("recent_failures=1"));
    let done = enter_code(&idp, &browser, &asked, &key, &[]).await;
    assert_eq!(id_token(&idp, &done, &pkce).await["acr"], "urn:vestibule:acr:mfa");
}

async fn adaptive_refuses_a_score_past_the_deny_threshold(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(&adaptive(50, 50, 0))).await;
    let user = idp.user(EMAIL).await;
    let mut browser = idp.browser();
    browser.accept_language = Some("de".into());
    let pkce = pkce();
    let refused = password_at_web(&idp, &browser, &pkce).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("Anmeldung abgelehnt"),
        "localized: {}",
        refused.body
    );
    assert!(!refused.url.contains("code="));
    let names: Vec<String> = events(&idp, EMAIL).await.into_iter().map(|(event, _)| event).collect();
    assert!(names.contains(&"sign_in_refused".to_owned()), "{names:?}");
    assert!(risk_details(&idp).await[0].ends_with("decision=deny"));
    // The password alone reaches nothing afterwards: the session was ended.
    assert!(idp.state.store.sessions_of_user(&user.id).await.unwrap().is_empty());
    assert_ne!(browser.get("/account").await.status, 200);
}

async fn acr_values_step_up_a_single_factor_session(backend: Backend) {
    // A policy that never asks on its own (no signal weighs anything).
    let idp = TestIdp::start_with(backend, policy(&adaptive(0, 0, 0))).await;
    let key = enrolled(&idp).await;
    let browser = idp.browser();
    let first = pkce();
    let plain = password_at_web(&idp, &browser, &first).await;
    assert_eq!(id_token(&idp, &plain, &first).await["amr"], serde_json::json!(["pwd"]));
    // Inside the same session, a request for the mfa class asks for the code only.
    let second = pkce();
    let asked = authorize(&idp, &browser, &second, &[("acr_values", "urn:vestibule:acr:mfa")]).await;
    assert!(asks_code(&asked), "no password again, the code:\n{}", asked.body);
    let done = enter_code(&idp, &browser, &asked, &key, &[]).await;
    let claims = openid_client_claims(&idp, &done, &second);
    assert_eq!(claims["acr"], "urn:vestibule:acr:mfa");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
}

async fn a_client_default_acr_requires_the_second_factor(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        policy(&adaptive(0, 0, 0))(config);
        let web = config
            .clients
            .iter_mut()
            .find(|client| client.client_id == "web")
            .unwrap();
        web.default_acr_values = vec!["urn:vestibule:acr:mfa".into()];
    })
    .await;
    let discovery = idp.browser().get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["acr_values_supported"],
        serde_json::json!(["urn:vestibule:acr:password", "urn:vestibule:acr:mfa"])
    );
    let key = enrolled(&idp).await;
    let browser = idp.browser();
    let pkce = pkce();
    let asked = password_at_web(&idp, &browser, &pkce).await;
    assert!(
        asks_code(&asked),
        "the client's default class asks for it:\n{}",
        asked.body
    );
    let done = enter_code(&idp, &browser, &asked, &key, &[]).await;
    assert_eq!(id_token(&idp, &done, &pkce).await["acr"], "urn:vestibule:acr:mfa");
}

/// The tenant of [`policy`] `extra`, with `web` requiring the class `acr` of every sign-in.
fn web_requires(extra: &'static str, acr: &'static str) -> impl FnOnce(&mut TenantConfig) {
    move |config: &mut TenantConfig| {
        if !extra.is_empty() {
            policy(extra)(config);
        }
        let web = config
            .clients
            .iter_mut()
            .find(|client| client.client_id == "web")
            .unwrap();
        web.required_acr = Some(acr.into());
    }
}

async fn a_class_the_client_requires_is_essential_whatever_the_request_says(backend: Backend) {
    // A policy that never asks on its own (no signal weighs anything).
    let idp = TestIdp::start_with(backend, web_requires(ADAPTIVE_NEVER, "urn:vestibule:acr:mfa")).await;
    let key = enrolled(&idp).await;
    let browser = idp.browser();
    let pkce = pkce();
    // The request asks for less: the client's requirement stands.
    let lower = [("acr_values", "urn:vestibule:acr:password")];
    let login = authorize(&idp, &browser, &pkce, &lower).await;
    let asked = sign_in_page_only(&browser, login, EMAIL).await;
    assert!(asks_code(&asked), "the client requires mfa:\n{}", asked.body);
    let done = enter_code(&idp, &browser, &asked, &key, &[]).await;
    let claims = openid_client_claims(&idp, &done, &pkce);
    assert_eq!(
        claims["acr"], "urn:vestibule:acr:mfa",
        "not below what the client requires"
    );
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    // A customer with nothing set up sets up an app, as the policy accepts apps.
    idp.user("bob@example.com").await;
    let other = idp.browser();
    let login = authorize(&idp, &other, &pkce, &[]).await;
    let enrolment = sign_in_page_only(&other, login, "bob@example.com").await;
    assert!(enrolment.body.contains(r#"action="/mfa/enrol""#), "{}", enrolment.body);
}

async fn a_class_the_client_requires_and_nobody_can_reach_fails_the_sign_in(backend: Backend) {
    // No MFA policy: nobody can reach mfa at this client.
    let idp = TestIdp::start_with(backend, web_requires("", "urn:vestibule:acr:mfa")).await;
    idp.user(EMAIL).await;
    let browser = idp.browser();
    let pkce = pkce();
    let login = authorize(&idp, &browser, &pkce, &[]).await;
    let done = browser
        .submit(&login, "/login", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let mut location = done.location();
    for _ in 0..5 {
        if location.starts_with(REDIRECT) {
            break;
        }
        location = browser.get(&location).await.location();
    }
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{location}"
    );
}

/// The claims of the ID token that openid-client validated when redeeming `done`'s code.
fn openid_client_claims(idp: &TestIdp, done: &Page, pkce: &Pkce) -> serde_json::Value {
    ensure_node_modules();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node/code-exchange.mjs");
    let output = Command::new("node")
        .arg(script)
        .arg(idp.url(""))
        .arg("web")
        .arg(WEB_SECRET)
        .arg(done.location())
        .arg(&pkce.verifier)
        .arg("st4te")
        .arg("n0nce")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

on_both_backends!(
    required_sends_a_customer_without_a_factor_to_enrol_before_any_code,
    optional_asks_only_enrolled_customers,
    adaptive_steps_up_a_new_device_and_not_a_known_one,
    adaptive_steps_up_a_new_network,
    adaptive_steps_up_after_failures,
    adaptive_refuses_a_score_past_the_deny_threshold,
    acr_values_step_up_a_single_factor_session,
    a_client_default_acr_requires_the_second_factor,
    a_class_the_client_requires_is_essential_whatever_the_request_says,
    a_class_the_client_requires_and_nobody_can_reach_fails_the_sign_in,
);
