//! The privacy page of a sign-in: the documents to accept and the purposes to decide on, when
//! the customer has no current answers. Accepting records them; declining declines the purposes
//! and, when a document is due, ends the sign-in and the session on a page saying why.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::config::ConsentPolicyConfig;

use super::flow;
use super::page::{Page, message, render};
use super::privacy_choices::{Choices, purpose_answers};
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::authn::{SignIn, StepKind, transaction};
use crate::config::Tenant;
use crate::error::Error;
use crate::http::errors::Notice;
use crate::http::extract::CsrfForm;
use crate::http::params::Params;
use crate::privacy::asking::{self, Due};
use crate::privacy::records::{self, Answer, Given};
use crate::request_info::RequestInfo;
use crate::store::ConsentSource;

#[derive(Template)]
#[template(path = "privacy_consent.html")]
struct PrivacyPage<'a> {
    page: &'a Page,
    choices: Choices,
    user_email: &'a str,
    request_id: &'a str,
}

/// Query of the privacy page.
#[derive(Debug, Deserialize)]
pub struct PrivacyQuery {
    request: Option<String>,
}

/// The sign-in `id` of this browser, at its privacy step for the customer signed in here.
enum Found {
    /// At the privacy step.
    Here(SignIn, Box<SignedIn>),
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
    // Only the customer the sign-in identified answers, and only when it asks them to.
    if sign_in.is_for(&signed_in.user.id) && sign_in.is_at(StepKind::PrivacyConsent) {
        Ok(Found::Here(sign_in, Box::new(signed_in)))
    } else {
        Ok(Found::Elsewhere(sign_in))
    }
}

/// What is due of `policy` for the customer now.
async fn due_now(state: &AppState, policy: &ConsentPolicyConfig, signed_in: &SignedIn) -> Result<Due, Error> {
    let current = state.store.current_consents(&signed_in.user.id).await?;
    Ok(asking::due(policy, &current, state.now()))
}

/// `GET /privacy/consent?request=…`.
pub async fn privacy_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PrivacyQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let (sign_in, signed_in) = match find(&state, &tenant, &headers, query.request.as_deref()).await? {
        Found::Here(sign_in, signed_in) => (sign_in, signed_in),
        Found::Elsewhere(sign_in) => return Ok(flow::next(&tenant, Some(&sign_in), &[])),
        Found::Missing => return Err(expired()),
    };
    let Some(policy) = crate::privacy::policy(&tenant) else {
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    };
    let current = state.store.current_consents(&signed_in.user.id).await?;
    let due = asking::due(policy, &current, state.now());
    if due.is_empty() {
        // Answered meanwhile (another tab): the sign-in goes on.
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    }
    let page = Page::new(&tenant, &headers, sign_in.ui_locales(), Some(sign_in.id.clone()));
    let page = page.clone().titled(page.t.privacy_consent_title);
    let gpc = records::gpc(&headers);
    let template = PrivacyPage {
        page: &page,
        choices: Choices::new(page.t, policy, &current, &due.documents, gpc, state.now()),
        user_email: &signed_in.user.email,
        request_id: &sign_in.id,
    };
    Ok(render(&template, &page, StatusCode::OK, &[]))
}

/// `POST /privacy/consent`: records the answers and drives the sign-in on, or ends it when a
/// due document is declined.
pub async fn privacy_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let (sign_in, signed_in) = match find(&state, &tenant, &headers, form.get("request")).await? {
        Found::Here(sign_in, signed_in) => (sign_in, signed_in),
        Found::Elsewhere(sign_in) => return Ok(flow::next(&tenant, Some(&sign_in), &[])),
        Found::Missing => return Err(expired()),
    };
    let Some(policy) = crate::privacy::policy(&tenant) else {
        return Ok(flow::next(&tenant, Some(&sign_in), &[]));
    };
    let due = due_now(&state, policy, &signed_in).await?;
    let given = Given {
        source: ConsentSource::SignIn,
        info: &info,
        gpc: records::gpc(&headers),
    };
    let accepted = form.get("decision") == Some("accept");
    let user = &signed_in.user.id;
    if !accepted && !due.documents.is_empty() {
        let declined: Vec<Answer> = due.documents.iter().map(|d| Answer::document(*d, false)).collect();
        records::record(&state, policy, user, &declined, given).await?;
        return refuse(&state, &tenant, &headers, &sign_in, &signed_in).await;
    }
    let mut answers: Vec<Answer> = due.documents.iter().map(|d| Answer::document(*d, true)).collect();
    if accepted {
        answers.extend(purpose_answers(policy, &form, given.gpc));
    } else {
        answers.extend(purpose_answers(policy, &Params::default(), given.gpc));
    }
    records::record(&state, policy, user, &answers, given).await?;
    Ok(flow::next(&tenant, Some(&sign_in), &[]))
}

/// A due document was declined: no sign-in. The sign-in and the session end, and the page says
/// why, in the customer's language.
async fn refuse(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    sign_in: &SignIn,
    signed_in: &SignedIn,
) -> Result<Response, Error> {
    transaction::end(state, sign_in).await?;
    // The session proved the password but must reach nothing without the documents accepted.
    state
        .store
        .delete_session(&signed_in.user.id, &signed_in.session.id)
        .await?;
    let page = Page::new(tenant, headers, sign_in.ui_locales(), None);
    let t = page.t;
    let link = Some((page.link("/login"), t.sign_in));
    let mut response = message(
        page,
        t.privacy_declined_title,
        t.privacy_declined_body,
        link,
        StatusCode::FORBIDDEN,
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, super::cookies::clear(&tenant.cookies.session));
    Ok(response)
}

/// A sign-in that lapsed, was finished, or belongs to another browser.
fn expired() -> Error {
    Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired)
}
