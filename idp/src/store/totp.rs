//! Authenticator apps (TOTP) of customers: the sealed secret, whether a first code confirmed it,
//! and the time step of the last code accepted.

use super::{Store, StoreResult, query_error};
use crate::ids::{SessionId, UnixTime, UserId};

/// A customer's authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TotpFactor {
    /// The customer.
    pub user_id: UserId,
    /// The secret, encrypted under the data key (nonce and ciphertext, base64).
    pub secret_sealed: String,
    /// When enrolment began.
    pub created_at: UnixTime,
    /// When a first code confirmed it; it counts as a factor only from then.
    pub confirmed_at: Option<UnixTime>,
    /// The time step of the last code accepted.
    pub last_step: Option<i64>,
}

impl Store {
    /// Begins (or begins again) an enrolment: an unconfirmed factor with `secret_sealed`. A
    /// confirmed factor is never replaced this way.
    pub async fn begin_totp(&self, user_id: &UserId, secret_sealed: &str, now: UnixTime) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO totp_factors (user_id, secret_sealed, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
             created_at = excluded.created_at WHERE totp_factors.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(secret_sealed)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("begin_totp"))?;
        Ok(result.rows_affected() > 0)
    }

    /// The customer's factor, confirmed or not.
    pub async fn totp(&self, user_id: &UserId) -> StoreResult<Option<TotpFactor>> {
        sqlx::query_as::<_, TotpFactor>(
            "SELECT user_id, secret_sealed, created_at, confirmed_at, last_step FROM totp_factors WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("totp"))
    }

    /// Whether the customer has a confirmed factor.
    pub async fn has_totp(&self, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .totp(user_id)
            .await?
            .is_some_and(|factor| factor.confirmed_at.is_some()))
    }

    /// Records a code of time step `step` as accepted (confirming the factor if it was not),
    /// only if no code of that step or a later one was: false means a replay, refused.
    pub async fn accept_totp_step(&self, user_id: &UserId, step: i64, now: UnixTime) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE totp_factors SET last_step = $2, confirmed_at = COALESCE(confirmed_at, $3) \
             WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("accept_totp_step"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Removes the customer's factor; whether there was one.
    pub async fn delete_totp(&self, user_id: &UserId) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await
            .map_err(query_error("delete_totp"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Records that the session's customer completed more methods (`amr`) at `now`.
    pub async fn set_session_amr(&self, id: &SessionId, amr: &str, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET amr = $2, auth_time = $3 WHERE id = $1")
            .bind(id)
            .bind(amr)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(query_error("set_session_amr"))?;
        Ok(())
    }
}
