//! The periodic purge: expired rows of every table that grows, and audit lines past retention.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::LiveTenant;
use crate::ids::UnixTime;
use crate::store::{Cutoffs, Purged, Store, StoreResult};

/// How long a revoked grant is kept, so a replayed refresh token of it still reads as reuse.
const REVOKED_GRANT_KEPT: i64 = 24 * 3600;
/// How long a second factor set up but never confirmed is kept: time to scan a QR code.
const UNCONFIRMED_FACTOR_KEPT: i64 = 3600;
/// How long an account remembers a device or network it stopped signing in from: the device
/// cookie's lifetime, after which the device is unknown anyway.
const FORGOTTEN_AFTER: i64 = 400 * 24 * 3600;

/// What the purge keeps, from flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// How long audit log lines are kept.
    pub audit: Duration,
}

impl Retention {
    /// The cutoffs at `now` for a tenant whose sessions end after `idle_timeout` unused.
    pub fn cutoffs(&self, now: UnixTime, idle_timeout: Duration) -> Cutoffs {
        let seconds = |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2);
        Cutoffs {
            now,
            idle_before: now.minus_seconds(seconds(idle_timeout)),
            revoked_before: now.minus_seconds(REVOKED_GRANT_KEPT),
            audit_before: now.minus_seconds(seconds(self.audit)),
            rate_limits_before: now.minus_seconds(crate::risk::WINDOW),
            unconfirmed_before: now.minus_seconds(UNCONFIRMED_FACTOR_KEPT),
            forgotten_before: now.minus_seconds(FORGOTTEN_AFTER),
        }
    }
}

/// Purges once, at the clock's now, with the tenant's idle timeout as served.
pub async fn once(store: &Store, tenant: &LiveTenant, clock: &dyn Clock, retention: Retention) -> StoreResult<Purged> {
    let idle = Duration::from_secs(tenant.get().config.sessions.idle_timeout.as_secs());
    store.purge(&retention.cutoffs(clock.now(), idle)).await
}

/// Purges every `interval` until dropped; failures are logged and retried next time.
pub async fn every(
    interval: Duration,
    store: Store,
    tenant: Arc<LiveTenant>,
    clock: Arc<dyn Clock>,
    retention: Retention,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match once(&store, &tenant, clock.as_ref(), retention).await {
            Ok(purged) if purged.total() > 0 => tracing::info!(rows = purged.total(), by_table = ?purged.0, "purged"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "purging expired rows failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs_follow_the_idle_timeout_and_the_retention() {
        let retention = Retention {
            audit: Duration::from_secs(90 * 86400),
        };
        let now = UnixTime::from_seconds(1_000_000_000);
        let cutoffs = retention.cutoffs(now, Duration::from_secs(3600));
        assert_eq!(cutoffs.now, now);
        assert_eq!(cutoffs.idle_before.seconds(), 1_000_000_000 - 3600);
        assert_eq!(cutoffs.revoked_before.seconds(), 1_000_000_000 - 86400);
        assert_eq!(cutoffs.audit_before.seconds(), 1_000_000_000 - 90 * 86400);
        assert_eq!(cutoffs.rate_limits_before.seconds(), 1_000_000_000 - 60);
        assert_eq!(cutoffs.unconfirmed_before.seconds(), 1_000_000_000 - 3600);
        assert_eq!(cutoffs.forgotten_before.seconds(), 1_000_000_000 - 400 * 86400);
    }
}
