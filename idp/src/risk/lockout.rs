//! Account lockout and the throttle of failed sign-ins per client address: how a password
//! attempt (at sign-in, or the current password on the account page) is counted and decided.
//!
//! The rule (the README's "Attack protection" says the same):
//! - Failures count within a window of `lockout.duration`: one older than that is forgotten.
//! - An account locks after `maxFailures` failures in a window. The lock lasts `duration`,
//!   doubling with each further lock in a row (no successful sign-in in between), at most a day.
//!   Attempts during a lock are refused without being counted, so they never prolong it; the
//!   right password neither signs in nor unlocks. The owner gets an email whose reset link
//!   unlocks the account at once.
//! - A client address (an IPv6 /64) is blocked after `maxFailures - 1` failures in a window (at
//!   least 1), wrong passwords, unknown and locked accounts alike, whichever the account. The
//!   block lasts `duration`, doubling with each further block in a row, at most a day. So one
//!   address is stopped before it can lock an account, and when its block ends the account's
//!   failures have expired: locking someone out takes several addresses, each of which then
//!   waits longer and longer.
//! - Every attempt is reserved (counted as a failure) by one atomic statement before the hash
//!   runs, so concurrent attempts cannot exceed either limit; a success takes it back after, and
//!   so does an attempt the full hashing queue turned away unjudged (503).
//! - A locked account, an unknown one and a wrong password get the same answer after the same
//!   work (one hash), so the answer reveals neither the account nor its lock.

use std::sync::Arc;

use vestibule_crds::SecretString;
use vestibule_crds::v1alpha1::Lockout;

use crate::app::AppState;
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
use crate::ids::UnixTime;
use crate::password::HashError;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, Limit, Reserved, User};

/// The longest a lock or a block lasts, however often it doubled (unless `duration` is longer).
const MAX_BACKOFF: i64 = 24 * 3600;

/// How a password attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The right password, and the account is not locked.
    Accepted,
    /// Refused, with one answer whatever the reason.
    Refused(Refusal),
    /// The client address failed too often: refused before any account was looked at.
    AddressBlocked,
}

/// Why an attempt was refused: for metrics and the audit log, never for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The password (or the second factor's code) is wrong.
    WrongPassword,
    /// No account has the identifier.
    UnknownAccount,
    /// The account is locked (or an attempt under way may lock it).
    Locked,
}

/// The limits of one tenant at one instant.
#[derive(Debug, Clone, Copy)]
struct Rules {
    now: UnixTime,
    window: i64,
    account_max: i64,
    address_max: i64,
}

impl Rules {
    fn new(policy: &Lockout, now: UnixTime) -> Self {
        let window = i64::try_from(policy.duration.as_secs()).unwrap_or(MAX_BACKOFF).max(1);
        let (account_max, address_max) = if policy.enabled {
            let max = i64::from(policy.max_failures).max(1);
            // Fewer than an account allows: the address is stopped before the account locks.
            (max, (max - 1).max(1))
        } else {
            (i64::MAX, i64::MAX)
        };
        Self {
            now,
            window,
            account_max,
            address_max,
        }
    }

    fn limit(&self, max: i64) -> Limit {
        Limit {
            now: self.now,
            window_start: self.now.minus_seconds(self.window),
            max,
        }
    }

    /// How long the lock or block after `previous` ones in a row lasts.
    fn backoff(&self, previous: i64) -> i64 {
        let factor = 1_i64 << previous.clamp(0, 20);
        self.window.saturating_mul(factor).min(MAX_BACKOFF.max(self.window))
    }
}

/// Checks `password` for `user` (`None` when no account has `identifier`), counting the attempt
/// against the account and the client address. Only [`Verdict::Accepted`] may sign anyone in.
pub async fn check_password(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    user: Option<&User>,
    identifier: &str,
    password: &SecretString,
) -> Result<Verdict, Error> {
    let rules = Rules::new(&tenant.config.attack_protection.lockout, state.now());
    // IPv6 by /64, which one customer line usually gets, as every limit counts addresses.
    let address = crate::net::limit_key(info.ip).to_string();
    let store = &state.store;
    let Some(from_address) = store
        .reserve_address_attempt(&address, rules.limit(rules.address_max))
        .await?
    else {
        return Ok(Verdict::AddressBlocked);
    };
    let on_account = match user {
        Some(user) => {
            store
                .reserve_account_attempt(&user.id, rules.limit(rules.account_max))
                .await?
        }
        None => None,
    };
    // Unknown and locked accounts are checked against a dummy hash: same work, same time.
    let hash = user
        .filter(|_| on_account.is_some())
        .map(|user| user.password_hash.as_str());
    let verified = match state.hasher.verify(password, hash).await {
        Ok(verified) => verified,
        Err(HashError::Busy) => {
            // A full hashing queue (503) judged nothing: the reservations are released, or
            // whoever floods the queue would lock the victim out with attempts never checked.
            release(state, user.filter(|_| on_account.is_some()), &address).await?;
            return Err(Error::Busy);
        }
        Err(error) => return Err(error.into()),
    };
    let refusal = match (user, on_account) {
        (Some(user), Some(reserved)) if verified => {
            // The lock is checked again after the hash: one taken meanwhile stands.
            if store
                .account_attempt_succeeded(&user.id, reserved.failures, state.now())
                .await?
            {
                store.release_address_attempt(&address).await?;
                return Ok(Verdict::Accepted);
            }
            Refusal::Locked
        }
        (Some(user), Some(reserved)) => {
            lock_if_due(state, tenant, &rules, user, reserved, info).await?;
            Refusal::WrongPassword
        }
        (Some(_), None) => Refusal::Locked,
        (None, _) => Refusal::UnknownAccount,
    };
    block_if_due(state, &rules, &address, from_address).await?;
    record_failure(state, user, identifier, refusal, info).await;
    Ok(Verdict::Refused(refusal))
}

/// Checks a second factor of `user` with `verify`, counted exactly as a password attempt: the
/// same reservations before `verify` runs, the same lock (doubling, the owner emailed) and the same
/// address block. `verify` runs only when neither the address nor the account is stopped.
pub async fn check_factor(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    user: &User,
    verify: impl Future<Output = Result<bool, Error>>,
) -> Result<Verdict, Error> {
    let rules = Rules::new(&tenant.config.attack_protection.lockout, state.now());
    let address = crate::net::limit_key(info.ip).to_string();
    let store = &state.store;
    let Some(from_address) = store
        .reserve_address_attempt(&address, rules.limit(rules.address_max))
        .await?
    else {
        return Ok(Verdict::AddressBlocked);
    };
    let Some(reserved) = store
        .reserve_account_attempt(&user.id, rules.limit(rules.account_max))
        .await?
    else {
        return Ok(Verdict::Refused(Refusal::Locked));
    };
    if verify.await? {
        // The lock is checked again after the check: one taken meanwhile stands.
        if store
            .account_attempt_succeeded(&user.id, reserved.failures, state.now())
            .await?
        {
            store.release_address_attempt(&address).await?;
            return Ok(Verdict::Accepted);
        }
        return Ok(Verdict::Refused(Refusal::Locked));
    }
    lock_if_due(state, tenant, &rules, user, reserved, info).await?;
    block_if_due(state, &rules, &address, from_address).await?;
    Ok(Verdict::Refused(Refusal::WrongPassword))
}

/// Takes back the attempt reserved on `user` (when one was) and on `address`.
async fn release(state: &AppState, user: Option<&User>, address: &str) -> Result<(), Error> {
    if let Some(user) = user {
        state.store.release_account_attempt(&user.id).await?;
    }
    state.store.release_address_attempt(address).await?;
    Ok(())
}

/// Locks the account when this failure reaches the limit, and tells its owner.
async fn lock_if_due(
    state: &AppState,
    tenant: &Arc<Tenant>,
    rules: &Rules,
    user: &User,
    reserved: Reserved,
    info: &RequestInfo,
) -> Result<(), Error> {
    if reserved.failures < rules.account_max {
        return Ok(());
    }
    let until = state.now().plus_seconds(rules.backoff(reserved.locks));
    if !state.store.lock_account(&user.id, rules.account_max, until).await? {
        return Ok(());
    }
    crate::audit::record(state, AuditEvent::AccountLocked, Some(&user.id), None, info).await;
    let locales: Vec<String> = user.locale.iter().cloned().collect();
    let t = tenant.languages.negotiate(&locales, None);
    crate::authn::recovery::mail_reset_link(state, tenant, t, user, Kind::Locked).await
}

/// Blocks the address when this failure reaches its limit.
async fn block_if_due(state: &AppState, rules: &Rules, address: &str, reserved: Reserved) -> Result<(), Error> {
    if reserved.failures < rules.address_max {
        return Ok(());
    }
    let until = state.now().plus_seconds(rules.backoff(reserved.locks));
    if state.store.block_address(address, rules.address_max, until).await? {
        tracing::warn!(
            address,
            until = until.seconds(),
            "failed sign-ins: the address is blocked for a while"
        );
    }
    Ok(())
}

/// Audits a refused attempt; an unknown identifier only as its SHA-256, never in clear.
async fn record_failure(state: &AppState, user: Option<&User>, identifier: &str, refusal: Refusal, info: &RequestInfo) {
    let detail = match refusal {
        Refusal::WrongPassword => "wrong password".to_owned(),
        Refusal::Locked => "account locked".to_owned(),
        Refusal::UnknownAccount => format!("unknown identifier sha256:{}", crate::random::hash(identifier)),
    };
    let user_id = user.map(|user| &user.id);
    crate::audit::record_detail(state, AuditEvent::LoginFailed, user_id, None, info, Some(detail)).await;
}

#[cfg(test)]
mod tests {
    use vestibule_crds::Duration;

    use super::*;

    fn rules_of(max_failures: u32, minutes: u64) -> Rules {
        let policy = Lockout {
            enabled: true,
            max_failures,
            duration: Duration::from_mins(minutes),
        };
        Rules::new(&policy, UnixTime::from_seconds(1_000_000))
    }

    #[test]
    fn an_address_is_stopped_before_an_account_locks() {
        let rules = rules_of(10, 15);
        assert_eq!((rules.account_max, rules.address_max), (10, 9));
        let single = rules_of(1, 15);
        assert_eq!((single.account_max, single.address_max), (1, 1));
        let off = Rules::new(
            &Lockout {
                enabled: false,
                ..Lockout::default()
            },
            UnixTime::from_seconds(0),
        );
        assert_eq!((off.account_max, off.address_max), (i64::MAX, i64::MAX));
    }

    #[test]
    fn locks_double_in_a_row_up_to_a_day() {
        let rules = rules_of(10, 15);
        let minutes: Vec<i64> = (0..9).map(|n| rules.backoff(n) / 60).collect();
        assert_eq!(minutes, [15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
        assert_eq!(rules.backoff(i64::MAX), MAX_BACKOFF);
        let long = rules_of(10, 3 * 24 * 60);
        assert_eq!(long.backoff(5), 3 * MAX_BACKOFF, "a longer duration is kept as it is");
        assert_eq!(rules.limit(10).window_start.seconds(), 1_000_000 - 900);
    }
}
