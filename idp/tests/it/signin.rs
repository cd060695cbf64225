//! The sign-in transaction: bound to the browser that started it, its consent and fresh
//! authentication kept for its own customer, bounded per network, re-checked against the config.

use vestibule_idp::authn::transaction::{LIFETIME, MAX_PER_NETWORK};

use crate::flow::{authorize_url, code, pkce, sign_in};
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::{Backend, Browser, TestIdp};

/// Signs `email` in on the login page `login` without following on: the redirect that would
/// drive the sign-in on.
async fn sign_in_only(browser: &Browser, login: &Page, email: &str) -> Page {
    browser
        .submit(login, "/login", &[("email", email), ("password", PASSWORD)])
        .await
}

/// Starts a sign-in for `partner` in `browser`, signs `email` in and consents, and returns the
/// continuation link without following it.
async fn consent_without_going_on(idp: &TestIdp, browser: &Browser, email: &str) -> String {
    let login = browser
        .follow(
            browser
                .get(&authorize_url(idp, "partner", "openid email", &pkce(), &[]))
                .await,
        )
        .await;
    let consent = browser.follow(sign_in_only(browser, &login, email).await).await;
    assert!(consent.body.contains(r#"action="/consent""#), "{}", consent.body);
    let allowed = browser.submit(&consent, "/consent", &[("decision", "allow")]).await;
    let resume = allowed.location();
    assert!(resume.contains("/authorize/continue?request="), "{resume}");
    resume
}

fn is_code_for_the_client(page: &Page) -> bool {
    page.header("location")
        .is_some_and(|location| location.starts_with(REDIRECT) && query_param(&location, "code").is_some())
}

async fn two_browsers_continuing_one_sign_in_cannot_share_consent(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    idp.user("eve@example.com").await;
    let eve = idp.browser();
    let resume = consent_without_going_on(&idp, &eve, "eve@example.com").await;

    // Ada, signed in in her own browser, is lured to Eve's continuation link.
    let ada = idp.browser();
    code(&idp, &ada, "web", "openid", &pkce(), "ada@example.com").await;
    let lured = ada.get(&resume).await;
    assert!(
        !is_code_for_the_client(&lured),
        "Eve's consent served Ada: {:?}",
        lured.header("location")
    );
    assert_eq!(lured.status, 400, "another browser's sign-in is unknown here");
    assert!(lured.body.contains("started in another browser"), "{}", lured.body);

    let own = eve.get(&resume).await;
    assert!(is_code_for_the_client(&own), "the browser that consented goes on");
}

async fn two_browsers_continuing_one_sign_in_cannot_share_authentication(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    idp.user("eve@example.com").await;
    let eve = idp.browser();
    let login = eve
        .follow(
            eve.get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "login")]))
                .await,
        )
        .await;
    let resume = sign_in_only(&eve, &login, "eve@example.com").await.location();

    let ada = idp.browser();
    code(&idp, &ada, "web", "openid", &pkce(), "ada@example.com").await;
    let lured = ada.get(&resume).await;
    assert!(!is_code_for_the_client(&lured));
    assert_eq!(lured.status, 400, "{:?}", lured.header("location"));
    let stranger = idp.browser().get(&resume).await;
    assert_eq!(
        stranger.status, 400,
        "a browser without the binding cookie finds nothing"
    );
    let own = eve.get(&resume).await;
    assert!(is_code_for_the_client(&own), "the browser that signed in goes on");
}

async fn another_customer_in_the_same_browser_inherits_no_consent(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    idp.user("eve@example.com").await;
    let browser = idp.browser();
    let resume = consent_without_going_on(&idp, &browser, "ada@example.com").await;

    // Eve signs in on the same computer, on her own.
    let login = browser.get("/login").await;
    sign_in_only(&browser, &login, "eve@example.com").await;
    let resumed = browser.follow(browser.get(&resume).await).await;
    assert!(!is_code_for_the_client(&resumed), "Ada's consent served Eve");
    assert!(resumed.body.contains(r#"action="/consent""#), "Eve is asked herself");
    assert!(resumed.body.contains("eve@example.com"), "{}", resumed.body);
    let allowed = browser
        .follow(browser.submit(&resumed, "/consent", &[("decision", "allow")]).await)
        .await;
    assert!(is_code_for_the_client(&allowed));
}

async fn another_customer_in_the_same_browser_inherits_no_fresh_authentication(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    idp.user("eve@example.com").await;
    let browser = idp.browser();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "login")]))
                .await,
        )
        .await;
    let resume = sign_in_only(&browser, &login, "ada@example.com").await.location();
    let direct = browser.get("/login").await;
    sign_in_only(&browser, &direct, "eve@example.com").await;
    let resumed = browser.follow(browser.get(&resume).await).await;
    assert!(!is_code_for_the_client(&resumed), "Ada's fresh sign-in served Eve");
    assert!(
        resumed.body.contains(r#"action="/login""#),
        "prompt=login asks Eve to sign in"
    );
}

async fn consent_is_recorded_only_when_the_sign_in_asks_for_it(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "partner", "openid email", &pkce(), &[]))
                .await,
        )
        .await;
    let id = login.hidden("request");
    // Consent posted before anyone signed in (a forged or replayed form) records nothing.
    let csrf = login.hidden("csrf");
    let early = browser
        .post("/consent", &[("csrf", &csrf), ("request", &id), ("decision", "allow")])
        .await;
    assert!(early.location().contains("/authorize/continue"), "{}", early.location());
    let consent = browser
        .follow(sign_in_only(&browser, &login, "ada@example.com").await)
        .await;
    assert!(consent.body.contains(r#"action="/consent""#), "consent is still asked");
}

async fn sign_ins_in_progress_are_bounded_per_network(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    let url = authorize_url(&idp, "web", "openid", &pkce(), &[]);
    for _ in 0..MAX_PER_NETWORK {
        assert_eq!(browser.get(&url).await.status, 303);
    }
    let refused = idp.browser().get(&url).await;
    assert_eq!(refused.status, 429);
    assert!(refused.body.contains("Too many sign-ins"), "{}", refused.body);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_ins")
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, MAX_PER_NETWORK, "nothing more was written");

    idp.clock.advance(LIFETIME + 1);
    let page = browser.get(&url).await;
    assert_eq!(page.status, 303, "lapsed sign-ins no longer count");
    assert!(page.location().contains("/login?request="));
}

async fn a_finished_sign_in_cannot_be_finished_again(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser
        .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await)
        .await;
    let resume = sign_in_only(&browser, &login, "ada@example.com").await.location();
    assert!(is_code_for_the_client(&browser.get(&resume).await));
    let again = browser.get(&resume).await;
    assert!(!is_code_for_the_client(&again), "one sign-in, one code");
    assert_eq!(again.status, 400);
}

async fn a_removed_redirect_uri_or_client_stops_a_sign_in_in_progress(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    for removed in ["redirect_uri", "client"] {
        let browser = idp.browser();
        let login = browser
            .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await)
            .await;
        let mut config = idp.tenant().config.clone();
        config.generation += 1;
        let web = config.clients.iter_mut().find(|c| c.client_id == "web").unwrap();
        web.redirect_uris.retain(|uri| uri != REDIRECT);
        if removed == "client" {
            config.clients.retain(|c| c.client_id != "web");
        }
        let previous = idp.tenant().config.clone();
        idp.state
            .tenant
            .replace(vestibule_idp::config::Tenant::new(config, &idp.keys).unwrap());
        let after = browser
            .follow(sign_in_only(&browser, &login, "ada@example.com").await)
            .await;
        assert!(
            !is_code_for_the_client(&after),
            "the removed {removed} still got a code"
        );
        assert_eq!(after.status, 400, "{removed}: {}", after.body);
        assert!(after.header("location").is_none(), "{removed}: never redirected to");
        idp.state
            .tenant
            .replace(vestibule_idp::config::Tenant::new(previous, &idp.keys).unwrap());
    }
}

async fn prompt_consent_is_honoured_for_first_party_clients(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let asked = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "consent")]))
                .await,
        )
        .await;
    assert!(
        asked.body.contains(r#"action="/consent""#),
        "prompt=consent asks even a skipConsent client's customer"
    );
    let done = browser
        .follow(browser.submit(&asked, "/consent", &[("decision", "allow")]).await)
        .await;
    assert!(is_code_for_the_client(&done));
    let silent = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "none")]))
        .await;
    assert!(is_code_for_the_client(&silent), "without prompt=consent, none is asked");
}

async fn the_account_page_starts_a_sign_in_that_returns_to_it(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let start = browser.get("/account").await;
    assert_eq!(start.status, 303);
    assert!(start.location().starts_with("/login?request="), "{}", start.location());
    let login = browser.get(&start.location()).await;
    let account = sign_in(&browser, login, "ada@example.com").await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.url.ends_with("/account"), "{}", account.url);
    assert!(account.body.contains("ada@example.com"));
}

on_both_backends!(
    two_browsers_continuing_one_sign_in_cannot_share_consent,
    two_browsers_continuing_one_sign_in_cannot_share_authentication,
    another_customer_in_the_same_browser_inherits_no_consent,
    another_customer_in_the_same_browser_inherits_no_fresh_authentication,
    consent_is_recorded_only_when_the_sign_in_asks_for_it,
    sign_ins_in_progress_are_bounded_per_network,
    a_finished_sign_in_cannot_be_finished_again,
    a_removed_redirect_uri_or_client_stops_a_sign_in_in_progress,
    prompt_consent_is_honoured_for_first_party_clients,
    the_account_page_starts_a_sign_in_that_returns_to_it,
);
