//! Enrolling and removing an authenticator app from the account page: the QR code and the key,
//! confirmation by a first code, removal. Both changes need a recent authentication (the
//! password again past a few minutes) and are emailed to the customer.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::factor_change::refused_unless_reauthenticated;
use super::flow;
use super::page::{Page, render};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::authn::Method;
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::mfa::attempts::{self, CodeVerdict};
use crate::mfa::seal::data_key;
use crate::mfa::totp;
use crate::mfa::{self, Factor, Policy};
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::store::{AuditEvent, User};

#[derive(Template)]
#[template(path = "totp_setup.html")]
struct SetupPage<'a> {
    page: &'a Page,
    qr: &'a str,
    key: &'a str,
    /// Where the confirming code is posted.
    action: &'a str,
    /// Why the page is shown, when the sign-in sent the customer here.
    note: Option<&'a str>,
    error: Option<&'a str>,
}

/// `POST /account/totp/start`: a new secret, not counting until a first code confirms it.
pub async fn start_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    // No policy accepts authenticator apps: one set up now would never be asked.
    if !Policy::for_account(&tenant.config).is_some_and(|policy| policy.allows(Factor::Totp)) {
        return Ok(flow::see_other(&tenant.path("/account"), &[]));
    }
    let page = Page::new(&tenant, &headers, &[], None);
    if let Some(refused) =
        refused_unless_reauthenticated(&state, &tenant, (&info, &headers, &form), &signed_in, &page).await?
    {
        return Ok(refused);
    }
    let user = &signed_in.user;
    let secret = totp::new_secret();
    let sealed = data_key(&state)
        .await?
        .seal(&secret, user.id.as_str())
        .map_err(|e| Error::Internal(e.to_string()))?;
    // A confirmed authenticator is replaced only by removing it first (which is emailed).
    if !state.store.begin_totp(&user.id, &sealed, state.now()).await? {
        return Ok(flow::see_other(&tenant.path("/account"), &[]));
    }
    Ok(flow::see_other(&tenant.path("/account/totp"), &[]))
}

/// `GET /account/totp`: the QR code and key of the enrolment under way.
pub async fn setup_get(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    setup(&state, &tenant, page, &signed_in, None, StatusCode::OK).await
}

async fn setup(
    state: &AppState,
    tenant: &Tenant,
    page: Page,
    signed_in: &SignedIn,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, Error> {
    let setup = Setup {
        action: "/account/totp/confirm",
        note: None,
    };
    match setup_page(state, tenant, page, &signed_in.user, &setup, error, status).await? {
        Some(response) => Ok(response),
        None => Ok(flow::see_other(&tenant.path("/account"), &[])),
    }
}

/// Where an enrolment page posts its code, and why it is shown.
pub(super) struct Setup<'a> {
    /// The route confirming the code.
    pub action: &'a str,
    /// A note above the QR code.
    pub note: Option<&'a str>,
}

/// The QR code and key of `user`'s enrolment under way, with the form confirming it as `setup`
/// says; `None` when no enrolment is under way.
pub(super) async fn setup_page(
    state: &AppState,
    tenant: &Tenant,
    page: Page,
    user: &User,
    setup: &Setup<'_>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Option<Response>, Error> {
    let Some(factor) = state.store.totp(&user.id).await?.filter(|f| f.confirmed_at.is_none()) else {
        return Ok(None);
    };
    let secret = data_key(state)
        .await?
        .open(&factor.secret_sealed, user.id.as_str())
        .map_err(|e| Error::Internal(e.to_string()))?;
    let qr = totp::qr_data_uri(&secret, &tenant.config.display_name, &user.email)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let key = totp::display_secret(&secret);
    let page = page.clone().titled(page.t.totp_set_up);
    let template = SetupPage {
        page: &page,
        qr: &qr,
        key: &key,
        action: setup.action,
        note: setup.note,
        error,
    };
    Ok(Some(render(&template, &page, status, &[])))
}

/// Begins an enrolment for `user` (a new secret, sealed) unless one is under way or confirmed.
pub(super) async fn begin(state: &AppState, user: &User) -> Result<(), Error> {
    if state.store.totp(&user.id).await?.is_some() {
        return Ok(());
    }
    let secret = totp::new_secret();
    let sealed = data_key(state)
        .await?
        .seal(&secret, user.id.as_str())
        .map_err(|e| Error::Internal(e.to_string()))?;
    state.store.begin_totp(&user.id, &sealed, state.now()).await?;
    Ok(())
}

/// `POST /account/totp/confirm`: a first valid code makes the authenticator count.
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
        let status = StatusCode::TOO_MANY_REQUESTS;
        return setup(&state, &tenant, page, &signed_in, Some(t.too_many_attempts), status).await;
    }
    let code = form.get("code").unwrap_or_default();
    match attempts::check_code(&state, &tenant, &info, &signed_in.user, code).await? {
        CodeVerdict::Accepted => {}
        CodeVerdict::Refused => {
            return setup(
                &state,
                &tenant,
                page,
                &signed_in,
                Some(t.wrong_code),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        CodeVerdict::Blocked => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return setup(&state, &tenant, page, &signed_in, Some(t.too_many_failures), status).await;
        }
    }
    // The code just proved the factor: this session has it, so it is not asked again here.
    session::add_method(&state, &mut signed_in, Method::Otp).await?;
    crate::audit::record(&state, AuditEvent::TotpEnrolled, Some(&signed_in.user.id), None, &info).await;
    mfa::notify(&state, &tenant, &signed_in.user, Kind::TotpEnrolled)?;
    Ok(super::account::saved(&tenant, "totp-enabled"))
}

/// `POST /account/totp/remove`.
pub async fn remove_post(
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
    let confirmed = state.store.has_totp(&user.id).await?;
    // Under a `required` policy the last factor stays until another one replaces it.
    if confirmed && !mfa::removal_allowed(&state, &tenant, &user.id, Factor::Totp).await? {
        let status = StatusCode::CONFLICT;
        let error = page.t.factor_removal_refused;
        return super::account::refused(&state, &tenant, (page, info.ip), &signed_in, error, status).await;
    }
    if state.store.delete_totp(&user.id).await? && confirmed {
        crate::audit::record(&state, AuditEvent::TotpRemoved, Some(&user.id), None, &info).await;
        super::devices::revoke_all(&state, &user.id, &info, "factor removed").await?;
        mfa::notify(&state, &tenant, &signed_in.user, Kind::TotpRemoved)?;
    }
    Ok(super::account::saved(&tenant, "totp-removed"))
}
