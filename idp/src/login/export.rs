//! "Download your data" on the account page: a page with a button, and its form answering with
//! the account's data as a JSON attachment, after a recent authentication.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::page::{Page, render};
use super::session::SignedIn;
use crate::app::AppState;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

#[derive(Template)]
#[template(path = "account_export.html")]
struct ExportPage<'a> {
    page: &'a Page,
    error: Option<&'a str>,
    /// The authentication is too old: the password again (or a new sign-in) first.
    reauth: bool,
    has_password: bool,
    /// The challenge of the re-authentication's password, when the address is challenged.
    challenge: Option<super::challenge::Shown>,
}

/// `GET /account/export`: what the download holds, and its button.
pub async fn export_get(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    show(&state, (page, info.ip), &signed_in, None, StatusCode::OK).await
}

async fn show(
    state: &AppState,
    (page, address): (Page, std::net::IpAddr),
    signed_in: &SignedIn,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, Error> {
    let page = page.clone().titled(page.t.export_title);
    let (reauth, challenge) = super::factor_change::reauth_form(state, &page, signed_in, address).await?;
    let template = ExportPage {
        page: &page,
        error,
        reauth,
        has_password: signed_in.user.has_password(),
        challenge,
    };
    let response = render(&template, &page, status, &[]);
    Ok(super::challenge::with_policy(response, template.challenge.as_ref()))
}

/// `POST /account/export`: the account's data as `application/json`, never cached; audited.
pub async fn export_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    // A stolen session alone must not carry away everything the account holds.
    let reauth =
        super::factor_change::reauthenticate(&state, &tenant, (&info, &headers), &signed_in, (&form, &page)).await?;
    if let Some((error, status)) = reauth {
        return show(&state, (page, info.ip), &signed_in, Some(error), status).await;
    }
    let user = &signed_in.user;
    let export = crate::privacy::export::gather(&state, user).await?;
    let body = serde_json::to_vec_pretty(&export).map_err(|error| Error::Internal(error.to_string()))?;
    crate::audit::record(&state, AuditEvent::DataExported, Some(&user.id), None, &info).await;
    Ok(attachment(body))
}

fn attachment(body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"account-data.json\""),
    );
    // Personal data: no cache, shared or private, keeps a copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
