//! The OAuth consent page for third-party clients: what the client asks for, allow or deny.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow::{self, parked};
use super::page::{self, Page, render};
use super::session;
use crate::app::AppState;
use crate::error::Error;
use crate::oidc::authorize;
use crate::oidc::params::Params;
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

/// `GET /consent?request=…`.
pub async fn consent_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ConsentQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let id = query.request.unwrap_or_default();
    let Some(request) = parked(&state, Some(&id)).await? else {
        return Ok(page::error(
            &tenant,
            &headers,
            StatusCode::BAD_REQUEST,
            "This sign-in request has expired. Please start again from the application.",
        ));
    };
    let Some(signed_in) = session::current(&state, &tenant, &headers).await? else {
        return Ok(flow::see_other(
            &format!("{}?request={}", tenant.path("/login"), flow::url_encode(&id)),
            &[],
        ));
    };
    let Some(client) = tenant.config.client(&request.client_id) else {
        return Ok(page::error(
            &tenant,
            &headers,
            StatusCode::BAD_REQUEST,
            "The application is no longer registered.",
        ));
    };
    let page = Page::new(&tenant, &headers, &request.ui_locales, Some(id.clone()));
    let page = page.clone().titled(page.t.consent_title);
    let mut scopes: Vec<&'static str> = request.scopes.iter().map(|scope| page.t.scope(scope)).collect();
    scopes.dedup();
    let template = ConsentPage {
        page: &page,
        client_name: &client.display_name,
        scopes,
        user_email: &signed_in.user.email,
        request_id: &id,
    };
    Ok(render(&template, &page, StatusCode::OK, &[]))
}

/// `POST /consent`: records the decision and continues the authorization request.
pub async fn consent_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let form = Params::parse(&body).unwrap_or_default();
    let id = form.get("request").unwrap_or_default().to_owned();
    if !super::csrf::verify(&tenant, &headers, form.get("csrf")) {
        return Ok(page::error(
            &tenant,
            &headers,
            StatusCode::FORBIDDEN,
            Page::new(&tenant, &headers, &[], None).t.form_expired,
        ));
    }
    let (Some(request), Some(signed_in)) = (
        parked(&state, Some(&id)).await?,
        session::current(&state, &tenant, &headers).await?,
    ) else {
        return Ok(page::error(
            &tenant,
            &headers,
            StatusCode::BAD_REQUEST,
            "This sign-in request has expired. Please start again from the application.",
        ));
    };
    if form.get("decision") != Some("allow") {
        state.store.drop_request(&id).await?;
        crate::audit::record_detail(
            &state,
            AuditEvent::ConsentDenied,
            Some(&signed_in.user.id),
            Some(&request.client_id),
            &info,
            Some(request.scope()),
        )
        .await;
        return Ok(authorize::deny(&tenant, &request));
    }
    state
        .store
        .record_consent(&signed_in.user.id, &request.client_id, &request.scope(), state.now())
        .await?;
    flow::mark(&state, Some(&id), |request| request.consented = true).await?;
    crate::audit::record_detail(
        &state,
        AuditEvent::ConsentGranted,
        Some(&signed_in.user.id),
        Some(&request.client_id),
        &info,
        Some(request.scope()),
    )
    .await;
    Ok(flow::next(&tenant, Some(&id), &[]))
}
