//! The authorization code flow, driven like a browser and a client would.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::{Browser, TestIdp};

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = format!("{}{}", vestibule_idp::random::token(), "-verifier");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

/// `/authorize?…` for `client_id` with `scope`, PKCE, state `st4te` and nonce `n0nce`, plus `extra`.
pub fn authorize_url(idp: &TestIdp, client_id: &str, scope: &str, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&idp.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st4te")
        .append_pair("nonce", "n0nce")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    url.to_string()
}

/// Signs in on the login page `page` and follows on; consents when asked.
pub async fn sign_in(browser: &Browser, page: Page, email: &str) -> Page {
    assert!(
        page.body.contains(r#"action="/login""#),
        "expected the login page, got {}:\n{}",
        page.status,
        page.body
    );
    let after = browser
        .follow(
            browser
                .submit(&page, "/login", &[("email", email), ("password", PASSWORD)])
                .await,
        )
        .await;
    if after.body.contains(r#"action="/consent""#) {
        return browser
            .follow(browser.submit(&after, "/consent", &[("decision", "allow")]).await)
            .await;
    }
    after
}

/// Signs in on the login page `page` and follows on to the next page, consent included.
pub async fn sign_in_page_only(browser: &Browser, page: Page, email: &str) -> Page {
    browser
        .follow(
            browser
                .submit(&page, "/login", &[("email", email), ("password", PASSWORD)])
                .await,
        )
        .await
}

/// The whole front channel: authorize, sign in (and consent), and the code from the redirect.
pub async fn code(idp: &TestIdp, browser: &Browser, client_id: &str, scope: &str, pkce: &Pkce, email: &str) -> String {
    let first = browser
        .follow(browser.get(&authorize_url(idp, client_id, scope, pkce, &[])).await)
        .await;
    let done = if first.status.is_redirection() {
        first
    } else {
        sign_in(browser, first, email).await
    };
    let location = done.location();
    assert!(
        location.starts_with(REDIRECT),
        "expected a redirect to the client, got {location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    assert_eq!(
        query_param(&location, "iss").as_deref(),
        Some(idp.base.as_str()),
        "RFC 9207 iss"
    );
    query_param(&location, "code").unwrap_or_else(|| panic!("no code in {location}"))
}

/// A token request with HTTP Basic client authentication.
pub async fn token_basic(idp: &TestIdp, client_id: &str, secret: &str, form: &[(&str, &str)]) -> Page {
    let response = reqwest::Client::new()
        .post(idp.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    to_page(response).await
}

/// A form POST without client authentication headers.
pub async fn post_form(idp: &TestIdp, path: &str, form: &[(&str, &str)]) -> Page {
    let response = reqwest::Client::new()
        .post(idp.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    to_page(response).await
}

pub async fn to_page(response: reqwest::Response) -> Page {
    let status = response.status();
    let headers = response.headers().clone();
    let url = response.url().to_string();
    Page {
        status,
        headers,
        body: response.text().await.unwrap(),
        url,
    }
}

/// Exchanges a code of the `web` client.
pub async fn exchange_web(idp: &TestIdp, code: &str, verifier: &str) -> Page {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    token_basic(idp, "web", crate::support::idp::WEB_SECRET, &form).await
}

/// Signs in `email` through `web` and returns the token response JSON.
pub async fn tokens_for(idp: &TestIdp, email: &str, scope: &str) -> Value {
    let browser = idp.browser();
    let pkce = pkce();
    let code = code(idp, &browser, "web", scope, &pkce, email).await;
    let response = exchange_web(idp, &code, &pkce.verifier).await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

/// The claims of a JWT, unverified (the tests verify signatures separately).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The header of a JWT.
pub fn header(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}
