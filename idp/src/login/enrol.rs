//! Pages of the second-factor step besides the code: setting up a first factor inside the
//! sign-in when the policy is `required` and the customer has none (the sign-in finishes only
//! once a first code proves it; a passkey instead when the policy accepts no apps, see
//! `enrol_passkey`), confirming the address first when codes by email are the only
//! factor to be had, and the refusal of a sign-in adaptive MFA found too risky.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::form::Submission;
use super::page::{Page, message, render};
use super::second_factor::CodeQuery;
use super::session::{self, SignedIn};
use super::totp::{self as account_totp, Setup};
use super::{enrol_passkey, flow};
use crate::app::AppState;
use crate::authn::{Method, SignIn};
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
use crate::mfa::attempts::{self, CodeVerdict};
use crate::mfa::{self, Factor};
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::store::AuditEvent;

/// The factor the customer of `signed_in` must set up in this sign-in, if any: they have no
/// factor the policy accepts, and the sign-in demands one (see [`mfa::enrols_at_sign_in`]).
pub(super) async fn enrolment(
    state: &AppState,
    tenant: &Tenant,
    sign_in: Option<&SignIn>,
    signed_in: &SignedIn,
) -> Result<Option<Factor>, Error> {
    let Some(policy) = mfa::policy_at_sign_in(tenant, sign_in) else {
        return Ok(None);
    };
    let due = mfa::enrols_at_sign_in(&policy, sign_in)
        && mfa::offered_at_sign_in(state, &policy, &signed_in.user)
            .await?
            .is_empty();
    Ok(mfa::enrolled_at_sign_in(&policy).filter(|_| due))
}

fn setup(page: &Page) -> Setup<'static> {
    Setup {
        action: "/mfa/enrol",
        note: Some(page.t.mfa_enrol_required),
    }
}

/// `GET /mfa/enrol`: a new authenticator's QR code and key (the same one until confirmed).
pub async fn enrol_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    // Only a session that passed the first factor in this browser may set up a second.
    let Some(signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let factor = enrolment(&state, &tenant, sign_in.as_ref(), &signed_in).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.as_ref().map(|s| s.id.clone()));
    match factor {
        Some(Factor::Totp) => {}
        Some(Factor::Webauthn) => {
            let created = (None, StatusCode::OK);
            return enrol_passkey::show(&state, &tenant, page, &signed_in, sign_in.as_ref(), created).await;
        }
        _ => return Ok(flow::next(&tenant, sign_in.as_ref(), &[])),
    }
    account_totp::begin(&state, &signed_in.user).await?;
    let setup = setup(&page);
    Ok(
        account_totp::setup_page(&state, &tenant, page, &signed_in.user, &setup, None, StatusCode::OK)
            .await?
            .unwrap_or_else(|| flow::next(&tenant, sign_in.as_ref(), &[])),
    )
}

/// `POST /mfa/enrol`: the first code confirms the authenticator and completes the second
/// factor of this sign-in.
pub async fn enrol_post(
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
    let Submission {
        tenant,
        mut sign_in,
        page,
        ..
    } = submission;
    let Some(mut signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    if enrolment(&state, &tenant, sign_in.as_ref(), &signed_in).await? != Some(Factor::Totp) {
        return Ok(flow::next(&tenant, sign_in.as_ref(), &[]));
    }
    let t = page.t;
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    // Codes are rate-limited like passwords: six digits fall to guessing far sooner.
    let error = if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        Some((t.too_many_attempts, StatusCode::TOO_MANY_REQUESTS))
    } else {
        match attempts::check_code(&state, &tenant, &info, &signed_in.user, &code).await? {
            CodeVerdict::Accepted => None,
            CodeVerdict::Refused => Some((t.wrong_code, StatusCode::BAD_REQUEST)),
            CodeVerdict::Blocked => Some((t.too_many_failures, StatusCode::TOO_MANY_REQUESTS)),
        }
    };
    if let Some((error, status)) = error {
        let setup = setup(&page);
        return Ok(
            account_totp::setup_page(&state, &tenant, page, &signed_in.user, &setup, Some(error), status)
                .await?
                .unwrap_or_else(|| flow::next(&tenant, sign_in.as_ref(), &[])),
        );
    }
    session::add_method(&state, &mut signed_in, Method::Otp).await?;
    crate::audit::record(&state, AuditEvent::TotpEnrolled, Some(&signed_in.user.id), None, &info).await;
    crate::mfa::notify(&state, &tenant, &signed_in.user, Kind::TotpEnrolled)?;
    flow::authenticated(&state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}

#[derive(Template)]
#[template(path = "mfa_address.html")]
struct AddressPage<'a> {
    page: &'a Page,
    email: &'a str,
}

/// `GET /mfa/address`: codes by email are the only second factor to be had and the address is
/// not confirmed; the button sends the confirmation link (`/verify/resend`, rate-limited), whose
/// page leads back into this sign-in.
pub async fn address_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let Some(signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    let due = mfa::policy_at_sign_in(&tenant, sign_in.as_ref())
        .is_some_and(|policy| mfa::verification_first(&policy, sign_in.as_ref(), &signed_in.user));
    if !due {
        return Ok(flow::next(&tenant, sign_in.as_ref(), &[]));
    }
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    let page = page.clone().titled(page.t.mfa_address_title);
    let template = AddressPage {
        page: &page,
        email: &signed_in.user.email,
    };
    Ok(render(&template, &page, StatusCode::OK, &[]))
}

/// `GET /mfa/refused`: the sign-in was refused as too risky (its session already ended).
pub async fn refused_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let locales = flow::ui_locales(&state, &tenant, &headers, query.request.as_deref()).await?;
    let page = Page::new(&tenant, &headers, &locales, None);
    let t = page.t;
    Ok(message(
        page,
        t.sign_in_refused_title,
        t.sign_in_refused_body,
        None,
        StatusCode::FORBIDDEN,
    ))
}
