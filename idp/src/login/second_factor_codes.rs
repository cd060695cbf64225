//! The recovery-code and email-code sections of the second-factor page: a recovery code spent
//! once, and a code sent by email to this sign-in. Wrong codes count toward the lockout.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::flow;
use super::form::Submission;
use super::second_factor::{Offer, finish, offered, show, show_notice};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::authn::Method;
use crate::error::Error;
use crate::mfa::Factor;
use crate::mfa::attempts::CodeVerdict;
use crate::mfa::email_code::{self, Sent};
use crate::mfa::recovery_codes;
use crate::request_info::RequestInfo;
use crate::risk::Action;

/// A code form as submitted, by a session that passed the first factor, for a factor offered.
struct CodeForm {
    submission: Submission,
    signed_in: SignedIn,
    offer: Offer,
}

/// Reads a code form for `factor`; the answer instead when it is forged, signed out, not
/// offered at this sign-in or over the address's rate limit.
async fn read(
    state: &AppState,
    headers: &HeaderMap,
    info: &RequestInfo,
    body: &str,
    factor: Factor,
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
    let offer = offered(state, tenant, submission.sign_in.as_ref(), &signed_in).await?;
    // A factor the policy of this sign-in does not offer proves nothing here.
    if !offer.factors.contains(&factor) {
        return Ok(Err(flow::next(tenant, submission.sign_in.as_ref(), &[])));
    }
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    // Codes are rate-limited like passwords: they fall to guessing far sooner.
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        let t = submission.page.t;
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(Err(show(submission.page, &offer, Some(t.too_many_attempts), status)));
    }
    Ok(Ok(CodeForm {
        submission,
        signed_in,
        offer,
    }))
}

/// Ends a verdict: on to the next step of the sign-in, or the page again with the error.
async fn conclude(
    state: &AppState,
    info: &RequestInfo,
    form: CodeForm,
    verdict: CodeVerdict,
    wrong: &'static str,
) -> Result<Response, Error> {
    let remember = form.submission.field("remember") == "on";
    let CodeForm {
        submission,
        mut signed_in,
        offer,
    } = form;
    let Submission {
        tenant, sign_in, page, ..
    } = submission;
    let t = page.t;
    match verdict {
        CodeVerdict::Accepted => {}
        CodeVerdict::Refused => return Ok(show(page, &offer, Some(wrong), StatusCode::UNAUTHORIZED)),
        CodeVerdict::Blocked => {
            return Ok(show(
                page,
                &offer,
                Some(t.too_many_failures),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    }
    // RFC 8176: a recovery code and an emailed code are one-time passwords.
    session::add_method(state, &mut signed_in, Method::Otp).await?;
    let trust = offer.trust(remember);
    finish(state, &tenant, sign_in, &signed_in, trust, info, &page).await
}

/// `POST /mfa/recovery`: a recovery code instead of the other factor, spent once.
pub async fn recovery_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let form = match read(&state, &headers, &info, &body, Factor::RecoveryCodes).await? {
        Ok(form) => form,
        Err(answer) => return Ok(answer),
    };
    let typed = form.submission.field("recovery_code").to_owned();
    let tenant = form.submission.tenant.clone();
    let verdict = recovery_codes::redeem(&state, &tenant, &info, &form.signed_in.user, &typed).await?;
    let wrong = form.submission.page.t.wrong_recovery_code;
    conclude(&state, &info, form, verdict, wrong).await
}

/// `POST /mfa/email/send`: a new code by email for this sign-in, within the account's limit.
pub async fn email_send_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let form = match read(&state, &headers, &info, &body, Factor::EmailOtp).await? {
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
            Sent::Sent => show_notice(page, &offer, None, Some(t.email_code_sent), StatusCode::OK),
            Sent::TooMany => show(page, &offer, Some(t.too_many_codes), StatusCode::TOO_MANY_REQUESTS),
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
    let form = match read(&state, &headers, &info, &body, Factor::EmailOtp).await? {
        Ok(form) => form,
        Err(answer) => return Ok(answer),
    };
    let typed = form.submission.field("email_code").to_owned();
    let tenant = form.submission.tenant.clone();
    let verdict = email_code::check(&state, &tenant, &info, &form.signed_in, &typed).await?;
    let wrong = form.submission.page.t.wrong_email_code;
    conclude(&state, &info, form, verdict, wrong).await
}
