//! A submitted hosted-page form: its fields, the sign-in it belongs to, the page to answer
//! with, and whether it passed the CSRF check.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::page::{Page, message, retry_after};
use super::{csrf, flow};
use crate::app::AppState;
use crate::authn::SignIn;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::risk::{Action, Decision};

/// A form as the browser sent it.
pub struct Submission {
    /// The tenant at the time of the request.
    pub tenant: Arc<Tenant>,
    /// The fields.
    pub form: Params,
    /// The sign-in the form belongs to, if this browser started it and it is in progress.
    pub sign_in: Option<SignIn>,
    /// The page to answer with, in the request's language.
    pub page: Page,
    genuine: bool,
}

impl Submission {
    /// Reads the form and prepares the answer page.
    pub async fn read(state: &AppState, headers: &HeaderMap, body: &str) -> Result<Self, Error> {
        let tenant = state.tenant.get();
        // A malformed body is treated as empty: the CSRF check then refuses it.
        let form = Params::parse(body).unwrap_or_default();
        let sign_in = flow::sign_in(state, &tenant, headers, form.get("request")).await?;
        let request = sign_in.as_ref().map(|sign_in| sign_in.id.clone());
        let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
        let page = Page::new(&tenant, headers, &locales, request);
        let genuine = csrf::verify(&tenant, headers, form.get("csrf"));
        Ok(Self {
            tenant,
            form,
            sign_in,
            page,
            genuine,
        })
    }

    /// A field's value, or empty.
    pub fn field(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or_default()
    }

    /// Whether the form failed the CSRF check (another site's form, or an expired page).
    pub fn forged(&self) -> bool {
        !self.genuine
    }

    /// The answer to a forged or expired form: ask the customer to try again.
    pub fn refuse(self) -> Response {
        let t = self.page.t;
        message(self.page, t.error_title, t.form_expired, None, StatusCode::FORBIDDEN)
    }

    /// Counts an email-sending attempt from `info`; the answer to send when over the limit.
    pub async fn email_limited(&self, state: &AppState, info: &RequestInfo) -> Result<Option<Response>, Error> {
        let limit = self.tenant.config.attack_protection.rate_limits.emails_per_minute;
        let Decision::Limited { retry_after: seconds } =
            state.limiter.check(Action::Email, info.ip, limit, state.now()).await?
        else {
            return Ok(None);
        };
        let t = self.page.t;
        let status = StatusCode::TOO_MANY_REQUESTS;
        let refused = message(self.page.clone(), t.error_title, t.too_many_attempts, None, status);
        Ok(Some(retry_after(refused, seconds)))
    }
}
