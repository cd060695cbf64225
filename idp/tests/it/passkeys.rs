//! Passkeys: the store (several per customer, one account per credential, counters moved only
//! forward, ceremonies taken once), the account page's rules, and a headless Chromium with a
//! virtual authenticator registering a passkey, using it after the password (an assertion
//! relayed from another origin, a foreign challenge and a clone refused and audited) and
//! removing it (`e2e/node/passkey-journey.mjs`); the phishing-resistant class asked for.

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;
use vestibule_idp::config::Tenant;
use vestibule_idp::ids::{UnixTime, UserId};
use vestibule_idp::store::{Ceremony, StoredPasskey};

use crate::flow::{authorize_url, claims, exchange_web, pkce, sign_in_page_only};
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::smtp::ensure_node_modules;
use crate::support::{Backend, Browser, TestIdp};

fn passkey(id: &str, user: &UserId, credential: &str, at: i64) -> StoredPasskey {
    StoredPasskey {
        id: id.into(),
        user_id: user.clone(),
        credential_id: credential.into(),
        name: format!("key {id}"),
        passkey: "{}".into(),
        sign_count: 0,
        backup_eligible: false,
        backup_state: false,
        created_at: UnixTime::from_seconds(at),
        last_used_at: None,
    }
}

async fn the_store_keeps_several_passkeys_and_one_account_per_credential(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let ada = idp.user("ada@example.com").await.id;
    let bob = idp.user("bob@example.com").await.id;
    assert!(!store.has_passkey(&ada).await.unwrap());
    assert!(store.add_passkey(&passkey("p1", &ada, "cred-1", 10)).await.unwrap());
    assert!(store.add_passkey(&passkey("p2", &ada, "cred-2", 20)).await.unwrap());
    assert!(
        !store.add_passkey(&passkey("p3", &bob, "cred-1", 30)).await.unwrap(),
        "a credential belongs to one account"
    );
    let listed: Vec<String> = store.passkeys(&ada).await.unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(listed, ["p1", "p2"]);
    assert!(store.passkeys(&bob).await.unwrap().is_empty());
    assert_eq!(
        store.passkey_by_credential("cred-2").await.unwrap().unwrap().user_id,
        ada
    );
    assert!(
        !store.rename_passkey(&bob, "p1", "mine").await.unwrap(),
        "only the owner renames"
    );
    assert!(store.rename_passkey(&ada, "p1", "Laptop").await.unwrap());
    assert!(
        !store.delete_passkey(&bob, "p2").await.unwrap(),
        "only the owner removes"
    );
    assert!(store.delete_passkey(&ada, "p2").await.unwrap());
    let left = store.passkeys(&ada).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "Laptop");
}

async fn a_use_moves_the_counter_only_from_the_value_it_saw(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let ada = idp.user("ada@example.com").await.id;
    store.add_passkey(&passkey("p1", &ada, "cred-1", 10)).await.unwrap();
    let mut used = store.passkey_by_credential("cred-1").await.unwrap().unwrap();
    used.sign_count = 5;
    used.backup_state = true;
    let now = UnixTime::from_seconds(100);
    assert!(store.record_passkey_use(&used, 0, now).await.unwrap());
    used.sign_count = 6;
    assert!(
        !store.record_passkey_use(&used, 0, now).await.unwrap(),
        "a racing use that saw the old counter loses"
    );
    let stored = store.passkey_by_credential("cred-1").await.unwrap().unwrap();
    assert_eq!(stored.sign_count, 5);
    assert!(stored.backup_state);
    assert_eq!(stored.last_used_at, Some(now));
}

async fn a_ceremony_is_taken_once(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let ada = idp.user("ada@example.com").await.id;
    let ceremony = Ceremony {
        purpose: "register".into(),
        binding: "session:s1".into(),
        user_id: Some(ada),
        name: Some("Laptop".into()),
        state: "{}".into(),
        expires_at: UnixTime::from_seconds(400),
    };
    store
        .put_ceremony("h1", &ceremony, UnixTime::from_seconds(100))
        .await
        .unwrap();
    assert_eq!(store.take_ceremony("h1").await.unwrap(), Some(ceremony.clone()));
    assert_eq!(store.take_ceremony("h1").await.unwrap(), None, "used once");
    store
        .put_ceremony("h2", &ceremony, UnixTime::from_seconds(100))
        .await
        .unwrap();
    let other = Ceremony {
        binding: "session:s2".into(),
        ..ceremony.clone()
    };
    store
        .put_ceremony("h3", &other, UnixTime::from_seconds(100))
        .await
        .unwrap();
    store
        .put_ceremony("h4", &ceremony, UnixTime::from_seconds(100))
        .await
        .unwrap();
    assert_eq!(
        store.take_ceremony("h2").await.unwrap(),
        None,
        "replaced by the same session's next"
    );
    assert_eq!(
        store.take_ceremony("h3").await.unwrap(),
        Some(other.clone()),
        "another session's stays"
    );
    store
        .put_ceremony("h5", &other, UnixTime::from_seconds(100))
        .await
        .unwrap();
    // Putting one later drops the lapsed ones.
    let later = Ceremony {
        binding: "session:s3".into(),
        expires_at: UnixTime::from_seconds(900),
        ..ceremony.clone()
    };
    store
        .put_ceremony("h6", &later, UnixTime::from_seconds(500))
        .await
        .unwrap();
    assert_eq!(store.take_ceremony("h5").await.unwrap(), None, "lapsed and purged");
}

async fn signed_in(idp: &TestIdp, email: &str) -> Browser {
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let done = browser
        .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    browser
}

async fn adding_a_passkey_after_a_while_asks_for_the_password_and_a_name(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    idp.user(email).await;
    let browser = signed_in(&idp, email).await;
    assert!(
        !browser.get("/account").await.body.contains("/account/passkeys"),
        "no passkeys without a policy accepting them"
    );
    on_localhost(&idp);
    let browser = signed_in(&idp, email).await;
    assert!(browser.get("/account").await.body.contains("/account/passkeys"));
    let list = browser.get("/account/passkeys").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("You have no passkeys yet."), "{}", list.body);
    let nameless = browser.submit(&list, "/account/passkeys/start", &[("name", " ")]).await;
    assert_eq!(nameless.status, 400);
    assert!(nameless.body.contains("at most 64 characters"), "{}", nameless.body);
    idp.clock.advance(10 * 60);
    let list = browser.get("/account/passkeys").await;
    let refused = browser
        .submit(
            &list,
            "/account/passkeys/start",
            &[("name", "Laptop"), ("current_password", "nope")],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("current password is incorrect"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="Laptop""#), "the name is kept");
    let started = browser
        .submit(
            &list,
            "/account/passkeys/start",
            &[("name", "Laptop"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains(r#"data-webauthn="create""#), "{}", started.body);
    assert!(
        started.body.contains("/assets/webauthn.js?v="),
        "the script is an asset"
    );
    assert!(!started.body.contains("<script>"), "no inline script");
    assert!(started.body.contains("<noscript>"), "the page says it needs JavaScript");
    // An answer to another ceremony (here: none) is refused and audited.
    let forged = browser
        .submit(
            &started,
            "/account/passkeys/finish",
            &[("ceremony", "made-up"), ("credential", "{}")],
        )
        .await;
    assert_eq!(forged.status, 400);
    let refused: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE event = 'passkey_refused'")
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(refused, 1);
}

async fn the_script_is_served_as_javascript_with_a_long_cache(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let response = reqwest::get(idp.url("/assets/webauthn.js")).await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "text/javascript; charset=utf-8");
    assert!(header("cache-control").contains("max-age=31536000"));
    assert!(response.text().await.unwrap().contains("navigator.credentials"));
}

/// The policy of these tests: authenticator apps and passkeys, passkeys alone too.
const POLICY: &str = "{id: test.mfa, factors: [totp, webauthn], passkeys: {passwordless: true}}";

/// Serves the tenant under `http://localhost:<port>` (WebAuthn takes no IP address as relying
/// party id), with [`POLICY`].
fn on_localhost(idp: &TestIdp) -> String {
    let base = idp.base.replace("127.0.0.1", "localhost");
    let mut config = idp.tenant().config.clone();
    config.issuer = base.clone();
    config.mfa_policies = vec![serde_yaml::from_str(POLICY).unwrap()];
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());
    base
}

async fn reloading_the_sign_in_page_cannot_fill_the_ceremony_table(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.rate_limits.logins_per_minute = 3;
    })
    .await;
    on_localhost(&idp);
    // The pages of this test fall in one rate-limit window.
    let into = idp.state.now().seconds().rem_euclid(vestibule_idp::risk::WINDOW);
    idp.clock.advance(vestibule_idp::risk::WINDOW - into);
    // Each page from a browser without cookies: a new ceremony row (one browser replaces its own).
    for _ in 0..3 {
        let page = idp.browser().get("/login").await;
        assert!(page.body.contains(r#"action="/login/passkey""#), "{}", page.body);
    }
    let fourth = idp.browser().get("/login").await;
    assert_eq!(fourth.status, 200, "the page still answers");
    assert!(
        !fourth.body.contains(r#"action="/login/passkey""#),
        "no fourth ceremony this minute"
    );
    assert!(fourth.body.contains(r#"action="/login""#), "the password form stays");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkey_ceremonies")
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 3);
    idp.clock.advance(vestibule_idp::risk::WINDOW);
    let later = idp.browser().get("/login").await;
    assert!(
        later.body.contains(r#"action="/login/passkey""#),
        "the next minute starts afresh"
    );
}

/// Runs the Chromium journey against `base` as `email`, with `mode` in its environment; returns
/// the steps it reached.
async fn journey(base: &str, email: &str, mode: (&str, &str)) -> Vec<String> {
    ensure_node_modules();
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node");
    let output = tokio::process::Command::new("node")
        .arg(node.join("passkey-journey.mjs"))
        .env("ISSUER", base)
        .env("EMAIL", email)
        .env("PASSWORD", PASSWORD)
        .env(mode.0, mode.1)
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|step| step["step"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn chromium_registers_uses_and_removes_a_passkey(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let base = on_localhost(&idp);
    let steps = journey(&base, email, ("PASSWORDLESS", "1")).await;
    assert_eq!(
        steps,
        [
            "registered",
            "conditional-ui",
            "other-challenge-refused",
            "other-origin-refused",
            "second-factor",
            "clone-refused",
            "counter-ahead-accepted",
            "passwordless",
            "removed"
        ],
    );
    // The second factor was the passkey, verified by the authenticator: hwk and user.
    let amrs: Vec<String> = sqlx::query_scalar("SELECT amr FROM sessions WHERE user_id = $1")
        .bind(&user.id)
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap();
    assert!(amrs.iter().any(|amr| amr == "pwd hwk mfa user"), "{amrs:?}");
    // Signed in with the passkey alone: verified by the authenticator, it is two factors.
    assert!(amrs.iter().any(|amr| amr == "hwk mfa user"), "{amrs:?}");
    assert!(idp.state.store.passkeys(&user.id).await.unwrap().is_empty());
    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM audit_log WHERE user_id = $1")
        .bind(&user.id)
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap();
    assert!(events.contains(&"passkey_added".to_owned()), "{events:?}");
    assert!(events.contains(&"passkey_removed".to_owned()), "{events:?}");
    let refusals: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE user_id = $1 AND event = 'passkey_refused' ORDER BY detail",
    )
    .bind(&user.id)
    .fetch_all(idp.state.store.pool())
    .await
    .unwrap();
    assert_eq!(
        refusals,
        [
            "assertion for another origin or relying party",
            "challenge of another ceremony",
            "signature counter regression (cloned authenticator)"
        ],
        "a foreign origin, a foreign challenge and a clone, each refused and audited"
    );
    idp.smtp.wait_for(email, 2).await;
    let subjects: Vec<String> = idp.smtp.messages().into_iter().map(|mail| mail.subject).collect();
    assert!(
        subjects.iter().any(|s| s.contains("A passkey was added")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("A passkey was removed")),
        "{subjects:?}"
    );
}

async fn under_required_the_last_passkey_cannot_be_removed(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    let ada = idp.user(email).await.id;
    on_localhost(&idp);
    let mut config = idp.tenant().config.clone();
    config.mfa_policies =
        vec![serde_yaml::from_str("{id: test.mfa, factors: [totp, webauthn], enforcement: required}").unwrap()];
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());
    idp.state.store.add_passkey(&usable_passkey("p1", &ada)).await.unwrap();
    let browser = signed_in(&idp, email).await;
    // This session proved the passkey (as the second-factor page would have recorded it).
    sqlx::query("UPDATE sessions SET amr = 'pwd hwk mfa user' WHERE user_id = $1")
        .bind(&ada)
        .execute(idp.state.store.pool())
        .await
        .unwrap();
    let list = browser.get("/account/passkeys").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let refused = browser
        .submit(&list, "/account/passkeys/remove", &[("passkey", "p1")])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("must keep a second step"), "{}", refused.body);
    assert_eq!(names(&idp, &ada).await.len(), 1, "the passkey stays");
}

async fn chromium_creates_a_passkey_inside_a_sign_in_that_requires_one(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    let user = idp.user(email).await;
    let base = on_localhost(&idp);
    let mut config = idp.tenant().config.clone();
    config.mfa_policies =
        vec![serde_yaml::from_str("{id: test.mfa, factors: [webauthn], enforcement: required}").unwrap()];
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());
    assert_eq!(journey(&base, email, ("ENROL", "1")).await, ["enrolled"]);
    assert_eq!(names(&idp, &user.id).await, ["Passkey"]);
    let amrs: Vec<String> = sqlx::query_scalar("SELECT amr FROM sessions WHERE user_id = $1")
        .bind(&user.id)
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(amrs, ["pwd hwk mfa user"], "the new key is the second factor");
    idp.smtp.wait_for_subject(email, "A passkey was added").await;
}

/// The names of `user`'s passkeys.
async fn names(idp: &TestIdp, user: &UserId) -> Vec<String> {
    let passkeys = idp.state.store.passkeys(user).await.unwrap();
    passkeys.into_iter().map(|p| p.name).collect()
}

async fn renaming_takes_a_name_a_recent_authentication_and_only_the_customers_own(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    let ada = idp.user(email).await.id;
    let bob = idp.user("bob@example.com").await.id;
    on_localhost(&idp);
    let browser = signed_in(&idp, email).await;
    let store = &idp.state.store;
    store.add_passkey(&passkey("p1", &ada, "cred-1", 10)).await.unwrap();
    store.add_passkey(&passkey("p2", &bob, "cred-2", 10)).await.unwrap();
    // This session proved the passkey (as the second-factor page would have recorded it).
    sqlx::query("UPDATE sessions SET amr = 'pwd hwk mfa user' WHERE user_id = $1")
        .bind(&ada)
        .execute(store.pool())
        .await
        .unwrap();
    let list = browser.get("/account/passkeys").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("key p1") && !list.body.contains("key p2"),
        "{}",
        list.body
    );
    assert!(list.body.contains("Never used"));
    let renamed = browser
        .submit(
            &list,
            "/account/passkeys/rename",
            &[("passkey", "p1"), ("name", " Laptop ")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    assert!(renamed.location().ends_with("saved=passkey-renamed"));
    assert_eq!(names(&idp, &ada).await, ["Laptop"]);
    // Told at the address, like every change of a factor.
    idp.smtp.wait_for_subject(email, "A passkey was renamed").await;
    browser
        .submit(
            &list,
            "/account/passkeys/rename",
            &[("passkey", "p2"), ("name", "Mine")],
        )
        .await;
    assert_eq!(
        names(&idp, &bob).await,
        ["key p2"],
        "another customer's passkey is untouched"
    );
    let nameless = browser
        .submit(&list, "/account/passkeys/rename", &[("passkey", "p1"), ("name", "")])
        .await;
    assert_eq!(nameless.status, 400);
    idp.clock.advance(10 * 60);
    let list = browser.get("/account/passkeys").await;
    let unconfirmed = browser
        .submit(
            &list,
            "/account/passkeys/rename",
            &[("passkey", "p1"), ("name", "Desk")],
        )
        .await;
    assert_eq!(unconfirmed.status, 400, "a while later, the password is asked again");
    assert_eq!(names(&idp, &ada).await, ["Laptop"]);
    let confirmed = browser
        .submit(
            &list,
            "/account/passkeys/rename",
            &[("passkey", "p1"), ("name", "Desk"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert_eq!(names(&idp, &ada).await, ["Desk"]);
}

async fn an_essential_phishing_resistant_class_is_not_reached_with_a_code(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let email = "ada@example.com";
    idp.user(email).await;
    on_localhost(&idp);
    let browser = crate::mfa::signed_in(&idp, email).await;
    crate::mfa::enrol(&idp, &browser).await;
    let essential = |value: &str| format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":["{value}"]}}}}}}"#);

    // An essential mfa: the code is asked.
    let other = idp.browser();
    let mfa = essential("urn:vestibule:acr:mfa");
    let login = other
        .follow(
            other
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("claims", &mfa)]))
                .await,
        )
        .await;
    let asked = sign_in_page_only(&other, login, email).await;
    assert!(asked.body.contains(r#"action="/mfa""#), "{}", asked.body);

    // An essential phr: only a passkey reaches it, and the customer has none.
    let other = idp.browser();
    let phr = essential("urn:vestibule:acr:phr");
    let login = other
        .follow(
            other
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("claims", &phr)]))
                .await,
        )
        .await;
    let done = other
        .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    let mut location = done.location();
    for _ in 0..5 {
        if location.starts_with(REDIRECT) {
            break;
        }
        location = other.get(&location).await.location();
    }
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{location}"
    );
}

/// A stored passkey that webauthn-rs can start a ceremony with: a P-256 public key in
/// webauthn-rs's own serialisation (the credential of its test suite).
fn usable_passkey(id: &str, user: &UserId) -> StoredPasskey {
    const CREDENTIAL: &str = "uZcVDBVS68E_MtAgeQpElJxldF_6cY9sSvbWqx_qRh8wiu42lyRBRmh5yFeD_r9k130dMbFHBHI9RTFgdJQIzQ";
    let x = "[194,126,127,109,252,23,131,21,252,6,223,99,44,254,140,27,230,17,94,5,133,28,104,41,144,69,171,149,161,26,200,243]";
    let y = "[143,123,183,156,24,178,21,248,117,159,162,69,171,52,188,252,26,59,6,47,103,92,19,58,117,103,249,0,219,8,95,196]";
    let json = format!(
        r#"{{"cred":{{"cred_id":"{CREDENTIAL}","cred":{{"type_":"ES256","key":{{"EC_EC2":{{"curve":"SECP256R1","x":{x},"y":{y}}}}}}},"counter":0,"transports":null,"user_verified":true,"backup_eligible":false,"backup_state":false,"registration_policy":"required","extensions":{{}},"attestation":{{"data":"None","metadata":"None"}},"attestation_format":"none"}}}}"#
    );
    StoredPasskey {
        passkey: json,
        ..passkey(id, user, CREDENTIAL, 10)
    }
}

/// Follows `page` past the consent page, if shown, to the redirect back to the client; returns
/// the ID token's claims.
async fn id_token_after(idp: &TestIdp, browser: &Browser, page: Page, verifier: &str) -> Value {
    let page = if page.body.contains(r#"action="/consent""#) {
        browser
            .follow(browser.submit(&page, "/consent", &[("decision", "allow")]).await)
            .await
    } else {
        page
    };
    let location = page.location();
    assert!(
        location.starts_with(REDIRECT),
        "{} {location}\n{}",
        page.status,
        page.body
    );
    let code = query_param(&location, "code").unwrap();
    let tokens = exchange_web(idp, &code, verifier).await.json();
    claims(tokens["id_token"].as_str().unwrap())
}

async fn a_preferred_phishing_resistant_class_asks_a_passkey_when_there_is_one(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let ada = idp.user("ada@example.com").await.id;
    idp.user("bob@example.com").await;
    on_localhost(&idp);
    let mut keys = Vec::new();
    for email in ["ada@example.com", "bob@example.com"] {
        let browser = crate::mfa::signed_in(&idp, email).await;
        keys.push(crate::mfa::enrol(&idp, &browser).await);
    }
    idp.state.store.add_passkey(&usable_passkey("p1", &ada)).await.unwrap();
    let phr = [("acr_values", "urn:vestibule:acr:phr")];

    // Ada has a passkey and an app: only the passkey is asked for.
    let browser = idp.browser();
    let login = browser
        .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce(), &phr)).await)
        .await;
    let asked = sign_in_page_only(&browser, login, "ada@example.com").await;
    assert!(asked.body.contains(r#"id="passkey-second-factor""#), "{}", asked.body);
    assert!(!asked.body.contains(r#"action="/mfa""#), "no code: {}", asked.body);

    // Bob has no passkey: the voluntary class falls back to his app, and the token says mfa.
    let browser = idp.browser();
    let bob_pkce = pkce();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &bob_pkce, &phr))
                .await,
        )
        .await;
    let asked = sign_in_page_only(&browser, login, "bob@example.com").await;
    assert!(asked.body.contains(r#"action="/mfa""#), "{}", asked.body);
    idp.clock.advance(30);
    let code = crate::mfa::otp(&idp, &keys[1]);
    let done = browser
        .follow(browser.submit(&asked, "/mfa", &[("code", &code)]).await)
        .await;
    let id = id_token_after(&idp, &browser, done, &bob_pkce.verifier).await;
    assert_eq!(
        id["acr"], "urn:vestibule:acr:mfa",
        "not the class asked for: the one reached"
    );

    // A session that used Ada's passkey reaches the class asked for, and the token says so.
    let browser = crate::mfa::signed_in(&idp, "ada@example.com").await;
    sqlx::query("UPDATE sessions SET amr = 'pwd hwk mfa user' WHERE user_id = $1")
        .bind(&ada)
        .execute(idp.state.store.pool())
        .await
        .unwrap();
    let ada_pkce = pkce();
    let done = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &ada_pkce, &phr))
                .await,
        )
        .await;
    let id = id_token_after(&idp, &browser, done, &ada_pkce.verifier).await;
    assert_eq!(id["acr"], "urn:vestibule:acr:phr");
}

on_both_backends!(
    chromium_creates_a_passkey_inside_a_sign_in_that_requires_one,
    a_preferred_phishing_resistant_class_asks_a_passkey_when_there_is_one,
    under_required_the_last_passkey_cannot_be_removed,
    renaming_takes_a_name_a_recent_authentication_and_only_the_customers_own,
    an_essential_phishing_resistant_class_is_not_reached_with_a_code,
    the_store_keeps_several_passkeys_and_one_account_per_credential,
    a_use_moves_the_counter_only_from_the_value_it_saw,
    a_ceremony_is_taken_once,
    adding_a_passkey_after_a_while_asks_for_the_password_and_a_name,
    the_script_is_served_as_javascript_with_a_long_cache,
    chromium_registers_uses_and_removes_a_passkey,
    reloading_the_sign_in_page_cannot_fill_the_ceremony_table,
);
