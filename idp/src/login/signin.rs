//! The sign-in page: email and password, with lockout, rate limits, the challenge (proof of work
//! or CAPTCHA) of challenged addresses and one answer for every failure.

use std::net::IpAddr;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;

use super::challenge::{self, Shown};
use super::flow;
use super::form::Submission;
use super::page::{Page, render, retry_after};
use super::session;
use crate::app::AppState;
use crate::authn::{Amr, Method, SignIn};
use crate::error::Error;
use crate::metrics::LoginOutcome;
use crate::mfa::passkey::{self, Started};
use crate::request_info::RequestInfo;
use crate::risk::lockout::{self, Refusal, Verdict};
use crate::risk::{Action, Decision, Subject};
use crate::store::{AuditEvent, User};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    page: &'a Page,
    email: &'a str,
    error: Option<&'a str>,
    resend: bool,
    registration: bool,
    /// A passwordless passkey ceremony, when the tenant allows signing in with a passkey alone.
    passkey: Option<Started>,
    /// The proof of work or CAPTCHA the form must carry, when the client address is challenged.
    challenge: Option<Shown>,
}

/// What the sign-in form shows besides its fields' labels.
pub(super) struct Form<'a> {
    /// The address typed (or hinted).
    pub email: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
    /// Offer to send the verification email again.
    pub resend: bool,
    /// The client address, to challenge it when it is in challenged mode.
    pub address: Option<IpAddr>,
}

impl<'a> Form<'a> {
    /// The form with `email` kept and why it failed.
    pub fn failed(email: &'a str, error: &'a str) -> Self {
        Self {
            email,
            error: Some(error),
            resend: false,
            address: None,
        }
    }

    /// The form shown to `address`, with a challenge when that address is challenged.
    pub fn to(self, address: IpAddr) -> Self {
        Self {
            address: Some(address),
            ..self
        }
    }
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
    info: RequestInfo,
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
    let page = Page::new(&tenant, &headers, &locales, sign_in.as_ref().map(|s| s.id.clone()));
    show(
        &state,
        &tenant,
        sign_in.as_ref(),
        page,
        Form {
            email: &email,
            error: None,
            resend: false,
            address: Some(info.ip),
        },
        StatusCode::OK,
    )
    .await
}

/// Whether the page shown to `address` may start a passkey ceremony: each is a stored row, so an
/// address starts at most `loginsPerMinute` a minute and reloading the page cannot fill the
/// table (past that, the page offers the password form only until the minute ends).
async fn may_start_ceremony(state: &AppState, tenant: &crate::config::Tenant, address: Option<IpAddr>) -> bool {
    let Some(address) = address else { return false };
    let per_minute = tenant.config.attack_protection.rate_limits.logins_per_minute;
    state
        .limiter
        .allow(Action::Ceremony, address, per_minute, state.now())
        .await
}

/// The sign-in page; with a passkey ceremony of its own when passkeys may sign in alone.
pub(super) async fn show(
    state: &AppState,
    tenant: &crate::config::Tenant,
    sign_in: Option<&SignIn>,
    page: Page,
    form: Form<'_>,
    status: StatusCode,
) -> Result<Response, Error> {
    let Form {
        email,
        error,
        resend,
        address,
    } = form;
    let page = page.clone().titled(page.t.sign_in);
    let registration = tenant.config.registration.enabled;
    let passkey = if passkey::passwordless(tenant, sign_in) && may_start_ceremony(state, tenant, address).await {
        let binding = passkey::browser_binding(page.request.as_deref(), &page.csrf);
        Some(passkey::start_passwordless(state, tenant, &binding).await?)
    } else {
        None
    };
    let challenge = match address {
        Some(address) => challenge::for_form(state, tenant, &page, address).await?,
        None => None,
    };
    let template = LoginPage {
        page: &page,
        email,
        error,
        resend,
        registration,
        passkey,
        challenge,
    };
    let response = render(&template, &page, status, &[]);
    Ok(challenge::with_policy(response, template.challenge.as_ref()))
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
        let status = StatusCode::FORBIDDEN;
        return show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form::failed(&email, t.form_expired).to(info.ip),
            status,
        )
        .await;
    }
    if let Some(seconds) = limited(&state, &tenant, &info, &email).await? {
        state.metrics.observe_login(LoginOutcome::RateLimited);
        let status = StatusCode::TOO_MANY_REQUESTS;
        let refused = show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form::failed(&email, t.too_many_attempts).to(info.ip),
            status,
        )
        .await?;
        return Ok(retry_after(refused, seconds));
    }
    let password = SecretString::new(form.get("password").unwrap_or_default());
    let user = state.store.user_by_email(&email).await?;
    // Before any password is hashed: a challenged address pays for its attempts first.
    let gate = challenge::passed(&state, &tenant, (&page, &headers, &info), user.as_ref(), &form).await?;
    if let Some((message, status)) = gate.refusal(t) {
        let refused = Form::failed(&email, message).to(info.ip);
        return show(&state, &tenant, sign_in.as_ref(), page, refused, status).await;
    }
    let verdict = lockout::check_password(&state, &tenant, &info, user.as_ref(), &email, &password).await?;
    let outcome = judge(&tenant, user.as_ref(), verdict);
    state.metrics.observe_login(outcome);
    let policy = &tenant.config.attack_protection.challenge;
    if matches!(outcome, LoginOutcome::Success | LoginOutcome::Unverified) {
        crate::risk::stuffing::record_success(&state, policy).await?;
    } else {
        crate::risk::stuffing::record_failure(&state, policy, &info, &email).await?;
    }
    let Some(user) = user.filter(|_| outcome == LoginOutcome::Success) else {
        let (message, resend, status) = match outcome {
            LoginOutcome::RateLimited => (t.too_many_failures, false, StatusCode::TOO_MANY_REQUESTS),
            LoginOutcome::Unverified => (t.email_not_verified, true, StatusCode::FORBIDDEN),
            // A locked account, an unknown one and a wrong password: one answer, no oracle.
            _ => (t.invalid_credentials, false, StatusCode::UNAUTHORIZED),
        };
        return show(
            &state,
            &tenant,
            sign_in.as_ref(),
            page,
            Form {
                email: &email,
                error: Some(message),
                resend,
                address: Some(info.ip),
            },
            status,
        )
        .await;
    };
    state.store.count_login(&user.id, state.now()).await?;
    crate::audit::record(&state, AuditEvent::LoginSucceeded, Some(&user.id), None, &info).await;
    crate::breached::at_sign_in::check(&state, &tenant, &user, &password, &info).await?;
    let (session, cookie) = session::start(&state, &tenant, &user, &Amr::of(Method::Pwd), &info).await?;
    flow::authenticated(&state, sign_in.as_mut(), &session).await?;
    let mut cookies = vec![cookie];
    cookies.extend(page.csrf_cookie.clone());
    // The device cookie is how adaptive MFA recognises this browser at the next sign-in.
    cookies.extend(crate::mfa::device::cookie_if_absent(&tenant, &headers));
    Ok(flow::next(&tenant, sign_in.as_ref(), &cookies))
}

/// Seconds to wait when an attempt on `email` from this address exceeds a limit: per address,
/// per account (from any address), per tenant. Checked before any password is hashed.
async fn limited(
    state: &AppState,
    tenant: &crate::config::Tenant,
    info: &RequestInfo,
    email: &str,
) -> Result<Option<u64>, Error> {
    let limits = &tenant.config.attack_protection.rate_limits;
    let now = state.now();
    let checks = [
        (Subject::Address(info.ip), limits.logins_per_minute),
        (Subject::account(email), limits.logins_per_account_per_minute),
        (Subject::Tenant, limits.logins_per_tenant_per_minute),
    ];
    for (subject, per_minute) in &checks {
        if let Decision::Limited { retry_after } = state
            .limiter
            .check_subject(Action::Login, subject, *per_minute, now)
            .await?
        {
            return Ok(Some(retry_after));
        }
    }
    Ok(None)
}

/// The outcome of a sign-in attempt, given what the password check decided.
pub(super) fn judge(tenant: &crate::config::Tenant, user: Option<&User>, verdict: Verdict) -> LoginOutcome {
    match verdict {
        Verdict::AddressBlocked => LoginOutcome::RateLimited,
        Verdict::Refused(Refusal::Locked) => LoginOutcome::Locked,
        Verdict::Refused(_) => LoginOutcome::Failure,
        Verdict::Accepted
            if tenant.config.registration.require_email_verification
                && !user.is_some_and(|user| user.email_verified) =>
        {
            LoginOutcome::Unverified
        }
        Verdict::Accepted => LoginOutcome::Success,
    }
}
