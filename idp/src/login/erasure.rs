//! "Delete account" on the account page: a confirmation page (the account's email address typed
//! again, and the password past a recent authentication), then the erasure, the browser's
//! session cookie cleared and a page saying the account is gone.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::cookies;
use super::page::{Page, message, render};
use super::session::SignedIn;
use crate::app::AppState;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::store::ErasureReason;

#[derive(Template)]
#[template(path = "account_delete.html")]
struct DeletePage<'a> {
    page: &'a Page,
    error: Option<&'a str>,
    /// The authentication is too old: the password again (or a new sign-in) first.
    reauth: bool,
    has_password: bool,
    /// The challenge of the re-authentication's password, when the address is challenged.
    challenge: Option<super::challenge::Shown>,
}

/// `GET /account/delete`: what deleting means, and the confirmation form.
pub async fn delete_get(
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
    let page = page.clone().titled(page.t.delete_title);
    let (reauth, challenge) = super::factor_change::reauth_form(state, &page, signed_in, address).await?;
    let template = DeletePage {
        page: &page,
        error,
        reauth,
        has_password: signed_in.user.has_password(),
        challenge,
    };
    let response = render(&template, &page, status, &[]);
    Ok(super::challenge::with_policy(response, template.challenge.as_ref()))
}

/// `POST /account/delete`: erases the account once confirmed, ends this browser's session.
pub async fn delete_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let typed = form.get("confirm_email").unwrap_or_default().trim().to_lowercase();
    // Typing the address makes the erasure deliberate: no stray click erases an account.
    if typed != signed_in.user.email {
        let error = page.t.delete_email_mismatch;
        return show(
            &state,
            (page, info.ip),
            &signed_in,
            Some(error),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    // A stolen session alone must not erase the account.
    let reauth =
        super::factor_change::reauthenticate(&state, &tenant, (&info, &headers), &signed_in, (&form, &page)).await?;
    if let Some((error, status)) = reauth {
        return show(&state, (page, info.ip), &signed_in, Some(error), status).await;
    }
    crate::privacy::erasure::erase(&state, &signed_in.user.id, ErasureReason::Request, None).await?;
    let t = page.t;
    let mut response = message(
        page,
        t.account_erased_title,
        t.account_erased_body,
        None,
        StatusCode::OK,
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookies::clear(&tenant.cookies.session));
    Ok(response)
}
