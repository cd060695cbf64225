//! Where a hosted page sends the customer next: back into the parked authorization request,
//! or to the account page when they came on their own.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::oidc::request::AuthorizationRequest;

/// The parked authorization request `id`, unless unknown or expired.
pub async fn parked(state: &AppState, id: Option<&str>) -> Result<Option<AuthorizationRequest>, Error> {
    let Some(id) = id else { return Ok(None) };
    let Some(json) = state.store.parked_request(id, state.now()).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&json).ok())
}

/// Records a completed step in the parked request `id`, if it is still parked.
pub async fn mark(
    state: &AppState,
    id: Option<&str>,
    step: impl FnOnce(&mut AuthorizationRequest),
) -> Result<(), Error> {
    let Some(id) = id else { return Ok(()) };
    let Some(mut request) = parked(state, Some(id)).await? else {
        return Ok(());
    };
    step(&mut request);
    let json = serde_json::to_string(&request).map_err(|error| Error::Internal(error.to_string()))?;
    state.store.update_parked_request(id, &json).await?;
    Ok(())
}

/// The parked request's languages, for pages shown on its way.
pub async fn ui_locales(state: &AppState, id: Option<&str>) -> Result<Vec<String>, Error> {
    Ok(parked(state, id)
        .await?
        .map(|request| request.ui_locales)
        .unwrap_or_default())
}

/// After signing in (or consenting, or completing the profile): continue the authorization
/// request if there is one, else show the account page.
pub fn next(tenant: &Tenant, request: Option<&str>, cookies: &[HeaderValue]) -> Response {
    let location = match request {
        Some(id) => format!("{}?request={}", tenant.path("/authorize/continue"), url_encode(id)),
        None => tenant.path("/account"),
    };
    see_other(&location, cookies)
}

/// A 303 redirect (RFC 9700 4.12: never 307 after a form with credentials) setting `cookies`.
pub fn see_other(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie.clone());
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Percent-encodes a query value.
pub fn url_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
