//! The second-factor page: the six-digit code of the customer's authenticator app, or one of
//! their passkeys, after the password. Wrong and replayed codes get one answer and count toward
//! the lockout; refused passkey answers are audited with why.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::form::Submission;
use super::page::{Page, render};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::mfa::attempts::{self, CodeVerdict};
use crate::mfa::passkey::{self, Started};
use crate::request_info::RequestInfo;
use crate::risk::Action;

#[derive(Template)]
#[template(path = "mfa.html")]
struct CodePage<'a> {
    page: &'a Page,
    error: Option<&'a str>,
    /// The authenticator-app code form is offered.
    totp: bool,
    /// A passkey ceremony, when the customer has passkeys.
    passkey: Option<Started>,
}

/// Query of the second-factor page.
#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    request: Option<String>,
}

/// The page, offering the factors `signed_in` has (each passkey section a fresh ceremony).
async fn show(
    state: &AppState,
    tenant: &Tenant,
    signed_in: Option<&SignedIn>,
    page: Page,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, Error> {
    let page = page.clone().titled(page.t.mfa_title);
    let (totp, passkey) = match signed_in {
        Some(signed_in) if passkey::available(tenant) => {
            let binding = passkey::session_binding(signed_in.session.id.as_str());
            let user = &signed_in.user.id;
            (
                state.store.has_totp(user).await?,
                passkey::start_second_factor(state, tenant, user, &binding).await?,
            )
        }
        Some(signed_in) => (state.store.has_totp(&signed_in.user.id).await?, None),
        None => (true, None),
    };
    let template = CodePage {
        page: &page,
        error,
        totp,
        passkey,
    };
    Ok(render(&template, &page, status, &[]))
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
    let signed_in = session::current(&state, &tenant, &headers).await?;
    show(&state, &tenant, signed_in.as_ref(), page, None, StatusCode::OK).await
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
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    // Codes are rate-limited like passwords: six digits fall to guessing far sooner.
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return show(
            &state,
            &tenant,
            Some(&signed_in),
            page,
            Some(t.too_many_attempts),
            status,
        )
        .await;
    }
    let (error, status) = match attempts::check_code(&state, &tenant, &info, &signed_in.user, &code).await? {
        CodeVerdict::Accepted => (None, StatusCode::OK),
        CodeVerdict::Refused => (Some(t.wrong_code), StatusCode::UNAUTHORIZED),
        CodeVerdict::Blocked => (Some(t.too_many_failures), StatusCode::TOO_MANY_REQUESTS),
    };
    if error.is_some() {
        return show(&state, &tenant, Some(&signed_in), page, error, status).await;
    }
    session::add_otp(&state, &mut signed_in).await?;
    flow::authenticated(&state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}

/// `POST /mfa/passkey`: the assertion of one of the customer's passkeys.
pub async fn passkey_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let handle = submission.field("ceremony").to_owned();
    let credential = submission.field("credential").to_owned();
    let Submission {
        tenant,
        mut sign_in,
        page,
        ..
    } = submission;
    let t = page.t;
    // Only a session that passed the first factor in this browser may answer.
    let Some(mut signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return show(
            &state,
            &tenant,
            Some(&signed_in),
            page,
            Some(t.too_many_attempts),
            status,
        )
        .await;
    }
    let user = signed_in.user.id.clone();
    let binding = passkey::session_binding(signed_in.session.id.as_str());
    let proven = match passkey::finish_assertion(&state, &tenant, Some(&user), &binding, &handle, &credential).await? {
        Ok(proven) => proven,
        Err(refusal) => {
            super::passkeys::audit_refusal(&state, &info, Some(&user), &refusal).await;
            let status = StatusCode::UNAUTHORIZED;
            return show(&state, &tenant, Some(&signed_in), page, Some(t.passkey_refused), status).await;
        }
    };
    session::add_methods(&state, &mut signed_in, &proven.methods).await?;
    flow::authenticated(&state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}
