//! CSRF protection for every form: a random token in a `__Host-` cookie that the form must echo
//! (double submit), and a same-origin check on the `Origin` header where browsers send it.

use axum::http::{HeaderMap, HeaderValue, header};
use subtle::ConstantTimeEq;

use super::cookies;
use crate::config::Tenant;

/// The CSRF token for the page being rendered, and a cookie to set when the browser has none.
pub fn token(tenant: &Tenant, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookies::get(headers, &tenant.cookies.csrf).filter(|token| token.len() == 43) {
        Some(token) => (token, None),
        None => {
            let token = crate::random::token();
            let cookie = cookies::set(&tenant.cookies.csrf, &token, None);
            (token, Some(cookie))
        }
    }
}

/// Whether a form submission carries the browser's CSRF token and comes from our origin.
pub fn verify(tenant: &Tenant, headers: &HeaderMap, submitted: Option<&str>) -> bool {
    let same_origin = headers
        .get(header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .is_none_or(|origin| origin == tenant.issuer.origin().ascii_serialization());
    let cookie = cookies::get(headers, &tenant.cookies.csrf);
    match (cookie, submitted) {
        (Some(cookie), Some(submitted)) => same_origin && bool::from(cookie.as_bytes().ct_eq(submitted.as_bytes())),
        _ => false,
    }
}
