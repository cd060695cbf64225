//! The one HTTP error type, with its status table.
//!
//! OAuth endpoints answer with RFC 6749 5.2 / RFC 6750 3.1 JSON errors; everything else leaves a
//! [`Notice`] that `http::errors` writes as a page, a problem document or an OAuth error.
//! Whatever fails unexpectedly answers 500 with only a reference, the details going to the log.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::errors::{Notice, unrendered};
use crate::store::StoreError;

/// An OAuth 2 error code (RFC 6749 4.1.2.1, 5.2; RFC 6750 3.1; RFC 7009; OIDC Core 3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthCode {
    /// Malformed request.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The code, refresh token or credentials are invalid, expired or revoked.
    InvalidGrant,
    /// The client may not use this grant.
    UnauthorizedClient,
    /// Unknown grant type.
    UnsupportedGrantType,
    /// Scope not allowed.
    InvalidScope,
    /// Bearer token invalid (RFC 6750).
    InvalidToken,
    /// Bearer token lacks a scope (RFC 6750).
    InsufficientScope,
    /// The customer or server refused.
    AccessDenied,
    /// Response type not supported.
    UnsupportedResponseType,
    /// Token type cannot be revoked (RFC 7009).
    UnsupportedTokenType,
    /// `prompt=none` and the customer must sign in.
    LoginRequired,
    /// `prompt=none` and the customer must consent.
    ConsentRequired,
    /// `prompt=none` and the customer must interact.
    InteractionRequired,
    /// The essential authentication requirements cannot be met (OpenID Connect EAP ACR Values
    /// 1.0, 4).
    UnmetAuthenticationRequirements,
    /// `request` parameter not supported.
    RequestNotSupported,
    /// `request_uri` parameter not supported.
    RequestUriNotSupported,
    /// Unexpected failure.
    ServerError,
    /// Too many requests for now.
    TemporarilyUnavailable,
}

impl OAuthCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An OAuth error as a JSON response.
#[derive(Debug, Clone)]
pub struct OAuthError {
    /// The code.
    pub code: OAuthCode,
    /// A human-readable explanation for the client developer.
    pub description: Cow<'static, str>,
    /// The `WWW-Authenticate` challenge, for 401 answers.
    pub challenge: Option<String>,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(code: OAuthCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            challenge: None,
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthCode::InvalidRequest, description)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthCode::InvalidGrant, description)
    }

    /// `invalid_client`; with `basic`, a `WWW-Authenticate: Basic` challenge (RFC 6749 5.2).
    pub fn invalid_client(description: impl Into<Cow<'static, str>>, basic: bool) -> Self {
        let challenge = basic.then(|| r#"Basic realm="token", charset="UTF-8""#.to_owned());
        Self {
            challenge,
            ..Self::new(OAuthCode::InvalidClient, description)
        }
    }

    /// `invalid_token` with its Bearer challenge (RFC 6750 3).
    pub fn invalid_token(description: &'static str) -> Self {
        let challenge = format!(r#"Bearer error="invalid_token", error_description="{description}""#);
        Self {
            challenge: Some(challenge),
            ..Self::new(OAuthCode::InvalidToken, description)
        }
    }

    /// A missing bearer token: a bare challenge, no error code (RFC 6750 3.1).
    pub fn missing_token() -> Self {
        Self {
            challenge: Some("Bearer".to_owned()),
            ..Self::new(OAuthCode::InvalidToken, "no access token was presented")
        }
    }

    /// The HTTP status for this code (RFC 6749 5.2, RFC 6750 3.1).
    pub fn status(&self) -> StatusCode {
        match self.code {
            OAuthCode::InvalidClient if self.challenge.is_some() => StatusCode::UNAUTHORIZED,
            OAuthCode::InvalidClient | OAuthCode::InvalidToken => StatusCode::UNAUTHORIZED,
            OAuthCode::InsufficientScope => StatusCode::FORBIDDEN,
            OAuthCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Serialize)]
struct OAuthBody<'a> {
    error: &'static str,
    error_description: &'a str,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthBody {
            error: self.code.as_str(),
            error_description: &self.description,
        };
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        // RFC 6749 5.1: error responses of the token endpoint are not cacheable either.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(challenge) = self.challenge.and_then(|value| HeaderValue::from_str(&value).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// Every way a handler can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An OAuth protocol error, answered as JSON.
    #[error("{}: {}", .0.code.as_str(), .0.description)]
    OAuth(OAuthError),
    /// Told to the customer on a page (to a program, in a problem document).
    #[error("refused ({0}): {1:?}")]
    Refused(StatusCode, Notice),
    /// No such page.
    #[error("not found")]
    NotFound,
    /// Too many attempts from this address.
    #[error("too many requests")]
    TooManyRequests,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that should not happen.
    #[error("{0}")]
    Internal(String),
}

impl From<OAuthError> for Error {
    fn from(error: OAuthError) -> Self {
        Self::OAuth(error)
    }
}

impl Error {
    /// The status table.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::OAuth(error) => error.status(),
            Self::Refused(status, _) => *status,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::OAuth(error) => error.into_response(),
            Self::Refused(status, notice) => unrendered(status, notice),
            Self::NotFound => unrendered(StatusCode::NOT_FOUND, Notice::NotFound),
            Self::TooManyRequests => {
                let mut response = unrendered(StatusCode::TOO_MANY_REQUESTS, Notice::TooManyAttempts);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                response
            }
            Self::Store(_) | Self::Internal(_) => {
                // 5xx bodies say nothing internal; the details go to the log with the request id.
                tracing::error!(error = %self, "request failed");
                unrendered(StatusCode::INTERNAL_SERVER_ERROR, Notice::ServerError)
            }
        }
    }
}

/// Shorthand for handler results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
