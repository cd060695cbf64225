//! Sign-ins for the account page: one starts when a signed-out customer opens the page, and
//! ends back on it.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow::{self, see_other};
use crate::app::AppState;
use crate::authn::{self, Assurance, Outcome, Purpose, SignIn};
use crate::config::Tenant;
use crate::error::Error;
use crate::http::errors::Notice;
use crate::request_info::RequestInfo;

/// Where the sign-in pages send the customer back to.
const RESUME: &str = "/account/continue";

/// Starts a sign-in for the account page.
pub async fn start(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    info: &RequestInfo,
) -> Result<Response, Error> {
    let sign_in = SignIn::start(
        state.rng.as_ref(),
        Purpose::Account,
        RESUME,
        Assurance::default(),
        state.now(),
    );
    drive(state, tenant, headers, info, sign_in).await
}

/// Query of `/account/continue`.
#[derive(Debug, Deserialize)]
pub struct ResumeQuery {
    request: Option<String>,
}

/// `GET /account/continue?request=…`: drives the sign-in on after a page.
pub async fn account_continue(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    Query(query): Query<ResumeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    match flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await? {
        Some(sign_in) => drive(&state, &tenant, &headers, &info, sign_in).await,
        None => Ok(see_other(&tenant.path("/account"), &[])),
    }
}

async fn drive(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    info: &RequestInfo,
    sign_in: SignIn,
) -> Result<Response, Error> {
    match authn::drive(state, tenant, headers, info.ip, sign_in).await? {
        Outcome::Detour { location, cookie } => Ok(see_other(&location, cookie.as_slice())),
        Outcome::Finished(_) | Outcome::Gone => Ok(see_other(&tenant.path("/account"), &[])),
        Outcome::Failed(_) => Err(Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired)),
        Outcome::Busy => Err(Error::Refused(StatusCode::TOO_MANY_REQUESTS, Notice::TooManySignIns)),
    }
}
