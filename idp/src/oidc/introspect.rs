//! Token introspection (RFC 7662) for resource servers and clients.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vestibule_crds::v1alpha1::TokenEndpointAuthMethod;

use super::bearer;
use super::client_auth::authenticate;
use super::no_store;
use super::params::Params;
use crate::app::AppState;
use crate::error::{Error, OAuthError};
use crate::request_info::RequestInfo;

/// `POST /introspect`.
pub async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let params = Params::parse(&body)?;
    let tenant = state.tenant.get();
    let authenticated = authenticate(&tenant, &headers, &params, state.now()).and_then(|client| {
        // RFC 7662 2.1: the caller must be authorized; public clients hold no credential.
        if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None {
            return Err(OAuthError::invalid_client(
                "introspection requires a confidential client",
                false,
            ));
        }
        Ok(client)
    });
    let client = match authenticated {
        Ok(client) => client,
        Err(error) => {
            // Guessing a resource server's secret here must leave the same trace as at /token.
            super::audit::client_authentication_failed(&state, &headers, &params, &info, &error).await;
            return Err(error.into());
        }
    };
    let token = params.require("token")?;
    let refresh_first = params.get("token_type_hint") == Some("refresh_token");
    let found = if refresh_first {
        match refresh(&state, token, &client.client_id).await? {
            Some(found) => Some(found),
            None => access(&state, token).await?,
        }
    } else {
        match access(&state, token).await? {
            Some(found) => Some(found),
            None => refresh(&state, token, &client.client_id).await?,
        }
    };
    let answer = Json(found.unwrap_or_else(|| json!({ "active": false })));
    Ok(no_store(answer.into_response()))
}

async fn access(state: &AppState, token: &str) -> Result<Option<Value>, Error> {
    let tenant = state.tenant.get();
    let Some(claims) = bearer::verify(state, &tenant, token).await? else {
        return Ok(None);
    };
    Ok(Some(json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
        "token_type": "Bearer",
    })))
}

/// A refresh token is described only to the client it was issued to.
async fn refresh(state: &AppState, token: &str, client_id: &str) -> Result<Option<Value>, Error> {
    let Some((grant, expires_at, used)) = state.store.refresh_token_grant(&crate::random::hash(token)).await? else {
        return Ok(None);
    };
    let now = state.now();
    if grant.client_id != client_id || used || expires_at <= now || !grant.is_active(now) {
        return Ok(None);
    }
    Ok(Some(json!({
        "active": true,
        "scope": grant.scope,
        "client_id": grant.client_id,
        "sub": grant.user_id,
        "iss": state.tenant.get().config.issuer,
        "exp": expires_at.seconds(),
        "iat": grant.created_at.seconds(),
        "token_type": "refresh_token",
    })))
}
