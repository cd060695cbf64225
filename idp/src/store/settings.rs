//! Small values the IdP keeps for itself: the issuer the database belongs to, standalone
//! signing keys.

use super::{Store, StoreResult, query_error};

/// The key of the issuer recorded at first start.
const ISSUER: &str = "issuer";

impl Store {
    /// The value stored under `key`.
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("setting"))
    }

    /// Stores `value` under `key` unless a value is there already; returns the value that won,
    /// so replicas starting together agree on one.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(self.pool())
            .await
            .map_err(query_error("setting_or_insert"))?;
        Ok(self.setting(key).await?.unwrap_or_else(|| value.to_owned()))
    }
}

impl Store {
    /// Records `issuer` as the owner of this database unless an issuer is recorded already;
    /// returns the issuer recorded (the first to start wins, as with replicas starting together).
    pub async fn claim_issuer(&self, issuer: &str) -> StoreResult<String> {
        self.setting_or_insert(ISSUER, issuer).await
    }

    /// Stores `value` under `key`, replacing any value.
    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await
        .map_err(query_error("set_setting"))?;
        Ok(())
    }
}
