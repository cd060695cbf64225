//! Challenged mode against credential stuffing and password spraying: the failed sign-ins of
//! each client address (an IPv4 address or an IPv6 /64) and the distinct accounts they tried,
//! counted in the database so every replica sees them. Past the tenant's thresholds the address
//! is challenged until `window` after its last failure; then it ends by itself. A wave spread
//! over many addresses, each below those thresholds, shows in the tenant's outcomes: while the
//! failure ratio of the last five minutes is `tenantRatioFactor` times the usual one (the hour
//! before, at least 10 %) with at least `tenantFailures` failures, every address is challenged.

use std::net::IpAddr;

use vestibule_crds::v1alpha1::Challenge;

use crate::app::AppState;
use crate::error::Error;
use crate::ids::UnixTime;
use crate::request_info::RequestInfo;
use crate::store::{AddressSignals, AuditEvent, Outcomes};

/// The minutes whose outcomes are compared with the usual ones.
const RECENT_MINUTES: i64 = 5;
/// The minutes before them that make the usual failure ratio.
const BASELINE_MINUTES: i64 = 60;
/// The episode subject of the whole tenant (limit keys are addresses and never `*`).
const TENANT_SUBJECT: &str = "*";
/// The least usual failure ratio assumed: a quiet hour must not make a few typos an attack.
const BASELINE_FLOOR: f64 = 0.1;

/// The failure ratio of `outcomes` (0 when there were none).
fn failure_ratio(outcomes: Outcomes) -> f64 {
    let total = outcomes.successes + outcomes.failures;
    if total == 0 {
        return 0.0;
    }
    // Counts within an hour are far below 2^52: exact as floats.
    outcomes.failures as f64 / total as f64
}

/// Whether the tenant's `recent` outcomes, against its `baseline` ones, make a wave.
pub fn tenant_under_attack(policy: &Challenge, recent: Outcomes, baseline: Outcomes) -> bool {
    let usual = failure_ratio(baseline).max(BASELINE_FLOOR);
    recent.failures >= i64::from(policy.tenant_failures)
        && failure_ratio(recent) >= usual * f64::from(policy.tenant_ratio_factor)
}

/// The tenant's outcomes of the last minutes and of the hour before them, at `now`.
async fn tenant_outcomes(state: &AppState, now: UnixTime) -> Result<(Outcomes, Outcomes), Error> {
    let minute = now.seconds().div_euclid(60);
    let recent = minute - RECENT_MINUTES + 1;
    Ok(state.store.sign_in_outcomes(recent - BASELINE_MINUTES, recent).await?)
}

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
    if passes_thresholds(policy, signals) {
        return Ok(true);
    }
    let (recent, baseline) = tenant_outcomes(state, state.now()).await?;
    Ok(tenant_under_attack(policy, recent, baseline))
}

/// Counts a successful sign-in in the tenant's outcomes (the baseline a wave stands out from).
pub async fn record_success(state: &AppState, policy: &Challenge) -> Result<(), Error> {
    if !policy.enabled {
        return Ok(());
    }
    let minute = state.now().seconds().div_euclid(60);
    Ok(state.store.count_sign_in_outcome(minute, false).await?)
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
    record_tenant_failure(state, policy, info, now).await?;
    // The account only as its hash, as the rate limits keep it: no address book of attempts.
    let account = crate::random::hash(email);
    state.store.count_address_failure(&key, &account, now, since).await?;
    let signals = state.store.address_signals(&key, since).await?;
    if passes_thresholds(policy, signals) && entered(state, &key, now, since).await? {
        state.metrics.observe_address_challenged();
        let detail = format!(
            "address {key}: {} failures, {} accounts within {}",
            signals.failures, signals.accounts, policy.window
        );
        crate::audit::record_detail(state, AuditEvent::AddressChallenged, None, None, info, Some(detail)).await;
    }
    Ok(())
}

/// Whether this failure, past the thresholds of `subject`, starts its episode of challenged mode
/// (no failure past them since `since`) rather than extending one: claimed in one statement, so
/// concurrent failures that all pass the thresholds audit the entering once.
async fn entered(state: &AppState, subject: &str, now: UnixTime, since: UnixTime) -> Result<bool, Error> {
    let episode = crate::random::token();
    Ok(state
        .store
        .extend_challenge_episode(subject, &episode, now, since)
        .await?)
}

/// Counts a failure in the tenant's outcomes; audits and counts the tenant entering challenged
/// mode (the first failure under attack after five minutes without one).
async fn record_tenant_failure(
    state: &AppState,
    policy: &Challenge,
    info: &RequestInfo,
    now: UnixTime,
) -> Result<(), Error> {
    state
        .store
        .count_sign_in_outcome(now.seconds().div_euclid(60), true)
        .await?;
    let (recent, baseline) = tenant_outcomes(state, now).await?;
    let since = now.minus_seconds(RECENT_MINUTES * 60);
    if tenant_under_attack(policy, recent, baseline) && entered(state, TENANT_SUBJECT, now, since).await? {
        state.metrics.observe_tenant_challenged();
        let detail = format!(
            "tenant: {} failures and {} successes in the last {RECENT_MINUTES} minutes, {} and {} in the hour before",
            recent.failures, recent.successes, baseline.failures, baseline.successes
        );
        crate::audit::record_detail(state, AuditEvent::TenantChallenged, None, None, info, Some(detail)).await;
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

    #[test]
    fn a_wave_is_a_failure_ratio_far_above_the_usual_with_enough_failures() {
        let policy = Challenge::default();
        let outcomes = |successes, failures| Outcomes { successes, failures };
        let usual = outcomes(900, 100);
        assert!(
            tenant_under_attack(&policy, outcomes(50, 100), usual),
            "2/3 against 1/10"
        );
        assert!(
            !tenant_under_attack(&policy, outcomes(50, 99), usual),
            "too few failures"
        );
        assert!(
            !tenant_under_attack(&policy, outcomes(300, 100), usual),
            "a busy, normal hour"
        );
        assert!(
            tenant_under_attack(&policy, outcomes(0, 100), outcomes(0, 0)),
            "a quiet hour assumes 10 %"
        );
        let noisy = outcomes(100, 100);
        assert!(
            !tenant_under_attack(&policy, outcomes(20, 100), noisy),
            "usually 50 %: not 3x"
        );
    }
}
