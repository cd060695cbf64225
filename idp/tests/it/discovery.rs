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
    let (status, body) = idp.admin_get("/readyz").await;
    assert_eq!(status, 200);
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["generation"], 1);
    assert_eq!(idp.admin_get("/healthz").await.0, 200);
}

async fn the_admin_listener_serves_metrics_and_the_public_listener_answers_404(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.issuer = format!("{}/acme", config.issuer);
    })
    .await;
    let browser = idp.browser();
    assert_eq!(browser.get("/acme/.well-known/openid-configuration").await.status, 200);
    assert_eq!(browser.get("/healthz").await.status, 200, "liveness stays on both");
    for path in ["/metrics", "/readyz", "/acme/metrics", "/acme/readyz"] {
        assert_eq!(browser.get(path).await.status, 404, "{path} on the public listener");
    }
    let (status, metrics) = idp.admin_get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("vestibule_idp_http_requests_total"), "{metrics}");
    assert!(
        metrics.contains(r#"route="/.well-known/openid-configuration""#),
        "public requests are counted: {metrics}"
    );
    assert!(
        !metrics.contains(r#"route="/readyz""#),
        "probes are not counted: {metrics}"
    );
}

on_both_backends!(
    discovery_names_every_endpoint_under_the_issuer,
    jwks_publishes_every_key_without_private_parameters,
    health_and_readiness_report_the_generation,
    the_admin_listener_serves_metrics_and_the_public_listener_answers_404,
);
