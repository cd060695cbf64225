//! "This was not me": the link in the email telling of a sign-in from a new device or network.
//! Opening it only shows a button (mail scanners fetch links); pressing it ends every session
//! and grant of the account and every trusted device, then opens the form for a new password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow;
use super::form::Submission;
use super::page::{Page, message, render};
use crate::app::AppState;
use crate::authn::recovery::RESET_LIFETIME;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, EmailPurpose};

#[derive(Template)]
#[template(path = "not_me.html")]
struct ConfirmPage<'a> {
    page: &'a Page,
    token: &'a str,
}

/// Query of the link.
#[derive(Debug, Deserialize)]
pub struct NotMeQuery {
    token: Option<String>,
}

/// `GET /not-me?token=…`: the button that secures the account, if the link is still good.
pub async fn not_me_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NotMeQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let token = query.token.unwrap_or_default();
    let usable = state
        .store
        .email_token_user(&crate::random::hash(&token), EmailPurpose::NotMe, state.now())
        .await?;
    if usable.is_none() {
        return Ok(invalid(page));
    }
    let page = page.clone().titled(page.t.not_me_title);
    let confirm = ConfirmPage {
        page: &page,
        token: &token,
    };
    Ok(render(&confirm, &page, StatusCode::OK, &[]))
}

/// `POST /not-me`: once per link, ends every session, grant and trusted device of the account
/// and sends the customer to choose a new password.
pub async fn not_me_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let token_hash = crate::random::hash(submission.field("token"));
    let Submission { tenant, page, .. } = submission;
    let now = state.now();
    let Some(user_id) = state
        .store
        .consume_email_token(&token_hash, EmailPurpose::NotMe, now)
        .await?
    else {
        return Ok(invalid(page));
    };
    // Whoever signed in may hold sessions, refresh tokens and a trusted device: all of them end.
    state.store.delete_other_sessions(&user_id, None).await?;
    state.store.revoke_grants(&user_id, None, now).await?;
    crate::audit::record(&state, AuditEvent::SignInDisowned, Some(&user_id), None, &info).await;
    super::devices::revoke_all(&state, &user_id, &info, "sign-in disowned").await?;
    // The link proved the mailbox, as a reset link does: the new password is chosen right away.
    let reset = crate::random::token();
    state
        .store
        .create_email_token(
            &user_id,
            EmailPurpose::Reset,
            &crate::random::hash(&reset),
            now.plus_seconds(RESET_LIFETIME),
        )
        .await?;
    Ok(flow::see_other(
        &format!("{}?token={reset}", tenant.path("/reset")),
        &[],
    ))
}

fn invalid(page: Page) -> Response {
    let t = page.t;
    message(
        page,
        t.link_invalid_title,
        t.link_invalid_body,
        None,
        StatusCode::BAD_REQUEST,
    )
}
