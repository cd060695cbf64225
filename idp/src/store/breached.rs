//! Accounts whose password was found in a data breach at sign-in.

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

impl Store {
    /// Flags the account's password as breached at `now`, unless the password changed since it
    /// was checked (`password_hash` is the hash that was verified); true when newly flagged.
    pub async fn flag_breached_password(&self, id: &UserId, password_hash: &str, now: UnixTime) -> StoreResult<bool> {
        let flagged = sqlx::query(
            "UPDATE users SET password_breached_at = $3 \
             WHERE id = $1 AND password_hash = $2 AND password_breached_at IS NULL",
        )
        .bind(id)
        .bind(password_hash)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("flag_breached_password"))?;
        Ok(flagged.rows_affected() == 1)
    }
}
