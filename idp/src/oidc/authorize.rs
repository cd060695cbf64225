//! The authorization endpoint (RFC 6749 4.1, OIDC Core 3.1.2): validates the request, sends
//! the customer through sign-in, profiling and consent as needed, then issues the code.

use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::config::ClientConfig;

use super::mint::lifetimes;
use super::params::Params;
use super::redirect;
use super::request::{AuthorizationRequest, Rejection, validate};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::{Error, OAuthCode, OAuthError};
use crate::login::flow::{see_other, url_encode};
use crate::login::session::{self, SignedIn};
use crate::login::{page, profile};
use crate::store::NewGrant;

/// A parked request waits this long for the customer to sign in.
const PARK_LIFETIME: i64 = 30 * 60;

/// `GET /authorize`.
pub async fn get_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    authorize(&state, &headers, query.as_deref().unwrap_or_default()).await
}

/// `POST /authorize` (OIDC Core 3.1.2.1: the endpoint must accept POST too).
pub async fn post_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, Error> {
    authorize(&state, &headers, &body).await
}

async fn authorize(state: &AppState, headers: &HeaderMap, text: &str) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let params = match Params::parse(text) {
        Ok(params) => params,
        Err(error) => {
            return Ok(page::error(
                &tenant,
                headers,
                StatusCode::BAD_REQUEST,
                &error.description,
            ));
        }
    };
    match validate(&tenant, &params, state.now()) {
        Ok(request) => proceed(state, &tenant, headers, request, None).await,
        Err(Rejection::Page(reason)) => Ok(page::error(&tenant, headers, StatusCode::BAD_REQUEST, &reason)),
        Err(Rejection::Redirect {
            redirect_uri,
            state: client_state,
            error,
        }) => Ok(error_redirect(&tenant, &redirect_uri, client_state.as_deref(), &error)),
    }
}

/// Query of `/authorize/continue`.
#[derive(Debug, Deserialize)]
pub struct ContinueQuery {
    request: Option<String>,
}

/// `GET /authorize/continue?request=…`: resumes a parked request after a hosted page.
pub async fn get_continue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ContinueQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let id = query.request.unwrap_or_default();
    let Some(request) = crate::login::flow::parked(&state, Some(&id)).await? else {
        let reason = "This sign-in request has expired. Please start again from the application.";
        return Ok(page::error(&tenant, &headers, StatusCode::BAD_REQUEST, reason));
    };
    proceed(&state, &tenant, &headers, request, Some(id)).await
}

/// Takes the request as far as it can go: a page the customer must see, or the response.
async fn proceed(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    request: AuthorizationRequest,
    parked: Option<String>,
) -> Result<Response, Error> {
    let Some(client) = tenant.config.client(&request.client_id) else {
        return Ok(page::error(
            tenant,
            headers,
            StatusCode::BAD_REQUEST,
            "The application is no longer registered.",
        ));
    };
    let now = state.now();
    let signed_in = session::current(state, tenant, headers)
        .await?
        .filter(|s| fresh_enough(&request, s, now));
    let Some(signed_in) = signed_in else {
        if request.prompt.none {
            return Ok(error_redirect(
                tenant,
                &request.redirect_uri,
                request.state.as_deref(),
                &OAuthError::new(OAuthCode::LoginRequired, "the customer must sign in"),
            ));
        }
        return detour(state, tenant, "/login", &request, parked).await;
    };
    if !request.prompt.none && profile::due_step(&tenant.config, &signed_in.user).is_some() {
        return detour(state, tenant, "/profile", &request, parked).await;
    }
    if needs_consent(state, client, &request, &signed_in).await? {
        if request.prompt.none {
            return Ok(error_redirect(
                tenant,
                &request.redirect_uri,
                request.state.as_deref(),
                &OAuthError::new(OAuthCode::ConsentRequired, "the customer must consent"),
            ));
        }
        return detour(state, tenant, "/consent", &request, parked).await;
    }
    let code = issue_code(state, tenant, client, &request, &signed_in, now).await?;
    if let Some(id) = parked {
        state.store.drop_request(&id).await?;
    }
    let mut params = vec![("code", code.as_str())];
    params.extend(request.state.as_deref().map(|value| ("state", value)));
    // RFC 9207: the issuer in the response defends against mix-up attacks.
    params.push(("iss", tenant.config.issuer.as_str()));
    Ok(see_other(&redirect::with_params(&request.redirect_uri, &params), &[]))
}

/// `prompt=login` wants a sign-in for this very request; `max_age` bounds the sign-in's age.
fn fresh_enough(request: &AuthorizationRequest, signed_in: &SignedIn, now: i64) -> bool {
    if request.fresh_session.as_deref() == Some(signed_in.session.id.as_str()) {
        return true;
    }
    let young_enough = request
        .max_age
        .is_none_or(|age| now - signed_in.session.auth_time <= age);
    !request.prompt.login && young_enough
}

async fn needs_consent(
    state: &AppState,
    client: &ClientConfig,
    request: &AuthorizationRequest,
    signed_in: &SignedIn,
) -> Result<bool, Error> {
    if client.skip_consent || request.consented {
        return Ok(false);
    }
    if request.prompt.consent {
        return Ok(true);
    }
    let Some((scope, _)) = state.store.consent(&signed_in.user.id, &client.client_id).await? else {
        return Ok(true);
    };
    let covered = request
        .scopes
        .iter()
        .all(|wanted| scope.split(' ').any(|granted| granted == wanted));
    Ok(!covered)
}

/// Parks the request (once) and sends the customer to a hosted page.
async fn detour(
    state: &AppState,
    tenant: &Tenant,
    route: &str,
    request: &AuthorizationRequest,
    parked: Option<String>,
) -> Result<Response, Error> {
    let id = match parked {
        Some(id) => id,
        None => {
            let json = serde_json::to_string(request).map_err(|error| Error::Internal(error.to_string()))?;
            state.store.park_request(&json, state.now() + PARK_LIFETIME).await?
        }
    };
    Ok(see_other(
        &format!("{}?request={}", tenant.path(route), url_encode(&id)),
        &[],
    ))
}

async fn issue_code(
    state: &AppState,
    tenant: &Tenant,
    client: &ClientConfig,
    request: &AuthorizationRequest,
    signed_in: &SignedIn,
    now: i64,
) -> Result<String, Error> {
    let code = crate::random::token();
    let code_lifetime = i64::try_from(tenant.config.tokens.authorization_code_lifetime.as_secs()).unwrap_or(60);
    let grant = NewGrant {
        client_id: &client.client_id,
        user_id: &signed_in.user.id,
        session_id: &signed_in.session.id,
        scope: &request.scope(),
        nonce: request.nonce.as_deref(),
        auth_time: signed_in.session.auth_time,
        amr: &signed_in.session.amr,
        now,
        expires_at: now.saturating_add(lifetimes(tenant, client).refresh),
    };
    state
        .store
        .create_grant_with_code(
            grant,
            &crate::random::hash(&code),
            &request.redirect_uri,
            request.code_challenge.as_deref(),
            now + code_lifetime,
        )
        .await?;
    Ok(code)
}

/// The customer refused: `access_denied` to the client.
pub fn deny(tenant: &Tenant, request: &AuthorizationRequest) -> Response {
    let error = OAuthError::new(OAuthCode::AccessDenied, "the customer denied the request");
    error_redirect(tenant, &request.redirect_uri, request.state.as_deref(), &error)
}

/// An error response to the client's verified redirect URI (RFC 6749 4.1.2.1).
fn error_redirect(tenant: &Tenant, redirect_uri: &str, state: Option<&str>, error: &OAuthError) -> Response {
    let mut params = vec![
        ("error", error.code.as_str()),
        ("error_description", error.description.as_ref()),
    ];
    params.extend(state.map(|value| ("state", value)));
    params.push(("iss", tenant.config.issuer.as_str()));
    see_other(&redirect::with_params(redirect_uri, &params), &[])
}
