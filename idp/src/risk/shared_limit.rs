//! Rate limits shared by every replica of an IdP on PostgreSQL (per address, account or tenant):
//! the counters of
//! [`super::RateLimiter`]'s fixed windows live in the database, one upsert per attempt, so three
//! replicas behind the Service enforce one limit, not three.

use std::net::IpAddr;

use super::rate_limit::{Action, Decision, Subject, window_start};
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

    /// Records an attempt from `address` at `now` against `per_minute` (0 means unlimited).
    pub async fn check(
        &self,
        action: Action,
        address: IpAddr,
        per_minute: u32,
        now: UnixTime,
    ) -> StoreResult<Decision> {
        self.check_subject(action, &Subject::Address(address), per_minute, now)
            .await
    }

    /// Records an attempt of `subject` at `now` against `per_minute` (0 means unlimited).
    pub async fn check_subject(
        &self,
        action: Action,
        subject: &Subject,
        per_minute: u32,
        now: UnixTime,
    ) -> StoreResult<Decision> {
        if per_minute == 0 {
            return Ok(Decision::Allowed);
        }
        // Keyed as in memory: IPv6 by /64, which one customer line usually gets.
        let counted = self
            .store
            .count_rate_limited(action.name(), &subject.key(), window_start(now))
            .await?;
        Ok(Decision::of(counted.hits, per_minute, counted.window_start, now))
    }
}
