//! Checking a customer's code: counted against the account's lockout and the client address's
//! throttle as a password attempt is (`risk::lockout::check_factor`), and accepted once per time
//! step.

use std::sync::Arc;

use super::seal::data_key;
use super::totp::matching_step;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::risk::lockout::{self, Refusal, Verdict};
use crate::store::{AuditEvent, User};

/// How a code was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeVerdict {
    /// Right, and not used before: the factor is proven (and confirmed, if it was not).
    Accepted,
    /// Wrong, already used, or no authenticator: one answer.
    Refused,
    /// The account is locked or the address throttled: refused without looking at the code.
    Blocked,
}

/// Checks `code` against `user`'s authenticator (confirmed or being confirmed).
pub async fn check_code(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    user: &User,
    code: &str,
) -> Result<CodeVerdict, Error> {
    // Counted as a password attempt: racing or repeated guesses meet the same lock and throttle.
    match lockout::check_factor(state, tenant, info, user, accepted(state, user, code)).await? {
        Verdict::Accepted => Ok(CodeVerdict::Accepted),
        Verdict::AddressBlocked | Verdict::Refused(Refusal::Locked) => Ok(CodeVerdict::Blocked),
        Verdict::Refused(_) => {
            crate::audit::record_detail(
                state,
                AuditEvent::LoginFailed,
                Some(&user.id),
                None,
                info,
                Some("wrong one-time code".into()),
            )
            .await;
            Ok(CodeVerdict::Refused)
        }
    }
}

/// Whether `code` is right for `user`'s authenticator and its time step was not used yet.
async fn accepted(state: &AppState, user: &User, code: &str) -> Result<bool, Error> {
    let Some(factor) = state.store.totp(&user.id).await? else {
        return Ok(false);
    };
    let key = data_key(state).await?;
    let secret = key
        .open(&factor.secret_sealed, user.id.as_str())
        .map_err(|e| Error::Internal(e.to_string()))?;
    let Some(step) = matching_step(&secret, code, state.now()) else {
        return Ok(false);
    };
    // RFC 6238 5.2: a code is accepted once; the step is stored atomically, so a replay (or a
    // racing second use) of this step or an earlier one is refused.
    Ok(state.store.accept_totp_step(&user.id, step, state.now()).await?)
}
