//! Single-use, expiring tokens sent by email: address verification, password reset, and
//! disowning a sign-in ("this was not me").

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// What an email token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailPurpose {
    /// The customer receives mail at the address.
    Verify,
    /// The customer may choose a new password.
    Reset,
    /// The customer disowns a sign-in they were told about: every session ends.
    NotMe,
}

impl EmailPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::NotMe => "not_me",
        }
    }
}

impl Store {
    /// Stores a token's hash for `user_id`, replacing unused tokens of the same purpose.
    pub async fn create_email_token(
        &self,
        user_id: &UserId,
        purpose: EmailPurpose,
        token_hash: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await.map_err(query_error("create_email_token"))?;
        sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
            .bind(user_id)
            .bind(purpose.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error("create_email_token"))?;
        sqlx::query("INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(purpose.as_str())
            .bind(expires_at)
            .execute(&mut *tx)
            .await
            .map_err(query_error("create_email_token"))?;
        tx.commit().await.map_err(query_error("create_email_token"))?;
        Ok(())
    }

    /// Whether a token is currently usable, without using it (to render the reset form).
    pub async fn email_token_user(
        &self,
        token_hash: &str,
        purpose: EmailPurpose,
        now: UnixTime,
    ) -> StoreResult<Option<UserId>> {
        sqlx::query_scalar(
            "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("email_token_user"))
    }

    /// Uses a token once: returns its customer, or `None` when unknown, used or expired.
    pub async fn consume_email_token(
        &self,
        token_hash: &str,
        purpose: EmailPurpose,
        now: UnixTime,
    ) -> StoreResult<Option<UserId>> {
        sqlx::query_scalar(
            "UPDATE email_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL \
             AND expires_at > $3 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("consume_email_token"))
    }
}
