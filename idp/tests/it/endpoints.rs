//! Small protocol points: userinfo and introspection answers are never cached, and Basic
//! client credentials are form-urlencoded inside (RFC 6749 2.3.1), so ids and secrets with `:`
//! work.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use vestibule_crds::config::ClientSecretHash;
use vestibule_crds::v1alpha1::GrantType;

use crate::flow::tokens_for;
use crate::support::idp::WEB_SECRET;
use crate::support::{Backend, TestIdp};
use crate::token::bearer_get;

async fn userinfo_and_introspection_answers_are_not_cached(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid email").await;
    let token = tokens["access_token"].as_str().unwrap();
    let userinfo = bearer_get(&idp, "/userinfo", token).await;
    assert_eq!(userinfo.status, 200);
    let introspection = reqwest::Client::new()
        .post(idp.url("/introspect"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(introspection.status(), 200);
    let introspection = crate::flow::to_page(introspection).await;
    assert_eq!(introspection.json()["active"], true);
    for page in [&userinfo, &introspection] {
        assert_eq!(
            page.header("cache-control").as_deref(),
            Some("no-store"),
            "{}",
            page.url
        );
        assert_eq!(page.header("pragma").as_deref(), Some("no-cache"), "{}", page.url);
    }
}

/// `Authorization: Basic` as RFC 6749 2.3.1 builds it: each part form-urlencoded first.
fn basic(client_id: &str, secret: &str) -> String {
    let encode = |part: &str| url::form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret));
    format!("Basic {}", STANDARD.encode(pair))
}

async fn basic_client_ids_and_secrets_with_colons_work(backend: Backend) {
    const SECRET: &str = "s3cret:with+plus&amp=percent%";
    let idp = TestIdp::start_with(backend, |config| {
        let service = config
            .clients
            .iter_mut()
            .find(|client| client.client_id == "service")
            .unwrap();
        service.client_id = "urn:shop:billing".into();
        service.secrets = vec![ClientSecretHash::of(SECRET, None)];
        assert!(service.allows_grant(GrantType::ClientCredentials));
    })
    .await;
    let token = |authorization: String| {
        let idp = &idp;
        async move {
            let response = reqwest::Client::new()
                .post(idp.url("/token"))
                .header("authorization", authorization)
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            crate::flow::to_page(response).await
        }
    };
    let granted = token(basic("urn:shop:billing", SECRET)).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    let claims = crate::flow::claims(granted.json()["access_token"].as_str().unwrap());
    assert_eq!(claims["client_id"], "urn:shop:billing");
    let wrong = token(basic("urn:shop:billing", "s3cret")).await;
    assert_eq!(wrong.status, 401);
    // Sent raw, the id's first `:` splits it: "urn" with the secret "shop:billing:…", refused.
    let raw = token(format!(
        "Basic {}",
        STANDARD.encode(format!("urn:shop:billing:{SECRET}"))
    ))
    .await;
    assert_eq!(raw.status, 401);
}

on_both_backends!(
    userinfo_and_introspection_answers_are_not_cached,
    basic_client_ids_and_secrets_with_colons_work,
);
