//! Privacy consent under a ConsentPolicy: registration under GDPR (nothing optional ticked) and
//! CCPA (ticked, "Do Not Sell or Share", GPC), asking again at sign-in (new version, after the
//! duration, past a purpose's retention) before any code, a declined document ending the
//! sign-in, the `consents` claim (checked by openid-client), the account page, and the history
//! of a purpose the policy no longer lists.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use vestibule_crds::Duration;
use vestibule_crds::config::{ConsentPolicyConfig, TenantConfig};
use vestibule_crds::v1alpha1::Jurisdiction;
use vestibule_idp::config::Tenant;
use vestibule_idp::store::{ConsentRecord, ConsentSource, ConsentState, User};

use crate::flow::{Pkce, authorize_url, claims, exchange_web, pkce, sign_in_page_only, token_basic};
use crate::support::browser::{Browser, Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT, WEB_SECRET};
use crate::support::smtp::ensure_node_modules;
use crate::support::{Backend, TestIdp};

const EMAIL: &str = "ada@example.com";
const PRIVACY_FORM: &str = "/privacy/consent";

/// A policy with both documents, two purposes based on consent (`newsletter`, `analytics`) and
/// one on a contract (`billing`), changed by `edit`; the `web` client may ask for `consents`.
fn policy(edit: impl FnOnce(&mut ConsentPolicyConfig)) -> impl FnOnce(&mut TenantConfig) {
    let yaml = "{id: shop.privacy, version: '1', \
        documents: {terms: 'https://shop.example.com/terms', privacy: 'https://shop.example.com/privacy'}, \
        purposes: [\
          {id: newsletter, title: {en: Newsletter, de: Rundbrief}, legalBasis: consent}, \
          {id: analytics, title: {en: Analytics, de: Analyse}, legalBasis: consent}, \
          {id: billing, title: {en: Billing, de: Abrechnung}, legalBasis: contract, required: true}]}";
    let mut policy: ConsentPolicyConfig = serde_yaml::from_str(yaml).unwrap();
    edit(&mut policy);
    move |config: &mut TenantConfig| {
        config.consent_policies = vec![policy];
        let web = config.clients.iter_mut().find(|c| c.client_id == "web").unwrap();
        web.scopes.push("consents".into());
    }
}

/// Serves `edit`ed the policy the IdP serves now.
fn change_policy(idp: &TestIdp, edit: impl FnOnce(&mut ConsentPolicyConfig)) {
    let mut config = idp.tenant().config.clone();
    edit(&mut config.consent_policies[0]);
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());
}

/// The checkboxes of `page`, by name, and whether each is ticked.
fn boxes(page: &Page) -> Vec<(String, bool)> {
    page.body
        .split(r#"<input type="checkbox" name=""#)
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let tag = &rest[..rest.find('>').unwrap()];
            (name.to_owned(), tag.contains(" checked"))
        })
        .collect()
}

/// The ticked checkboxes of `page`, as a browser submits them.
fn ticked(page: &Page) -> Vec<(String, String)> {
    boxes(page)
        .into_iter()
        .filter(|(_, checked)| *checked)
        .map(|(name, _)| (name, "yes".to_owned()))
        .collect()
}

/// Every record of `user`, as (subject, state, source, version, gpc), oldest first.
async fn history(idp: &TestIdp, user: &User) -> Vec<(String, ConsentState, ConsentSource, String, bool)> {
    let records: Vec<ConsentRecord> = idp.state.store.consent_history(&user.id).await.unwrap();
    records
        .into_iter()
        .map(|r| (r.subject, r.state, r.source, r.policy_version, r.gpc))
        .collect()
}

/// The latest state of `subject` among `records`.
fn state_of(records: &[ConsentRecord], subject: &str) -> Option<ConsentState> {
    records.iter().find(|r| r.subject == subject).map(|r| r.state)
}

async fn events(idp: &TestIdp, user: &User) -> Vec<(String, String)> {
    let log = idp.state.store.audit_of_user(&user.id).await.unwrap();
    log.into_iter()
        .map(|entry| (entry.event, entry.detail.unwrap_or_default()))
        .collect()
}

/// Registers `email` on the registration page of `browser` with `fields` besides the address
/// and password; returns the answer.
async fn register(browser: &Browser, email: &str, fields: &[(&str, &str)]) -> (Page, Page) {
    let form = browser.get("/register").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let mut all = vec![("email", email), ("password", PASSWORD)];
    all.extend_from_slice(fields);
    let done = browser.submit(&form, "/register", &all).await;
    (form, done)
}

async fn registered(idp: &TestIdp, email: &str) -> User {
    idp.state
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .expect("the account was made")
}

async fn registration_under_gdpr_ticks_nothing_and_records_each_answer(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|_| {})).await;
    let browser = idp.browser();
    let (form, refused) = register(&browser, EMAIL, &[("purpose-newsletter", "yes")]).await;
    assert!(
        boxes(&form).iter().all(|(_, checked)| !checked),
        "GDPR: nothing optional is pre-ticked: {:?}",
        boxes(&form)
    );
    assert!(form.body.contains("https://shop.example.com/terms") && form.body.contains("Billing"));
    assert!(
        !form.body.contains("Do Not Sell"),
        "the CCPA control is not shown under GDPR"
    );
    assert_eq!(refused.status, 400, "the documents were not accepted");
    assert!(
        refused.body.contains("only create an account if you accept"),
        "{}",
        refused.body
    );
    assert!(idp.state.store.user_by_email(EMAIL).await.unwrap().is_none());
    assert!(
        boxes(&refused).contains(&("purpose-newsletter".to_owned(), true)),
        "the refused form keeps the customer's ticks"
    );
    let (_, done) = register(
        &browser,
        EMAIL,
        &[("accept_documents", "yes"), ("purpose-newsletter", "yes")],
    )
    .await;
    assert!(
        done.status.is_success() || done.status.is_redirection(),
        "{}",
        done.body
    );
    let user = registered(&idp, EMAIL).await;
    let records = history(&idp, &user).await;
    let by = |subject: &str| records.iter().find(|r| r.0 == subject).cloned().unwrap();
    assert_eq!(by("document:terms").1, ConsentState::Granted);
    assert_eq!(by("document:privacy").1, ConsentState::Granted);
    assert_eq!(by("newsletter").1, ConsentState::Granted);
    assert_eq!(by("analytics").1, ConsentState::Declined, "unticked is declined");
    assert!(
        records
            .iter()
            .all(|r| r.2 == ConsentSource::Registration && r.3 == "1" && !r.4)
    );
    assert!(!records.iter().any(|r| r.0 == "billing"), "information is not asked");
    let stored = idp.state.store.consent_history(&user.id).await.unwrap();
    assert!(stored.iter().all(|r| r.ip.as_deref() == Some("127.0.0.1")));
    assert_eq!(
        stored.iter().find(|r| r.subject == "newsletter").unwrap().legal_basis,
        "consent"
    );
    let log = events(&idp, &user).await;
    assert!(
        log.iter().any(|(event, detail)| event == "purpose_consent_given"
            && detail == "subject=newsletter version=1 how=registration")
    );
    assert!(log.iter().any(|(event, _)| event == "purpose_consent_declined"));
    assert_eq!(log.iter().filter(|(event, _)| event == "document_accepted").count(), 2);
}

async fn registration_under_ccpa_ticks_optional_purposes_and_honours_do_not_sell_and_gpc(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|p| p.jurisdiction = Jurisdiction::Ccpa)).await;
    // As the browser sends it: the boxes ticked by default.
    let browser = idp.browser_from(2);
    let form = browser.get("/register").await;
    assert!(form.body.contains("Do Not Sell or Share My Personal Information"));
    assert!(
        boxes(&form).contains(&("purpose-newsletter".to_owned(), true)),
        "CCPA: on until declined"
    );
    assert!(boxes(&form).contains(&("do_not_sell".to_owned(), false)));
    let mut fields: Vec<(String, String)> = ticked(&form);
    fields.extend([
        ("accept_documents".into(), "yes".into()),
        ("email".into(), EMAIL.into()),
    ]);
    fields.push(("password".into(), PASSWORD.into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    browser.submit(&form, "/register", &pairs).await;
    let user = registered(&idp, EMAIL).await;
    let current = idp.state.store.current_consents(&user.id).await.unwrap();
    assert_eq!(state_of(&current, "newsletter"), Some(ConsentState::Granted));
    assert_eq!(state_of(&current, "analytics"), Some(ConsentState::Granted));

    // "Do Not Sell or Share" ticked: every optional purpose declined, whatever else is ticked.
    let opting_out = idp.browser_from(3);
    let (_, done) = register(
        &opting_out,
        "grace@example.com",
        &[
            ("accept_documents", "yes"),
            ("purpose-newsletter", "yes"),
            ("do_not_sell", "yes"),
        ],
    )
    .await;
    assert!(!done.status.is_client_error(), "{}", done.body);
    let grace = registered(&idp, "grace@example.com").await;
    let current = idp.state.store.current_consents(&grace.id).await.unwrap();
    assert_eq!(state_of(&current, "newsletter"), Some(ConsentState::Declined));

    // A browser sending Sec-GPC: 1 is an opt-out, recorded as such.
    let mut signalling = idp.browser_from(4);
    signalling.global_privacy_control = true;
    let (form, _) = register(
        &signalling,
        "linus@example.com",
        &[("accept_documents", "yes"), ("purpose-newsletter", "yes")],
    )
    .await;
    assert!(form.body.contains(r#"id="gpc-honoured""#), "{}", form.body);
    assert!(
        boxes(&form).contains(&("purpose-newsletter".to_owned(), false)),
        "GPC: nothing ticked"
    );
    let linus = registered(&idp, "linus@example.com").await;
    let records = history(&idp, &linus).await;
    let newsletter = records.iter().find(|r| r.0 == "newsletter").unwrap();
    assert_eq!(
        (newsletter.1, newsletter.4),
        (ConsentState::Declined, true),
        "declined, with the signal"
    );
    assert!(
        events(&idp, &linus)
            .await
            .iter()
            .any(|(event, detail)| event == "purpose_consent_declined"
                && detail == "subject=newsletter version=1 how=registration gpc=1")
    );
}

/// Starts an authorization at `web` for `scope` in `browser` and signs in with the password
/// (unless the browser's session is still on); returns the page that follows.
async fn sign_in(idp: &TestIdp, browser: &Browser, scope: &str, pkce: &Pkce) -> Page {
    let first = browser
        .follow(browser.get(&authorize_url(idp, "web", scope, pkce, &[])).await)
        .await;
    if first.body.contains(r#"action="/login""#) {
        sign_in_page_only(browser, first, EMAIL).await
    } else {
        first
    }
}

fn asks_privacy(page: &Page) -> bool {
    page.status == 200 && page.body.contains(r#"action="/privacy/consent""#)
}

/// Answers the privacy page with `fields` and follows on.
async fn answer(browser: &Browser, page: &Page, fields: &[(&str, &str)]) -> Page {
    browser.follow(browser.submit(page, PRIVACY_FORM, fields).await).await
}

fn reached_client(page: &Page) -> bool {
    page.status.is_redirection()
        && page.location().starts_with(REDIRECT)
        && query_param(&page.location(), "code").is_some()
}

async fn a_new_version_is_asked_at_sign_in_before_any_code(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|_| {})).await;
    let user = idp.user(EMAIL).await;
    let browser = idp.browser();
    let asked = sign_in(&idp, &browser, "openid", &pkce()).await;
    assert!(
        asks_privacy(&asked),
        "an account from before the policy is asked:\n{}",
        asked.body
    );
    assert!(!asked.body.contains("code="), "no code before the answer");
    let done = answer(
        &browser,
        &asked,
        &[("decision", "accept"), ("purpose-newsletter", "yes")],
    )
    .await;
    assert!(reached_client(&done), "{} {:?}", done.status, done.header("location"));
    assert!(
        reached_client(&sign_in(&idp, &browser, "openid", &pkce()).await),
        "answered: not asked again"
    );

    change_policy(&idp, |p| p.version = "2".into());
    let again = sign_in(&idp, &browser, "openid", &pkce()).await;
    assert!(
        asks_privacy(&again),
        "a new version asks again, even within the session"
    );
    assert!(
        boxes(&again).contains(&("purpose-newsletter".to_owned(), false)),
        "the old answer is not carried over"
    );
    let done = answer(
        &browser,
        &again,
        &[("decision", "accept"), ("purpose-analytics", "yes")],
    )
    .await;
    assert!(reached_client(&done));
    let current = idp.state.store.current_consents(&user.id).await.unwrap();
    let terms = current.iter().find(|r| r.subject == "document:terms").unwrap();
    assert_eq!(
        (terms.policy_version.as_str(), terms.source),
        ("2", ConsentSource::SignIn)
    );
    assert_eq!(state_of(&current, "analytics"), Some(ConsentState::Granted));
    assert_eq!(state_of(&current, "newsletter"), Some(ConsentState::Declined));
    let silent = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "none")]))
        .await;
    assert!(
        silent.location().starts_with(REDIRECT),
        "answered under version 2: prompt=none passes"
    );
}

async fn answers_are_asked_again_after_the_duration_and_a_purpose_after_its_retention(backend: Backend) {
    let idp = TestIdp::start_with(
        backend,
        policy(|p| {
            p.reconsent.after = Some(Duration::from_hours(24));
            p.purposes[0].retention = Some(Duration::from_hours(1));
        }),
    )
    .await;
    idp.user(EMAIL).await;
    let first = idp.browser();
    let asked = sign_in(&idp, &first, "openid", &pkce()).await;
    let done = answer(&first, &asked, &[("decision", "accept"), ("purpose-newsletter", "yes")]).await;
    assert!(reached_client(&done));
    idp.clock.advance(30 * 60);
    assert!(
        reached_client(&sign_in(&idp, &idp.browser(), "openid", &pkce()).await),
        "30 minutes: nothing due"
    );

    idp.clock.advance(31 * 60);
    let browser = idp.browser();
    let retention = sign_in(&idp, &browser, "openid", &pkce()).await;
    assert!(asks_privacy(&retention), "the newsletter's retention (1h) ran out");
    assert!(
        boxes(&retention).contains(&("purpose-newsletter".to_owned(), false)),
        "an agreement past retention is over"
    );
    let done = answer(&browser, &retention, &[("decision", "accept")]).await;
    assert!(reached_client(&done));

    // The documents were accepted at the start, the purposes an hour later.
    idp.clock.advance(22 * 3600);
    assert!(
        reached_client(&sign_in(&idp, &idp.browser(), "openid", &pkce()).await),
        "within reconsent.after"
    );
    idp.clock.advance(2 * 3600);
    let after = sign_in(&idp, &idp.browser(), "openid", &pkce()).await;
    assert!(asks_privacy(&after), "older than reconsent.after (24h): asked again");
    let silent = idp.browser();
    let login = silent
        .follow(silent.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await)
        .await;
    sign_in_page_only(&silent, login, EMAIL).await;
    let none = silent
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "none")]))
        .await;
    assert_eq!(
        query_param(&none.location(), "error").as_deref(),
        Some("consent_required")
    );
}

async fn a_declined_document_means_no_sign_in(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|_| {})).await;
    let user = idp.user(EMAIL).await;
    let browser = idp.browser();
    let asked = sign_in(&idp, &browser, "openid", &pkce()).await;
    assert!(asks_privacy(&asked));
    let refused = browser.submit(&asked, PRIVACY_FORM, &[("decision", "decline")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("You cannot sign in without accepting the terms of service")
    );
    assert!(refused.header("location").is_none(), "no code, no redirect");
    let account = browser.get("/account").await;
    assert!(
        account.location().contains("/login"),
        "the session ended: {}",
        account.location()
    );
    let current = idp.state.store.current_consents(&user.id).await.unwrap();
    assert_eq!(state_of(&current, "document:terms"), Some(ConsentState::Declined));
    assert!(
        events(&idp, &user)
            .await
            .iter()
            .any(|(event, _)| event == "document_declined")
    );

    let mut german = idp.browser();
    german.accept_language = Some("de".into());
    let gefragt = sign_in(&idp, &german, "openid", &pkce()).await;
    assert!(gefragt.body.contains("Ihre Datenschutz-Einstellungen") && gefragt.body.contains("Rundbrief"));
    let abgelehnt = german.submit(&gefragt, PRIVACY_FORM, &[("decision", "decline")]).await;
    assert_eq!(abgelehnt.status, 403);
    assert!(
        abgelehnt.body.contains("Ohne die Nutzungsbedingungen"),
        "{}",
        abgelehnt.body
    );
}

/// The claims of the ID token that openid-client validated when redeeming `done`'s code.
fn openid_client_claims(idp: &TestIdp, done: &Page, pkce: &Pkce) -> serde_json::Value {
    ensure_node_modules();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node/code-exchange.mjs");
    let output = Command::new("node")
        .arg(script)
        .args([
            &idp.url(""),
            "web",
            WEB_SECRET,
            &done.location(),
            &pkce.verifier,
            "st4te",
            "n0nce",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn the_consents_scope_releases_the_granted_purposes_to_openid_client(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|_| {})).await;
    let discovery = idp.browser().get("/.well-known/openid-configuration").await.json();
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("consents"))
    );
    assert!(
        discovery["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("consents_version"))
    );
    idp.user(EMAIL).await;
    let browser = idp.browser();
    let pkce = pkce();
    let asked = sign_in(&idp, &browser, "openid consents", &pkce).await;
    let done = answer(
        &browser,
        &asked,
        &[("decision", "accept"), ("purpose-newsletter", "yes")],
    )
    .await;
    let claims = openid_client_claims(&idp, &done, &pkce);
    assert_eq!(
        claims["consents"],
        json!({"newsletter": true, "analytics": false}),
        "{claims}"
    );
    assert_eq!(claims["consents_version"], "1");
    let plain = pkce_code_claims(&idp, &browser, "openid").await;
    assert!(plain.get("consents").is_none(), "only the consents scope releases them");
}

/// The ID token claims of a sign-in for `scope` in `browser`'s session.
async fn pkce_code_claims(idp: &TestIdp, browser: &Browser, scope: &str) -> serde_json::Value {
    let pkce = pkce();
    let done = sign_in(idp, browser, scope, &pkce).await;
    let code = query_param(&done.location(), "code").unwrap();
    claims(
        exchange_web(idp, &code, &pkce.verifier).await.json()["id_token"]
            .as_str()
            .unwrap(),
    )
}

async fn refreshed(idp: &TestIdp, refresh_token: &str) -> (serde_json::Value, String) {
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    let tokens = token_basic(idp, "web", WEB_SECRET, &form).await.json();
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    (id_token, tokens["refresh_token"].as_str().unwrap().to_owned())
}

async fn an_account_page_change_is_recorded_and_in_the_next_token(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|_| {})).await;
    let user = idp.user(EMAIL).await;
    let browser = idp.browser();
    let pkce = pkce();
    let asked = sign_in(&idp, &browser, "openid consents offline_access", &pkce).await;
    let done = answer(&browser, &asked, &[("decision", "accept")]).await;
    let code = query_param(&done.location(), "code").unwrap();
    let tokens = exchange_web(&idp, &code, &pkce.verifier).await.json();
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["consents"]["newsletter"],
        false
    );

    let account = browser.get("/account").await;
    assert!(
        account.body.contains(r#"action="/account/privacy""#),
        "{}",
        account.body
    );
    assert!(
        account.body.contains("accepted (version 1"),
        "the documents and their version"
    );
    assert!(boxes(&account).contains(&("purpose-newsletter".to_owned(), false)));
    let saved = browser
        .submit(&account, "/account/privacy", &[("purpose-newsletter", "yes")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.location().ends_with("saved=privacy"));
    let granted_at = idp.state.now();
    let newsletter: Vec<_> = history(&idp, &user)
        .await
        .into_iter()
        .filter(|r| r.0 == "newsletter")
        .collect();
    assert_eq!(newsletter.len(), 2, "declined at sign-in, then granted: {newsletter:?}");
    assert_eq!(
        (newsletter[1].1, newsletter[1].2),
        (ConsentState::Granted, ConsentSource::AccountPage)
    );
    assert!(
        events(&idp, &user)
            .await
            .iter()
            .any(|(event, detail)| event == "purpose_consent_given"
                && detail == "subject=newsletter version=1 how=account_page")
    );
    let (id_token, refresh_token) = refreshed(&idp, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        id_token["consents"]["newsletter"], true,
        "the next token shows the change"
    );

    idp.clock.advance(10);
    let account = browser.get("/account").await;
    assert!(boxes(&account).contains(&("purpose-newsletter".to_owned(), true)));
    browser.submit(&account, "/account/privacy", &[]).await;
    let current = idp.state.store.current_consents(&user.id).await.unwrap();
    assert_eq!(state_of(&current, "newsletter"), Some(ConsentState::Withdrawn));
    let then = idp.state.store.consents_at(&user.id, granted_at).await.unwrap();
    assert_eq!(
        state_of(&then, "newsletter"),
        Some(ConsentState::Granted),
        "the past state is proven"
    );
    let (id_token, _) = refreshed(&idp, &refresh_token).await;
    assert_eq!(id_token["consents"]["newsletter"], false);
    assert!(
        events(&idp, &user)
            .await
            .iter()
            .any(|(event, _)| event == "purpose_consent_withdrawn")
    );
}

async fn a_purpose_removed_from_the_policy_keeps_its_history(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy(|_| {})).await;
    let browser = idp.browser();
    register(
        &browser,
        EMAIL,
        &[("accept_documents", "yes"), ("purpose-newsletter", "yes")],
    )
    .await;
    let user = registered(&idp, EMAIL).await;
    idp.state
        .store
        .mark_email_verified(&user.id, idp.state.now())
        .await
        .unwrap();
    change_policy(&idp, |p| p.purposes.retain(|purpose| purpose.id != "newsletter"));
    let records = history(&idp, &user).await;
    assert!(
        records
            .iter()
            .any(|r| r.0 == "newsletter" && r.1 == ConsentState::Granted),
        "the answers about a removed purpose stay: {records:?}"
    );
    let signed_in = idp.browser();
    let claims = pkce_code_claims(&idp, &signed_in, "openid consents").await;
    assert_eq!(
        claims["consents"],
        json!({"analytics": false}),
        "only purposes the policy lists"
    );
    let account = signed_in.get("/account").await;
    assert!(!account.body.contains("Newsletter"), "no longer offered");
}

on_both_backends!(
    registration_under_gdpr_ticks_nothing_and_records_each_answer,
    registration_under_ccpa_ticks_optional_purposes_and_honours_do_not_sell_and_gpc,
    a_new_version_is_asked_at_sign_in_before_any_code,
    answers_are_asked_again_after_the_duration_and_a_purpose_after_its_retention,
    a_declined_document_means_no_sign_in,
    the_consents_scope_releases_the_granted_purposes_to_openid_client,
    an_account_page_change_is_recorded_and_in_the_next_token,
    a_purpose_removed_from_the_policy_keeps_its_history,
);
