//! What the retention job reads and writes: accounts unused for long, the warning sent before
//! they are erased, audit lines past the tenant's retention, and the lease that lets one
//! replica run the job at a time.

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// An account to warn of its erasure for inactivity.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InactiveAccount {
    /// The account.
    pub id: UserId,
    /// Where the warning goes.
    pub email: String,
    /// The language it is written in.
    pub locale: Option<String>,
}

impl Store {
    /// Takes (or renews) the lease `name` for `holder` until `expires_at`, in one atomic
    /// statement; false while another holder's lease has not expired at `now`.
    pub async fn take_lease(&self, name: &str, holder: &str, now: UnixTime, expires_at: UnixTime) -> StoreResult<bool> {
        let taken = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(expires_at)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("take_lease"))?;
        Ok(taken.rows_affected() == 1)
    }

    /// Accounts unused since before `unused_before` and not warned yet, at most `limit`. Every
    /// account has `last_active_at` (set when made, moved by each sign-in), so the index on it
    /// serves these reads.
    pub async fn accounts_to_warn(&self, unused_before: UnixTime, limit: i64) -> StoreResult<Vec<InactiveAccount>> {
        sqlx::query_as::<_, InactiveAccount>(
            "SELECT id, email, locale FROM users WHERE last_active_at < $1 \
             AND inactivity_warned_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(unused_before)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("accounts_to_warn"))
    }

    /// Records the warning as sent at `now`, if the account is still unused since before
    /// `unused_before` and not warned: true when this call recorded it (so it is sent once).
    pub async fn mark_inactivity_warned(
        &self,
        id: &UserId,
        unused_before: UnixTime,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let marked = sqlx::query(
            "UPDATE users SET inactivity_warned_at = $3 WHERE id = $1 \
             AND COALESCE(last_active_at, created_at) < $2 AND inactivity_warned_at IS NULL",
        )
        .bind(id)
        .bind(unused_before)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("mark_inactivity_warned"))?;
        Ok(marked.rows_affected() == 1)
    }

    /// Accounts unused since before `unused_before` whose warning went out before
    /// `warned_before`, at most `limit`.
    pub async fn accounts_to_erase(
        &self,
        unused_before: UnixTime,
        warned_before: UnixTime,
        limit: i64,
    ) -> StoreResult<Vec<UserId>> {
        sqlx::query_scalar(
            "SELECT id FROM users WHERE last_active_at < $1 \
             AND inactivity_warned_at IS NOT NULL AND inactivity_warned_at <= $2 ORDER BY id LIMIT $3",
        )
        .bind(unused_before)
        .bind(warned_before)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("accounts_to_erase"))
    }

    /// Deletes audit lines older than `before`; how many.
    pub async fn purge_audit_before(&self, before: UnixTime) -> StoreResult<u64> {
        let purged = sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(before)
            .execute(self.pool())
            .await
            .map_err(query_error("purge_audit_before"))?;
        Ok(purged.rows_affected())
    }
}
