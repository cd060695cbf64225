//! What adaptive MFA remembers of an account: the devices and networks it fully signed in from
//! (by hash), and the devices the customer trusted to skip the second factor (by token hash).

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// A device the customer trusted after a second factor.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrustedDevice {
    /// Public handle, for revoking it from the account page.
    pub id: String,
    /// The customer.
    pub user_id: UserId,
    /// The browser it was trusted in, as the account page shows it.
    pub label: String,
    /// When it was trusted.
    pub created_at: UnixTime,
    /// When the trust ends.
    pub expires_at: UnixTime,
}

impl Store {
    /// Whether `user_id` fully signed in from the device whose cookie hashes to `device_hash`.
    pub async fn is_known_device(&self, user_id: &UserId, device_hash: &str) -> StoreResult<bool> {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM known_devices WHERE user_id = $1 AND device_hash = $2")
            .bind(user_id)
            .bind(device_hash)
            .fetch_one(self.pool())
            .await
            .map(|count| count > 0)
            .map_err(query_error("is_known_device"))
    }

    /// Whether `user_id` fully signed in from the network whose prefix hashes to `network_hash`.
    pub async fn is_known_network(&self, user_id: &UserId, network_hash: &str) -> StoreResult<bool> {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM known_networks WHERE user_id = $1 AND network_hash = $2")
            .bind(user_id)
            .bind(network_hash)
            .fetch_one(self.pool())
            .await
            .map(|count| count > 0)
            .map_err(query_error("is_known_network"))
    }

    /// Records a full sign-in of `user_id` from a device and a network.
    pub async fn remember_sign_in_from(
        &self,
        user_id: &UserId,
        device_hash: &str,
        network_hash: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO known_devices (user_id, device_hash, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(user_id)
        .bind(device_hash)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("remember_device"))?;
        sqlx::query(
            "INSERT INTO known_networks (user_id, network_hash, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (user_id, network_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(user_id)
        .bind(network_hash)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("remember_network"))?;
        Ok(())
    }

    /// Whether `user_id` ever fully signed in from a device this IdP remembers.
    pub async fn has_known_devices(&self, user_id: &UserId) -> StoreResult<bool> {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM known_devices WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.pool())
            .await
            .map(|count| count > 0)
            .map_err(query_error("has_known_devices"))
    }

    /// Failed sign-in attempts (passwords and codes) on `user_id`'s account since `since`.
    pub async fn failures_since(&self, user_id: &UserId, since: UnixTime) -> StoreResult<i64> {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log WHERE user_id = $1 AND event = 'login_failed' AND at > $2",
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(self.pool())
        .await
        .map_err(query_error("failures_since"))
    }

    /// Trusts a device of `user_id` until `expires_at`, by the hash of its token.
    pub async fn trust_device(
        &self,
        user_id: &UserId,
        token_hash: &str,
        label: &str,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO trusted_devices (id, user_id, token_hash, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(crate::random::id())
        .bind(user_id)
        .bind(token_hash)
        .bind(label)
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await
        .map_err(query_error("trust_device"))?;
        Ok(())
    }

    /// Whether the token hashing to `token_hash` trusts a device of `user_id` at `now`.
    pub async fn is_trusted_device(&self, user_id: &UserId, token_hash: &str, now: UnixTime) -> StoreResult<bool> {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM trusted_devices WHERE user_id = $1 AND token_hash = $2 AND expires_at > $3",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map(|count| count > 0)
        .map_err(query_error("is_trusted_device"))
    }

    /// The devices `user_id` trusts at `now`, newest first.
    pub async fn trusted_devices(&self, user_id: &UserId, now: UnixTime) -> StoreResult<Vec<TrustedDevice>> {
        sqlx::query_as::<_, TrustedDevice>(
            "SELECT id, user_id, label, created_at, expires_at FROM trusted_devices \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("trusted_devices"))
    }

    /// Ends the trust in one device of `user_id` (`Some(id)`) or in all of them; how many ended.
    pub async fn revoke_trusted_devices(&self, user_id: &UserId, id: Option<&str>) -> StoreResult<u64> {
        let result = match id {
            Some(id) => {
                sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1 AND id = $2")
                    .bind(user_id)
                    .bind(id)
                    .execute(self.pool())
                    .await
            }
            None => {
                sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1")
                    .bind(user_id)
                    .execute(self.pool())
                    .await
            }
        };
        result
            .map(|done| done.rows_affected())
            .map_err(query_error("revoke_trusted_devices"))
    }
}
