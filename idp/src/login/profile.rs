//! Progressive profiling: after some sign-ins, ask for attributes registration did not.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::config::TenantConfig;

use super::fields::{self, Field};
use super::flow::{self, parked};
use super::page::{self, Page, render};
use super::session;
use crate::app::AppState;
use crate::error::Error;
use crate::oidc::params::Params;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, User};

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    page: &'a Page,
    request_id: &'a str,
    step: usize,
    fields: Vec<Field>,
    skippable: bool,
}

/// The first profiling step due for `user`: reached its sign-in count, not skipped, and
/// something in it still missing.
pub fn due_step(config: &TenantConfig, user: &User) -> Option<usize> {
    config
        .registration
        .progressive_profiling
        .iter()
        .enumerate()
        .find_map(|(index, step)| {
            let reached = user.login_count > i64::from(step.after_logins);
            let missing = step
                .attributes
                .iter()
                .any(|attribute| user.attribute(*attribute).is_none());
            (reached && missing && !user.skipped_step(index)).then_some(index)
        })
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
    let id = query.request.unwrap_or_default();
    let (Some(request), Some(signed_in)) = (
        parked(&state, Some(&id)).await?,
        session::current(&state, &tenant, &headers).await?,
    ) else {
        return Ok(flow::next(&tenant, None, &[]));
    };
    let Some(step) = due_step(&tenant.config, &signed_in.user) else {
        return Ok(flow::next(&tenant, Some(&id), &[]));
    };
    let page = Page::new(&tenant, &headers, &request.ui_locales, Some(id.clone()));
    let t = page.t;
    let attributes = &tenant.config.registration.progressive_profiling[step].attributes;
    let fields = attributes
        .iter()
        .filter(|attribute| signed_in.user.attribute(**attribute).is_none())
        .map(|attribute| fields::field(t, *attribute, "", None))
        .collect();
    Ok(show(&tenant, page, &id, step, fields, StatusCode::OK))
}

fn show(
    tenant: &crate::config::Tenant,
    page: Page,
    id: &str,
    step: usize,
    fields: Vec<Field>,
    status: StatusCode,
) -> Response {
    let page = page.clone().titled(page.t.profile_title);
    let skippable = tenant
        .config
        .registration
        .progressive_profiling
        .get(step)
        .is_some_and(|s| s.skippable);
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
        return Ok(flow::next(&tenant, None, &[]));
    };
    let Some(step) = due_step(&tenant.config, &signed_in.user) else {
        return Ok(flow::next(&tenant, Some(&id), &[]));
    };
    let settings = &tenant.config.registration.progressive_profiling[step];
    if form.get("action") == Some("skip") && settings.skippable {
        state.store.skip_profiling_step(&signed_in.user, step).await?;
        return Ok(flow::next(&tenant, Some(&id), &[]));
    }
    let page = Page::new(&tenant, &headers, &request.ui_locales, Some(id.clone()));
    let missing = settings
        .attributes
        .iter()
        .copied()
        .filter(|a| signed_in.user.attribute(*a).is_none());
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
    Ok(flow::next(&tenant, Some(&id), &[]))
}
