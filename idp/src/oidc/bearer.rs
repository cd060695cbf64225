//! Access tokens presented to us (userinfo, introspection): signature, expiry, revocation.

use axum::http::{HeaderMap, header};

use super::claims::AccessTokenClaims;
use super::mint::ACCESS_TOKEN_TYPE;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;

/// The bearer token of an `Authorization: Bearer` header (RFC 6750 2.1).
pub fn from_header(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|token| !token.is_empty())
}

/// The claims of a valid, unrevoked access token we issued; `None` for anything else.
pub async fn verify(state: &AppState, tenant: &Tenant, token: &str) -> Result<Option<AccessTokenClaims>, Error> {
    let Ok(claims) =
        tenant
            .signer
            .verify::<AccessTokenClaims>(token, ACCESS_TOKEN_TYPE, &tenant.config.issuer, Some(state.now()))
    else {
        return Ok(None);
    };
    if !state
        .store
        .access_token_valid(&claims.jti, claims.grant_id(), state.now())
        .await?
    {
        return Ok(None);
    }
    Ok(Some(claims))
}
