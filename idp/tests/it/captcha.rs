//! The CAPTCHA option of challenged mode, against a local siteverify double of each provider: a
//! challenged address gets the provider's widget (and a page policy admitting its origins), and
//! its password is looked at only after the provider confirms the answer; a wrong, missing,
//! reused or foreign answer is refused, and a provider that does not answer refuses the attempt.
//! The password forms besides the sign-in (the account page's current password) are challenged
//! the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use vestibule_crds::SecretString;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Captcha, CaptchaProvider};
use vestibule_idp::risk::proof_of_work::solves;

use crate::support::browser::{Browser, Page};
use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

const WRONG: &str = "wrong password!";
const SECRET: &str = "0x-captcha-secret-never-shown";
const SITE_KEY: &str = "site-key-123";
/// Answers the double accepts, each solved on our host (127.0.0.1).
const GOOD: &str = "good-token";
const GOOD_AGAIN: &str = "good-token-2";
/// An answer solved on another site with our key.
const FOREIGN: &str = "farm-token";

/// The forms the siteverify double received.
type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// The siteverify double: records each form it receives and answers as the providers do.
struct Siteverify {
    url: String,
    seen: Seen,
}

async fn siteverify(State(seen): State<Seen>, body: String) -> Json<Value> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let response = form.get("response").cloned().unwrap_or_default();
    seen.lock().unwrap().push(form);
    Json(match response.as_str() {
        GOOD | GOOD_AGAIN => json!({"success": true, "hostname": "127.0.0.1"}),
        FOREIGN => json!({"success": true, "hostname": "farm.example.net"}),
        _ => json!({"success": false, "error-codes": ["invalid-input-response"]}),
    })
}

impl Siteverify {
    async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new()
            .route("/siteverify", axum::routing::post(siteverify))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/siteverify", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<HashMap<String, String>> {
        self.seen.lock().unwrap().clone()
    }
}

/// A loopback URL where nothing listens: a provider that is down.
async fn nothing_listening() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/siteverify", listener.local_addr().unwrap().port());
    drop(listener);
    url
}

/// Challenged after 3 failures from an address; lockout and per-account limits out of the way.
fn challenging_after_three(config: &mut TenantConfig) {
    let challenge = &mut config.attack_protection.challenge;
    challenge.failures_per_address = 3;
    challenge.difficulty = 8;
    config.attack_protection.lockout.max_failures = 100;
    config.attack_protection.rate_limits.logins_per_account_per_minute = 0;
}

async fn idp_with_captcha(backend: Backend, provider: CaptchaProvider, verify_url: &str) -> TestIdp {
    let verify_url = verify_url.to_owned();
    TestIdp::start_with(backend, move |config| {
        challenging_after_three(config);
        config.attack_protection.challenge.captcha = Some(Captcha {
            provider,
            site_key: SITE_KEY.into(),
            secret_ref: None,
            secret: Some(SecretString::new(SECRET)),
            verify_url: Some(verify_url),
        });
        config.validate().unwrap();
    })
    .await
}

async fn sign_in(browser: &Browser, password: &str, extra: &[(&str, &str)]) -> Page {
    let login = browser.get("/login").await;
    let mut fields = vec![("email", "ada@example.com"), ("password", password)];
    fields.extend_from_slice(extra);
    browser.submit(&login, "/login", &fields).await
}

/// Fails three times from `browser`'s address: it is challenged from then on.
async fn get_challenged(browser: &Browser) {
    for _ in 0..3 {
        assert_eq!(sign_in(browser, WRONG, &[]).await.status, 401);
    }
}

async fn count_audited(idp: &TestIdp, event: &str) -> usize {
    audited(idp, event).await.len()
}

async fn audited(idp: &TestIdp, event: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log WHERE event = $1 ORDER BY id")
        .bind(event)
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap()
}

fn policy(page: &Page) -> String {
    page.headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn origins(provider: CaptchaProvider) -> &'static str {
    match provider {
        CaptchaProvider::Hcaptcha => "https://hcaptcha.com https://*.hcaptcha.com",
        CaptchaProvider::Turnstile => "https://challenges.cloudflare.com",
        CaptchaProvider::Recaptcha => "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/",
    }
}

async fn a_challenged_address_solves_the_captcha_before_its_password_is_judged(backend: Backend) {
    for provider in [
        CaptchaProvider::Hcaptcha,
        CaptchaProvider::Turnstile,
        CaptchaProvider::Recaptcha,
    ] {
        let service = Siteverify::start().await;
        let idp = idp_with_captcha(backend, provider, &service.url).await;
        idp.user("ada@example.com").await;
        let attacker = idp.browser_from(5);
        get_challenged(&attacker).await;
        let field = provider.response_field();

        let login = attacker.get("/login").await;
        assert!(
            login.body.contains(&format!(r#"data-sitekey="{SITE_KEY}""#)),
            "{provider:?}: {}",
            login.body
        );
        assert!(
            !login.body.contains("data-challenge="),
            "the CAPTCHA instead of the proof of work"
        );
        let csp = policy(&login);
        assert!(
            csp.contains(&format!("script-src 'self' {}", origins(provider))),
            "{csp}"
        );
        assert!(csp.contains("frame-src "), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let calm = idp.browser_from(6).get("/login").await;
        assert!(!policy(&calm).contains("recaptcha") && !policy(&calm).contains("captcha.com"));
        assert!(!policy(&calm).contains("cloudflare"), "{}", policy(&calm));

        // No answer, a wrong one, one solved elsewhere: refused before any password is hashed.
        let failures = count_audited(&idp, "login_failed").await;
        for (answer, why) in [
            ("", "captcha missing"),
            ("bad-token", "captcha rejected (invalid-input-response)"),
        ] {
            let refused = sign_in(&attacker, PASSWORD, &[(field, answer)]).await;
            assert_eq!(refused.status, 403, "{provider:?} {answer}: {}", refused.body);
            assert!(refused.body.contains(SITE_KEY), "a fresh challenge");
            assert!(audited(&idp, "challenge_failed").await.last().unwrap().contains(why));
        }
        // A foreign host is refused where the provider names it (hCaptcha, Turnstile); reCAPTCHA's
        // answer is judged like any other, so a wrong password tells it was let through.
        let host_checked = provider != CaptchaProvider::Recaptcha;
        let password = if host_checked { PASSWORD } else { WRONG };
        let foreign = sign_in(&attacker, password, &[(field, FOREIGN)]).await;
        assert_eq!(
            foreign.status.as_u16(),
            if host_checked { 403 } else { 401 },
            "{provider:?}"
        );
        assert_eq!(
            count_audited(&idp, "login_failed").await,
            failures + usize::from(!host_checked),
            "no password was judged for a refused answer"
        );

        // A right answer: the password is judged (a wrong one fails as always).
        let judged = sign_in(&attacker, WRONG, &[(field, GOOD)]).await;
        assert_eq!(judged.status, 401, "{provider:?}: {}", judged.body);
        let reused = sign_in(&attacker, PASSWORD, &[(field, GOOD)]).await;
        assert_eq!(reused.status, 403, "an answer counts once");
        assert_eq!(
            audited(&idp, "challenge_failed").await.last().unwrap(),
            "captcha reused"
        );
        let signed_in = sign_in(&attacker, PASSWORD, &[(field, GOOD_AGAIN)]).await;
        assert_eq!(signed_in.status, 303, "{provider:?}: {}", signed_in.body);

        let seen = service.seen();
        let good = seen.iter().find(|form| form["response"] == GOOD).unwrap();
        assert_eq!(good["secret"], SECRET);
        assert_eq!(good["remoteip"], "127.0.0.5");
        assert!(
            !seen.iter().any(|form| form["response"].is_empty()),
            "no empty answer is sent on"
        );
        for page in [&login, &judged, &reused] {
            assert!(!page.body.contains(SECRET), "the secret never reaches a page");
        }
        let metrics = idp.state.metrics.render();
        let kind = provider.as_str();
        for outcome in ["issued", "passed", "failed"] {
            let line = format!(r#"vestibule_idp_sign_in_challenges_total{{kind="{kind}",outcome="{outcome}"}}"#);
            assert!(metrics.contains(&line), "{line} in {metrics}");
        }
    }
}

async fn a_provider_that_does_not_answer_refuses_the_challenged_attempt(backend: Backend) {
    let down = nothing_listening().await;
    let idp = idp_with_captcha(backend, CaptchaProvider::Turnstile, &down).await;
    idp.user("ada@example.com").await;
    let attacker = idp.browser_from(5);
    get_challenged(&attacker).await;
    let failures = count_audited(&idp, "login_failed").await;
    let refused = sign_in(&attacker, PASSWORD, &[("cf-turnstile-response", GOOD)]).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.body.contains("could not be verified"), "{}", refused.body);
    assert!(refused.body.contains(SITE_KEY), "a fresh challenge to try again with");
    assert!(!refused.body.contains(SECRET));
    assert_eq!(
        count_audited(&idp, "login_failed").await,
        failures,
        "no password judged"
    );
    let metrics = idp.state.metrics.render();
    assert!(
        metrics.contains(r#"vestibule_idp_sign_in_challenges_total{kind="turnstile",outcome="unavailable"} 1"#),
        "{metrics}"
    );
    // Another address is not challenged and signs in while the provider is down.
    let calm = sign_in(&idp.browser_from(6), PASSWORD, &[]).await;
    assert_eq!(calm.status, 303, "{}", calm.body);
}

/// The counter that solves `challenge` at `difficulty` bits.
fn solve(challenge: &str, difficulty: u32) -> String {
    (0_u64..)
        .map(|counter| counter.to_string())
        .find(|counter| solves(challenge, counter, difficulty))
        .unwrap()
}

async fn the_account_pages_current_password_is_challenged(backend: Backend) {
    let idp = TestIdp::start_with(backend, challenging_after_three).await;
    let ada = idp.user("ada@example.com").await;
    let browser = idp.browser_from(8);
    assert_eq!(sign_in(&browser, PASSWORD, &[]).await.status, 303);
    let calm = browser.get("/account").await;
    assert!(!calm.body.contains("data-challenge="), "{}", calm.body);
    // The same browser's address fails three times (say, for other accounts): challenged.
    get_challenged(&idp.browser_from(8)).await;

    let account = browser.get("/account").await;
    assert!(account.body.contains("data-challenge="), "{}", account.body);
    let failures = count_audited(&idp, "login_failed").await;
    let change = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
    ];
    let refused = browser.submit(&account, "/account/password", &change).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("short security check"), "{}", refused.body);
    assert_eq!(
        count_audited(&idp, "login_failed").await,
        failures,
        "no password judged"
    );
    assert_eq!(count_audited(&idp, "password_changed").await, 0);

    let counter = solve(&refused.hidden("challenge"), 8);
    let mut answered = change.to_vec();
    answered.push(("challenge_counter", counter.as_str()));
    let changed = browser.submit(&refused, "/account/password", &answered).await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(count_audited(&idp, "password_changed").await, 1);

    // A factor change past the recent authentication asks for the password: challenged too.
    // Ten minutes on, the address is still challenged (its window is 15 minutes).
    idp.clock.advance(10 * 60);
    let account = browser.get("/account").await;
    assert!(account.body.contains("data-challenge="), "{}", account.body);
    let failures = count_audited(&idp, "login_failed").await;
    let csrf = account.hidden("csrf");
    let reauthentication = [("csrf", csrf.as_str()), ("current_password", "a brand new passphrase")];
    let refused = browser.post("/account/recovery-codes", &reauthentication).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        count_audited(&idp, "login_failed").await,
        failures,
        "no password judged"
    );
    assert!(idp.state.store.recovery_codes_left(&ada.id).await.unwrap() == 0);
}

async fn entering_challenged_mode_is_audited_once_under_concurrent_failures(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        challenging_after_three(config);
        config.attack_protection.challenge.failures_per_address = 4;
        config.attack_protection.rate_limits.logins_per_minute = 0;
    })
    .await;
    // Pages first (each browser its own), then every wrong password at once, from one address.
    let browsers: Vec<Browser> = (0..6).map(|_| idp.browser_from(9)).collect();
    let mut pages = Vec::new();
    for browser in &browsers {
        pages.push(browser.get("/login").await);
    }
    let attempts = browsers.iter().zip(&pages).enumerate().map(|(n, (browser, page))| {
        let email = format!("victim{n}@example.com");
        async move {
            browser
                .submit(page, "/login", &[("email", email.as_str()), ("password", WRONG)])
                .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    assert!(answers.iter().all(|page| page.status == 401));
    let entered = audited(&idp, "address_challenged").await;
    assert_eq!(entered.len(), 1, "{entered:?}");
    let metrics = idp.state.metrics.render();
    assert!(
        metrics.contains("vestibule_idp_addresses_challenged_total 1"),
        "{metrics}"
    );
}

on_both_backends!(
    a_challenged_address_solves_the_captcha_before_its_password_is_judged,
    a_provider_that_does_not_answer_refuses_the_challenged_attempt,
    the_account_pages_current_password_is_challenged,
    entering_challenged_mode_is_audited_once_under_concurrent_failures
);
