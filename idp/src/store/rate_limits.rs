//! Rate-limit counters shared by every replica on one database: one row per action and limit
//! key, counting the attempts of its current fixed window. The windows are `risk`'s.

use super::{Store, StoreResult, query_error};
use crate::ids::UnixTime;

/// The window an attempt was counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The start of the window counted in (a later one than asked, if another replica's clock
    /// is ahead).
    pub window_start: UnixTime,
    /// Attempts in that window, this one included.
    pub hits: i64,
}

impl Store {
    /// Counts an attempt of `action` under `limit_key` in the window starting at
    /// `window_start`, in one atomic statement, so replicas counting at once never lose a hit.
    pub async fn count_rate_limited(
        &self,
        action: &str,
        limit_key: &str,
        window_start: UnixTime,
    ) -> StoreResult<Counted> {
        // A window is never moved back: a replica whose clock is behind counts into the newer one.
        sqlx::query_as::<_, (UnixTime, i64)>(
            "INSERT INTO rate_limits (action, limit_key, window_start, hits) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (action, limit_key) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start < excluded.window_start THEN 1 \
                      ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_start < excluded.window_start \
                              THEN excluded.window_start ELSE rate_limits.window_start END \
             RETURNING window_start, hits",
        )
        .bind(action)
        .bind(limit_key)
        .bind(window_start)
        .fetch_one(self.pool())
        .await
        .map(|(window_start, hits)| Counted { window_start, hits })
        .map_err(query_error("count_rate_limited"))
    }
}
