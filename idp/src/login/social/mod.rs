//! Sign-in through upstream providers, as routes: the start (a form button on the sign-in,
//! registration and account pages), the callback of each provider, the page that asks the
//! customer to prove an account before linking, and unlinking from the account page.

mod answer;
mod link;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::flow::{self, see_other};
use super::form::Submission;
use super::page::Page;
use super::session;
use crate::app::AppState;
use crate::authn::steps::federated::{Awaiting, Intent};
use crate::authn::{Assurance, Purpose, SignIn, transaction};
use crate::error::Error;
use crate::http::errors::Notice;
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::social::{self, Callback, UpstreamError};

pub use link::{AccountIdentities, account_identities};

/// Where a sign-in started outside an application's request ends: the account page.
const ACCOUNT_RESUME: &str = "/account/continue";

/// The parameters a provider's answer may carry, and nothing else, into our own URL.
const CALLBACK_FIELDS: [&str; 6] = ["code", "state", "error", "error_description", "iss", "user"];

/// The routes of social sign-in.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/social/{id}/start", post(start_post))
        .route("/social/{id}/callback", get(callback_get).post(callback_post))
        .route("/social/link", get(link::link_get).post(link::link_post))
        .route("/account/identities/unlink", post(link::unlink_post))
}

/// `POST /social/{id}/start`: records the values that bind the provider's answer in the
/// sign-in (a new one when the page belongs to none) and sends the browser to the provider.
async fn start_post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let Submission {
        tenant,
        form,
        sign_in,
        page,
        ..
    } = submission;
    let Some(served) = tenant.social.get(&id).cloned() else {
        return Err(Error::NotFound);
    };
    let intent = match form.get("intent") {
        Some("link") => match session::complete(&state, &tenant, &headers).await? {
            Some(signed_in) => Intent::Link {
                user_id: signed_in.user.id,
            },
            None => return Ok(see_other(&tenant.path("/account"), &[])),
        },
        Some("prove") => Intent::Prove,
        _ => Intent::SignIn,
    };
    let mut sign_in = match (&intent, sign_in) {
        (Intent::SignIn, Some(sign_in)) => sign_in,
        (Intent::Prove, Some(sign_in)) if sign_in.progress.link.is_some() => sign_in,
        (Intent::Prove, _) => return Err(Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired)),
        // Linking from the account page, or signing in from a page that belongs to no sign-in.
        _ => SignIn::start(
            state.rng.as_ref(),
            Purpose::Account,
            ACCOUNT_RESUME,
            Assurance::default(),
            state.now(),
        ),
    };
    let redirect_uri = tenant.url(&format!("/social/{id}/callback"));
    let redirect = match social::start(&served.provider, &redirect_uri).await {
        Ok(redirect) => redirect,
        Err(error) => return Ok(answer::failed(&state, page, &served, &info, &error).await),
    };
    sign_in.progress.upstream = Some(Awaiting {
        provider_id: served.id.clone(),
        pending: redirect.pending,
        intent,
    });
    let cookie = if sign_in.is_stored() {
        if !transaction::save(&state, &sign_in).await? {
            return Err(Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired));
        }
        None
    } else {
        match transaction::store(&state, &tenant, &headers, info.ip, &mut sign_in).await? {
            Some(cookie) => Some(cookie),
            None => return Err(Error::Refused(StatusCode::TOO_MANY_REQUESTS, Notice::TooManySignIns)),
        }
    };
    Ok(see_other(redirect.url.as_str(), cookie.as_slice()))
}

/// `POST /social/{id}/callback` (`response_mode=form_post`, Sign in with Apple): a cross-site
/// POST carries no SameSite cookie, so the answer hops to our own GET with the same parameters,
/// which the browser sends with its cookies. Nothing is read or changed here.
async fn callback_post(State(state): State<AppState>, Path(id): Path<String>, body: String) -> Response {
    let tenant = state.tenant.get();
    let form = Params::parse(&body).unwrap_or_default();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for name in CALLBACK_FIELDS {
        if let Some(value) = form.get(name) {
            query.append_pair(name, value);
        }
    }
    let location = format!(
        "{}?{}",
        tenant.path(&format!("/social/{}/callback", flow::url_encode(&id))),
        query.finish()
    );
    see_other(&location, &[])
}

/// `GET /social/{id}/callback`: the provider's answer. Its `state` must name a sign-in of this
/// browser awaiting this provider; that sign-in gives up its state at once (one use), then the
/// answer is checked, the code exchanged and the identity signed in, linked or registered.
async fn callback_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    info: RequestInfo,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let Some(served) = tenant.social.get(&id).cloned() else {
        return Err(Error::NotFound);
    };
    let callback = read_callback(query.as_deref().unwrap_or_default());
    let upstream_state = callback.state.as_deref().unwrap_or_default();
    let found = transaction::awaiting(&state, &tenant, &headers, &id, upstream_state).await?;
    let Some((mut sign_in, awaiting)) = found.and_then(|mut sign_in| {
        let awaiting = sign_in.progress.upstream.take()?;
        Some((sign_in, awaiting))
    }) else {
        let page = Page::new(&tenant, &headers, &[], None);
        return Ok(answer::failed(&state, page, &served, &info, &UpstreamError::StateMismatch).await);
    };
    let page = Page::new(&tenant, &headers, sign_in.ui_locales(), Some(sign_in.id.clone()));
    // Consumed before the exchange: a replayed answer finds no sign-in awaiting it (of two
    // racing requests, the provider redeems the single-use code for one only, RFC 6749 4.1.2).
    if !transaction::save(&state, &sign_in).await? {
        return Ok(answer::failed(&state, page, &served, &info, &UpstreamError::StateMismatch).await);
    }
    let identity = match social::finish(&served.provider, &callback, &awaiting.pending, state.now()).await {
        Ok(identity) => identity,
        Err(error) => return Ok(answer::failed(&state, page, &served, &info, &error).await),
    };
    let context = answer::Context {
        state: &state,
        tenant: &tenant,
        headers: &headers,
        info: &info,
        served: &served,
    };
    answer::identified(&context, page, &mut sign_in, awaiting.intent, identity).await
}

/// The callback's parameters; a malformed or repeated one reads as none (the state check then
/// refuses the answer).
fn read_callback(query: &str) -> Callback {
    let params = Params::parse(query).unwrap_or_default();
    let field = |name: &str| params.get(name).map(str::to_owned);
    Callback {
        code: field("code"),
        state: field("state"),
        error: field("error"),
        error_description: field("error_description"),
        iss: field("iss"),
        user: field("user"),
    }
}
