//! Email verification: the single-use, expiring link from the registration email.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::form::Submission;
use super::page::{Page, message};
use super::register::send_verification;
use crate::app::AppState;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, EmailPurpose};

/// Query of the verification link.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    token: Option<String>,
    request: Option<String>,
}

/// `GET /verify?token=…`: confirms the address once.
pub async fn verify_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    Query(query): Query<VerifyQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    let t = page.t;
    let token_hash = crate::random::hash(query.token.as_deref().unwrap_or_default());
    let now = state.now();
    let Some(user_id) = state
        .store
        .consume_email_token(&token_hash, EmailPurpose::Verify, now)
        .await?
    else {
        return Ok(message(
            page,
            t.link_invalid_title,
            t.link_invalid_body,
            None,
            StatusCode::BAD_REQUEST,
        ));
    };
    state.store.mark_email_verified(&user_id, now).await?;
    crate::audit::record(&state, AuditEvent::EmailVerified, Some(&user_id), None, &info).await;
    let link = page.link("/login");
    Ok(message(
        page,
        t.verified_title,
        t.verified_body,
        Some((link, t.continue_sign_in)),
        StatusCode::OK,
    ))
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
    if let Some(limited) = submission.email_limited(&state, &info).await {
        return Ok(limited);
    }
    let email = submission.field("email").trim().to_lowercase();
    let Submission {
        tenant, request, page, ..
    } = submission;
    if let Some(user) = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|user| !user.email_verified)
    {
        send_verification(&state, &tenant, page.t, &user.id, &user.email, request.as_deref()).await?;
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
