//! Breached passwords: the k-anonymity range check against a local server speaking the Pwned
//! Passwords format (only a 5-digit prefix on the wire), both fail modes with the service down,
//! and the local corpus file built by `vestibule-idp breached-filter`.

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::routing::get;
use sha1::{Digest, Sha1};
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{FailMode, LocalCorpus};

use vestibule_crds::SecretString;
use vestibule_idp::store::{NewUser, ProfileUpdate};

use crate::flow::{authorize_url, pkce};
use crate::support::browser::Page;
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::{Backend, Browser, TestIdp};

/// A password the test service lists as breached (it passes the policy and the common list).
const BREACHED: &str = "Sunflower-Meadow-1987";
/// A password the test service answers with a zero-count padding line only.
const PADDED: &str = "Quiet-Harbour-Lantern-42";

fn sha1_hex(password: &str) -> String {
    hex::encode_upper(Sha1::digest(password.as_bytes()))
}

/// One request as the range service saw it.
#[derive(Debug, Clone)]
struct Seen {
    uri: String,
    headers: Vec<String>,
    body: usize,
}

/// A Pwned Passwords compatible range service on loopback that records every request.
struct RangeService {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn range(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    Path(prefix): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> String {
    let headers = headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or_default()))
        .collect();
    seen.lock().unwrap().push(Seen {
        uri: uri.to_string(),
        headers,
        body: body.len(),
    });
    let mut lines = vec![
        // Real answers hold hundreds of suffixes; a few unrelated ones stand for them.
        "0018A45C4D1DEF81644B54AB7F969B88D65:1".to_owned(),
        "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2".to_owned(),
    ];
    for (password, count) in [(BREACHED, 2_113), (PADDED, 0)] {
        let hash = sha1_hex(password);
        if hash.starts_with(&prefix) {
            lines.push(format!("{}:{count}", &hash[5..]));
        }
    }
    lines.join("\r\n")
}

impl RangeService {
    async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new()
            .route("/range/{prefix}", get(range))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A loopback URL where nothing listens.
async fn nothing_listening() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    base
}

fn range_api(config: &mut TenantConfig, base: &str, fail_mode: FailMode) {
    let breached = &mut config.attack_protection.breached_passwords;
    breached.enabled = true;
    breached.range_api.enabled = true;
    breached.range_api.base_url = base.to_owned();
    breached.range_api.fail_mode = fail_mode;
}

async fn register(browser: &Browser, email: &str, password: &str) -> Page {
    let page = browser.get("/register").await;
    browser
        .submit(&page, "/register", &[("email", email), ("password", password)])
        .await
}

async fn a_breached_password_is_refused_and_only_its_prefix_leaves(backend: Backend) {
    let service = RangeService::start().await;
    let idp = TestIdp::start_with(backend, |config| range_api(config, &service.base, FailMode::Open)).await;
    let browser = idp.browser();

    let refused = register(&browser, "leaked@example.com", BREACHED).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("known data breach"), "{}", refused.body);

    // A suffix listed with a count of zero is padding, not a breach.
    let padded = register(&browser, "padded@example.com", PADDED).await;
    assert_eq!(padded.status, 200, "{}", padded.body);
    assert!(padded.body.contains("Check your inbox"), "{}", padded.body);

    // The shipped list still refuses the most common passwords, without asking the service.
    let asked = service.seen().len();
    let common = register(&browser, "common@example.com", "password1234").await;
    assert!(common.body.contains("too common"), "{}", common.body);
    assert_eq!(service.seen().len(), asked, "a common password is refused locally");

    let seen = service.seen();
    assert_eq!(seen.len(), 2, "one range request per checked password: {seen:?}");
    for (request, password) in seen.iter().zip([BREACHED, PADDED]) {
        let hash = sha1_hex(password);
        assert_eq!(request.uri, format!("/range/{}", &hash[..5]), "only the prefix is sent");
        let wire = format!("{} {}", request.uri, request.headers.join("\n"));
        assert!(!wire.contains(&hash[5..]) && !wire.contains(&hash[5..].to_lowercase()));
        assert!(!wire.contains(password), "the password never leaves");
        assert_eq!(request.body, 0, "a range request carries no body");
        assert!(
            request.headers.iter().any(|header| header == "add-padding: true"),
            "answers are padded: {request:?}"
        );
    }
    let (_, metrics) = idp.admin_get("/metrics").await;
    assert!(
        metrics.contains(r#"vestibule_idp_breached_passwords_total{source="range_api"} 1"#),
        "{metrics}"
    );
}

async fn a_password_change_to_a_breached_password_is_refused(backend: Backend) {
    let service = RangeService::start().await;
    let idp = TestIdp::start_with(backend, |config| range_api(config, &service.base, FailMode::Open)).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let signed_in = browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let account = browser.get("/account").await;
    let change = browser
        .submit(
            &account,
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", BREACHED)],
        )
        .await;
    assert_eq!(change.status, 400, "{}", change.body);
    assert!(change.body.contains("known data breach"), "{}", change.body);
}

async fn a_service_that_is_down_fails_open_when_declared_so(backend: Backend) {
    let down = nothing_listening().await;
    let idp = TestIdp::start_with(backend, |config| range_api(config, &down, FailMode::Open)).await;
    let accepted = register(&idp.browser(), "open@example.com", BREACHED).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(accepted.body.contains("Check your inbox"), "{}", accepted.body);
    let (_, metrics) = idp.admin_get("/metrics").await;
    assert!(
        metrics.contains(r#"vestibule_idp_breached_check_failures_total{reason="unavailable"} 1"#),
        "the failure is counted: {metrics}"
    );
}

async fn a_service_that_is_down_fails_closed_when_declared_so(backend: Backend) {
    let down = nothing_listening().await;
    let idp = TestIdp::start_with(backend, |config| range_api(config, &down, FailMode::Closed)).await;
    let browser = idp.browser();
    let refused = register(&browser, "closed@example.com", PADDED).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("cannot check passwords"), "{}", refused.body);
    let (_, metrics) = idp.admin_get("/metrics").await;
    assert!(
        metrics.contains(r#"vestibule_idp_breached_check_failures_total{reason="unavailable"} 1"#),
        "{metrics}"
    );
}

async fn the_local_corpus_built_by_the_tool_refuses_its_passwords(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("vestibule-breached-{}", vestibule_idp::random::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("hashes.txt");
    let mut lines: Vec<String> = (0..500)
        .map(|index| format!("{}:{index}", sha1_hex(&format!("x{index}"))))
        .collect();
    lines.push(format!("{}:9", sha1_hex(BREACHED).to_lowercase()));
    std::fs::write(&list, lines.join("\n")).unwrap();
    let corpus = dir.join("corpus.bin");
    let output = Command::new(env!("CARGO_BIN_EXE_vestibule-idp"))
        .args(["breached-filter", "--input"])
        .arg(&list)
        .arg("--output")
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("501 distinct hashes"));

    let path = corpus.to_str().unwrap().to_owned();
    let idp = TestIdp::start_with(backend, |config| {
        let breached = &mut config.attack_protection.breached_passwords;
        breached.enabled = true;
        // No egress: the range API is off, the corpus alone decides.
        breached.range_api.enabled = false;
        breached.local_corpus = Some(LocalCorpus {
            persistent_volume_claim: None,
            path,
        });
    })
    .await;
    let browser = idp.browser();
    let refused = register(&browser, "corpus@example.com", BREACHED).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("known data breach"), "{}", refused.body);
    let accepted = register(&browser, "corpus@example.com", PADDED).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    // A damaged file is a load error naming it, not a silently empty corpus.
    std::fs::write(&corpus, b"not a filter").unwrap();
    let mut config = idp.tenant().config.clone();
    config.generation += 1;
    let error = vestibule_idp::config::Tenant::new(config, &crate::support::idp::test_keys())
        .unwrap_err()
        .to_string();
    assert!(error.contains("corpus.bin") && error.contains("localCorpus"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A verified customer whose password is `password`.
async fn customer_with(idp: &TestIdp, email: &str, password: &str) -> vestibule_idp::store::User {
    let hash = idp.state.hasher.hash(&SecretString::new(password)).await.unwrap();
    let user = NewUser {
        email: email.into(),
        password_hash: hash,
        profile: ProfileUpdate::default(),
        email_verified: true,
        locale: Some("en".into()),
    };
    idp.state
        .store
        .create_user(user, idp.state.now())
        .await
        .unwrap()
        .unwrap()
}

/// Starts the web client's sign-in and submits `password` on the login page.
async fn sign_in_with(idp: &TestIdp, browser: &Browser, email: &str, password: &str) -> Page {
    let login = browser
        .follow(
            browser
                .get(&authorize_url(idp, "web", "openid email", &pkce(), &[]))
                .await,
        )
        .await;
    browser
        .follow(
            browser
                .submit(&login, "/login", &[("email", email), ("password", password)])
                .await,
        )
        .await
}

async fn signing_in_with_a_breached_password_flags_emails_and_forces_a_new_one(backend: Backend) {
    let service = RangeService::start().await;
    let idp = TestIdp::start_with(backend, |config| range_api(config, &service.base, FailMode::Open)).await;
    let user = customer_with(&idp, "reused@example.com", BREACHED).await;
    let browser = idp.browser();
    let asked = sign_in_with(&idp, &browser, "reused@example.com", BREACHED).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.url.contains("/password/new"), "{}", asked.url);
    assert!(
        asked.body.contains("appears in a list of passwords leaked"),
        "{}",
        asked.body
    );

    let mail = idp.smtp.wait_for("reused@example.com", 1).await;
    assert!(
        mail.subject.contains("Your password appeared in a data breach"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("choose a new one"), "{}", mail.text);
    let flagged = idp.state.store.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(flagged.password_breached_at.is_some());

    // Signing in again before replacing it asks again (and does not email again).
    let other = idp.browser();
    let again = sign_in_with(&idp, &other, "reused@example.com", BREACHED).await;
    assert!(
        again.url.contains("/password/new"),
        "the flag stays until replaced: {}",
        again.url
    );
    // The account page is no way around it: it asks for the new password first.
    let account = other.follow(other.get("/account").await).await;
    assert!(account.url.contains("/password/new"), "{}", account.url);

    let same = browser.submit(&asked, "/password/new", &[("password", BREACHED)]).await;
    assert_eq!(same.status, 400, "{}", same.body);
    assert!(same.body.contains("known data breach"), "{}", same.body);
    let common = browser
        .submit(&asked, "/password/new", &[("password", "password1234")])
        .await;
    assert!(common.body.contains("too common"), "{}", common.body);
    let done = browser
        .follow(browser.submit(&asked, "/password/new", &[("password", PADDED)]).await)
        .await;
    let location = done.location();
    assert!(
        location.starts_with(REDIRECT) && location.contains("code="),
        "the sign-in finishes: {location}"
    );

    let cleared = idp.state.store.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(cleared.password_breached_at.is_none(), "a new password clears the flag");
    let audit = idp.state.store.audit_of_user(&user.id).await.unwrap();
    assert!(
        audit.iter().any(|entry| entry.event == "password_breached"),
        "{audit:?}"
    );
    let later = sign_in_with(&idp, &idp.browser(), "reused@example.com", PADDED).await;
    assert!(later.location().starts_with(REDIRECT), "{}", later.body);
}

async fn the_reset_link_of_the_breach_email_clears_the_flag(backend: Backend) {
    let service = RangeService::start().await;
    let idp = TestIdp::start_with(backend, |config| range_api(config, &service.base, FailMode::Open)).await;
    let user = customer_with(&idp, "reset@example.com", BREACHED).await;
    let asked = sign_in_with(&idp, &idp.browser(), "reset@example.com", BREACHED).await;
    assert!(asked.url.contains("/password/new"), "{}", asked.url);
    let mail = idp.smtp.wait_for("reset@example.com", 1).await;
    let browser = idp.browser();
    let form = browser.get(&mail.link(&idp.url("/reset?token="))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let refused = browser.submit(&form, "/reset", &[("password", BREACHED)]).await;
    assert!(
        refused.body.contains("known data breach"),
        "the reset checks too: {}",
        refused.body
    );
    let reset = browser.submit(&form, "/reset", &[("password", PADDED)]).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let user = idp.state.store.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(user.password_breached_at.is_none(), "a reset by email clears the flag");
    let later = sign_in_with(&idp, &idp.browser(), "reset@example.com", PADDED).await;
    assert!(later.location().starts_with(REDIRECT), "{}", later.body);
}

on_both_backends!(
    signing_in_with_a_breached_password_flags_emails_and_forces_a_new_one,
    the_reset_link_of_the_breach_email_clears_the_flag,
    a_breached_password_is_refused_and_only_its_prefix_leaves,
    a_password_change_to_a_breached_password_is_refused,
    a_service_that_is_down_fails_open_when_declared_so,
    a_service_that_is_down_fails_closed_when_declared_so,
    the_local_corpus_built_by_the_tool_refuses_its_passwords,
);
