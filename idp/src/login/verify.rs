//! Email verification: the single-use, expiring link from the registration email. Opening the
//! link only shows a button; the address is confirmed by the button's form, so a mail scanner
//! that fetches every link uses up nothing.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::form::Submission;
use super::page::{Page, message, render};
use super::register::send_verification;
use crate::app::AppState;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, EmailPurpose};

#[derive(Template)]
#[template(path = "verify.html")]
struct ConfirmPage<'a> {
    page: &'a Page,
    token: &'a str,
}

/// Query of the verification link.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    token: Option<String>,
    request: Option<String>,
}

/// `GET /verify?token=…`: the button that confirms the address, if the link is still good.
pub async fn verify_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<VerifyQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    let token = query.token.unwrap_or_default();
    let usable = state
        .store
        .email_token_user(&crate::random::hash(&token), EmailPurpose::Verify, state.now())
        .await?;
    if usable.is_none() {
        return Ok(invalid(page));
    }
    let page = page.clone().titled(page.t.verify_subject);
    Ok(render(
        &ConfirmPage {
            page: &page,
            token: &token,
        },
        &page,
        StatusCode::OK,
        &[],
    ))
}

/// `POST /verify`: confirms the address once.
pub async fn verify_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let token_hash = crate::random::hash(submission.field("token"));
    let page = submission.page;
    let now = state.now();
    let Some(user_id) = state
        .store
        .consume_email_token(&token_hash, EmailPurpose::Verify, now)
        .await?
    else {
        return Ok(invalid(page));
    };
    state.store.mark_email_verified(&user_id, now).await?;
    crate::audit::record(&state, AuditEvent::EmailVerified, Some(&user_id), None, &info).await;
    let t = page.t;
    let link = page.link("/login");
    Ok(message(
        page,
        t.verified_title,
        t.verified_body,
        Some((link, t.continue_sign_in)),
        StatusCode::OK,
    ))
}

fn invalid(page: Page) -> Response {
    let t = page.t;
    message(
        page,
        t.link_invalid_title,
        t.link_invalid_body,
        None,
        StatusCode::BAD_REQUEST,
    )
}

/// `POST /verify/resend`: the same answer whether or not there is such an unverified account.
pub async fn resend_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    if let Some(limited) = submission.email_limited(&state, &info).await? {
        return Ok(limited);
    }
    let email = submission.field("email").trim().to_lowercase();
    let Submission {
        tenant, sign_in, page, ..
    } = submission;
    if let Some(user) = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|user| !user.email_verified)
    {
        send_verification(&state, &tenant, page.t, &user.id, &user.email, sign_in.as_ref()).await?;
    }
    let t = page.t;
    Ok(message(
        page,
        t.check_email_title,
        t.check_email_body,
        None,
        StatusCode::OK,
    ))
}
