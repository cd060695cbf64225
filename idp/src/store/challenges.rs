//! Proof-of-work challenges of the sign-in form: stored hashed, bound to an address and a sign-in
//! transaction, and redeemed (deleted) by one statement, so each is used at most once.

use super::{Store, StoreResult, query_error};
use crate::ids::UnixTime;

/// A challenge to store.
#[derive(Debug, Clone, Copy)]
pub struct NewChallenge<'a> {
    /// The SHA-256 of the challenge (hex).
    pub challenge_hash: &'a str,
    /// The address it was issued to (an IPv4 address or an IPv6 /64).
    pub limit_key: &'a str,
    /// The sign-in transaction whose form shows it.
    pub transaction_id: &'a str,
    /// The leading zero bits an answer's hash must have.
    pub difficulty: u32,
    /// When it stops being accepted.
    pub expires_at: UnixTime,
}

impl Store {
    /// Stores a challenge just issued, and forgets the address's oldest beyond the newest
    /// `kept_per_address`: reloading the page cannot grow the table without bound.
    pub async fn insert_challenge(&self, challenge: NewChallenge<'_>, kept_per_address: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await.map_err(query_error("insert_challenge"))?;
        sqlx::query(
            "INSERT INTO sign_in_challenges (challenge_hash, limit_key, transaction_id, difficulty, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(challenge.challenge_hash)
        .bind(challenge.limit_key)
        .bind(challenge.transaction_id)
        .bind(i64::from(challenge.difficulty))
        .bind(challenge.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(query_error("insert_challenge"))?;
        sqlx::query(
            "DELETE FROM sign_in_challenges WHERE limit_key = $1 AND challenge_hash NOT IN \
             (SELECT challenge_hash FROM sign_in_challenges WHERE limit_key = $1 \
              ORDER BY expires_at DESC, challenge_hash LIMIT $2)",
        )
        .bind(challenge.limit_key)
        .bind(kept_per_address)
        .execute(&mut *tx)
        .await
        .map_err(query_error("insert_challenge"))?;
        tx.commit().await.map_err(query_error("insert_challenge"))
    }

    /// Redeems the challenge hashed `challenge_hash` if it was issued to `limit_key` for
    /// `transaction_id` and is live at `now`: deletes it and returns its difficulty, in one
    /// statement, so two answers at once cannot both redeem it. `None` when it is unknown, used,
    /// expired or another address's or transaction's.
    pub async fn redeem_challenge(
        &self,
        challenge_hash: &str,
        limit_key: &str,
        transaction_id: &str,
        now: UnixTime,
    ) -> StoreResult<Option<u32>> {
        let difficulty: Option<i64> = sqlx::query_scalar(
            "DELETE FROM sign_in_challenges \
             WHERE challenge_hash = $1 AND limit_key = $2 AND transaction_id = $3 AND expires_at > $4 \
             RETURNING difficulty",
        )
        .bind(challenge_hash)
        .bind(limit_key)
        .bind(transaction_id)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("redeem_challenge"))?;
        Ok(difficulty.and_then(|bits| u32::try_from(bits).ok()))
    }
}

/// What an address did within the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressSignals {
    /// Failed sign-ins.
    pub failures: i64,
    /// Distinct accounts (known or not) that failed.
    pub accounts: i64,
}

impl Store {
    /// Counts a failed sign-in of `account_hash` from `limit_key` at `now`, in one atomic
    /// statement; the account's failures from before `window_start` are forgotten. Returns the
    /// account's failures from this address, this one included.
    pub async fn count_address_failure(
        &self,
        limit_key: &str,
        account_hash: &str,
        now: UnixTime,
        window_start: UnixTime,
    ) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO address_sign_in_failures (limit_key, account_hash, failures, last_failed_at) \
             VALUES ($1, $2, 1, $3) \
             ON CONFLICT (limit_key, account_hash) DO UPDATE SET \
               failures = CASE WHEN address_sign_in_failures.last_failed_at <= $4 THEN 1 \
                          ELSE address_sign_in_failures.failures + 1 END, \
               last_failed_at = excluded.last_failed_at \
             RETURNING failures",
        )
        .bind(limit_key)
        .bind(account_hash)
        .bind(now)
        .bind(window_start)
        .fetch_one(self.pool())
        .await
        .map_err(query_error("count_address_failure"))
    }

    /// The failures and distinct accounts of `limit_key` whose last failure is after
    /// `window_start`, in one statement.
    pub async fn address_signals(&self, limit_key: &str, window_start: UnixTime) -> StoreResult<AddressSignals> {
        let (failures, accounts): (Option<i64>, i64) = sqlx::query_as(
            "SELECT CAST(SUM(failures) AS BIGINT), COUNT(*) FROM address_sign_in_failures \
             WHERE limit_key = $1 AND last_failed_at > $2",
        )
        .bind(limit_key)
        .bind(window_start)
        .fetch_one(self.pool())
        .await
        .map_err(query_error("address_signals"))?;
        Ok(AddressSignals {
            failures: failures.unwrap_or(0),
            accounts,
        })
    }
}
