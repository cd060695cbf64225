//! Forgotten passwords: a single-use, expiring link by email, and the page that sets a new
//! password and ends every session.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;

use super::flow;
use super::form::Submission;
use super::page::{Page, message, render};
use super::register::policy_messages;
use crate::app::AppState;
use crate::authn::recovery;
use crate::email::Kind;
use crate::error::Error;
use crate::password::check_policy;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, EmailPurpose};

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    page: &'a Page,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    page: &'a Page,
    token: &'a str,
    password_hint: String,
    password_errors: Vec<String>,
}

/// Query of the forgot and reset pages.
#[derive(Debug, Deserialize)]
pub struct RecoveryQuery {
    request: Option<String>,
    token: Option<String>,
}

/// `GET /forgot`.
pub async fn forgot_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<RecoveryQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let locales = flow::ui_locales(&state, &tenant, &headers, query.request.as_deref()).await?;
    let page = Page::new(&tenant, &headers, &locales, query.request.clone());
    let page = page.clone().titled(page.t.forgot_title);
    Ok(render(
        &ForgotPage {
            page: &page,
            email: "",
            error: None,
        },
        &page,
        StatusCode::OK,
        &[],
    ))
}

/// `POST /forgot`: the same answer whether or not the account exists.
pub async fn forgot_post(
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
    let Submission { tenant, form, page, .. } = submission;
    let t = page.t;
    let raw = form.get("email").unwrap_or_default();
    let Ok(address) = super::fields::email(t, raw) else {
        let page = page.clone().titled(t.forgot_title);
        let template = ForgotPage {
            page: &page,
            email: raw,
            error: Some(t.invalid_email),
        };
        return Ok(render(&template, &page, StatusCode::BAD_REQUEST, &[]));
    };
    if let Some(user) = state.store.user_by_email(&address).await? {
        recovery::mail_reset_link(&state, &tenant, t, &user, Kind::Reset).await?;
        crate::audit::record(&state, AuditEvent::PasswordResetRequested, Some(&user.id), None, &info).await;
    }
    Ok(message(
        page,
        t.check_email_title,
        t.forgot_sent_body,
        None,
        StatusCode::OK,
    ))
}

fn reset_form(
    page: &Page,
    tenant: &crate::config::Tenant,
    token: &str,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let page = page.clone().titled(page.t.reset_title);
    let password_hint = page.t.password_hint(tenant.config.password_policy.min_length);
    render(
        &ResetPage {
            page: &page,
            token,
            password_hint,
            password_errors: errors,
        },
        &page,
        status,
        &[],
    )
}

/// `GET /reset?token=…`: the form, if the link is still good (the token is not used yet).
pub async fn reset_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<RecoveryQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let token = query.token.unwrap_or_default();
    let usable = state
        .store
        .email_token_user(&crate::random::hash(&token), EmailPurpose::Reset, state.now())
        .await?;
    if usable.is_none() {
        let t = page.t;
        let link = page.link("/forgot");
        return Ok(message(
            page,
            t.link_invalid_title,
            t.link_invalid_body,
            Some((link, t.forgot_title)),
            StatusCode::BAD_REQUEST,
        ));
    }
    Ok(reset_form(&page, &tenant, &token, Vec::new(), StatusCode::OK))
}

/// `POST /reset`: sets the password, uses up the link, ends every session and grant.
pub async fn reset_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let Submission { tenant, form, page, .. } = submission;
    let t = page.t;
    let token = form.get("token").unwrap_or_default();
    let hash = crate::random::hash(token);
    let now = state.now();
    let Some(user_id) = state.store.email_token_user(&hash, EmailPurpose::Reset, now).await? else {
        return Ok(message(
            page,
            t.link_invalid_title,
            t.link_invalid_body,
            None,
            StatusCode::BAD_REQUEST,
        ));
    };
    let Some(user) = state.store.user_by_id(&user_id).await? else {
        return Ok(message(
            page,
            t.link_invalid_title,
            t.link_invalid_body,
            None,
            StatusCode::BAD_REQUEST,
        ));
    };
    let password = SecretString::new(form.get("password").unwrap_or_default());
    let violations = check_policy(
        &tenant.config.password_policy,
        state.password_screen.as_ref(),
        password.expose(),
        &user.email,
    );
    if !violations.is_empty() {
        return Ok(reset_form(
            &page,
            &tenant,
            token,
            policy_messages(t, &violations),
            StatusCode::BAD_REQUEST,
        ));
    }
    // Consume first: of two concurrent submissions only one may change the password.
    if state
        .store
        .consume_email_token(&hash, EmailPurpose::Reset, now)
        .await?
        .is_none()
    {
        return Ok(message(
            page,
            t.link_invalid_title,
            t.link_invalid_body,
            None,
            StatusCode::BAD_REQUEST,
        ));
    }
    let password_hash = state.hasher.hash(&password).await?;
    state.store.set_password(&user.id, &password_hash, now).await?;
    // Receiving the reset email proves the customer reads mail at the address.
    state.store.mark_email_verified(&user.id, now).await?;
    state.store.delete_other_sessions(&user.id, None).await?;
    state.store.revoke_grants(&user.id, None, now).await?;
    crate::audit::record(&state, AuditEvent::PasswordReset, Some(&user.id), None, &info).await;
    super::devices::revoke_all(&state, &user.id, &info, "password reset").await?;
    let link = page.link("/login");
    Ok(message(
        page,
        t.signed_out_title,
        t.reset_done_body,
        Some((link, t.continue_sign_in)),
        StatusCode::OK,
    ))
}
