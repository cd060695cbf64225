//! The second-factor page: one section per factor offered at this sign-in
//! ([`mfa::offered_at_sign_in`]); here the six-digit code of the customer's authenticator app and
//! their passkeys. Wrong and replayed codes get one answer and count toward the lockout; refused
//! passkey answers are audited with why.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::form::Submission;
use super::page::{Page, render};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::authn::{Method, SignIn};
use crate::config::Tenant;
use crate::error::Error;
use crate::mfa::attempts::{self, CodeVerdict};
use crate::mfa::passkey::{self, Started};
use crate::mfa::{self, Factor};
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "mfa.html")]
struct CodePage<'a> {
    page: &'a Page,
    error: Option<&'a str>,
    offer: &'a Offer,
    /// What just happened (a code was emailed).
    notice: Option<&'a str>,
}

impl CodePage<'_> {
    /// Whether the page has a section for `factor`.
    fn offers(&self, factor: Factor) -> bool {
        self.offer.factors.contains(&factor)
    }

    /// The label of the checkbox that trusts this device, when the policy allows it.
    fn remember_label(&self) -> Option<String> {
        self.offer.remember_days.map(|days| self.page.t.remember_device(days))
    }
}

/// What the second-factor page offers at one sign-in.
#[derive(Debug, Clone, Default)]
pub(super) struct Offer {
    /// One section per factor.
    pub factors: BTreeSet<Factor>,
    /// For how many days a device may be trusted (a checkbox in each section), when the
    /// policy allows trusting devices.
    pub remember_days: Option<u32>,
    /// How long, in seconds, a trusted device skips the second factor.
    remember_seconds: Option<i64>,
    /// The passkey section's ceremony, when passkeys are offered (a fresh one per page).
    pub passkey: Option<Started>,
}

/// Query of the second-factor page.
#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    /// The sign-in.
    pub request: Option<String>,
}

/// The page with its sections for `offer`.
pub(super) fn show(page: Page, offer: &Offer, error: Option<&str>, status: StatusCode) -> Response {
    show_notice(page, offer, error, None, status)
}

/// The page with its sections for `offer` and a `notice` above them.
pub(super) fn show_notice(
    page: Page,
    offer: &Offer,
    error: Option<&str>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let page = page.clone().titled(page.t.mfa_title);
    let template = CodePage {
        page: &page,
        error,
        offer,
        notice,
    };
    render(&template, &page, status, &[])
}

/// What the page offers the customer of `signed_in` at `sign_in`.
pub(super) async fn offered(
    state: &AppState,
    tenant: &Tenant,
    sign_in: Option<&SignIn>,
    signed_in: &SignedIn,
) -> Result<Offer, Error> {
    let Some(policy) = mfa::policy_at_sign_in(tenant, sign_in) else {
        return Ok(Offer::default());
    };
    // Trust is offered only within an application's sign-in: the account page never skips.
    let remember_seconds = policy
        .remember_device
        .filter(|_| sign_in.is_some_and(|s| s.parked().is_some()));
    let mut factors = mfa::offered_at_sign_in(state, &policy, &signed_in.user).await?;
    // The phishing-resistant class is reached only with a passkey: when essential, or asked for
    // and the customer has one.
    if mfa::passkey_only(sign_in, &factors) {
        factors.retain(|factor| *factor == Factor::Webauthn);
    }
    let passkey = if factors.contains(&Factor::Webauthn) {
        let binding = passkey::session_binding(signed_in.session.id.as_str());
        passkey::start_second_factor(state, tenant, &signed_in.user.id, &binding).await?
    } else {
        None
    };
    Ok(Offer {
        factors,
        remember_days: remember_seconds
            .map(|seconds| u32::try_from(seconds.saturating_add(86_399) / 86_400).unwrap_or(u32::MAX)),
        remember_seconds,
        passkey,
    })
}

impl Offer {
    /// How long to trust this device, if the customer ticked `remember` and the policy allows it.
    pub(super) fn trust(&self, ticked: bool) -> Option<i64> {
        self.remember_seconds.filter(|_| ticked)
    }
}

/// After a second factor was proven at this page (by any factor's form): trusts the device for
/// `trust` seconds if set (see [`Offer::trust`]), records the authentication in the sign-in and
/// drives it on.
pub(super) async fn finish(
    state: &AppState,
    tenant: &Tenant,
    mut sign_in: Option<SignIn>,
    signed_in: &SignedIn,
    trust: Option<i64>,
    info: &RequestInfo,
    page: &Page,
) -> Result<Response, Error> {
    let mut cookies: Vec<HeaderValue> = page.csrf_cookie.iter().cloned().collect();
    if let Some(seconds) = trust {
        let user = &signed_in.user.id;
        let agent = info.user_agent.as_deref();
        cookies.push(mfa::device::trust(state, tenant, user, seconds, agent).await?);
        let detail = Some(format!("{seconds} seconds"));
        crate::audit::record_detail(state, AuditEvent::DeviceTrusted, Some(user), None, info, detail).await;
    }
    flow::authenticated(state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(tenant, sign_in.as_ref(), &cookies))
}

/// `GET /mfa`.
pub async fn mfa_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    // Only a session that passed the first factor in this browser is asked for a second.
    let Some(signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let offer = offered(&state, &tenant, sign_in.as_ref(), &signed_in).await?;
    if offer.factors.is_empty() {
        // Nothing to ask here: the sign-in decides what comes next.
        return Ok(flow::next(&tenant, sign_in.as_ref(), &[]));
    }
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    Ok(show(page, &offer, None, StatusCode::OK))
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
    let remember = submission.field("remember") == "on";
    let Submission {
        tenant, sign_in, page, ..
    } = submission;
    let t = page.t;
    // Only a session that passed the first factor in this browser may try a code.
    let Some(mut signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let offer = offered(&state, &tenant, sign_in.as_ref(), &signed_in).await?;
    // An authenticator the policy of this sign-in does not accept proves nothing here.
    if !offer.factors.contains(&Factor::Totp) {
        return Ok(flow::next(&tenant, sign_in.as_ref(), &[]));
    }
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    // Codes are rate-limited like passwords: six digits fall to guessing far sooner.
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        return Ok(show(
            page,
            &offer,
            Some(t.too_many_attempts),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    match attempts::check_code(&state, &tenant, &info, &signed_in.user, &code).await? {
        CodeVerdict::Accepted => {}
        CodeVerdict::Refused => {
            return Ok(show(page, &offer, Some(t.wrong_code), StatusCode::UNAUTHORIZED));
        }
        CodeVerdict::Blocked => {
            return Ok(show(
                page,
                &offer,
                Some(t.too_many_failures),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    }
    session::add_method(&state, &mut signed_in, Method::Otp).await?;
    let trust = offer.trust(remember);
    finish(&state, &tenant, sign_in, &signed_in, trust, &info, &page).await
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
    let remember = submission.field("remember") == "on";
    let Submission {
        tenant, sign_in, page, ..
    } = submission;
    let t = page.t;
    // Only a session that passed the first factor in this browser may answer.
    let Some(mut signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let user = signed_in.user.id.clone();
    let binding = passkey::session_binding(signed_in.session.id.as_str());
    // Judged before a new page (and ceremony) is drawn: drawing one replaces this session's.
    let verdict = passkey::finish_assertion(&state, &tenant, Some(&user), &binding, &handle, &credential).await?;
    let offer = offered(&state, &tenant, sign_in.as_ref(), &signed_in).await?;
    // A passkey the policy of this sign-in does not accept proves nothing here.
    if !offer.factors.contains(&Factor::Webauthn) {
        return Ok(flow::next(&tenant, sign_in.as_ref(), &[]));
    }
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(show(page, &offer, Some(t.too_many_attempts), status));
    }
    let proven = match verdict {
        Ok(proven) => proven,
        Err(refusal) => {
            super::passkeys::audit_refusal(&state, &info, Some(&user), &refusal).await;
            return Ok(show(page, &offer, Some(t.passkey_refused), StatusCode::UNAUTHORIZED));
        }
    };
    for method in proven.methods {
        session::add_method(&state, &mut signed_in, method).await?;
    }
    let trust = offer.trust(remember);
    finish(&state, &tenant, sign_in, &signed_in, trust, &info, &page).await
}
