//! Signing in with a passkey alone (`POST /login/passkey`), when a policy allows it: the
//! assertion names its account, and the session starts with the passkey's methods (`hwk` or
//! `swk`, and `user` when the authenticator verified the user).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::flow;
use super::form::Submission;
use super::session;
use super::signin::{Form, show};
use crate::app::AppState;
use crate::authn::Amr;
use crate::error::Error;
use crate::metrics::LoginOutcome;
use crate::mfa::passkey;
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::store::AuditEvent;

/// `POST /login/passkey`.
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
    // A tenant that turned passwordless sign-in off accepts no passkey alone, even a started one.
    if !passkey::passwordless(&tenant, sign_in.as_ref()) {
        return show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form::failed("", t.passkey_refused).to(info.ip),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        state.metrics.observe_login(LoginOutcome::RateLimited);
        let status = StatusCode::TOO_MANY_REQUESTS;
        return show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form::failed("", t.too_many_attempts).to(info.ip),
            status,
        )
        .await;
    }
    let binding = passkey::browser_binding(page.request.as_deref(), &page.csrf);
    let proven = match passkey::finish_assertion(&state, &tenant, None, &binding, &handle, &credential).await? {
        Ok(proven) => proven,
        Err(refusal) => {
            super::passkeys::audit_refusal(&state, &info, None, &refusal).await;
            state.metrics.observe_login(LoginOutcome::Failure);
            let status = StatusCode::UNAUTHORIZED;
            return show(
                &state,
                &tenant,
                sign_in.as_ref(),
                page,
                Form::failed("", t.passkey_refused).to(info.ip),
                status,
            )
            .await;
        }
    };
    let Some(user) = state.store.user_by_id(&proven.user_id).await? else {
        return show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form::failed("", t.passkey_refused).to(info.ip),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    // A locked account stays locked, whatever the factor; an unproven address is not signed in.
    let outcome = if user.is_locked(state.now()) {
        LoginOutcome::Locked
    } else {
        super::signin::judge(&tenant, Some(&user), crate::risk::lockout::Verdict::Accepted)
    };
    state.metrics.observe_login(outcome);
    if outcome != LoginOutcome::Success {
        let (message, status) = match outcome {
            LoginOutcome::Unverified => (t.email_not_verified, StatusCode::FORBIDDEN),
            _ => (t.too_many_failures, StatusCode::TOO_MANY_REQUESTS),
        };
        return show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form::failed(&user.email, message).to(info.ip),
            status,
        )
        .await;
    }
    state.store.count_login(&user.id, state.now()).await?;
    let detail = Some("passkey".to_owned());
    crate::audit::record_detail(&state, AuditEvent::LoginSucceeded, Some(&user.id), None, &info, detail).await;
    let mut amr = Amr::default();
    for method in &proven.methods {
        amr.insert(*method);
    }
    let (session, cookie) = session::start(&state, &tenant, &user, &amr, &info).await?;
    flow::authenticated(&state, sign_in.as_mut(), &session).await?;
    let mut cookies = vec![cookie];
    cookies.extend(page.csrf_cookie.clone());
    Ok(flow::next(&tenant, sign_in.as_ref(), &cookies))
}
