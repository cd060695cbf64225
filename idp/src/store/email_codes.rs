//! Email codes: whether a customer turned them on, the codes sent during sign-ins (hashed,
//! bound to a session, expiring, with a budget of tries), and how many were sent per account.

use super::{Store, StoreResult, query_error};
use crate::ids::{SessionId, UnixTime, UserId};

/// A code to store.
#[derive(Debug, Clone, Copy)]
pub struct NewEmailCode<'a> {
    /// The row's id, also the salt of the hash.
    pub id: &'a str,
    /// The customer.
    pub user_id: &'a UserId,
    /// The session (the sign-in) that asked for it: only it may use the code.
    pub session_id: &'a SessionId,
    /// The code's salted hash.
    pub code_hash: &'a str,
    /// When it was sent.
    pub now: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
}

/// A try reserved on a session's live code: the code to compare with.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReservedTry {
    /// The row's id, the salt of the hash.
    pub id: String,
    /// The code's salted hash.
    pub code_hash: String,
}

impl Store {
    /// Turns email codes on for the customer; whether they were off.
    pub async fn enable_email_otp(&self, user_id: &UserId, now: UnixTime) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO email_otp_factors (user_id, enabled_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("enable_email_otp"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Turns email codes off for the customer; whether they were on.
    pub async fn disable_email_otp(&self, user_id: &UserId) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM email_otp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await
            .map_err(query_error("disable_email_otp"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Whether the customer turned email codes on.
    pub async fn email_otp_enabled(&self, user_id: &UserId) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM email_otp_factors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("email_otp_enabled"))?;
        Ok(found.is_some())
    }

    /// Counts a code sent to the customer, in one atomic statement: the number sent in the
    /// current window (this one included). A window starts at the first send after the last
    /// one, started before `window_over`, ended.
    pub async fn count_email_code_send(
        &self,
        user_id: &UserId,
        now: UnixTime,
        window_over: UnixTime,
    ) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO email_code_sends (user_id, window_start, sent) VALUES ($1, $2, 1) \
             ON CONFLICT (user_id) DO UPDATE SET \
               sent = CASE WHEN email_code_sends.window_start <= $3 THEN 1 ELSE email_code_sends.sent + 1 END, \
               window_start = CASE WHEN email_code_sends.window_start <= $3 THEN excluded.window_start \
                              ELSE email_code_sends.window_start END \
             RETURNING sent",
        )
        .bind(user_id)
        .bind(now)
        .bind(window_over)
        .fetch_one(self.pool())
        .await
        .map_err(query_error("count_email_code_send"))
    }

    /// Stores a new code for a session; the session's earlier unused codes stop working.
    pub async fn issue_email_code(&self, code: NewEmailCode<'_>) -> StoreResult<()> {
        let mut tx = self.begin_write().await.map_err(query_error("issue_email_code"))?;
        sqlx::query("DELETE FROM email_codes WHERE session_id = $1 AND used_at IS NULL")
            .bind(code.session_id)
            .execute(&mut *tx)
            .await
            .map_err(query_error("issue_email_code"))?;
        sqlx::query(
            "INSERT INTO email_codes (id, user_id, session_id, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code.id)
        .bind(code.user_id)
        .bind(code.session_id)
        .bind(code.code_hash)
        .bind(code.now)
        .bind(code.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(query_error("issue_email_code"))?;
        tx.commit().await.map_err(query_error("issue_email_code"))
    }

    /// Reserves one try on the session's live code (unused, unexpired, fewer than `max_tries`
    /// tries) in one statement, before the comparison: tries at once cannot exceed the budget.
    pub async fn reserve_email_code_try(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        max_tries: i64,
        now: UnixTime,
    ) -> StoreResult<Option<ReservedTry>> {
        sqlx::query_as::<_, ReservedTry>(
            "UPDATE email_codes SET failures = failures + 1 WHERE user_id = $1 AND session_id = $2 \
             AND used_at IS NULL AND failures < $3 AND expires_at > $4 RETURNING id, code_hash",
        )
        .bind(user_id)
        .bind(session_id)
        .bind(max_tries)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("reserve_email_code_try"))
    }

    /// Spends a code whose reserved try was right (and takes the try back): whether this use
    /// spent it (false when another use did first).
    pub async fn spend_email_code(&self, id: &str, now: UnixTime) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE email_codes SET used_at = $2, failures = failures - 1 WHERE id = $1 AND used_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("spend_email_code"))?;
        Ok(result.rows_affected() == 1)
    }
}
