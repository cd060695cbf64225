//! The new-password page of a sign-in whose password was found in a data breach: the customer
//! chooses another (policy- and breach-checked) before the sign-in finishes. Choosing one
//! clears the flag and ends the account's other sessions, as any password change does.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;

use super::flow;
use super::form::Submission;
use super::page::{Page, render};
use super::register::policy_messages;
use super::session;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::password::check_new_password;
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "new_password.html")]
struct NewPasswordPage<'a> {
    page: &'a Page,
    password_hint: String,
    password_errors: Vec<String>,
}

/// Query of the new-password page.
#[derive(Debug, Deserialize)]
pub struct NewPasswordQuery {
    request: Option<String>,
}

fn show(tenant: &Tenant, page: Page, errors: Vec<String>, status: StatusCode) -> Response {
    let page = page.clone().titled(page.t.new_password_title);
    let password_hint = page.t.password_hint(tenant.config.password_policy.min_length);
    let template = NewPasswordPage {
        page: &page,
        password_hint,
        password_errors: errors,
    };
    render(&template, &page, status, &[])
}

/// `GET /password/new`.
pub async fn new_password_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NewPasswordQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    Ok(show(&tenant, page, Vec::new(), StatusCode::OK))
}

/// `POST /password/new`.
pub async fn new_password_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let password = SecretString::new(submission.field("password"));
    let Submission {
        tenant, sign_in, page, ..
    } = submission;
    // Only the session that just proved the breached password may replace it here.
    let Some(signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let user = &signed_in.user;
    if user.password_breached_at.is_none() {
        return Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()));
    }
    let violations = check_new_password(&state, &tenant, password.expose(), &user.email).await;
    if !violations.is_empty() {
        let errors = policy_messages(page.t, &violations);
        return Ok(show(&tenant, page, errors, StatusCode::BAD_REQUEST));
    }
    let hash = state.hasher.hash(&password).await?;
    state.store.set_password(&user.id, &hash, state.now()).await?;
    // Whoever else knew the breached password may hold sessions or refresh tokens: they end.
    state
        .store
        .delete_other_sessions(&user.id, Some(&signed_in.session.id))
        .await?;
    state
        .store
        .revoke_other_grants(&user.id, &signed_in.session.id, state.now())
        .await?;
    crate::audit::record(&state, AuditEvent::PasswordChanged, Some(&user.id), None, &info).await;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}
