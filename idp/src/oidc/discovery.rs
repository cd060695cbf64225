//! OpenID Provider metadata (OIDC Discovery 3) and the public keys (RFC 7517).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request::OIDC_SCOPES;
use crate::app::AppState;
use crate::authn::Acr;

/// Relying parties may cache metadata and keys this long; a new key is published well before
/// it signs, so caches always know it in time.
const CACHE: &str = "public, max-age=300";

/// `GET /.well-known/openid-configuration`.
pub async fn get_discovery(State(state): State<AppState>) -> Response {
    let tenant = state.tenant.get();
    let config = &tenant.config;
    let algorithms: Vec<&str> = config.signing_algorithms.iter().map(|alg| alg.as_str()).collect();
    let locales: Vec<&str> = config.branding.locales.iter().map(|locale| locale.tag()).collect();
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let classes: Vec<&str> = Acr::offered(config).iter().map(|acr| acr.uri()).collect();
    // The privacy claims exist only where a consent policy is served.
    let privacy = crate::privacy::policy(&tenant).is_some();
    let scopes: Vec<&str> = OIDC_SCOPES
        .into_iter()
        .filter(|scope| privacy || *scope != crate::privacy::claims::SCOPE)
        .collect();
    let mut claims = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "sid",
        "at_hash",
        "name",
        "given_name",
        "family_name",
        "nickname",
        "birthdate",
        "locale",
        "updated_at",
        "email",
        "email_verified",
        "phone_number",
        "phone_number_verified",
    ];
    if privacy {
        claims.extend([crate::privacy::claims::CLAIM, crate::privacy::claims::VERSION_CLAIM]);
    }
    let document = json!({
        "issuer": config.issuer,
        "authorization_endpoint": tenant.url("/authorize"),
        "token_endpoint": tenant.url("/token"),
        "userinfo_endpoint": tenant.url("/userinfo"),
        "jwks_uri": tenant.url("/jwks"),
        "introspection_endpoint": tenant.url("/introspect"),
        "revocation_endpoint": tenant.url("/revoke"),
        "end_session_endpoint": tenant.url("/end_session"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms,
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": classes,
        "claims_supported": claims,
        "ui_locales_supported": locales,
        // Only an essential `acr` is acted on; other claims requests are ignored (OIDC Core 5.5).
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    cached(axum::Json(document).into_response())
}

/// `GET /jwks`.
pub async fn get_jwks(State(state): State<AppState>) -> Response {
    let body = state.tenant.get().signer.jwks().to_owned();
    let response = ([(header::CONTENT_TYPE, "application/jwk-set+json")], body).into_response();
    cached(response)
}

fn cached(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    response
}
