//! Failed sign-ins, counted per account (lockout) and per client address (throttle). Every
//! attempt is reserved by one atomic statement before the password hash runs, so concurrent
//! attempts can never slip past a limit; the policy (thresholds, backoff) is `risk::lockout`'s.

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// A reserved attempt: counted as a failure until it is known to have succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    /// The failures in the current window, this attempt included.
    pub failures: i64,
    /// The locks (or blocks) in a row so far, for the backoff of the next one.
    pub locks: i64,
}

/// The limit an attempt is reserved against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Now.
    pub now: UnixTime,
    /// Failures at or before this instant are forgotten.
    pub window_start: UnixTime,
    /// Failures (reserved attempts included) allowed in a window.
    pub max: i64,
}

impl Store {
    /// Reserves a sign-in attempt on an account: `None` when the account is locked, or when
    /// reserved attempts already reach `limit.max` (an attempt under way may lock it).
    pub async fn reserve_account_attempt(&self, user_id: &UserId, limit: Limit) -> StoreResult<Option<Reserved>> {
        sqlx::query_as::<_, (i64, i64)>(
            "UPDATE users SET \
               failed_logins = CASE WHEN last_failed_at <= $3 THEN 1 ELSE failed_logins + 1 END, \
               last_failed_at = $2 \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
               AND (failed_logins < $4 OR last_failed_at <= $3) \
             RETURNING failed_logins, lockouts",
        )
        .bind(user_id)
        .bind(limit.now)
        .bind(limit.window_start)
        .bind(limit.max)
        .fetch_optional(self.pool())
        .await
        .map(|row| row.map(|(failures, locks)| Reserved { failures, locks }))
        .map_err(query_error("reserve_account_attempt"))
    }

    /// Locks the account until `until` if its failures reach `max`; whether it locked now.
    pub async fn lock_account(&self, user_id: &UserId, max: i64, until: UnixTime) -> StoreResult<bool> {
        let locked = sqlx::query(
            "UPDATE users SET locked_until = $3, failed_logins = 0, lockouts = lockouts + 1 \
             WHERE id = $1 AND failed_logins >= $2",
        )
        .bind(user_id)
        .bind(max)
        .bind(until)
        .execute(self.pool())
        .await
        .map_err(query_error("lock_account"))?;
        Ok(locked.rows_affected() > 0)
    }

    /// Records a successful attempt reserved as failure number `reserved`: the failures before
    /// it are forgotten, along with the locks in a row. False when the account was locked in
    /// the meantime: then it stays locked and the attempt must be refused.
    pub async fn account_attempt_succeeded(&self, user_id: &UserId, reserved: i64, now: UnixTime) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE users SET \
               failed_logins = CASE WHEN failed_logins > $2 THEN failed_logins - $2 ELSE 0 END, \
               lockouts = 0 \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $3)",
        )
        .bind(user_id)
        .bind(reserved)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("account_attempt_succeeded"))?;
        Ok(updated.rows_affected() > 0)
    }

    /// Reserves a sign-in attempt from a client address: `None` while the address is blocked,
    /// or when its reserved attempts already reach `limit.max`.
    pub async fn reserve_address_attempt(&self, address: &str, limit: Limit) -> StoreResult<Option<Reserved>> {
        sqlx::query_as::<_, (i64, i64)>(
            "INSERT INTO sign_in_throttle (address, failures, last_failed_at, blocks, blocked_until) \
             VALUES ($1, 1, $2, 0, 0) \
             ON CONFLICT (address) DO UPDATE SET \
               failures = CASE WHEN sign_in_throttle.last_failed_at <= $3 THEN 1 \
                          ELSE sign_in_throttle.failures + 1 END, \
               last_failed_at = $2 \
             WHERE sign_in_throttle.blocked_until <= $2 \
               AND (sign_in_throttle.failures < $4 OR sign_in_throttle.last_failed_at <= $3) \
             RETURNING failures, blocks",
        )
        .bind(address)
        .bind(limit.now)
        .bind(limit.window_start)
        .bind(limit.max)
        .fetch_optional(self.pool())
        .await
        .map(|row| row.map(|(failures, locks)| Reserved { failures, locks }))
        .map_err(query_error("reserve_address_attempt"))
    }

    /// Blocks the address until `until` if its failures reach `max`; whether it blocked now.
    pub async fn block_address(&self, address: &str, max: i64, until: UnixTime) -> StoreResult<bool> {
        let blocked = sqlx::query(
            "UPDATE sign_in_throttle SET blocked_until = $3, failures = 0, blocks = blocks + 1 \
             WHERE address = $1 AND failures >= $2",
        )
        .bind(address)
        .bind(max)
        .bind(until)
        .execute(self.pool())
        .await
        .map_err(query_error("block_address"))?;
        Ok(blocked.rows_affected() > 0)
    }

    /// Takes back the reservation of an attempt from `address` that succeeded or was never
    /// judged.
    pub async fn release_address_attempt(&self, address: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sign_in_throttle SET failures = failures - 1 WHERE address = $1 AND failures > 0")
            .bind(address)
            .execute(self.pool())
            .await
            .map_err(query_error("release_address_attempt"))?;
        Ok(())
    }

    /// Takes back the reservation of an attempt on an account that was never judged (the
    /// hashing queue was full); unlike a success, it forgets no earlier failure.
    pub async fn release_account_attempt(&self, user_id: &UserId) -> StoreResult<()> {
        sqlx::query("UPDATE users SET failed_logins = failed_logins - 1 WHERE id = $1 AND failed_logins > 0")
            .bind(user_id)
            .execute(self.pool())
            .await
            .map_err(query_error("release_account_attempt"))?;
        Ok(())
    }

    /// Forgets addresses whose last failure is older than `before` and that are not blocked.
    pub(super) async fn purge_sign_in_throttle(&self, now: UnixTime, before: UnixTime) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM sign_in_throttle WHERE blocked_until < $1 AND last_failed_at < $2")
            .bind(now)
            .bind(before)
            .execute(self.pool())
            .await
            .map_err(query_error("purge_sign_in_throttle"))?;
        Ok(result.rows_affected())
    }
}
