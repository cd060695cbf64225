//! Progressive profiling: after some sign-ins, ask for attributes registration did not.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::fields::{self, Field};
use super::flow;
use super::page::{Page, render};
use super::session;
use crate::app::AppState;
use crate::authn::steps::profile::{Due, due};
use crate::error::Error;
use crate::http::extract::CsrfForm;
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    page: &'a Page,
    request_id: &'a str,
    step: String,
    fields: Vec<Field>,
    skippable: bool,
}

/// Query of the profile page.
#[derive(Debug, Deserialize)]
pub struct ProfileQuery {
    request: Option<String>,
}

/// `GET /profile?request=…`.
pub async fn profile_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ProfileQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let (Some(sign_in), Some(signed_in)) = (
        flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?,
        session::complete(&state, &tenant, &headers).await?,
    ) else {
        return Ok(flow::next(&tenant, None, &[]));
    };
    let Some((step, attributes)) = due(&tenant.config, &signed_in.user) else {
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    };
    let id = sign_in.id.clone();
    let page = Page::new(&tenant, &headers, sign_in.ui_locales(), Some(id.clone()));
    let t = page.t;
    let fields = attributes
        .iter()
        .map(|attribute| fields::field(t, *attribute, "", None))
        .collect();
    Ok(show(&tenant, page, &id, step, fields, StatusCode::OK))
}

fn show(
    tenant: &crate::config::Tenant,
    page: Page,
    id: &str,
    step: Due,
    fields: Vec<Field>,
    status: StatusCode,
) -> Response {
    let page = page.clone().titled(page.t.profile_title);
    let (skippable, step) = match step {
        // Required attributes are never skipped: registration would have asked for them.
        Due::Required => (false, "required".to_owned()),
        Due::Progressive(index) => (
            tenant
                .config
                .registration
                .progressive_profiling
                .get(index)
                .is_some_and(|s| s.skippable),
            index.to_string(),
        ),
    };
    render(
        &ProfilePage {
            page: &page,
            request_id: id,
            step,
            fields,
            skippable,
        },
        &page,
        status,
        &[],
    )
}

/// `POST /profile`: saves the attributes, or records the skip, and continues.
pub async fn profile_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let (Some(sign_in), Some(signed_in)) = (
        flow::sign_in(&state, &tenant, &headers, form.get("request")).await?,
        session::complete(&state, &tenant, &headers).await?,
    ) else {
        return Ok(flow::next(&tenant, None, &[]));
    };
    let Some((step, missing)) = due(&tenant.config, &signed_in.user) else {
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    };
    if let Due::Progressive(index) = step
        && form.get("action") == Some("skip")
        && tenant.config.registration.progressive_profiling[index].skippable
    {
        state.store.skip_profiling_step(&signed_in.user, index).await?;
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    }
    let id = sign_in.id.clone();
    let page = Page::new(&tenant, &headers, sign_in.ui_locales(), Some(id.clone()));
    let missing = missing.into_iter();
    let fields::Submitted {
        update,
        fields: rendered,
        valid: ok,
    } = fields::read(page.t, missing, &form, false);
    if !ok {
        return Ok(show(&tenant, page, &id, step, rendered, StatusCode::BAD_REQUEST));
    }
    state
        .store
        .update_profile(&signed_in.user.id, &update, state.now())
        .await?;
    crate::audit::record(
        &state,
        AuditEvent::ProfileUpdated,
        Some(&signed_in.user.id),
        None,
        &info,
    )
    .await;
    Ok(flow::next(&tenant, Some(&sign_in), &[]))
}
