//! Discovery metadata and the published keys.

use crate::support::{Backend, TestIdp};

async fn discovery_names_every_endpoint_under_the_issuer(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let page = idp.browser().get("/.well-known/openid-configuration").await;
    assert_eq!(page.status, 200);
    let doc = page.json();
    // OIDC Discovery 4.3: the issuer in the document equals the issuer used to fetch it.
    assert_eq!(doc["issuer"], idp.base);
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/end_session"),
    ] {
        assert_eq!(doc[field], idp.url(path), "{field}");
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert!(
        doc["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"RS256".into())
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(page.header("access-control-allow-origin").as_deref(), Some("*"));
}

async fn jwks_publishes_every_key_without_private_parameters(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let page = idp.browser().get("/jwks").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type").as_deref(), Some("application/jwk-set+json"));
    let keys = page.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), idp.keys.keys.len());
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].is_string());
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "private parameter {private} published");
        }
    }
}

async fn health_and_readiness_report_the_generation(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    assert_eq!(browser.get("/healthz").await.status, 200);
    let ready = browser.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["generation"], 1);
    let metrics = browser.get("/metrics").await;
    assert!(
        metrics.body.contains("vestibule_idp_http_requests_total"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains(r#"route="/readyz""#));
}

on_both_backends!(
    discovery_names_every_endpoint_under_the_issuer,
    jwks_publishes_every_key_without_private_parameters,
    health_and_readiness_report_the_generation,
);
