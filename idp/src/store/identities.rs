//! Identities at upstream providers linked to accounts, and accounts made through a provider
//! (which have no password until the customer sets one by a reset link).

use super::users::{NewUser, User, user_by_id_on};
use super::{Store, StoreResult, flag, query_error};
use crate::ids::{UnixTime, UserId};

/// An upstream identity linked to an account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkedIdentity {
    /// The provider entry's id (`<namespace>.<name>`).
    pub provider_id: String,
    /// The provider's identifier of the customer.
    pub subject: String,
    /// The account.
    pub user_id: UserId,
    /// The email address the provider gave when it was linked (shown to its owner only).
    pub email: Option<String>,
    /// When it was linked.
    pub linked_at: UnixTime,
    /// When it last signed the customer in.
    pub last_used_at: UnixTime,
}

/// An upstream identity about to be linked.
#[derive(Debug, Clone, Copy)]
pub struct NewIdentity<'a> {
    /// The provider entry's id.
    pub provider_id: &'a str,
    /// The provider's identifier of the customer.
    pub subject: &'a str,
    /// The email address the provider gave.
    pub email: Option<&'a str>,
}

/// Why unlinking did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    /// The identity is unlinked.
    Done,
    /// No such identity on this account.
    NotFound,
    /// It is the account's last way to sign in (no password, no other identity): kept.
    LastMethod,
}

impl User {
    /// Whether the account has a password (accounts made through a provider have none).
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }
}

impl Store {
    /// The account the upstream identity is linked to, recording its use at `now`.
    pub async fn use_identity(&self, provider_id: &str, subject: &str, now: UnixTime) -> StoreResult<Option<User>> {
        let user_id: Option<UserId> = sqlx::query_scalar(
            "UPDATE linked_identities SET last_used_at = $3 WHERE provider_id = $1 AND subject = $2 RETURNING user_id",
        )
        .bind(provider_id)
        .bind(subject)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("use_identity"))?;
        match user_id {
            Some(id) => self.user_by_id(&id).await,
            None => Ok(None),
        }
    }

    /// Links an upstream identity to `user_id`; false when it is linked already (to any account).
    pub async fn link_identity(&self, user_id: &UserId, identity: NewIdentity<'_>, now: UnixTime) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO linked_identities (provider_id, subject, user_id, email, linked_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (provider_id, subject) DO NOTHING",
        )
        .bind(identity.provider_id)
        .bind(identity.subject)
        .bind(user_id)
        .bind(identity.email)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("link_identity"))?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The identities linked to an account, oldest first.
    pub async fn identities_of_user(&self, user_id: &UserId) -> StoreResult<Vec<LinkedIdentity>> {
        sqlx::query_as::<_, LinkedIdentity>(
            "SELECT provider_id, subject, user_id, email, linked_at, last_used_at FROM linked_identities \
             WHERE user_id = $1 ORDER BY linked_at, provider_id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("identities_of_user"))
    }

    /// Unlinks an identity of `user_id`, unless the account would be left with no way to sign
    /// in. One statement, so two unlinks racing cannot both pass the check.
    pub async fn unlink_identity(&self, user_id: &UserId, provider_id: &str, subject: &str) -> StoreResult<Unlinked> {
        let deleted = sqlx::query(
            "DELETE FROM linked_identities WHERE user_id = $1 AND provider_id = $2 AND subject = $3 \
             AND (EXISTS (SELECT 1 FROM users WHERE id = $1 AND password_hash <> '') \
                  OR (SELECT COUNT(*) FROM linked_identities WHERE user_id = $1) > 1)",
        )
        .bind(user_id)
        .bind(provider_id)
        .bind(subject)
        .execute(self.pool())
        .await
        .map_err(query_error("unlink_identity"))?;
        if deleted.rows_affected() == 1 {
            return Ok(Unlinked::Done);
        }
        let exists = self
            .identities_of_user(user_id)
            .await?
            .iter()
            .any(|identity| identity.provider_id == provider_id && identity.subject == subject);
        Ok(if exists {
            Unlinked::LastMethod
        } else {
            Unlinked::NotFound
        })
    }

    /// Creates an account without a password, linked to an upstream identity, in one
    /// transaction; `None` when the email address has an account or the identity is linked
    /// already (nothing is created then).
    pub async fn create_federated_user(
        &self,
        user: NewUser,
        identity: NewIdentity<'_>,
        now: UnixTime,
    ) -> StoreResult<Option<User>> {
        let id = UserId::new(crate::random::id());
        let mut transaction = self.begin_write().await.map_err(query_error("create_federated_user"))?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, email_verified, password_hash, given_name, family_name, nickname, \
             phone_number, birthdate, locale, created_at, updated_at, last_active_at) \
             VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10, $10, $10) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&id)
        .bind(&user.email)
        .bind(flag(user.email_verified))
        .bind(&user.profile.given_name)
        .bind(&user.profile.family_name)
        .bind(&user.profile.nickname)
        .bind(&user.profile.phone_number)
        .bind(&user.profile.birthdate)
        .bind(&user.locale)
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(query_error("create_federated_user"))?;
        if inserted.rows_affected() == 0 {
            return Ok(None);
        }
        let linked = sqlx::query(
            "INSERT INTO linked_identities (provider_id, subject, user_id, email, linked_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (provider_id, subject) DO NOTHING",
        )
        .bind(identity.provider_id)
        .bind(identity.subject)
        .bind(&id)
        .bind(identity.email)
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(query_error("create_federated_user"))?;
        if linked.rows_affected() == 0 {
            // Dropping the transaction rolls the account back: nothing half-made stays.
            return Ok(None);
        }
        let created = user_by_id_on(&mut *transaction, &id).await?;
        transaction
            .commit()
            .await
            .map_err(query_error("create_federated_user"))?;
        Ok(created)
    }

    /// The binding-cookie hash's sign-ins in progress, for finding the one an upstream answer
    /// belongs to (its `state`), newest first.
    pub async fn sign_ins_of_browser(&self, browser_hash: &str, now: UnixTime) -> StoreResult<Vec<super::SignInRow>> {
        sqlx::query_as::<_, super::SignInRow>(
            "SELECT id, user_id, state, created_at, expires_at FROM sign_ins \
             WHERE browser_hash = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 50",
        )
        .bind(browser_hash)
        .bind(now)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("sign_ins_of_browser"))
    }
}
