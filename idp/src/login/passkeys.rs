//! Passkeys on the account page (`/account/passkeys`): the list with names and dates, adding
//! one (the browser creates it, the script posts it back), renaming and removing. Every change
//! needs a recent authentication; additions and removals are emailed to the customer.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::factor_change::reauthenticate;
use super::flow;
use super::page::{Page, render};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::ids::{UnixTime, UserId};
use crate::mfa::passkey::{self, NAME_MAX, Refusal};
use crate::mfa::{self, Factor};
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, StoredPasskey};

/// A passkey as the list shows it.
#[derive(Debug)]
struct Row {
    id: String,
    name: String,
    created: String,
    last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "passkeys.html")]
struct ListPage<'a> {
    page: &'a Page,
    passkeys: Vec<Row>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    name: &'a str,
    reauth: bool,
    has_password: bool,
    /// The challenge of the re-authentication's password, when the address is challenged.
    challenge: Option<super::challenge::Shown>,
}

#[derive(Template)]
#[template(path = "passkey_new.html")]
struct CreatePage<'a> {
    page: &'a Page,
    handle: &'a str,
    options: &'a str,
}

/// Query of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    saved: Option<String>,
}

fn when(at: UnixTime) -> String {
    jiff::Timestamp::from_second(at.seconds())
        .map(|at| at.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn row(stored: StoredPasskey) -> Row {
    Row {
        created: when(stored.created_at),
        last_used: stored.last_used_at.map(when),
        id: stored.id,
        name: stored.name,
    }
}

/// What the list shows besides the passkeys.
#[derive(Default)]
struct Shown<'a> {
    notice: Option<&'a str>,
    error: Option<&'a str>,
    name: &'a str,
}

async fn list(
    state: &AppState,
    (page, address): (Page, std::net::IpAddr),
    signed_in: &SignedIn,
    shown: Shown<'_>,
    status: StatusCode,
) -> Result<Response, Error> {
    let page = page.clone().titled(page.t.passkeys);
    let passkeys = state.store.passkeys(&signed_in.user.id).await?;
    let (reauth, challenge) = super::factor_change::reauth_form(state, &page, signed_in, address).await?;
    let template = ListPage {
        page: &page,
        passkeys: passkeys.into_iter().map(row).collect(),
        notice: shown.notice,
        error: shown.error,
        name: shown.name,
        reauth,
        has_password: signed_in.user.has_password(),
        challenge,
    };
    let response = render(&template, &page, status, &[]);
    Ok(super::challenge::with_policy(response, template.challenge.as_ref()))
}

fn saved(tenant: &Tenant, what: &str) -> Response {
    flow::see_other(&format!("{}?saved={what}", tenant.path("/account/passkeys")), &[])
}

/// The name as given, if it is one: trimmed, not empty, not too long.
fn valid_name(form: &Params) -> Option<String> {
    let name = form.get("name").unwrap_or_default().trim();
    (!name.is_empty() && name.chars().count() <= NAME_MAX && !name.chars().any(char::is_control))
        .then(|| name.to_owned())
}

/// `GET /account/passkeys`.
pub async fn list_get(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let t = page.t;
    let notice = match query.saved.as_deref() {
        Some("passkey-added") => Some(t.passkey_added),
        Some("passkey-renamed") => Some(t.passkey_renamed),
        Some("passkey-removed") => Some(t.passkey_removed),
        _ => None,
    };
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    list(&state, (page, info.ip), &signed_in, shown, StatusCode::OK).await
}

/// Checks the recent authentication a change needs; the list with the error when it fails.
async fn refused_change(
    state: &AppState,
    tenant: &Arc<Tenant>,
    (info, headers): (&RequestInfo, &HeaderMap),
    signed_in: &SignedIn,
    form: &Params,
    page: &Page,
) -> Result<Option<Response>, Error> {
    let Some((error, status)) = reauthenticate(state, tenant, (info, headers), signed_in, (form, page)).await? else {
        return Ok(None);
    };
    let shown = Shown {
        error: Some(error),
        name: form.get("name").unwrap_or_default(),
        ..Shown::default()
    };
    Ok(Some(
        list(state, (page.clone(), info.ip), signed_in, shown, status).await?,
    ))
}

/// `POST /account/passkeys/start`: the options of a new passkey, on a page whose script hands
/// them to the browser.
pub async fn start_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    // No policy accepts passkeys: one set up now would never be asked.
    if !passkey::offered(&tenant) {
        return Ok(flow::see_other(&tenant.path("/account"), &[]));
    }
    let page = Page::new(&tenant, &headers, &[], None);
    if let Some(refused) = refused_change(&state, &tenant, (&info, &headers), &signed_in, &form, &page).await? {
        return Ok(refused);
    }
    let Some(name) = valid_name(&form) else {
        let shown = Shown {
            error: Some(page.t.passkey_name_invalid),
            name: form.get("name").unwrap_or_default(),
            ..Shown::default()
        };
        return list(&state, (page, info.ip), &signed_in, shown, StatusCode::BAD_REQUEST).await;
    };
    let binding = passkey::session_binding(signed_in.session.id.as_str());
    // Resident keys when any client may sign in with a passkey alone (the account policy).
    let discoverable = passkey::passwordless(&tenant, None);
    let started = passkey::start_registration(&state, &tenant, &signed_in.user, &binding, &name, discoverable).await?;
    let page = page.clone().titled(page.t.passkey_add);
    let template = CreatePage {
        page: &page,
        handle: &started.handle,
        options: &started.options,
    };
    Ok(render(&template, &page, StatusCode::OK, &[]))
}

/// `POST /account/passkeys/finish`: the browser's new credential, checked and stored.
pub async fn finish_post(
    State(state): State<AppState>,
    Customer(mut signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let t = page.t;
    let user = &signed_in.user;
    let binding = passkey::session_binding(signed_in.session.id.as_str());
    let handle = form.get("ceremony").unwrap_or_default();
    let credential = form.get("credential").unwrap_or_default();
    let stored = match passkey::finish_registration(&state, &tenant, user, &binding, handle, credential).await? {
        Ok(stored) => stored,
        Err(refusal) => {
            audit_refusal(&state, &info, Some(&user.id), &refusal).await;
            let error = match refusal {
                Refusal::Lapsed => t.passkey_lapsed,
                Refusal::Taken => t.passkey_taken,
                _ => t.passkey_refused,
            };
            let shown = Shown {
                error: Some(error),
                ..Shown::default()
            };
            return list(&state, (page, info.ip), &signed_in, shown, StatusCode::BAD_REQUEST).await;
        }
    };
    // The new key just proved itself, with the user verified (webauthn-rs's passkey registration
    // requires it): this session has it, so it is not asked again here.
    let methods = passkey::methods(stored.backup_eligible, true);
    for method in methods {
        session::add_method(&state, &mut signed_in, method).await?;
    }
    let detail = Some(stored.name.clone());
    let user = &signed_in.user.id;
    crate::audit::record_detail(&state, AuditEvent::PasskeyAdded, Some(user), None, &info, detail).await;
    crate::mfa::notify(&state, &tenant, &signed_in.user, Kind::PasskeyAdded)?;
    Ok(saved(&tenant, "passkey-added"))
}

/// `POST /account/passkeys/rename`.
pub async fn rename_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    if let Some(refused) = refused_change(&state, &tenant, (&info, &headers), &signed_in, &form, &page).await? {
        return Ok(refused);
    }
    let Some(name) = valid_name(&form) else {
        let shown = Shown {
            error: Some(page.t.passkey_name_invalid),
            ..Shown::default()
        };
        return list(&state, (page, info.ip), &signed_in, shown, StatusCode::BAD_REQUEST).await;
    };
    let user = &signed_in.user;
    let id = form.get("passkey").unwrap_or_default();
    if state.store.rename_passkey(&user.id, id, &name).await? {
        crate::audit::record(&state, AuditEvent::PasskeyRenamed, Some(&user.id), None, &info).await;
        // Told at the address like every factor change, so a change by whoever took the
        // session is noticed.
        crate::mfa::notify(&state, &tenant, user, Kind::PasskeyRenamed)?;
    }
    Ok(saved(&tenant, "passkey-renamed"))
}

/// `POST /account/passkeys/remove`.
pub async fn remove_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    if let Some(refused) = refused_change(&state, &tenant, (&info, &headers), &signed_in, &form, &page).await? {
        return Ok(refused);
    }
    let user = &signed_in.user;
    let id = form.get("passkey").unwrap_or_default();
    let passkeys = state.store.passkeys(&user.id).await?;
    let name = passkeys
        .iter()
        .find(|stored| stored.id == id)
        .map(|stored| stored.name.clone());
    // Under a `required` policy the last factor stays until another one replaces it.
    let last = passkeys.len() == 1 && name.is_some();
    if last && !mfa::removal_allowed(&state, &tenant, &user.id, Factor::Webauthn).await? {
        let shown = Shown {
            error: Some(page.t.factor_removal_refused),
            ..Shown::default()
        };
        return list(&state, (page, info.ip), &signed_in, shown, StatusCode::CONFLICT).await;
    }
    if state.store.delete_passkey(&user.id, id).await? {
        crate::audit::record_detail(&state, AuditEvent::PasskeyRemoved, Some(&user.id), None, &info, name).await;
        // A device trusted while the key was the customer's stops skipping the second factor.
        super::devices::revoke_all(&state, &user.id, &info, "factor removed").await?;
        crate::mfa::notify(&state, &tenant, &signed_in.user, Kind::PasskeyRemoved)?;
    }
    Ok(saved(&tenant, "passkey-removed"))
}

/// Records a refused passkey answer with why (an attack shows in the audit log).
pub async fn audit_refusal(state: &AppState, info: &RequestInfo, user: Option<&UserId>, refusal: &Refusal) {
    let detail = Some(refusal.reason());
    crate::audit::record_detail(state, AuditEvent::PasskeyRefused, user, None, info, detail).await;
}
