//! Error bodies, written in one place: an OAuth error on the protocol's JSON endpoints, a
//! problem document for programs asking for JSON, a page in the customer's language otherwise.

use crate::flow::{authorize_url, pkce};
use crate::support::idp::{REDIRECT, WEB_SECRET};
use crate::support::{Backend, TestIdp};

async fn failures_are_an_oauth_error_a_problem_document_or_a_page(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.state.store.pool().close().await;

    let token = reqwest::Client::new()
        .post(idp.url("/token"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 500);
    let reference = token.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(token.headers()["cache-control"], "no-store");
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["error"], "server_error");
    assert!(
        body["error_description"].as_str().unwrap().contains(&reference),
        "{body}"
    );

    let url = authorize_url(&idp, "web", "openid", &pkce(), &[]);
    let program = reqwest::Client::new()
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(program.status(), 500);
    assert_eq!(program.headers()["content-type"], "application/problem+json");
    let reference = program.headers()["x-request-id"].to_str().unwrap().to_owned();
    let problem: serde_json::Value = program.json().await.unwrap();
    assert_eq!(problem["status"], 500);
    assert_eq!(problem["instance"], format!("urn:vestibule:request:{reference}"));

    let mut browser = idp.browser();
    browser.accept_language = Some("de".into());
    let page = browser.get(&url).await;
    assert_eq!(page.status, 500);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.body.contains(r#"<html lang="de">"#), "{}", page.body);
}

async fn a_consent_form_without_the_csrf_token_is_refused_before_it_counts(backend: Backend) {
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
    let consent = crate::flow::sign_in_page_only(&browser, login, "ada@example.com").await;
    let id = consent.hidden("request");
    let forged = browser
        .post(
            "/consent",
            &[("request", id.as_str()), ("decision", "allow"), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let again = browser
        .follow(browser.get(&format!("/consent?request={id}")).await)
        .await;
    assert!(again.body.contains(r#"action="/consent""#), "consent is still asked");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scope_consents")
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

on_both_backends!(
    failures_are_an_oauth_error_a_problem_document_or_a_page,
    a_consent_form_without_the_csrf_token_is_refused_before_it_counts,
);
