//! Recovery codes of customers: the hashes of a set of single-use codes, and which were used.

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

impl Store {
    /// Replaces the customer's recovery codes by `code_hashes` in one transaction: the old set,
    /// used or not, stops working as the new one starts.
    pub async fn replace_recovery_codes(
        &self,
        user_id: &UserId,
        code_hashes: &[String],
        now: UnixTime,
    ) -> StoreResult<()> {
        let mut tx = self
            .begin_write()
            .await
            .map_err(query_error("replace_recovery_codes"))?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(query_error("replace_recovery_codes"))?;
        for code_hash in code_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
                .bind(user_id)
                .bind(code_hash)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(query_error("replace_recovery_codes"))?;
        }
        tx.commit().await.map_err(query_error("replace_recovery_codes"))
    }

    /// Spends the unused code with `code_hash` in one statement: of two uses at once, exactly
    /// one finds it unused. Whether this use spent it.
    pub async fn use_recovery_code(&self, user_id: &UserId, code_hash: &str, now: UnixTime) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("use_recovery_code"))?;
        Ok(result.rows_affected() == 1)
    }

    /// How many of the customer's recovery codes are still unused.
    pub async fn recovery_codes_left(&self, user_id: &UserId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(self.pool())
            .await
            .map_err(query_error("recovery_codes_left"))
    }

    /// Deletes the customer's recovery codes; whether there were any.
    pub async fn delete_recovery_codes(&self, user_id: &UserId) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await
            .map_err(query_error("delete_recovery_codes"))?;
        Ok(result.rows_affected() > 0)
    }
}
