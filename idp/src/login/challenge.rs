//! The proof-of-work step of the sign-in form: a challenged address gets a challenge with the
//! form (solved by `/assets/challenge.js`), and its submission must carry the answer before the
//! password is looked at. A browser the account trusts skips it.

use std::net::IpAddr;

use axum::http::HeaderMap;

use super::page::Page;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::mfa::passkey;
use crate::request_info::RequestInfo;
use crate::risk::proof_of_work::{self, Issued};
use crate::risk::stuffing;
use crate::store::{AuditEvent, User};

/// A challenge for the sign-in form shown on `page`, when `address` is challenged.
pub(super) async fn for_form(
    state: &AppState,
    tenant: &Tenant,
    page: &Page,
    address: IpAddr,
) -> Result<Option<Issued>, Error> {
    let policy = &tenant.config.attack_protection.challenge;
    if !stuffing::is_challenged(state, policy, address).await? {
        return Ok(None);
    }
    let transaction = passkey::browser_binding(page.request.as_deref(), &page.csrf);
    let issued = proof_of_work::issue(&state.store, address, &transaction, policy.difficulty, state.now()).await?;
    state.metrics.observe_challenge("issued");
    Ok(Some(issued))
}

/// What the submitted sign-in form carried.
pub(super) struct Answer<'a> {
    /// The challenge it was shown.
    pub challenge: &'a str,
    /// The counter the browser found.
    pub counter: &'a str,
}

/// Whether the sign-in may go on to the password: the address is not challenged, the browser is
/// trusted by `user`, or `answer` solves a live challenge of this address and transaction.
pub(super) async fn passed(
    state: &AppState,
    tenant: &Tenant,
    (page, headers, info): (&Page, &HeaderMap, &RequestInfo),
    user: Option<&User>,
    answer: Answer<'_>,
) -> Result<bool, Error> {
    let policy = &tenant.config.attack_protection.challenge;
    if !stuffing::is_challenged(state, policy, info.ip).await? {
        return Ok(true);
    }
    if let Some(user) = user
        && crate::mfa::device::is_trusted(state, tenant, headers, &user.id).await?
    {
        // A browser the account trusts holds a token no stuffing list has.
        return Ok(true);
    }
    let transaction = passkey::browser_binding(page.request.as_deref(), &page.csrf);
    let redeemed = proof_of_work::redeem(
        &state.store,
        info.ip,
        &transaction,
        (answer.challenge, answer.counter),
        state.now(),
    )
    .await?;
    let Err(refused) = redeemed else {
        state.metrics.observe_challenge("passed");
        return Ok(true);
    };
    state.metrics.observe_challenge("failed");
    let detail = Some(format!("challenge {}", refused.as_str()));
    crate::audit::record_detail(state, AuditEvent::ChallengeFailed, None, None, info, detail).await;
    Ok(false)
}
