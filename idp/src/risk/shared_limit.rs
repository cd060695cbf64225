//! Rate limits shared by every replica of an IdP on PostgreSQL: the counters of
//! [`super::RateLimiter`]'s fixed windows live in the database, one upsert per attempt, so three
//! replicas behind the Service enforce one limit, not three.

use std::net::IpAddr;

use super::rate_limit::{Action, Decision, window_start};
use crate::ids::UnixTime;
use crate::store::{Store, StoreResult};

/// Counts attempts per (action, address) in the database.
#[derive(Debug, Clone)]
pub struct SharedLimiter {
    store: Store,
}

impl SharedLimiter {
    /// A limiter counting in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Records an attempt at `now` against `per_minute` (0 means unlimited).
    pub async fn check(
        &self,
        action: Action,
        address: IpAddr,
        per_minute: u32,
        now: UnixTime,
    ) -> StoreResult<Decision> {
        if per_minute == 0 {
            return Ok(Decision::Allowed);
        }
        // IPv6 by /64, which one customer line usually gets, as in memory.
        let key = crate::net::limit_key(address).to_string();
        let counted = self
            .store
            .count_rate_limited(action.name(), &key, window_start(now))
            .await?;
        Ok(Decision::of(counted.hits, per_minute, counted.window_start, now))
    }
}
