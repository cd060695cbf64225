//! Error responses get their body in one place: as an OAuth error (JSON) on the protocol's
//! programmatic endpoints, as a problem document (RFC 9457) for programs that asked for JSON,
//! and as a page in the customer's language otherwise. A handler's [`crate::error::Error`]
//! leaves a [`Notice`] on its response; the middleware here writes the body.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::page::{self, Page};
use crate::app::AppState;
use crate::error::{OAuthCode, OAuthError};
use crate::i18n::Messages;

/// What to tell whoever made a failed request; left on a response whose body is still to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// No such page.
    NotFound,
    /// Too many attempts from this network.
    TooManyAttempts,
    /// A form was forged or expired.
    FormExpired,
    /// A sign-in lapsed, was finished, or belongs to another browser.
    SignInExpired,
    /// The network has too many sign-ins in progress.
    TooManySignIns,
    /// Something failed on our side; the details are in the log, under the request id.
    ServerError,
}

impl Notice {
    /// The sentence for a customer.
    fn text(self, t: &Messages, reference: &str) -> String {
        match self {
            Self::NotFound => t.not_found.to_owned(),
            Self::TooManyAttempts => t.too_many_attempts.to_owned(),
            Self::FormExpired => t.form_expired.to_owned(),
            Self::SignInExpired => t.sign_in_expired.to_owned(),
            Self::TooManySignIns => t.too_many_sign_ins.to_owned(),
            Self::ServerError => t.server_error(reference),
        }
    }

    /// The OAuth error code that says the same to a client.
    fn oauth(self) -> OAuthCode {
        match self {
            Self::ServerError => OAuthCode::ServerError,
            Self::TooManyAttempts | Self::TooManySignIns => OAuthCode::TemporarilyUnavailable,
            Self::NotFound | Self::FormExpired | Self::SignInExpired => OAuthCode::InvalidRequest,
        }
    }
}

/// A response with `status` whose body the middleware writes.
pub fn unrendered(status: StatusCode, notice: Notice) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(notice);
    response
}

/// Middleware of the protocol's JSON endpoints: their errors are OAuth errors (RFC 6749 5.2).
pub async fn as_oauth(request: Request, next: Next) -> Response {
    let reference = request_id(request.headers());
    let response = next.run(request).await;
    let Some(notice) = response.extensions().get::<Notice>().copied() else {
        return response;
    };
    let description = match notice {
        Notice::ServerError => format!("the request failed on our side; reference {reference}"),
        _ => "the request cannot be served now".to_owned(),
    };
    keep_headers(response, OAuthError::new(notice.oauth(), description).into_response())
}

/// Middleware of every route: writes the page or problem document of an error response.
pub async fn render(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(notice) = response.extensions().get::<Notice>().copied() else {
        return response;
    };
    let reference = request_id(&headers);
    let tenant = state.tenant.get();
    let t = Page::language(&tenant, &headers, &[]);
    let status = response.status();
    let rendered = if wants_json(&headers) {
        problem(status, &notice.text(t, &reference), &reference)
    } else {
        page::error(&tenant, &headers, status, &notice.text(t, &reference))
    };
    keep_headers(response, rendered)
}

/// A problem document (RFC 9457).
fn problem(status: StatusCode, detail: &str, reference: &str) -> Response {
    #[derive(Serialize)]
    struct Problem<'a> {
        title: &'a str,
        status: u16,
        detail: &'a str,
        instance: String,
    }
    let body = Problem {
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        instance: format!("urn:vestibule:request:{reference}"),
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Whether the client prefers JSON to a page: it accepts JSON and not HTML.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    accept.contains("json") && !accept.contains("text/html")
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// `rendered`, keeping what the handler set besides the body (`Retry-After`, cookies).
fn keep_headers(original: Response, mut rendered: Response) -> Response {
    for name in [header::RETRY_AFTER, header::SET_COOKIE, header::WWW_AUTHENTICATE] {
        for value in original.headers().get_all(&name) {
            rendered.headers_mut().append(name.clone(), value.clone());
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_chosen_only_when_html_is_not_accepted() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            wants_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/problem+json"));
        assert!(!with("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!wants_json(&HeaderMap::new()));
    }

    #[test]
    fn every_notice_has_an_oauth_code() {
        assert_eq!(Notice::ServerError.oauth(), OAuthCode::ServerError);
        assert_eq!(Notice::TooManySignIns.oauth(), OAuthCode::TemporarilyUnavailable);
    }
}
