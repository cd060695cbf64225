//! The recovery-code and email-code forms of the second-factor page: a recovery code spent
//! once, and a code sent by email to this sign-in. Wrong codes count toward the lockout.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::flow;
use super::form::Submission;
use super::second_factor::{Offer, show};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::error::Error;
use crate::mfa::attempts::CodeVerdict;
use crate::mfa::email_code::{self, Sent};
use crate::mfa::recovery_codes;
use crate::request_info::RequestInfo;
use crate::risk::Action;

/// Which factors the second-factor page offers `signed_in`.
pub async fn offer(state: &AppState, signed_in: &SignedIn) -> Result<Offer, Error> {
    let user = &signed_in.user;
    let totp = state.store.has_totp(&user.id).await?;
    let email = user.email_verified && state.store.email_otp_enabled(&user.id).await?;
    let recovery = (totp || email) && state.store.recovery_codes_left(&user.id).await? > 0;
    Ok(Offer { totp, recovery, email })
}

/// What a code form submitted: the form, and the session that passed the first factor.
struct CodeForm {
    submission: Submission,
    signed_in: SignedIn,
    offer: Offer,
}

/// Reads a code form; the answer instead when it is forged, signed out, not offered or over
/// the address's rate limit.
async fn read(
    state: &AppState,
    headers: &HeaderMap,
    info: &RequestInfo,
    body: &str,
    offered: fn(&Offer) -> bool,
) -> Result<Result<CodeForm, Response>, Error> {
    let submission = Submission::read(state, headers, body).await?;
    if submission.forged() {
        return Ok(Err(submission.refuse()));
    }
    let tenant = &submission.tenant;
    // Only a session that passed the first factor in this browser may try a code.
    let Some(signed_in) = session::current(state, tenant, headers).await? else {
        return Ok(Err(flow::see_other(&tenant.path("/login"), &[])));
    };
    let offer = offer(state, &signed_in).await?;
    if !offered(&offer) {
        return Ok(Err(flow::see_other(&submission.page.link("/mfa"), &[])));
    }
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    // Codes are rate-limited like passwords: they fall to guessing far sooner.
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        let t = submission.page.t;
        let page = submission.page;
        return Ok(Err(show(
            page,
            offer,
            Some(t.too_many_attempts),
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )));
    }
    Ok(Ok(CodeForm {
        submission,
        signed_in,
        offer,
    }))
}

/// Ends a verdict: on to the next step of the sign-in, or the page again with the error.
async fn finish(
    state: &AppState,
    form: CodeForm,
    verdict: CodeVerdict,
    wrong: &'static str,
) -> Result<Response, Error> {
    let CodeForm {
        submission,
        mut signed_in,
        offer,
    } = form;
    let Submission {
        tenant,
        mut sign_in,
        page,
        ..
    } = submission;
    let t = page.t;
    match verdict {
        CodeVerdict::Accepted => {}
        CodeVerdict::Refused => return Ok(show(page, offer, Some(wrong), None, StatusCode::UNAUTHORIZED)),
        CodeVerdict::Blocked => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return Ok(show(page, offer, Some(t.too_many_failures), None, status));
        }
    }
    // RFC 8176: a recovery code and an emailed code are one-time passwords.
    session::add_otp(state, &mut signed_in).await?;
    flow::authenticated(state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}

/// `POST /mfa/recovery`: a recovery code instead of the other factor, spent once.
pub async fn recovery_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let form = match read(&state, &headers, &info, &body, |offer| offer.recovery).await? {
        Ok(form) => form,
        Err(answer) => return Ok(answer),
    };
    let typed = form.submission.field("recovery_code").to_owned();
    let tenant = form.submission.tenant.clone();
    let verdict = recovery_codes::redeem(&state, &tenant, &info, &form.signed_in.user, &typed).await?;
    let wrong = form.submission.page.t.wrong_recovery_code;
    finish(&state, form, verdict, wrong).await
}

/// `POST /mfa/email/send`: a new code by email for this sign-in, within the account's limit.
pub async fn email_send_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let form = match read(&state, &headers, &info, &body, |offer| offer.email).await? {
        Ok(form) => form,
        Err(answer) => return Ok(answer),
    };
    // The address's email limit too: one address cycling through accounts is stopped as well.
    if let Some(refused) = form.submission.email_limited(&state, &info).await? {
        return Ok(refused);
    }
    let CodeForm {
        submission,
        signed_in,
        offer,
    } = form;
    let t = submission.page.t;
    let page = submission.page;
    Ok(
        match email_code::send(&state, &submission.tenant, &info, &signed_in).await? {
            Sent::Sent => show(page, offer, None, Some(t.email_code_sent), StatusCode::OK),
            Sent::TooMany => show(page, offer, Some(t.too_many_codes), None, StatusCode::TOO_MANY_REQUESTS),
        },
    )
}

/// `POST /mfa/email`: the code sent to this sign-in.
pub async fn email_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let form = match read(&state, &headers, &info, &body, |offer| offer.email).await? {
        Ok(form) => form,
        Err(answer) => return Ok(answer),
    };
    let typed = form.submission.field("email_code").to_owned();
    let tenant = form.submission.tenant.clone();
    let verdict = email_code::check(&state, &tenant, &info, &form.signed_in, &typed).await?;
    let wrong = form.submission.page.t.wrong_email_code;
    finish(&state, form, verdict, wrong).await
}
