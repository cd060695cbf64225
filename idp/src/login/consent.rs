//! The OAuth consent page: what the application asks for, allow or deny. The decision belongs
//! to the sign-in it was made on, in this browser, for the customer signed in here.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::page::{Page, render};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::authn::{SignIn, StepKind, transaction};
use crate::config::Tenant;
use crate::error::Error;
use crate::http::errors::Notice;
use crate::http::extract::CsrfForm;
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    page: &'a Page,
    client_name: &'a str,
    scopes: Vec<&'static str>,
    user_email: &'a str,
    request_id: &'a str,
}

/// Query of the consent page.
#[derive(Debug, Deserialize)]
pub struct ConsentQuery {
    request: Option<String>,
}

/// The sign-in `id` of this browser, at its consent step for the customer signed in here.
enum Found {
    /// At consent.
    AtConsent(SignIn, Box<SignedIn>),
    /// Somewhere else: let it decide where the customer goes.
    Elsewhere(SignIn),
    /// No such sign-in in this browser.
    Missing,
}

async fn find(state: &AppState, tenant: &Tenant, headers: &HeaderMap, id: Option<&str>) -> Result<Found, Error> {
    let Some(mut sign_in) = flow::sign_in(state, tenant, headers, id).await? else {
        return Ok(Found::Missing);
    };
    let Some(signed_in) = session::current(state, tenant, headers).await? else {
        return Ok(Found::Elsewhere(sign_in));
    };
    sign_in.observe(Some(&signed_in));
    // Only the customer the sign-in identified may decide, and only when it asks them to.
    let theirs = sign_in.is_for(&signed_in.user.id);
    if theirs && sign_in.is_at(StepKind::Consent) && sign_in.parked().is_some() {
        Ok(Found::AtConsent(sign_in, Box::new(signed_in)))
    } else {
        Ok(Found::Elsewhere(sign_in))
    }
}

/// `GET /consent?request=…`.
pub async fn consent_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ConsentQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let (sign_in, signed_in) = match find(&state, &tenant, &headers, query.request.as_deref()).await? {
        Found::AtConsent(sign_in, signed_in) => (sign_in, signed_in),
        Found::Elsewhere(sign_in) => return Ok(flow::next(&tenant, Some(&sign_in), &[])),
        Found::Missing => return Err(expired()),
    };
    let (client_id, scopes) = match sign_in.parked() {
        Some(parked) => (parked.client_id.as_str(), &parked.scopes),
        None => return Err(expired()),
    };
    let Some(client) = tenant.config.client(client_id) else {
        // Driving on reports the vanished client.
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    };
    let page = Page::new(&tenant, &headers, sign_in.ui_locales(), Some(sign_in.id.clone()));
    let page = page.clone().titled(page.t.consent_title);
    let mut shown: Vec<&'static str> = scopes.iter().map(|scope| page.t.scope(scope)).collect();
    shown.dedup();
    let template = ConsentPage {
        page: &page,
        client_name: &client.display_name,
        scopes: shown,
        user_email: &signed_in.user.email,
        request_id: &sign_in.id,
    };
    Ok(render(&template, &page, StatusCode::OK, &[]))
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    request: Option<String>,
    decision: Option<String>,
}

/// `POST /consent`: records the decision in the sign-in and drives it on.
pub async fn consent_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<ConsentForm>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let (mut sign_in, signed_in) = match find(&state, &tenant, &headers, form.request.as_deref()).await? {
        Found::AtConsent(sign_in, signed_in) => (sign_in, signed_in),
        Found::Elsewhere(sign_in) => return Ok(flow::next(&tenant, Some(&sign_in), &[])),
        Found::Missing => return Err(expired()),
    };
    let Some(parked) = sign_in.parked().cloned() else {
        return Err(expired());
    };
    if form.decision.as_deref() == Some("allow") {
        let scope = parked.scopes.to_string();
        state
            .store
            .record_scope_consent(&signed_in.user.id, &parked.client_id, &scope, state.now())
            .await?;
        sign_in.progress.consented = true;
        crate::audit::record_detail(
            &state,
            AuditEvent::ConsentGranted,
            Some(&signed_in.user.id),
            Some(&parked.client_id),
            &info,
            Some(scope),
        )
        .await;
    } else {
        sign_in.progress.denied = true;
        crate::audit::record_detail(
            &state,
            AuditEvent::ConsentDenied,
            Some(&signed_in.user.id),
            Some(&parked.client_id),
            &info,
            Some(parked.scopes.to_string()),
        )
        .await;
    }
    if !transaction::save(&state, &sign_in).await? {
        return Err(expired());
    }
    Ok(flow::next(&tenant, Some(&sign_in), &[]))
}

/// A sign-in that lapsed, was finished, or belongs to another browser.
fn expired() -> Error {
    Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired)
}
