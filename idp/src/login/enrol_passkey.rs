//! Setting up a passkey inside the sign-in, when the sign-in demands a second factor the
//! customer does not have and the policy accepts passkeys but no authenticator apps: the account
//! page's registration ceremony (`mfa::passkey`, `/assets/webauthn.js`), bound to the session,
//! whose new key completes the sign-in's second factor.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::enrol::enrolment;
use super::flow;
use super::form::Submission;
use super::page::{Page, render};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::authn::SignIn;
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
use crate::mfa::Factor;
use crate::mfa::passkey::{self, Refusal};
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "mfa_enrol_passkey.html")]
struct EnrolPage<'a> {
    page: &'a Page,
    handle: &'a str,
    options: &'a str,
    error: Option<&'a str>,
}

/// The page creating a passkey for the customer of `signed_in` (a fresh ceremony each time),
/// with an `error` and its status.
pub(super) async fn show(
    state: &AppState,
    tenant: &Tenant,
    page: Page,
    signed_in: &SignedIn,
    sign_in: Option<&SignIn>,
    (error, status): (Option<&str>, StatusCode),
) -> Result<Response, Error> {
    // Bound to this session: only the browser that passed the password answers it.
    let binding = passkey::session_binding(signed_in.session.id.as_str());
    let discoverable = passkey::passwordless(tenant, sign_in);
    let name = page.t.passkey_default_name;
    let started = passkey::start_registration(state, tenant, &signed_in.user, &binding, name, discoverable).await?;
    let page = page.clone().titled(page.t.passkey_add);
    let template = EnrolPage {
        page: &page,
        handle: &started.handle,
        options: &started.options,
        error,
    };
    Ok(render(&template, &page, status, &[]))
}

/// `POST /mfa/enrol/passkey`: the new credential; stored, it completes the second factor of
/// this sign-in.
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
    let Some(mut signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(&tenant.path("/login"), &[]));
    };
    if enrolment(&state, &tenant, sign_in.as_ref(), &signed_in).await? != Some(Factor::Webauthn) {
        return Ok(flow::next(&tenant, sign_in.as_ref(), &[]));
    }
    let binding = passkey::session_binding(signed_in.session.id.as_str());
    let user = &signed_in.user;
    let stored = match passkey::finish_registration(&state, &tenant, user, &binding, &handle, &credential).await? {
        Ok(stored) => stored,
        Err(refusal) => {
            super::passkeys::audit_refusal(&state, &info, Some(&user.id), &refusal).await;
            let t = page.t;
            let error = if refusal == Refusal::Taken {
                t.passkey_taken
            } else {
                t.passkey_refused
            };
            let refused = (Some(error), StatusCode::BAD_REQUEST);
            return show(&state, &tenant, page, &signed_in, sign_in.as_ref(), refused).await;
        }
    };
    // The new key just proved itself with the user verified (webauthn-rs's passkey
    // registration requires it): the session has both factors.
    for method in passkey::methods(stored.backup_eligible, true) {
        session::add_method(&state, &mut signed_in, method).await?;
    }
    let user = &signed_in.user;
    let detail = Some(stored.name.clone());
    crate::audit::record_detail(&state, AuditEvent::PasskeyAdded, Some(&user.id), None, &info, detail).await;
    crate::mfa::notify(&state, &tenant, user, Kind::PasskeyAdded)?;
    flow::authenticated(&state, sign_in.as_mut(), &signed_in.session).await?;
    Ok(flow::next(&tenant, sign_in.as_ref(), page.csrf_cookie.as_slice()))
}
