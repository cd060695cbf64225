//! Token revocation (RFC 7009).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::claims::AccessTokenClaims;
use super::client_auth::authenticate;
use super::mint::ACCESS_TOKEN_TYPE;
use super::params::Params;
use crate::app::AppState;
use crate::error::Error;
use crate::ids::{UnixTime, UserId};
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

/// `POST /revoke`: always 200 once the client is authenticated, whether or not the token was
/// valid (RFC 7009 2.2), so the answer reveals nothing about tokens.
pub async fn post_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<StatusCode, Error> {
    let params = Params::parse(&body)?;
    let tenant = state.tenant.get();
    let now = state.now();
    let client = match authenticate(&tenant, &headers, &params, now) {
        Ok(client) => client,
        Err(error) => {
            super::audit::client_authentication_failed(&state, &headers, &params, &info, &error).await;
            return Err(error.into());
        }
    };
    let token = params.require("token")?;
    // A refresh token revokes its whole grant, access tokens included (RFC 7009 2.1).
    if let Some((grant, _, _)) = state.store.refresh_token_grant(&crate::random::hash(token)).await? {
        if grant.client_id == client.client_id {
            state.store.revoke_grant(&grant.id, now).await?;
            revoked(&state, &info, &client.client_id, Some(&grant.user_id), "refresh token").await;
        }
        return Ok(StatusCode::OK);
    }
    let claims = tenant
        .signer
        .verify::<AccessTokenClaims>(token, ACCESS_TOKEN_TYPE, &tenant.config.issuer, Some(now));
    if let Ok(claims) = claims
        && claims.client_id == client.client_id
    {
        state
            .store
            .revoke_access_token(&claims.jti, UnixTime::from_seconds(claims.exp))
            .await?;
        // A client-credentials token has the client as its subject, not a customer.
        let user = claims.grant_id().map(|_| UserId::new(claims.sub.as_str()));
        revoked(&state, &info, &client.client_id, user.as_ref(), "access token").await;
    }
    Ok(StatusCode::OK)
}

async fn revoked(state: &AppState, info: &RequestInfo, client_id: &str, user: Option<&UserId>, kind: &str) {
    let detail = Some(kind.to_owned());
    crate::audit::record_detail(state, AuditEvent::TokenRevoked, user, Some(client_id), info, detail).await;
}
