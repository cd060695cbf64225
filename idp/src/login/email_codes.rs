//! Codes by email on the account page: turning them on (for a verified address, when a policy
//! allows them) once a first code sent to the address comes back, and turning them off. Both
//! need a recent authentication, like every factor change.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::factor_change::refused_unless_reauthenticated;
use super::flow;
use super::page::{Page, render};
use super::session;
use crate::app::AppState;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::authn::Method;
use crate::email::Kind;
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::mfa::attempts::CodeVerdict;
use crate::mfa::email_code::{self, Sent};
use crate::mfa::{self, Factor};
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "email_otp_setup.html")]
struct ConfirmPage<'a> {
    page: &'a Page,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

fn confirm_page(page: Page, error: Option<&str>, notice: Option<&str>, status: StatusCode) -> Response {
    let page = page.clone().titled(page.t.email_codes_title);
    render(
        &ConfirmPage {
            page: &page,
            error,
            notice,
        },
        &page,
        status,
        &[],
    )
}

/// `POST /account/email-codes/enable`: sends a first code to the address; it counts once the
/// code comes back (`/account/email-codes/confirm`), so the address is known to work now.
pub async fn enable_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    if let Some(refused) =
        refused_unless_reauthenticated(&state, &tenant, (&info, &headers, &form), &signed_in, &page).await?
    {
        return Ok(refused);
    }
    // Codes go only to an address the customer proved to receive mail at.
    if !email_code::enrolment_offered(&tenant, &signed_in.user) {
        return Ok(flow::see_other(&tenant.path("/account"), &[]));
    }
    let t = page.t;
    Ok(match email_code::send(&state, &tenant, &info, &signed_in).await? {
        Sent::Sent => confirm_page(page, None, Some(t.email_code_sent), StatusCode::OK),
        Sent::TooMany => confirm_page(page, Some(t.too_many_codes), None, StatusCode::TOO_MANY_REQUESTS),
    })
}

/// `POST /account/email-codes/confirm`: the first code; right, it turns email codes on.
pub async fn confirm_post(
    State(state): State<AppState>,
    Customer(mut signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let t = page.t;
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        return Ok(confirm_page(
            page,
            Some(t.too_many_attempts),
            None,
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let typed = form.get("email_code").unwrap_or_default();
    match email_code::check(&state, &tenant, &info, &signed_in, typed).await? {
        CodeVerdict::Accepted => {}
        CodeVerdict::Refused => {
            return Ok(confirm_page(
                page,
                Some(t.wrong_email_code),
                None,
                StatusCode::BAD_REQUEST,
            ));
        }
        CodeVerdict::Blocked => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return Ok(confirm_page(page, Some(t.too_many_failures), None, status));
        }
    }
    let user = &signed_in.user;
    if state.store.enable_email_otp(&user.id, state.now()).await? {
        crate::audit::record(&state, AuditEvent::EmailOtpEnabled, Some(&user.id), None, &info).await;
        // Told at the address like every factor change, so a change by whoever took the
        // session is noticed.
        mfa::notify(&state, &tenant, user, Kind::EmailOtpEnabled)?;
    }
    // The code just proved the factor: this session has it, so it is not asked again here.
    session::add_method(&state, &mut signed_in, Method::Otp).await?;
    Ok(super::account::saved(&tenant, "email-otp-enabled"))
}

/// `POST /account/email-codes/disable`.
pub async fn disable_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    if let Some(refused) =
        refused_unless_reauthenticated(&state, &tenant, (&info, &headers, &form), &signed_in, &page).await?
    {
        return Ok(refused);
    }
    let user = &signed_in.user;
    // Under a `required` policy the account keeps a factor other than recovery codes.
    let on = state.store.email_otp_enabled(&user.id).await?;
    if on && !mfa::removal_allowed(&state, &tenant, &user.id, Factor::EmailOtp).await? {
        let t = page.t;
        let status = StatusCode::CONFLICT;
        return super::account::refused(
            &state,
            &tenant,
            (page, info.ip),
            &signed_in,
            t.factor_removal_refused,
            status,
        )
        .await;
    }
    if state.store.disable_email_otp(&user.id).await? {
        crate::audit::record(&state, AuditEvent::EmailOtpDisabled, Some(&user.id), None, &info).await;
        // A device trusted on the strength of the factor is trusted no more.
        super::devices::revoke_all(&state, &user.id, &info, "factor removed").await?;
        // Told at the address, so a removal by whoever took the session is noticed.
        mfa::notify(&state, &tenant, &signed_in.user, Kind::EmailOtpDisabled)?;
    }
    Ok(super::account::saved(&tenant, "email-otp-disabled"))
}
