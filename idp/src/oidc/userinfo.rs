//! The userinfo endpoint (OIDC Core 5.3), GET and POST.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::bearer;
use super::claims::user_claims;
use super::no_store;
use super::params::Params;
use crate::app::AppState;
use crate::error::{Error, OAuthCode, OAuthError};
use crate::ids::UserId;

/// `GET /userinfo`: the token in the `Authorization` header.
pub async fn get_userinfo(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Error> {
    let token = bearer::from_header(&headers)
        .ok_or_else(OAuthError::missing_token)?
        .to_owned();
    userinfo(&state, &token).await
}

/// `POST /userinfo`: the token in the header or, form-encoded, in the body (RFC 6750 2.2).
pub async fn post_userinfo(State(state): State<AppState>, headers: HeaderMap, body: String) -> Result<Response, Error> {
    let params = Params::parse(&body)?;
    let token = match (bearer::from_header(&headers), params.get("access_token")) {
        (Some(_), Some(_)) => return Err(OAuthError::invalid_request("send the access token once, not twice").into()),
        (Some(token), None) | (None, Some(token)) => token.to_owned(),
        (None, None) => return Err(OAuthError::missing_token().into()),
    };
    userinfo(&state, &token).await
}

async fn userinfo(state: &AppState, token: &str) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let claims = bearer::verify(state, &tenant, token)
        .await?
        .ok_or_else(|| OAuthError::invalid_token("the access token is invalid, expired or revoked"))?;
    if claims.grant_id().is_none() || !claims.has_scope("openid") {
        let mut error = OAuthError::new(
            OAuthCode::InsufficientScope,
            "the access token was not granted the openid scope",
        );
        error.challenge = Some(r#"Bearer error="insufficient_scope", scope="openid""#.to_owned());
        return Err(error.into());
    }
    let user = state
        .store
        .user_by_id(&UserId::new(claims.sub.as_str()))
        .await?
        .ok_or_else(|| OAuthError::invalid_token("the account no longer exists"))?;
    let mut body = Map::new();
    body.insert("sub".to_owned(), Value::from(user.id.to_string()));
    body.extend(user_claims(&user, claims.scope.split(' ')));
    body.extend(crate::privacy::claims::for_scopes(state, &tenant, &user.id, claims.scope.split(' ')).await?);
    Ok(no_store(Json(body).into_response()))
}
