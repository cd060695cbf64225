//! The sign-in page: email and password, with lockout, rate limits and constant-time answers.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;

use super::flow;
use super::form::Submission;
use super::page::{Page, render};
use super::session;
use crate::app::AppState;
use crate::authn::{Amr, Method};
use crate::error::Error;
use crate::metrics::LoginOutcome;
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::store::{AuditEvent, User};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    page: &'a Page,
    email: &'a str,
    error: Option<&'a str>,
    resend: bool,
    registration: bool,
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    request: Option<String>,
}

/// `GET /login`.
pub async fn login_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let email = sign_in
        .as_ref()
        .and_then(|s| s.login_hint())
        .unwrap_or_default()
        .to_owned();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    Ok(show(&tenant, page, &email, None, false, StatusCode::OK))
}

fn show(
    tenant: &crate::config::Tenant,
    page: Page,
    email: &str,
    error: Option<&str>,
    resend: bool,
    status: StatusCode,
) -> Response {
    let page = page.clone().titled(page.t.sign_in);
    let registration = tenant.config.registration.enabled;
    render(
        &LoginPage {
            page: &page,
            email,
            error,
            resend,
            registration,
        },
        &page,
        status,
        &[],
    )
}

/// `POST /login`.
pub async fn login_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    let email = submission.field("email").trim().to_lowercase();
    let forged = submission.forged();
    let Submission {
        tenant,
        form,
        mut sign_in,
        page,
        ..
    } = submission;
    let t = page.t;
    if forged {
        return Ok(show(
            &tenant,
            page,
            &email,
            Some(t.form_expired),
            false,
            StatusCode::FORBIDDEN,
        ));
    }
    let now = state.now();
    let limits = &tenant.config.attack_protection;
    if !state
        .limiter
        .allow(Action::Login, info.ip, limits.rate_limits.logins_per_minute, now)
        .await
    {
        state.metrics.observe_login(LoginOutcome::RateLimited);
        return Ok(show(
            &tenant,
            page,
            &email,
            Some(t.too_many_attempts),
            false,
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let password = SecretString::new(form.get("password").unwrap_or_default());
    let user = state.store.user_by_email(&email).await?;
    let verified = state
        .hasher
        .verify(&password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let outcome = judge(&state, &tenant, user.as_ref(), verified, &info).await?;
    state.metrics.observe_login(outcome);
    let Some(user) = user.filter(|_| outcome == LoginOutcome::Success) else {
        let (message, resend, status) = match outcome {
            LoginOutcome::Locked => (t.account_locked, false, StatusCode::FORBIDDEN),
            LoginOutcome::Unverified => (t.email_not_verified, true, StatusCode::FORBIDDEN),
            _ => (t.invalid_credentials, false, StatusCode::UNAUTHORIZED),
        };
        return Ok(show(&tenant, page, &email, Some(message), resend, status));
    };
    state.store.record_login_success(&user.id).await?;
    crate::audit::record(&state, AuditEvent::LoginSucceeded, Some(&user.id), None, &info).await;
    let (session, cookie) = session::start(&state, &tenant, &user, &Amr::of(Method::Pwd), &info).await?;
    flow::authenticated(&state, sign_in.as_mut(), &session).await?;
    let mut cookies = vec![cookie];
    cookies.extend(page.csrf_cookie.clone());
    Ok(flow::next(&tenant, sign_in.as_ref(), &cookies))
}

/// Decides a sign-in attempt and records failures (lockout, audit).
async fn judge(
    state: &AppState,
    tenant: &crate::config::Tenant,
    user: Option<&User>,
    verified: bool,
    info: &RequestInfo,
) -> Result<LoginOutcome, Error> {
    let now = state.now();
    let Some(user) = user else {
        crate::audit::record_detail(
            state,
            AuditEvent::LoginFailed,
            None,
            None,
            info,
            Some("unknown account".into()),
        )
        .await;
        return Ok(LoginOutcome::Failure);
    };
    let lockout = &tenant.config.attack_protection.lockout;
    if lockout.enabled && user.is_locked(now) {
        crate::audit::record_detail(
            state,
            AuditEvent::LoginFailed,
            Some(&user.id),
            None,
            info,
            Some("account locked".into()),
        )
        .await;
        return Ok(LoginOutcome::Locked);
    }
    if !verified {
        crate::audit::record_detail(
            state,
            AuditEvent::LoginFailed,
            Some(&user.id),
            None,
            info,
            Some("wrong password".into()),
        )
        .await;
        if lockout.enabled {
            let until = now + i64::try_from(lockout.duration.as_secs()).unwrap_or(i64::MAX / 2);
            if state
                .store
                .record_login_failure(&user.id, i64::from(lockout.max_failures), until)
                .await?
            {
                crate::audit::record(state, AuditEvent::AccountLocked, Some(&user.id), None, info).await;
            }
        }
        return Ok(LoginOutcome::Failure);
    }
    if tenant.config.registration.require_email_verification && !user.email_verified {
        return Ok(LoginOutcome::Unverified);
    }
    Ok(LoginOutcome::Success)
}
