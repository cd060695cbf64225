//! Passkeys (WebAuthn credentials) of customers, several per account, and the server half of the
//! ceremonies under way, taken once.

use super::{Store, StoreResult, flag, query_error};
use crate::ids::{UnixTime, UserId};

/// A customer's passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// Our identifier, in the account page's forms.
    pub id: String,
    /// The customer.
    pub user_id: UserId,
    /// The credential id, base64url: unique across the issuer.
    pub credential_id: String,
    /// The name its owner gave it.
    pub name: String,
    /// The serialized webauthn-rs `Passkey` (public key, algorithm, sign counter).
    pub passkey: String,
    /// The authenticator's signature counter as last seen.
    pub sign_count: i64,
    /// Whether the key may be synced to other devices (a "multi-device" passkey).
    pub backup_eligible: bool,
    /// Whether it was backed up when last seen.
    pub backup_state: bool,
    /// When it was registered.
    pub created_at: UnixTime,
    /// When it last signed the customer in.
    pub last_used_at: Option<UnixTime>,
}

#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: String,
    user_id: String,
    credential_id: String,
    name: String,
    passkey: String,
    sign_count: i64,
    backup_eligible: i64,
    backup_state: i64,
    created_at: UnixTime,
    last_used_at: Option<UnixTime>,
}

impl From<PasskeyRow> for StoredPasskey {
    fn from(row: PasskeyRow) -> Self {
        Self {
            id: row.id,
            user_id: UserId::new(row.user_id),
            credential_id: row.credential_id,
            name: row.name,
            passkey: row.passkey,
            sign_count: row.sign_count,
            backup_eligible: row.backup_eligible != 0,
            backup_state: row.backup_state != 0,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// A ceremony under way, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ceremony {
    /// What it is for (`register`, `second-factor`, `passwordless`).
    pub purpose: String,
    /// What it belongs to: a session or a sign-in.
    pub binding: String,
    /// The customer, when known before the ceremony.
    pub user_id: Option<UserId>,
    /// The name for the passkey being registered.
    pub name: Option<String>,
    /// The serialized webauthn-rs ceremony state.
    pub state: String,
    /// When it lapses.
    pub expires_at: UnixTime,
}

impl Store {
    /// Stores a new passkey; false when its credential id is registered already (to anyone).
    pub async fn add_passkey(&self, passkey: &StoredPasskey) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO passkeys (id, user_id, credential_id, name, passkey, sign_count, backup_eligible, \
             backup_state, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(&passkey.id)
        .bind(&passkey.user_id)
        .bind(&passkey.credential_id)
        .bind(&passkey.name)
        .bind(&passkey.passkey)
        .bind(passkey.sign_count)
        .bind(flag(passkey.backup_eligible))
        .bind(flag(passkey.backup_state))
        .bind(passkey.created_at)
        .bind(passkey.last_used_at)
        .execute(self.pool())
        .await
        .map_err(query_error("add_passkey"))?;
        Ok(result.rows_affected() > 0)
    }

    /// The customer's passkeys, oldest first.
    pub async fn passkeys(&self, user_id: &UserId) -> StoreResult<Vec<StoredPasskey>> {
        let rows = sqlx::query_as::<_, PasskeyRow>(
            "SELECT id, user_id, credential_id, name, passkey, sign_count, backup_eligible, backup_state, \
             created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("passkeys"))?;
        Ok(rows.into_iter().map(StoredPasskey::from).collect())
    }

    /// Whether the customer has a passkey.
    pub async fn has_passkey(&self, user_id: &UserId) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.pool())
            .await
            .map_err(query_error("has_passkey"))?;
        Ok(count > 0)
    }

    /// The passkey of credential id `credential_id`, whoever owns it.
    pub async fn passkey_by_credential(&self, credential_id: &str) -> StoreResult<Option<StoredPasskey>> {
        let row = sqlx::query_as::<_, PasskeyRow>(
            "SELECT id, user_id, credential_id, name, passkey, sign_count, backup_eligible, backup_state, \
             created_at, last_used_at FROM passkeys WHERE credential_id = $1",
        )
        .bind(credential_id)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("passkey_by_credential"))?;
        Ok(row.map(StoredPasskey::from))
    }

    /// Records a use: the new counter, backup state and serialized passkey, only if the stored
    /// counter is still `seen_count` (a racing use with the same counter loses).
    pub async fn record_passkey_use(
        &self,
        passkey: &StoredPasskey,
        seen_count: i64,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE passkeys SET passkey = $3, sign_count = $4, backup_eligible = $5, backup_state = $6, \
             last_used_at = $7 WHERE id = $1 AND sign_count = $2",
        )
        .bind(&passkey.id)
        .bind(seen_count)
        .bind(&passkey.passkey)
        .bind(passkey.sign_count)
        .bind(flag(passkey.backup_eligible))
        .bind(flag(passkey.backup_state))
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("record_passkey_use"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Renames one of the customer's passkeys; whether it was theirs.
    pub async fn rename_passkey(&self, user_id: &UserId, id: &str, name: &str) -> StoreResult<bool> {
        let result = sqlx::query("UPDATE passkeys SET name = $3 WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .bind(name)
            .execute(self.pool())
            .await
            .map_err(query_error("rename_passkey"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Removes one of the customer's passkeys; whether it was theirs.
    pub async fn delete_passkey(&self, user_id: &UserId, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(query_error("delete_passkey"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Stores the server half of a ceremony under `handle_hash`. It replaces the ceremony of the
    /// same purpose and binding (one live challenge each: the latest page), and lapsed ones go.
    pub async fn put_ceremony(&self, handle_hash: &str, ceremony: &Ceremony, now: UnixTime) -> StoreResult<()> {
        sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1 OR (purpose = $2 AND binding = $3)")
            .bind(now)
            .bind(&ceremony.purpose)
            .bind(&ceremony.binding)
            .execute(self.pool())
            .await
            .map_err(query_error("purge_ceremonies"))?;
        sqlx::query(
            "INSERT INTO passkey_ceremonies (handle_hash, purpose, binding, user_id, name, state, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(handle_hash)
        .bind(&ceremony.purpose)
        .bind(&ceremony.binding)
        .bind(&ceremony.user_id)
        .bind(&ceremony.name)
        .bind(&ceremony.state)
        .bind(ceremony.expires_at)
        .execute(self.pool())
        .await
        .map_err(query_error("put_ceremony"))?;
        Ok(())
    }

    /// Takes the ceremony under `handle_hash`: it is deleted as it is read, so it serves once.
    pub async fn take_ceremony(&self, handle_hash: &str) -> StoreResult<Option<Ceremony>> {
        sqlx::query_as::<_, Ceremony>(
            "DELETE FROM passkey_ceremonies WHERE handle_hash = $1 \
             RETURNING purpose, binding, user_id, name, state, expires_at",
        )
        .bind(handle_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("take_ceremony"))
    }
}
