//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::mint::ID_TOKEN_TYPE;
use super::params::Params;
use super::redirect;
use crate::app::AppState;
use crate::authn::session;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::page::{self, Page, message, render};
use crate::http::redirect::see_other;
use crate::http::{cookies, csrf};
use crate::request_info::RequestInfo;

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    page: &'a Page,
    post_logout_redirect_uri: Option<&'a str>,
    client_id: Option<&'a str>,
    state: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
    #[serde(default)]
    sid: Option<String>,
}

/// A validated logout request.
struct Logout {
    client_id: Option<String>,
    redirect: Option<String>,
    state: Option<String>,
    hint: Option<HintClaims>,
}

/// `GET /end_session`.
pub async fn get_end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    end_session(&state, &headers, &info, query.as_deref().unwrap_or_default(), false).await
}

/// `POST /end_session`: from an RP, or the confirmation form of our own page.
pub async fn post_end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    end_session(&state, &headers, &info, &body, true).await
}

async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    info: &RequestInfo,
    text: &str,
    post: bool,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let params = match Params::parse(text) {
        Ok(params) => params,
        Err(error) => {
            return Ok(page::error(
                &tenant,
                headers,
                StatusCode::BAD_REQUEST,
                &error.description,
            ));
        }
    };
    let logout = match parse(&tenant, &params) {
        Ok(logout) => logout,
        Err(reason) => return Ok(page::error(&tenant, headers, StatusCode::BAD_REQUEST, reason)),
    };
    let confirmed = post && params.get("confirm") == Some("yes");
    // A confirmation failing the CSRF check is another site's form: it signs nobody out, even
    // with a hint that would have needed no confirmation.
    if confirmed && !csrf::verify(&tenant, headers, params.get("csrf")) {
        let t = Page::new(&tenant, headers, &[], None).t;
        return Ok(page::error(&tenant, headers, StatusCode::FORBIDDEN, t.form_expired));
    }
    let signed_in = session::current(state, &tenant, headers).await?;
    // Without a hint naming this customer, a logout link on any site could sign them out:
    // ask first (RP-Initiated Logout 2).
    let hinted = match (&logout.hint, &signed_in) {
        (Some(hint), Some(signed_in)) => {
            signed_in.user.id == hint.sub && hint.sid.as_ref().is_none_or(|sid| signed_in.session.id == *sid)
        }
        (Some(_), None) => true,
        (None, signed_in) => signed_in.is_none(),
    };
    if !hinted && !confirmed {
        return Ok(confirmation(&tenant, headers, &logout));
    }
    if let Some(signed_in) = &signed_in {
        session::end(state, signed_in, info).await?;
    }
    let clear = [cookies::clear(&tenant.cookies.session)];
    if let Some(uri) = &logout.redirect {
        let mut params = Vec::new();
        params.extend(logout.state.as_deref().map(|value| ("state", value)));
        return Ok(see_other(&redirect::with_params(uri, &params), &clear));
    }
    let page = Page::new(&tenant, headers, &[], None);
    let t = page.t;
    let mut response = message(page, t.signed_out_title, t.signed_out_body, None, StatusCode::OK);
    response.headers_mut().append(header::SET_COOKIE, clear[0].clone());
    Ok(response)
}

/// Validates the hint and the redirect: a `post_logout_redirect_uri` is used only when it is
/// registered for the client named by the hint or by `client_id`.
fn parse(tenant: &Tenant, params: &Params) -> Result<Logout, &'static str> {
    let hint = match params.get("id_token_hint") {
        Some(token) => Some(
            tenant
                .signer
                .verify::<HintClaims>(token, ID_TOKEN_TYPE, &tenant.config.issuer, None)
                .map_err(|_| "The id_token_hint is not an ID token issued here.")?,
        ),
        None => None,
    };
    let client_id = match (hint.as_ref().map(|hint| hint.aud.clone()), params.get("client_id")) {
        (Some(aud), Some(client_id)) if aud != client_id => return Err("client_id does not match the id_token_hint."),
        (Some(aud), _) => Some(aud),
        (None, client_id) => client_id.map(str::to_owned),
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        Some(uri) => {
            let client = client_id
                .as_deref()
                .and_then(|id| tenant.config.client(id))
                .ok_or("post_logout_redirect_uri needs id_token_hint or client_id.")?;
            if !redirect::matches(&client.post_logout_redirect_uris, uri) {
                return Err("The post_logout_redirect_uri is not registered for this application.");
            }
            Some(uri.to_owned())
        }
        None => None,
    };
    Ok(Logout {
        client_id,
        redirect,
        state: params.get("state").map(str::to_owned),
        hint,
    })
}

fn confirmation(tenant: &Tenant, headers: &HeaderMap, logout: &Logout) -> Response {
    let page = Page::new(tenant, headers, &[], None);
    let page = page.clone().titled(page.t.sign_out);
    let template = LogoutPage {
        page: &page,
        post_logout_redirect_uri: logout.redirect.as_deref(),
        client_id: logout.client_id.as_deref(),
        state: logout.state.as_deref(),
    };
    render(&template, &page, StatusCode::OK, &[])
}
