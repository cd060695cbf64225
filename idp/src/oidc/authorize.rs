//! The authorization endpoint (RFC 6749 4.1, OIDC Core 3.1.2): validates the request, hands it
//! to a sign-in (`authn`), and answers the client once the sign-in finishes.

use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::mint::lifetimes;
use super::redirect;
use super::request::{AuthorizationRequest, Rejection, recheck, validate};
use crate::app::AppState;
use crate::authn::{self, Assurance, Authentication, Failure, Outcome, Parked, Purpose, SignIn};
use crate::config::Tenant;
use crate::error::{Error, OAuthCode, OAuthError};
use crate::http::errors::Notice;
use crate::http::page;
use crate::http::params::Params;
use crate::http::redirect::see_other;
use crate::request_info::RequestInfo;
use crate::store::NewGrant;

/// Where the hosted pages send the customer back to: it drives the sign-in on.
const RESUME: &str = "/authorize/continue";

/// `GET /authorize`.
pub async fn get_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    authorize(&state, &headers, &info, query.as_deref().unwrap_or_default()).await
}

/// `POST /authorize` (OIDC Core 3.1.2.1: the endpoint must accept POST too).
pub async fn post_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    authorize(&state, &headers, &info, &body).await
}

async fn authorize(state: &AppState, headers: &HeaderMap, info: &RequestInfo, text: &str) -> Result<Response, Error> {
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
        Ok(request) => {
            let sign_in = start(state, &tenant, &request)?;
            proceed(state, &tenant, headers, info, &request, sign_in).await
        }
        Err(rejection) => Ok(reject(&tenant, headers, rejection)),
    }
}

/// A sign-in for `request`.
fn start(state: &AppState, tenant: &Tenant, request: &AuthorizationRequest) -> Result<SignIn, Error> {
    let parked = Parked {
        client_id: request.client_id.clone(),
        scopes: request.scopes.clone(),
        silent: request.prompt.none,
        ask_consent: request.prompt.consent,
        login_hint: request.login_hint.clone(),
        ui_locales: request.ui_locales.clone(),
        protocol: serde_json::to_value(request).map_err(|error| Error::Internal(error.to_string()))?,
    };
    Ok(SignIn::start(
        state.rng.as_ref(),
        Purpose::Authorization(parked),
        RESUME,
        assurance(tenant, request),
        state.now(),
    ))
}

/// The assurance `request` requires, with its client's defaults where it says nothing.
fn assurance(tenant: &Tenant, request: &AuthorizationRequest) -> Assurance {
    let required = request.assurance();
    match tenant.config.client(&request.client_id) {
        Some(client) => required.with_client_defaults(client),
        None => required,
    }
}

/// Query of `/authorize/continue`.
#[derive(Debug, Deserialize)]
pub struct ContinueQuery {
    request: Option<String>,
}

/// `GET /authorize/continue?request=…`: drives a sign-in of this browser on after a page.
pub async fn get_continue(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    Query(query): Query<ContinueQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = authn::transaction::find(&state, &tenant, &headers, query.request.as_deref()).await?;
    let Some((sign_in, request)) = sign_in.and_then(|sign_in| {
        let request: AuthorizationRequest = serde_json::from_value(sign_in.parked()?.protocol.clone()).ok()?;
        Some((sign_in, request))
    }) else {
        return Err(expired());
    };
    // The config may have changed while the customer was on our pages.
    if let Err(rejection) = recheck(&tenant, &request) {
        authn::transaction::end(&state, &sign_in).await?;
        return Ok(reject(&tenant, &headers, rejection));
    }
    proceed(&state, &tenant, &headers, &info, &request, sign_in).await
}

/// Takes the sign-in as far as it goes: a page the customer must see, or the response.
async fn proceed(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    info: &RequestInfo,
    request: &AuthorizationRequest,
    sign_in: SignIn,
) -> Result<Response, Error> {
    match authn::drive(state, tenant, headers, info.ip, sign_in).await? {
        Outcome::Detour { location, cookie } => Ok(see_other(&location, cookie.as_slice())),
        Outcome::Finished(authentication) => respond(state, tenant, request, &authentication).await,
        Outcome::Failed(failure) => Ok(error_redirect(
            tenant,
            &request.redirect_uri,
            request.state.as_deref(),
            &oauth_error(failure),
        )),
        Outcome::Busy => Err(Error::Refused(StatusCode::TOO_MANY_REQUESTS, Notice::TooManySignIns)),
        Outcome::Gone => Err(expired()),
    }
}

/// The authorization response: a code for the finished authentication.
async fn respond(
    state: &AppState,
    tenant: &Tenant,
    request: &AuthorizationRequest,
    authentication: &Authentication,
) -> Result<Response, Error> {
    let code = issue_code(state, tenant, request, authentication).await?;
    let mut params = vec![("code", code.as_str())];
    params.extend(request.state.as_deref().map(|value| ("state", value)));
    // RFC 9207: the issuer in the response defends against mix-up attacks.
    params.push(("iss", tenant.config.issuer.as_str()));
    Ok(see_other(&redirect::with_params(&request.redirect_uri, &params), &[]))
}

/// How a failed sign-in is reported to the client (OIDC Core 3.1.2.6).
fn oauth_error(failure: Failure) -> OAuthError {
    match failure {
        Failure::LoginRequired => OAuthError::new(OAuthCode::LoginRequired, "the customer must sign in"),
        Failure::ConsentRequired => OAuthError::new(OAuthCode::ConsentRequired, "the customer must consent"),
        Failure::InteractionRequired => OAuthError::new(
            OAuthCode::InteractionRequired,
            "the customer must interact with the sign-in",
        ),
        Failure::AccessDenied => OAuthError::new(OAuthCode::AccessDenied, "the customer denied the request"),
        Failure::UnmetAssurance => OAuthError::new(
            OAuthCode::UnmetAuthenticationRequirements,
            "the essential acr cannot be met here",
        ),
    }
}

async fn issue_code(
    state: &AppState,
    tenant: &Tenant,
    request: &AuthorizationRequest,
    authentication: &Authentication,
) -> Result<String, Error> {
    let client = tenant
        .config
        .client(&request.client_id)
        .ok_or_else(|| Error::Internal("a checked client vanished".into()))?;
    let now = state.now();
    let code = state.rng.token();
    let code_lifetime = i64::try_from(tenant.config.tokens.authorization_code_lifetime.as_secs()).unwrap_or(60);
    let grant = NewGrant {
        client_id: &client.client_id,
        user_id: &authentication.user.id,
        session_id: &authentication.session.id,
        scope: &request.scope(),
        nonce: request.nonce.as_deref(),
        auth_time: authentication.auth_time,
        amr: &authentication.methods.to_string(),
        acr: authentication.acr.uri(),
        now,
        expires_at: now.plus_seconds(lifetimes(tenant, client).refresh),
    };
    state
        .store
        .create_grant_with_code(
            grant,
            &crate::random::hash(&code),
            &request.redirect_uri,
            request.code_challenge.as_deref(),
            now.plus_seconds(code_lifetime),
        )
        .await?;
    Ok(code)
}

/// A refused request: a page when the client cannot be trusted, else an error to the client.
fn reject(tenant: &Tenant, headers: &HeaderMap, rejection: Rejection) -> Response {
    match rejection {
        Rejection::Page(untrusted) => {
            let t = page::Page::language(tenant, headers, &[]);
            page::error(tenant, headers, StatusCode::BAD_REQUEST, &untrusted.message(t))
        }
        Rejection::Redirect {
            redirect_uri,
            state,
            error,
        } => error_redirect(tenant, &redirect_uri, state.as_deref(), &error),
    }
}

/// A sign-in that lapsed, was finished, or belongs to another browser.
fn expired() -> Error {
    Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired)
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
