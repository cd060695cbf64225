//! The token endpoint (RFC 6749 3.2): authorization code, refresh token, client credentials.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vestibule_crds::config::ClientConfig;
use vestibule_crds::v1alpha1::{ClientType, GrantType};

use super::client_auth::authenticate;
use super::mint::{client_access_token, id_token, lifetimes, user_access_token};
use super::params::Params;
use super::pkce;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::{Error, OAuthCode, OAuthError};
use crate::ids::UnixTime;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, CodeRedemption, Grant, RefreshOutcome, User};

/// A successful token response (RFC 6749 5.1, OIDC Core 3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut response = Json(self).into_response();
        // RFC 6749 5.1: tokens must not be cached.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
            .headers_mut()
            .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

/// `POST /token`.
pub async fn post_token(
    State(state): State<AppState>,
    info: RequestInfo,
    headers: HeaderMap,
    body: String,
) -> Result<TokenResponse, Error> {
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
    match params.require("grant_type")? {
        "authorization_code" => authorization_code(&state, &tenant, client, &params, &info, now).await,
        "refresh_token" => refresh_token(&state, &tenant, client, &params, &info, now).await,
        "client_credentials" => client_credentials(&tenant, client, &params, now),
        other => Err(OAuthError::new(
            OAuthCode::UnsupportedGrantType,
            format!("grant_type {other} is not supported"),
        )
        .into()),
    }
}

fn require_grant(client: &ClientConfig, grant: GrantType) -> Result<(), OAuthError> {
    if client.allows_grant(grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            OAuthCode::UnauthorizedClient,
            format!("this client may not use {}", grant.as_str()),
        ))
    }
}

async fn authorization_code(
    state: &AppState,
    tenant: &Tenant,
    client: &ClientConfig,
    params: &Params,
    info: &RequestInfo,
    now: UnixTime,
) -> Result<TokenResponse, Error> {
    require_grant(client, GrantType::AuthorizationCode)?;
    let code = params.require("code")?;
    let redemption = state.store.redeem_code(&crate::random::hash(code), now).await?;
    let (grant, redirect_uri, challenge) = match redemption {
        CodeRedemption::Redeemed {
            grant,
            redirect_uri,
            code_challenge,
        } => (grant, redirect_uri, code_challenge),
        CodeRedemption::Reused => {
            crate::audit::record(
                state,
                AuditEvent::AuthorizationCodeReused,
                None,
                Some(&client.client_id),
                info,
            )
            .await;
            return Err(
                OAuthError::invalid_grant("the authorization code was already used; its tokens are revoked").into(),
            );
        }
        CodeRedemption::Expired => return Err(OAuthError::invalid_grant("the authorization code has expired").into()),
        CodeRedemption::Unknown => return Err(OAuthError::invalid_grant("the authorization code is invalid").into()),
    };
    // RFC 6749 4.1.3: the code was issued to this client for this redirect URI.
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client").into());
    }
    if params.get("redirect_uri") != Some(redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request").into());
    }
    check_verifier(challenge.as_deref(), params.get("code_verifier"))?;
    let response = issue_for_grant(state, tenant, client, &grant, &grant.scope, now, Occasion::CodeExchange).await?;
    let (user, client) = (Some(&grant.user_id), Some(client.client_id.as_str()));
    crate::audit::record(state, AuditEvent::CodeExchanged, user, client, info).await;
    Ok(response)
}

/// RFC 7636 4.6, and RFC 9700 2.1.1: a verifier without a challenge is refused too.
fn check_verifier(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) if pkce::verify(verifier, challenge) => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier given but the request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

async fn refresh_token(
    state: &AppState,
    tenant: &Tenant,
    client: &ClientConfig,
    params: &Params,
    info: &RequestInfo,
    now: UnixTime,
) -> Result<TokenResponse, Error> {
    require_grant(client, GrantType::RefreshToken)?;
    let presented = crate::random::hash(params.require("refresh_token")?);
    let rotation = tenant.config.tokens.refresh_token_rotation;
    let replacement = rotation.then(|| state.rng.token());
    let replacement_hash = replacement.as_deref().map(crate::random::hash);
    let requested = params.get("scope");
    let accept = |grant: &Grant| grant.client_id == client.client_id && narrowed_scope(grant, requested).is_ok();
    let outcome = state
        .store
        .use_refresh_token(&presented, accept, replacement_hash.as_deref(), now)
        .await?;
    let (grant, user) = match outcome {
        RefreshOutcome::Accepted { grant, user } => (grant, user),
        RefreshOutcome::Reused { grant } => {
            let user = Some(&grant.user_id);
            crate::audit::record(
                state,
                AuditEvent::RefreshTokenReused,
                user,
                Some(&client.client_id),
                info,
            )
            .await;
            let reason = "the refresh token was already used; the session's tokens are revoked";
            return Err(OAuthError::invalid_grant(reason).into());
        }
        RefreshOutcome::NotAccepted { grant } if grant.client_id != client.client_id => {
            return Err(OAuthError::invalid_grant("the refresh token was issued to another client").into());
        }
        RefreshOutcome::NotAccepted { grant } => {
            return Err(narrowed_scope(&grant, requested)
                .err()
                .unwrap_or_else(|| OAuthError::invalid_grant("refused"))
                .into());
        }
        RefreshOutcome::Invalid => {
            return Err(OAuthError::invalid_grant("the refresh token is invalid or expired").into());
        }
    };
    let scope = narrowed_scope(&grant, requested)?;
    let mut response = issue_for_grant(state, tenant, client, &grant, &scope, now, Occasion::Refresh { user }).await?;
    let (user, client) = (Some(&grant.user_id), Some(client.client_id.as_str()));
    crate::audit::record(state, AuditEvent::TokenRefreshed, user, client, info).await;
    response.refresh_token =
        Some(replacement.unwrap_or_else(|| params.get("refresh_token").unwrap_or_default().to_owned()));
    Ok(response)
}

/// RFC 6749 6: a refresh may ask for fewer scopes, never more.
fn narrowed_scope(grant: &Grant, requested: Option<&str>) -> Result<String, OAuthError> {
    let Some(requested) = requested else {
        return Ok(grant.scope.clone());
    };
    let scopes: Vec<&str> = requested.split(' ').filter(|scope| !scope.is_empty()).collect();
    if let Some(extra) = scopes
        .iter()
        .find(|scope| !grant.scopes().any(|granted| granted == **scope))
    {
        return Err(OAuthError::new(
            OAuthCode::InvalidScope,
            format!("scope {extra} was not granted"),
        ));
    }
    Ok(scopes.join(" "))
}

/// Why tokens are issued for a grant.
enum Occasion {
    /// An authorization code was exchanged: the grant's first tokens.
    CodeExchange,
    /// A refresh token was used; the customer was read in the same transaction.
    Refresh { user: Option<Box<User>> },
}

/// Access token, ID token (for `openid`), and on a code exchange a refresh token (for
/// `offline_access`).
async fn issue_for_grant(
    state: &AppState,
    tenant: &Tenant,
    client: &ClientConfig,
    grant: &Grant,
    scope: &str,
    now: UnixTime,
    occasion: Occasion,
) -> Result<TokenResponse, Error> {
    let access = user_access_token(tenant, client, grant, scope, now)?;
    let openid = scope.split(' ').any(|s| s == "openid");
    let first = matches!(occasion, Occasion::CodeExchange);
    let id_token = if openid {
        let user = match occasion {
            Occasion::Refresh { user } => user,
            Occasion::CodeExchange => state.store.user_by_id(&grant.user_id).await?.map(Box::new),
        };
        let user = user.ok_or_else(|| OAuthError::invalid_grant("the account no longer exists"))?;
        // Read now, not at the grant: a change of the customer's choices shows in the next token.
        let privacy = crate::privacy::claims::for_scopes(state, tenant, &user.id, scope.split(' ')).await?;
        Some(id_token(tenant, client, grant, &user, &access.token, privacy, now)?)
    } else {
        None
    };
    let offline = grant.scopes().any(|s| s == "offline_access") && client.allows_grant(GrantType::RefreshToken);
    let refresh_token = if first && offline {
        let token = state.rng.token();
        let expires = grant
            .expires_at
            .min(now.plus_seconds(lifetimes(tenant, client).refresh));
        state
            .store
            .create_refresh_token(&grant.id, &crate::random::hash(&token), expires)
            .await?;
        Some(token)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.expires_in,
        scope: scope.to_owned(),
        id_token,
        refresh_token,
    })
}

fn client_credentials(
    tenant: &Tenant,
    client: &ClientConfig,
    params: &Params,
    now: UnixTime,
) -> Result<TokenResponse, Error> {
    require_grant(client, GrantType::ClientCredentials)?;
    if client.client_type != ClientType::Confidential {
        return Err(OAuthError::new(
            OAuthCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        )
        .into());
    }
    // User scopes mean nothing without a user; by default a client gets all its API scopes.
    let api_scopes: Vec<&str> = client
        .scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !super::request::OIDC_SCOPES.contains(s))
        .collect();
    let scope = match params.get("scope") {
        Some(requested) => {
            let requested: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(bad) = requested.iter().find(|s| !api_scopes.contains(s)) {
                return Err(OAuthError::new(
                    OAuthCode::InvalidScope,
                    format!("scope {bad} is not allowed for client credentials"),
                )
                .into());
            }
            requested.join(" ")
        }
        None => api_scopes.join(" "),
    };
    let access = client_access_token(tenant, client, &scope, now)?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.expires_in,
        scope,
        id_token: None,
        refresh_token: None,
    })
}
