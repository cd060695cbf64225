//! Recovery codes on the account page: generating a set (or a new one, which ends the old),
//! shown once. Needs a recent authentication, like every factor change, and is emailed.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::factor_change::refused_unless_reauthenticated;
use super::flow;
use super::page::{Page, render};
use crate::app::AppState;
use crate::email::Kind;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::mfa::recovery_codes;
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct CodesPage<'a> {
    page: &'a Page,
    codes: &'a [String],
}

/// `GET /account/recovery-codes`: codes are shown once, when generated, so there is nothing to
/// show again; the account page offers a new set.
pub async fn codes_get(State(state): State<AppState>, Customer(_): Customer) -> Response {
    flow::see_other(&state.tenant.get().path("/account"), &[])
}

/// `POST /account/recovery-codes`: a new set, shown once; the old set stops working.
pub async fn generate_post(
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
    // Codes stand in for another factor: without one (or when no policy allows them) they
    // would be a factor of their own, which they are not.
    if !crate::mfa::recovery_codes::offered(&state, &tenant, user).await? {
        return Ok(flow::see_other(&tenant.path("/account"), &[]));
    }
    let codes = recovery_codes::regenerate(&state, user).await?;
    crate::audit::record(&state, AuditEvent::RecoveryCodesGenerated, Some(&user.id), None, &info).await;
    crate::mfa::notify(&state, &tenant, user, Kind::RecoveryCodesGenerated)?;
    let page = page.clone().titled(page.t.recovery_codes_title);
    Ok(render(
        &CodesPage {
            page: &page,
            codes: &codes,
        },
        &page,
        StatusCode::OK,
        &[],
    ))
}
