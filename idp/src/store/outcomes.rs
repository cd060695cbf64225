//! Sign-in outcomes of the whole tenant, per minute: the tenant-wide failure ratio of the last
//! minutes against the hour before.

use super::{Store, StoreResult, query_error};

/// The rows each minute's outcomes are spread over.
const OUTCOME_SHARDS: u8 = 8;

/// Successes and failures over some minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Sign-ins that succeeded.
    pub successes: i64,
    /// Sign-ins that failed.
    pub failures: i64,
}

impl Store {
    /// Counts one sign-in outcome in `minute` (Unix seconds / 60), in one atomic statement, on a
    /// random one of the minute's shards.
    pub async fn count_sign_in_outcome(&self, minute: i64, failed: bool) -> StoreResult<()> {
        let (successes, failures) = if failed { (0, 1) } else { (1, 0) };
        // Concurrent sign-ins spread over the shards instead of queueing on one row's lock.
        let shard = i64::from(rand::random::<u8>() % OUTCOME_SHARDS);
        sqlx::query(
            "INSERT INTO sign_in_outcomes (minute, shard, successes, failures) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (minute, shard) DO UPDATE SET successes = sign_in_outcomes.successes + excluded.successes, \
             failures = sign_in_outcomes.failures + excluded.failures",
        )
        .bind(minute)
        .bind(shard)
        .bind(successes)
        .bind(failures)
        .execute(self.pool())
        .await
        .map_err(query_error("count_sign_in_outcome"))?;
        Ok(())
    }

    /// The outcomes of the minutes from `recent` on, and of those from `baseline` to before
    /// `recent`, in one statement.
    pub async fn sign_in_outcomes(&self, baseline: i64, recent: i64) -> StoreResult<(Outcomes, Outcomes)> {
        let row: (Option<i64>, Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT \
               CAST(SUM(CASE WHEN minute >= $2 THEN successes ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN minute >= $2 THEN failures ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN minute < $2 THEN successes ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN minute < $2 THEN failures ELSE 0 END) AS BIGINT) \
             FROM sign_in_outcomes WHERE minute >= $1",
        )
        .bind(baseline)
        .bind(recent)
        .fetch_one(self.pool())
        .await
        .map_err(query_error("sign_in_outcomes"))?;
        let of = |successes: Option<i64>, failures: Option<i64>| Outcomes {
            successes: successes.unwrap_or(0),
            failures: failures.unwrap_or(0),
        };
        Ok((of(row.0, row.1), of(row.2, row.3)))
    }

    /// Removes the minutes before `minute`; how many.
    pub async fn purge_sign_in_outcomes(&self, minute: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM sign_in_outcomes WHERE minute < $1")
            .bind(minute)
            .execute(self.pool())
            .await
            .map_err(query_error("purge_sign_in_outcomes"))?;
        Ok(result.rows_affected())
    }
}
