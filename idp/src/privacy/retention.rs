//! The retention job: warns customers whose accounts went unused for nearly the tenant's
//! `dataRetention.inactiveAccounts`, erases those still unused once the warning's notice has
//! passed, purges audit lines older than `dataRetention.auditLog`, and vacuums what erasures
//! left (PostgreSQL). One replica runs it at a time: the holder of a lease in the database.

use std::sync::Arc;
use std::time::Duration;

use vestibule_crds::v1alpha1::DataRetention;

use crate::app::AppState;
use crate::config::Tenant;
use crate::email::{self, Kind};
use crate::error::Error;
use crate::ids::UnixTime;
use crate::store::{ErasureReason, InactiveAccount};

/// The lease's name.
pub const LEASE: &str = "retention";
/// Accounts warned, and accounts erased, per run at most: a run stays short, the next one
/// continues.
const BATCH: i64 = 500;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    /// Warnings sent.
    pub warned: u64,
    /// Accounts erased for inactivity.
    pub erased: u64,
    /// Audit lines purged.
    pub audit_purged: u64,
    /// Tables vacuumed after erasures (PostgreSQL).
    pub vacuumed: Vec<&'static str>,
}

/// Runs the job once as `holder`, if this replica holds (or takes) the lease for `lease_for`
/// seconds; `None` when another replica holds it.
pub async fn once(state: &AppState, holder: &str, lease_for: i64) -> Result<Option<Run>, Error> {
    let now = state.now();
    let taken = state
        .store
        .take_lease(LEASE, holder, now, now.plus_seconds(lease_for))
        .await?;
    if !taken {
        return Ok(None);
    }
    let tenant = state.tenant.get();
    let mut run = Run::default();
    if let Some(retention) = tenant
        .config
        .consent_policies
        .first()
        .map(|policy| &policy.data_retention)
    {
        run.warned = warn_inactive(state, &tenant, retention, now).await?;
        run.erased = erase_inactive(state, retention, now).await?;
        run.audit_purged = purge_audit(state, retention, now).await?;
    }
    run.vacuumed = state.store.vacuum_erased_tables().await?;
    Ok(Some(run))
}

/// Runs the job every `interval` as `holder` until dropped; failures are logged and retried
/// next time. The lease outlives two intervals, so a holder that stops is replaced soon.
pub async fn every(interval: Duration, state: AppState, holder: String) {
    let lease_for = i64::try_from(interval.as_secs().saturating_mul(2)).unwrap_or(i64::MAX / 4);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match once(&state, &holder, lease_for).await {
            Ok(Some(run)) if run != Run::default() => tracing::info!(?run, "retention ran"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the retention job failed"),
        }
    }
}

fn seconds(duration: vestibule_crds::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 4)
}

/// Warns, once, every account unused for `inactiveAccounts` minus the warning's notice.
async fn warn_inactive(
    state: &AppState,
    tenant: &Arc<Tenant>,
    retention: &DataRetention,
    now: UnixTime,
) -> Result<u64, Error> {
    let Some(inactive) = retention.inactive_accounts else {
        return Ok(0);
    };
    let notice = seconds(retention.warning());
    let unused_before = now.minus_seconds(seconds(inactive) - notice);
    let mut warned = 0;
    for account in state.store.accounts_to_warn(unused_before, BATCH).await? {
        // Recorded before sending: a replica taking over never sends the same warning twice.
        if state
            .store
            .mark_inactivity_warned(&account.id, unused_before, now)
            .await?
        {
            send_warning(state, tenant, &account, notice)?;
            crate::audit::record_system(state, crate::store::AuditEvent::InactivityWarned, &account.id).await;
            state.metrics.observe_inactivity_warning();
            warned += 1;
        }
    }
    Ok(warned)
}

fn send_warning(state: &AppState, tenant: &Arc<Tenant>, account: &InactiveAccount, notice: i64) -> Result<(), Error> {
    let locales: Vec<String> = account.locale.iter().cloned().collect();
    let t = tenant.languages.negotiate(&locales, None);
    let days = u32::try_from(notice / 86_400).unwrap_or(u32::MAX);
    let kind = Kind::InactivityWarning { days };
    let mail = email::compose(tenant, t, kind, &account.email, &tenant.url("/account"))
        .map_err(|error| Error::Internal(error.to_string()))?;
    state.mailer.send(tenant.clone(), mail);
    Ok(())
}

/// Erases every account unused for `inactiveAccounts` whose warning is at least the notice
/// old; each in its own transaction, which re-checks both under the row's lock.
async fn erase_inactive(state: &AppState, retention: &DataRetention, now: UnixTime) -> Result<u64, Error> {
    let Some(inactive) = retention.inactive_accounts else {
        return Ok(0);
    };
    let unused_before = now.minus_seconds(seconds(inactive));
    let warned_before = now.minus_seconds(seconds(retention.warning()));
    let mut erased = 0;
    for id in state
        .store
        .accounts_to_erase(unused_before, warned_before, BATCH)
        .await?
    {
        let condition = Some((unused_before, warned_before));
        if super::erasure::erase(state, &id, ErasureReason::Inactive, condition)
            .await?
            .is_some()
        {
            erased += 1;
        }
    }
    Ok(erased)
}

/// Purges audit lines older than `auditLog`; the `--audit-retention` purge runs beside it, so
/// the shorter of the two wins.
async fn purge_audit(state: &AppState, retention: &DataRetention, now: UnixTime) -> Result<u64, Error> {
    let Some(keep) = retention.audit_log else {
        return Ok(0);
    };
    let purged = state.store.purge_audit_before(now.minus_seconds(seconds(keep))).await?;
    state.metrics.observe_purged_audit_entries(purged);
    Ok(purged)
}
