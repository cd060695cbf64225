//! Challenged mode against credential stuffing and password spraying: the failed sign-ins of
//! each client address (an IPv4 address or an IPv6 /64) and the distinct accounts they tried,
//! counted in the database so every replica sees them. Past the tenant's thresholds the address
//! is challenged until `window` after its last failure; then it ends by itself.

use std::net::IpAddr;

use vestibule_crds::v1alpha1::Challenge;

use crate::app::AppState;
use crate::error::Error;
use crate::ids::UnixTime;
use crate::request_info::RequestInfo;
use crate::store::{AddressSignals, AuditEvent};

/// Whether `signals` pass the thresholds of `policy`.
pub fn passes_thresholds(policy: &Challenge, signals: AddressSignals) -> bool {
    signals.failures >= i64::from(policy.failures_per_address)
        || signals.accounts >= i64::from(policy.accounts_per_address)
}

/// Whether sign-ins from `address` must solve a challenge now.
pub async fn is_challenged(state: &AppState, policy: &Challenge, address: IpAddr) -> Result<bool, Error> {
    if !policy.enabled {
        return Ok(false);
    }
    let key = crate::net::limit_key(address).to_string();
    let signals = state
        .store
        .address_signals(&key, window_start(policy, state.now()))
        .await?;
    Ok(passes_thresholds(policy, signals))
}

/// Counts a failed sign-in on `email` (normalized, known or not) from the request's address;
/// audits and counts the address entering challenged mode with its signals.
pub async fn record_failure(
    state: &AppState,
    policy: &Challenge,
    info: &RequestInfo,
    email: &str,
) -> Result<(), Error> {
    if !policy.enabled {
        return Ok(());
    }
    let key = crate::net::limit_key(info.ip).to_string();
    let now = state.now();
    let since = window_start(policy, now);
    // The account only as its hash, as the rate limits keep it: no address book of attempts.
    let account = crate::random::hash(email);
    let account_failures = state.store.count_address_failure(&key, &account, now, since).await?;
    let after = state.store.address_signals(&key, since).await?;
    let before = AddressSignals {
        failures: after.failures - 1,
        accounts: after.accounts - i64::from(account_failures == 1),
    };
    if passes_thresholds(policy, after) && !passes_thresholds(policy, before) {
        state.metrics.observe_address_challenged();
        let detail = format!(
            "address {key}: {} failures, {} accounts within {}",
            after.failures, after.accounts, policy.window
        );
        crate::audit::record_detail(state, AuditEvent::AddressChallenged, None, None, info, Some(detail)).await;
    }
    Ok(())
}

/// The start of the window that ends at `now`.
fn window_start(policy: &Challenge, now: UnixTime) -> UnixTime {
    now.minus_seconds(i64::try_from(policy.window.as_secs()).unwrap_or(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_threshold_challenges() {
        let policy = Challenge::default();
        let signals = |failures, accounts| AddressSignals { failures, accounts };
        assert!(!passes_thresholds(&policy, signals(4, 2)));
        assert!(passes_thresholds(&policy, signals(5, 1)), "failures");
        assert!(passes_thresholds(&policy, signals(3, 3)), "accounts");
    }
}
