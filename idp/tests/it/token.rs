//! The token endpoint and what its tokens unlock: userinfo, introspection, revocation.

use jsonwebtoken::{DecodingKey, Validation, jwk::JwkSet};
use serde_json::Value;
use vestibule_idp::ids::UserId;

use crate::flow::{claims, code, exchange_web, header, pkce, post_form, to_page, token_basic, tokens_for};
use crate::support::idp::{PARTNER_SECRET, REDIRECT, SERVICE_SECRET, WEB_SECRET};
use crate::support::{Backend, TestIdp};

/// Verifies `jwt` against the published JWKS, as a relying party would.
async fn verify_with_jwks(idp: &TestIdp, jwt: &str, audience: &str) -> Value {
    let jwks: JwkSet = serde_json::from_str(&idp.browser().get("/jwks").await.body).unwrap();
    let kid = header(jwt)["kid"].as_str().unwrap().to_owned();
    let jwk = jwks.find(&kid).expect("the signing key is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let alg = jsonwebtoken::decode_header(jwt).unwrap().alg;
    let mut validation = Validation::new(alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&idp.base]);
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).unwrap().claims
}

async fn code_exchange_returns_verified_id_and_access_tokens(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let user = idp.user("ada@example.com").await;
    let browser = idp.browser();
    let pkce = pkce();
    let code = code(
        &idp,
        &browser,
        "web",
        "openid profile email offline_access",
        &pkce,
        "ada@example.com",
    )
    .await;
    let response = exchange_web(&idp, &code, &pkce.verifier).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(response.header("pragma").as_deref(), Some("no-cache"));
    let tokens = response.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access yields a refresh token"
    );

    let id_token = tokens["id_token"].as_str().unwrap();
    let id = verify_with_jwks(&idp, id_token, "web").await;
    assert_eq!(header(id_token)["alg"], "RS256", "RS256 by default (OIDC Core 15.1)");
    assert_eq!(id["sub"], user.id.as_str());
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["azp"], "web");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["email"], "ada@example.com");
    assert_eq!(id["given_name"], "Ada");
    for claim in ["exp", "iat", "auth_time", "acr", "at_hash", "sid"] {
        assert!(id.get(claim).is_some(), "ID token lacks {claim}");
    }
    let access_token = tokens["access_token"].as_str().unwrap();
    let expected_hash =
        vestibule_idp::oidc::claims::at_hash(access_token, vestibule_crds::v1alpha1::SigningAlgorithm::Rs256);
    assert_eq!(id["at_hash"], expected_hash);

    assert_eq!(header(access_token)["typ"], "at+jwt", "RFC 9068 2.1");
    let access = verify_with_jwks(&idp, access_token, &idp.base).await;
    assert_eq!(access["client_id"], "web");
    assert_eq!(access["sub"], user.id.as_str());
    assert_eq!(access["scope"], "openid profile email offline_access");
    assert!(access["jti"].is_string());
}

async fn id_tokens_use_the_clients_algorithm(backend: Backend) {
    for (alg, name) in [
        (vestibule_crds::v1alpha1::SigningAlgorithm::Es256, "ES256"),
        (vestibule_crds::v1alpha1::SigningAlgorithm::EdDsa, "EdDSA"),
    ] {
        let idp = TestIdp::start_with(backend, |config| config.clients[0].id_token_signed_response_alg = alg).await;
        idp.user("ada@example.com").await;
        let tokens = tokens_for(&idp, "ada@example.com", "openid").await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(header(id_token)["alg"], name);
        verify_with_jwks(&idp, id_token, "web").await;
        let expected = vestibule_idp::oidc::claims::at_hash(tokens["access_token"].as_str().unwrap(), alg);
        assert_eq!(claims(id_token)["at_hash"], expected);
    }
}

async fn a_reused_code_fails_and_revokes_the_tokens_of_its_first_use(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let pkce = pkce();
    let code = code(&idp, &browser, "web", "openid offline_access", &pkce, "ada@example.com").await;
    let first = exchange_web(&idp, &code, &pkce.verifier).await.json();
    let second = exchange_web(&idp, &code, &pkce.verifier).await;
    assert_eq!(second.status, 400);
    assert_eq!(second.json()["error"], "invalid_grant");
    let refresh = token_basic(
        &idp,
        "web",
        WEB_SECRET,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        refresh.json()["error"],
        "invalid_grant",
        "the first use's refresh token is revoked"
    );
    let userinfo = bearer_get(&idp, "/userinfo", first["access_token"].as_str().unwrap()).await;
    assert_eq!(userinfo.status, 401, "the first use's access token is revoked");
}

async fn a_wrong_pkce_verifier_is_rejected(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let pkce = pkce();
    let code = code(&idp, &browser, "web", "openid", &pkce, "ada@example.com").await;
    let response = exchange_web(&idp, &code, &crate::flow::pkce().verifier).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "invalid_grant");
    let missing = token_basic(
        &idp,
        "web",
        WEB_SECRET,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(missing.json()["error"], "invalid_grant");
}

async fn an_expired_code_is_rejected(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let pkce = pkce();
    let code = code(&idp, &browser, "web", "openid", &pkce, "ada@example.com").await;
    idp.clock.advance(61);
    let response = exchange_web(&idp, &code, &pkce.verifier).await;
    assert_eq!(response.json()["error"], "invalid_grant");
    assert!(
        response.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

async fn the_redirect_uri_must_match_the_authorization_request(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let pkce = pkce();
    let code = code(&idp, &browser, "web", "openid", &pkce, "ada@example.com").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1/callback"),
        ("code_verifier", &pkce.verifier),
    ];
    assert_eq!(
        token_basic(&idp, "web", WEB_SECRET, &form).await.json()["error"],
        "invalid_grant"
    );
}

async fn a_wrong_client_secret_is_rejected_with_a_basic_challenge(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let response = token_basic(
        &idp,
        "service",
        "not-the-secret",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(response.status, 401);
    assert_eq!(response.json()["error"], "invalid_client");
    assert!(response.header("www-authenticate").unwrap().starts_with("Basic"));
    // A confidential client may not pretend to be public.
    let public = post_form(
        &idp,
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", "service")],
    )
    .await;
    assert_eq!(public.json()["error"], "invalid_client");
    // Nor authenticate two ways at once.
    let both = reqwest::Client::new()
        .post(idp.url("/token"))
        .basic_auth("service", Some(SERVICE_SECRET))
        .form(&[("grant_type", "client_credentials"), ("client_secret", SERVICE_SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(to_page(both).await.json()["error"], "invalid_request");
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let first = tokens_for(&idp, "ada@example.com", "openid offline_access").await;
    let refresh = |token: String| {
        let idp = &idp;
        async move {
            token_basic(
                idp,
                "web",
                WEB_SECRET,
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await
        }
    };
    let original = first["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(original.clone()).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let second = second.json();
    let rotated = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, original, "a new refresh token on every use");
    assert!(second["id_token"].is_string());
    assert_eq!(claims(second["id_token"].as_str().unwrap())["nonce"], "n0nce");

    let reuse = refresh(original).await;
    assert_eq!(reuse.json()["error"], "invalid_grant");
    let after = refresh(rotated).await;
    assert_eq!(after.json()["error"], "invalid_grant", "reuse revoked the whole family");
    let userinfo = bearer_get(&idp, "/userinfo", second["access_token"].as_str().unwrap()).await;
    assert_eq!(userinfo.status, 401);
    let audit = idp
        .state
        .store
        .audit_of_user(&UserId::new(
            claims(first["id_token"].as_str().unwrap())["sub"].as_str().unwrap(),
        ))
        .await
        .unwrap();
    assert!(audit.iter().any(|entry| entry.event == "refresh_token_reused"));
}

async fn refresh_may_narrow_but_not_widen_scopes(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid email offline_access").await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let wider = token_basic(
        &idp,
        "web",
        WEB_SECRET,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(wider.json()["error"], "invalid_scope");
    let narrower = token_basic(
        &idp,
        "web",
        WEB_SECRET,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(narrower.json()["scope"], "openid");
}

async fn client_credentials_issue_jwt_access_tokens_for_api_scopes(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let response = token_basic(
        &idp,
        "service",
        SERVICE_SECRET,
        &[("grant_type", "client_credentials"), ("scope", "orders:read")],
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let tokens = response.json();
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
    let access = verify_with_jwks(&idp, tokens["access_token"].as_str().unwrap(), &idp.base).await;
    assert_eq!(access["sub"], "service");
    assert_eq!(access["scope"], "orders:read");
    let all = token_basic(&idp, "service", SERVICE_SECRET, &[("grant_type", "client_credentials")])
        .await
        .json();
    assert_eq!(all["scope"], "orders:read orders:write");
    let bad = token_basic(
        &idp,
        "service",
        SERVICE_SECRET,
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    )
    .await;
    assert_eq!(bad.json()["error"], "invalid_scope");
    let not_allowed = token_basic(&idp, "web", WEB_SECRET, &[("grant_type", "client_credentials")]).await;
    assert_eq!(not_allowed.json()["error"], "unauthorized_client");
    let unknown = token_basic(&idp, "web", WEB_SECRET, &[("grant_type", "password")]).await;
    assert_eq!(unknown.json()["error"], "unsupported_grant_type");
}

pub async fn bearer_get(idp: &TestIdp, path: &str, token: &str) -> crate::support::browser::Page {
    to_page(
        reqwest::Client::new()
            .get(idp.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn userinfo_answers_get_and_post_by_scope(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let user = idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid email").await;
    let token = tokens["access_token"].as_str().unwrap();
    let info = bearer_get(&idp, "/userinfo", token).await.json();
    assert_eq!(info["sub"], user.id.as_str());
    assert_eq!(info["email"], "ada@example.com");
    assert_eq!(info["email_verified"], true);
    assert!(info.get("given_name").is_none(), "profile was not granted");
    let posted = post_form(&idp, "/userinfo", &[("access_token", token)]).await;
    assert_eq!(posted.json()["sub"], user.id.as_str());
    let missing = idp.browser().get("/userinfo").await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate").as_deref(), Some("Bearer"));
    let forged = bearer_get(&idp, "/userinfo", &format!("{}x", token)).await;
    assert_eq!(forged.status, 401);
    assert!(forged.header("www-authenticate").unwrap().contains("invalid_token"));
    let service = token_basic(&idp, "service", SERVICE_SECRET, &[("grant_type", "client_credentials")])
        .await
        .json();
    assert_eq!(
        bearer_get(&idp, "/userinfo", service["access_token"].as_str().unwrap())
            .await
            .status,
        403,
        "no openid scope"
    );
}

async fn introspection_describes_live_tokens_only(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid offline_access").await;
    let request = |token: String| {
        let idp = &idp;
        async move {
            let response = reqwest::Client::new()
                .post(idp.url("/introspect"))
                .basic_auth("web", Some(WEB_SECRET))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            to_page(response).await.json()
        }
    };
    let access = request(tokens["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(access["active"], true);
    assert_eq!(access["client_id"], "web");
    assert_eq!(access["token_type"], "Bearer");
    let refresh = request(tokens["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");
    assert_eq!(request("garbage".into()).await, serde_json::json!({"active": false}));
    idp.clock.advance(11 * 60);
    assert_eq!(
        request(tokens["access_token"].as_str().unwrap().to_owned()).await["active"],
        false,
        "expired"
    );
    let public = post_form(&idp, "/introspect", &[("token", "x"), ("client_id", "spa")]).await;
    assert_eq!(public.status, 401, "public clients may not introspect");
    let partner = reqwest::Client::new()
        .post(idp.url("/introspect"))
        .form(&[
            ("token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "partner"),
            ("client_secret", PARTNER_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        to_page(partner).await.json()["active"],
        false,
        "refresh tokens are described to their client only"
    );
}

async fn revoking_a_refresh_token_revokes_its_grant(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid offline_access").await;
    let revoke = |token: &str| {
        let form = [("token", token.to_owned())];
        let idp = &idp;
        async move {
            to_page(
                reqwest::Client::new()
                    .post(idp.url("/revoke"))
                    .basic_auth("web", Some(WEB_SECRET))
                    .form(&form)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(
        revoke("not-a-token").await.status,
        200,
        "unknown tokens are not an error (RFC 7009 2.2)"
    );
    assert_eq!(revoke(tokens["refresh_token"].as_str().unwrap()).await.status, 200);
    let refresh = token_basic(
        &idp,
        "web",
        WEB_SECRET,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refresh.json()["error"], "invalid_grant");
    assert_eq!(
        bearer_get(&idp, "/userinfo", tokens["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
}

async fn revoking_an_access_token_stops_it(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let tokens = token_basic(&idp, "service", SERVICE_SECRET, &[("grant_type", "client_credentials")])
        .await
        .json();
    let token = tokens["access_token"].as_str().unwrap();
    let response = reqwest::Client::new()
        .post(idp.url("/revoke"))
        .basic_auth("service", Some(SERVICE_SECRET))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let introspected = reqwest::Client::new()
        .post(idp.url("/introspect"))
        .basic_auth("service", Some(SERVICE_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(to_page(introspected).await.json()["active"], false);
}

async fn cors_admits_registered_origins_only(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let preflight = |origin: &'static str| {
        let idp = &idp;
        async move {
            let response = reqwest::Client::new()
                .request(reqwest::Method::OPTIONS, idp.url("/token"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap();
            response
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned())
        }
    };
    assert_eq!(
        preflight("https://app.example.com").await.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(preflight("https://evil.example.com").await, None);
}

on_both_backends!(
    code_exchange_returns_verified_id_and_access_tokens,
    id_tokens_use_the_clients_algorithm,
    a_reused_code_fails_and_revokes_the_tokens_of_its_first_use,
    a_wrong_pkce_verifier_is_rejected,
    an_expired_code_is_rejected,
    the_redirect_uri_must_match_the_authorization_request,
    a_wrong_client_secret_is_rejected_with_a_basic_challenge,
    refresh_rotates_and_reuse_revokes_the_family,
    refresh_may_narrow_but_not_widen_scopes,
    client_credentials_issue_jwt_access_tokens_for_api_scopes,
    userinfo_answers_get_and_post_by_scope,
    introspection_describes_live_tokens_only,
    revoking_a_refresh_token_revokes_its_grant,
    revoking_an_access_token_stops_it,
    cors_admits_registered_origins_only,
);
