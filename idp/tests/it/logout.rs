//! RP-initiated logout.

use crate::flow::tokens_for;
use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

async fn end_session_with_a_hint_signs_out_and_returns_to_the_client(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser.get("/login").await;
    browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    // Tokens from this browser's session.
    let pkce = crate::flow::pkce();
    let code = crate::flow::code(&idp, &browser, "web", "openid", &pkce, "ada@example.com").await;
    let tokens = crate::flow::exchange_web(&idp, &code, &pkce.verifier).await.json();
    let id_token = tokens["id_token"].as_str().unwrap();
    let url = format!(
        "/end_session?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2F&state=bye"
    );
    let out = browser.get(&url).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(out.location(), "https://app.example.com/?state=bye");
    assert_eq!(browser.get("/account").await.status, 303, "signed out");
}

async fn end_session_refuses_unregistered_redirects_and_asks_without_a_hint(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let browser = idp.browser();
    let evil = browser
        .get(&format!(
            "/end_session?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example.com%2F"
        ))
        .await;
    assert_eq!(evil.status, 400);
    assert!(evil.headers.get("location").is_none());

    let login = browser.get("/login").await;
    browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    let ask = browser
        .get("/end_session?client_id=web&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2F")
        .await;
    assert_eq!(ask.status, 200);
    assert!(
        ask.body.contains("Do you want to sign out?"),
        "a link alone cannot sign the customer out"
    );
    assert_eq!(browser.get("/account").await.status, 200, "still signed in");
    let confirmed = browser
        .submit(
            &ask,
            "/end_session",
            &[
                ("confirm", "yes"),
                ("client_id", "web"),
                ("post_logout_redirect_uri", "https://app.example.com/"),
            ],
        )
        .await;
    assert_eq!(confirmed.location(), "https://app.example.com/");
    assert_eq!(browser.get("/account").await.status, 303);
}

on_both_backends!(
    end_session_with_a_hint_signs_out_and_returns_to_the_client,
    end_session_refuses_unregistered_redirects_and_asks_without_a_hint,
);
