//! Checking a customer's code: counted against the account's lockout and the client address's
//! throttle like a password attempt (the same `lockout` policy, the same store counters), and
//! accepted once per time step.

use std::sync::Arc;

use super::seal::DataKey;
use super::totp::matching_step;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, Limit, User};

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
    let policy = &tenant.config.attack_protection.lockout;
    let now = state.now();
    let window = i64::try_from(policy.duration.as_secs()).unwrap_or(i64::MAX).max(1);
    let max = if policy.enabled {
        i64::from(policy.max_failures).max(1)
    } else {
        i64::MAX
    };
    let limit = |max| Limit {
        now,
        window_start: now.minus_seconds(window),
        max,
    };
    let address = crate::net::limit_key(info.ip).to_string();
    let store = &state.store;
    // Reserved before the code is looked at, as a password attempt: racing guesses cannot
    // exceed the limits.
    let Some(_) = store.reserve_address_attempt(&address, limit((max - 1).max(1))).await? else {
        return Ok(CodeVerdict::Blocked);
    };
    let Some(reserved) = store.reserve_account_attempt(&user.id, limit(max)).await? else {
        return Ok(CodeVerdict::Blocked);
    };
    if accepted(state, user, code).await? {
        // A lock taken meanwhile stands, as after a right password.
        if store
            .account_attempt_succeeded(&user.id, reserved.failures, now)
            .await?
        {
            store.release_address_attempt(&address).await?;
            return Ok(CodeVerdict::Accepted);
        }
        return Ok(CodeVerdict::Blocked);
    }
    if reserved.failures >= max {
        let until = now.plus_seconds(window);
        if store.lock_account(&user.id, max, until).await? {
            crate::audit::record(state, AuditEvent::AccountLocked, Some(&user.id), None, info).await;
        }
    }
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

/// Whether `code` is right for `user`'s authenticator and its time step was not used yet.
async fn accepted(state: &AppState, user: &User, code: &str) -> Result<bool, Error> {
    let Some(factor) = state.store.totp(&user.id).await? else {
        return Ok(false);
    };
    let key = DataKey::load(&state.store)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
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
