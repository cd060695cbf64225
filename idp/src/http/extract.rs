//! Extractors of the hosted pages: typed form bodies, form bodies that passed the CSRF check,
//! and the customer signed in in this browser.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::page::{self, Page};
use super::params::Params;
use super::{csrf, redirect};
use crate::app::AppState;
use crate::authn::session::{self, SignedIn};

/// A form body read into `T`: each field at most once, empty fields absent (the rules of OAuth
/// parameters, [`Params`]), every value a string.
#[derive(Debug, Clone)]
pub struct Form<T>(pub T);

/// Why a form body cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// The body is not text.
    #[error("the form body cannot be read")]
    Body,
    /// A field repeats, or the fields do not fit the form.
    #[error("the form is malformed: {0}")]
    Malformed(String),
}

impl<T: DeserializeOwned> Form<T> {
    /// Reads `T` from form text.
    pub fn parse(text: &str) -> Result<Self, FormError> {
        let params = Params::parse(text).map_err(|error| FormError::Malformed(error.description.into_owned()))?;
        let fields: serde_json::Map<String, serde_json::Value> = params
            .into_iter()
            .map(|(name, value)| (name, serde_json::Value::String(value)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(fields))
            .map(Form)
            .map_err(|error| FormError::Malformed(error.to_string()))
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Form<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let text = String::from_request(request, state)
            .await
            .map_err(|_| refuse(state, &headers, StatusCode::BAD_REQUEST))?;
        Self::parse(&text).map_err(|_| refuse(state, &headers, StatusCode::BAD_REQUEST))
    }
}

/// A form body that passed the CSRF check: it echoes this browser's CSRF cookie and comes from
/// our origin. Anything else (another site's form, an expired page) is refused with 403 before
/// the handler runs, so nothing of it takes effect.
#[derive(Debug, Clone)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let text = String::from_request(request, state)
            .await
            .map_err(|_| refuse(state, &headers, StatusCode::FORBIDDEN))?;
        // A malformed body is refused like a forged one: it cannot carry a valid token.
        let params = Params::parse(&text).unwrap_or_default();
        let tenant = state.tenant.get();
        if !csrf::verify(&tenant, &headers, params.get("csrf")) {
            return Err(refuse(state, &headers, StatusCode::FORBIDDEN));
        }
        Form::parse(&text)
            .map(|Form(value)| Self(value))
            .map_err(|_| refuse(state, &headers, StatusCode::BAD_REQUEST))
    }
}

/// The page refusing a form: ask the customer to reload it and try again.
fn refuse(state: &AppState, headers: &axum::http::HeaderMap, status: StatusCode) -> Response {
    let tenant = state.tenant.get();
    let t = Page::language(&tenant, headers, &[]);
    page::error(&tenant, headers, status, t.form_expired)
}

/// The customer signed in in this browser. Without one, the request is sent to the sign-in
/// page.
#[derive(Debug, Clone)]
pub struct Customer(pub SignedIn);

impl FromRequestParts<AppState> for Customer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let tenant = state.tenant.get();
        match session::current(state, &tenant, &parts.headers).await {
            // A session owing its second factor is not signed in yet: the account page's
            // sign-in asks for the code.
            Ok(Some(signed_in)) => match session::second_factor_due(state, &tenant, &signed_in).await {
                Ok(false) => Ok(Self(signed_in)),
                Ok(true) => Err(redirect::see_other(&tenant.path("/account"), &[])),
                Err(error) => Err(error.into_response()),
            },
            Ok(None) => Err(redirect::see_other(&tenant.path("/login"), &[])),
            Err(error) => Err(error.into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Decision {
        request: String,
        decision: Option<String>,
        note: Option<String>,
    }

    #[test]
    fn forms_are_typed_with_each_field_once() {
        let Form(decision) = Form::<Decision>::parse("request=r1&decision=allow&note=").unwrap();
        assert_eq!(
            decision,
            Decision {
                request: "r1".into(),
                decision: Some("allow".into()),
                note: None,
            }
        );
        assert!(Form::<Decision>::parse("request=a&request=b").is_err(), "repeated");
        assert!(
            Form::<Decision>::parse("decision=allow").is_err(),
            "a required field is missing"
        );
    }
}
