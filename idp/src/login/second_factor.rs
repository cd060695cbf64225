//! The second-factor page: the six-digit code of the customer's authenticator app, after the
//! password. Wrong and replayed codes get one answer and count toward the lockout.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::form::Submission;
use super::page::{Page, render};
use super::session;
use crate::app::AppState;
use crate::error::Error;
use crate::mfa::attempts::{self, CodeVerdict};
use crate::request_info::RequestInfo;
use crate::risk::Action;

#[derive(Template)]
#[template(path = "mfa.html")]
struct CodePage<'a> {
    page: &'a Page,
    offer: Offer,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

/// The factors the page offers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offer {
    /// The authenticator app's code.
    pub totp: bool,
    /// A recovery code.
    pub recovery: bool,
    /// A code by email.
    pub email: bool,
}

/// Query of the second-factor page.
#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    request: Option<String>,
}

/// The page offering `offer`, with an `error` or a `notice`.
pub(super) fn show(
    page: Page,
    offer: Offer,
    error: Option<&str>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let page = page.clone().titled(page.t.mfa_title);
    let template = CodePage {
        page: &page,
        offer,
        error,
        notice,
    };
    render(&template, &page, status, &[])
}

/// `GET /mfa`.
pub async fn mfa_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    let offer = match session::current(&state, &tenant, &headers).await? {
        Some(signed_in) => super::second_factor_codes::offer(&state, &signed_in).await?,
        None => Offer::default(),
    };
    Ok(show(page, offer, None, None, StatusCode::OK))
}

/// `POST /mfa`.
pub async fn mfa_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let code = submission.field("code").to_owned();
    let Submission {
        tenant,
        mut sign_in,
        page,
        ..
    } = submission;
    let t = page.t;
    // Only a session that passed the first factor in this browser may try a code.
    let Some(mut signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let offer = super::second_factor_codes::offer(&state, &signed_in).await?;
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    // Codes are rate-limited like passwords: six digits fall to guessing far sooner.
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(show(page, offer, Some(t.too_many_attempts), None, status));
    }
    match attempts::check_code(&state, &tenant, &info, &signed_in.user, &code).await? {
        CodeVerdict::Accepted => {}
        CodeVerdict::Refused => return Ok(show(page, offer, Some(t.wrong_code), None, StatusCode::UNAUTHORIZED)),
        CodeVerdict::Blocked => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return Ok(show(page, offer, Some(t.too_many_failures), None, status));
        }
    }
    session::add_otp(&state, &mut signed_in).await?;
    flow::authenticated(&state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}
