//! Size bounds: a small body limit on OAuth and form routes, length caps on the parameters of
//! an authorization request.

use crate::flow::{authorize_url, pkce};
use crate::support::browser::query_param;
use crate::support::idp::{REDIRECT, WEB_SECRET};
use crate::support::{Backend, TestIdp};

async fn bodies_over_64_kib_are_refused_with_413(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let http = reqwest::Client::new();
    let padding = "x".repeat(65 * 1024);
    for path in ["/token", "/introspect", "/revoke", "/authorize", "/login", "/register"] {
        let response = http
            .post(idp.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .basic_auth("web", Some(WEB_SECRET))
            .body(format!("grant_type=client_credentials&padding={padding}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
    }
    // Just under the limit is read (and refused for what it says, not for its size).
    let response = http
        .post(idp.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .basic_auth("web", Some(WEB_SECRET))
        .body(format!("grant_type=unknown&padding={}", "x".repeat(60 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn oversized_authorization_parameters_are_invalid_requests_sent_to_the_client(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    let long = |n: usize| "a".repeat(n);
    for (name, limit) in [
        ("nonce", 512),
        ("login_hint", 320),
        ("ui_locales", 256),
        ("acr_values", 512),
        ("id_token_hint", 8192),
    ] {
        let url = if name == "nonce" {
            authorize_url(&idp, "web", "openid", &pkce(), &[])
                .replace("nonce=n0nce", &format!("nonce={}", long(limit + 1)))
        } else {
            authorize_url(&idp, "web", "openid", &pkce(), &[(name, &long(limit + 1))])
        };
        let page = browser.get(&url).await;
        assert!(page.status.is_redirection(), "{name}: {}", page.status);
        let location = page.location();
        assert!(location.starts_with(REDIRECT), "{name}: {location}");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{name}"
        );
        assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"), "{name}");
    }
    let scope = format!("openid{}", " openid".repeat(200));
    let page = browser.get(&authorize_url(&idp, "web", &scope, &pkce(), &[])).await;
    assert_eq!(
        query_param(&page.location(), "error").as_deref(),
        Some("invalid_request"),
        "an oversized scope"
    );
    // An oversized state is refused and not echoed back.
    let url =
        authorize_url(&idp, "web", "openid", &pkce(), &[]).replace("state=st4te", &format!("state={}", long(1025)));
    let location = browser.get(&url).await.location();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(&location, "state"), None);
    // At the limits, the request goes on to the sign-in.
    let url = authorize_url(&idp, "web", "openid", &pkce(), &[("login_hint", &long(320))])
        .replace("state=st4te", &format!("state={}", long(1024)));
    let location = browser.get(&url).await.location();
    assert!(!location.starts_with(REDIRECT), "{location}");
}

async fn an_oversized_client_id_gets_an_error_page_and_no_redirect(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let page = idp
        .browser()
        .get(&authorize_url(&idp, &"c".repeat(4096), "openid", &pkce(), &[]))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.headers.get("location").is_none());
    assert!(!page.body.contains(&"c".repeat(200)), "the id is not echoed");
}

on_both_backends!(
    bodies_over_64_kib_are_refused_with_413,
    oversized_authorization_parameters_are_invalid_requests_sent_to_the_client,
    an_oversized_client_id_gets_an_error_page_and_no_redirect,
);
