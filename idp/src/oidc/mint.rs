//! Minting signed tokens for a grant or a client.

use serde_json::{Map, Value};
use vestibule_crds::config::ClientConfig;

use super::claims::{AccessTokenClaims, IdTokenClaims, at_hash, user_claims};
use crate::authn::Acr;
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::UnixTime;
use crate::store::{Grant, User};

/// `typ` of JWT access tokens (RFC 9068 2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// `typ` of ID tokens.
pub const ID_TOKEN_TYPE: &str = "JWT";

/// A signed access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Lifetimes in seconds for one client, with its overrides applied.
pub struct Lifetimes {
    /// Access token.
    pub access: i64,
    /// ID token.
    pub id: i64,
    /// Refresh token family.
    pub refresh: i64,
}

/// The lifetimes that apply to `client`.
pub fn lifetimes(tenant: &Tenant, client: &ClientConfig) -> Lifetimes {
    let tokens = &tenant.config.tokens;
    let seconds = |duration: vestibule_crds::Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
    Lifetimes {
        access: seconds(client.access_token_lifetime.unwrap_or(tokens.access_token_lifetime)),
        id: seconds(client.id_token_lifetime.unwrap_or(tokens.id_token_lifetime)),
        refresh: seconds(client.refresh_token_lifetime.unwrap_or(tokens.refresh_token_lifetime)),
    }
}

/// The class a grant reached; grants made before classes were kept had one factor.
fn grant_acr(grant: &Grant) -> String {
    grant.acr.clone().unwrap_or_else(|| Acr::Password.uri().to_owned())
}

fn sign_error(error: crate::signing::SigningError) -> Error {
    Error::Internal(error.to_string())
}

/// An access token for a customer's grant.
pub fn user_access_token(
    tenant: &Tenant,
    client: &ClientConfig,
    grant: &Grant,
    scope: &str,
    now: UnixTime,
) -> Result<AccessToken, Error> {
    let expires_in = lifetimes(tenant, client).access;
    let claims = AccessTokenClaims {
        iss: tenant.config.issuer.clone(),
        sub: grant.user_id.to_string(),
        aud: tenant.config.issuer.clone(),
        exp: now.plus_seconds(expires_in).seconds(),
        iat: now.seconds(),
        jti: format!("{}.{}", grant.id, crate::random::id()),
        client_id: client.client_id.clone(),
        scope: scope.to_owned(),
        auth_time: Some(grant.auth_time.seconds()),
        acr: Some(grant_acr(grant)),
        amr: Some(grant.amr.split(' ').map(str::to_owned).collect()),
        sid: Some(grant.session_id.to_string()),
    };
    let token = tenant
        .signer
        .sign(tenant.config.access_token_algorithm(), ACCESS_TOKEN_TYPE, &claims)
        .map_err(sign_error)?;
    Ok(AccessToken { token, expires_in })
}

/// An access token for a client acting on its own behalf (client credentials).
pub fn client_access_token(
    tenant: &Tenant,
    client: &ClientConfig,
    scope: &str,
    now: UnixTime,
) -> Result<AccessToken, Error> {
    let expires_in = lifetimes(tenant, client).access;
    let claims = AccessTokenClaims {
        iss: tenant.config.issuer.clone(),
        sub: client.client_id.clone(),
        aud: tenant.config.issuer.clone(),
        exp: now.plus_seconds(expires_in).seconds(),
        iat: now.seconds(),
        jti: crate::random::id(),
        client_id: client.client_id.clone(),
        scope: scope.to_owned(),
        auth_time: None,
        acr: None,
        amr: None,
        sid: None,
    };
    let token = tenant
        .signer
        .sign(tenant.config.access_token_algorithm(), ACCESS_TOKEN_TYPE, &claims)
        .map_err(sign_error)?;
    Ok(AccessToken { token, expires_in })
}

/// An ID token for a grant, bound to `access_token` by `at_hash`, with the customer's privacy
/// claims `privacy` (empty unless the grant has the `consents` scope).
pub fn id_token(
    tenant: &Tenant,
    client: &ClientConfig,
    grant: &Grant,
    user: &User,
    access_token: &str,
    privacy: Map<String, Value>,
    now: UnixTime,
) -> Result<String, Error> {
    let mut profile = user_claims(user, grant.scopes());
    profile.extend(privacy);
    let alg = client.id_token_signed_response_alg;
    let claims = IdTokenClaims {
        iss: tenant.config.issuer.clone(),
        sub: user.id.to_string(),
        aud: client.client_id.clone(),
        azp: client.client_id.clone(),
        exp: now.plus_seconds(lifetimes(tenant, client).id).seconds(),
        iat: now.seconds(),
        auth_time: grant.auth_time.seconds(),
        nonce: grant.nonce.clone(),
        acr: grant_acr(grant),
        amr: grant.amr.split(' ').map(str::to_owned).collect(),
        at_hash: Some(at_hash(access_token, alg)),
        sid: grant.session_id.to_string(),
        profile,
    };
    tenant.signer.sign(alg, ID_TOKEN_TYPE, &claims).map_err(sign_error)
}
