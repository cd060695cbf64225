//! Where a hosted page sends the customer next: on into the sign-in the page belongs to, or to
//! the account page when they came on their own.

use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

use crate::app::AppState;
use crate::authn::{Amr, SignIn, transaction};
use crate::config::Tenant;
use crate::error::Error;
pub use crate::http::redirect::{see_other, url_encode};
use crate::store::Session;

/// The sign-in `id`, if this browser started it and it has not lapsed.
pub async fn sign_in(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<Option<SignIn>, Error> {
    transaction::find(state, tenant, headers, id).await
}

/// Records in `sign_in` (if the page belongs to one) that the customer authenticated, starting
/// `session`.
pub async fn authenticated(state: &AppState, sign_in: Option<&mut SignIn>, session: &Session) -> Result<(), Error> {
    let Some(sign_in) = sign_in else { return Ok(()) };
    sign_in.authenticated(session, Amr::parse(&session.amr));
    transaction::save(state, sign_in).await?;
    Ok(())
}

/// The languages of the sign-in `id`, for pages shown on its way.
pub async fn ui_locales(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<Vec<String>, Error> {
    Ok(sign_in(state, tenant, headers, id)
        .await?
        .map(|sign_in| sign_in.ui_locales().to_vec())
        .unwrap_or_default())
}

/// After signing in (or consenting, or completing the profile): drive the sign-in on if there
/// is one, else show the account page.
pub fn next(tenant: &Tenant, sign_in: Option<&SignIn>, cookies: &[HeaderValue]) -> Response {
    let location = match sign_in {
        Some(sign_in) => sign_in.resume_location(tenant),
        None => tenant.path("/account"),
    };
    see_other(&location, cookies)
}
