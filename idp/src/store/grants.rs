//! Grants (one customer's authorization of one client) and what hangs off them: the
//! authorization code, refresh tokens, and revoked access tokens.

use sqlx::{Any, Transaction};

use super::{Store, StoreResult, query_error};
use crate::ids::{SessionId, UnixTime, UserId};

/// One authorization: what a customer granted a client in one sign-in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Grant {
    /// Identifier; access tokens carry it in their `jti`.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The customer.
    pub user_id: UserId,
    /// The IdP session it came from (`sid`).
    pub session_id: SessionId,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The authorization request's nonce, repeated in every ID token of the grant.
    pub nonce: Option<String>,
    /// When the customer authenticated.
    pub auth_time: UnixTime,
    /// How the customer authenticated, space-separated.
    pub amr: String,
    /// The authentication context class reached (`acr`); absent on grants made before it was kept.
    pub acr: Option<String>,
    /// When granted.
    pub created_at: UnixTime,
    /// When the grant (and its refresh tokens) end.
    pub expires_at: UnixTime,
    /// When revoked, if revoked.
    pub revoked_at: Option<UnixTime>,
}

impl Grant {
    /// Whether tokens of this grant are still good at `now`.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// The granted scopes.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|scope| !scope.is_empty())
    }
}

/// A grant about to be recorded with its authorization code.
#[derive(Debug, Clone)]
pub struct NewGrant<'a> {
    /// The client.
    pub client_id: &'a str,
    /// The customer.
    pub user_id: &'a UserId,
    /// The session.
    pub session_id: &'a SessionId,
    /// Granted scopes, space-separated.
    pub scope: &'a str,
    /// The request's nonce.
    pub nonce: Option<&'a str>,
    /// When the customer authenticated.
    pub auth_time: UnixTime,
    /// How, space-separated.
    pub amr: &'a str,
    /// The authentication context class reached.
    pub acr: &'a str,
    /// Now.
    pub now: UnixTime,
    /// When the grant ends (the refresh token lifetime).
    pub expires_at: UnixTime,
}

/// What redeeming an authorization code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// No such code.
    Unknown,
    /// The code has expired.
    Expired,
    /// The code was used before: its grant is now revoked (RFC 6749 4.1.2).
    Reused,
    /// First use.
    Redeemed {
        /// The grant (boxed: it is large next to the other variants).
        grant: Box<Grant>,
        /// The redirect URI of the authorization request.
        redirect_uri: String,
        /// The PKCE challenge of the authorization request.
        code_challenge: Option<String>,
    },
}

/// What using a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// No such token, or expired, or its grant is revoked.
    Invalid,
    /// A rotated-out token was presented again: the whole grant is now revoked (RFC 9700 4.14.2).
    Reused {
        /// The revoked grant.
        grant: Grant,
    },
    /// Valid, but refused by the caller's checks; nothing changed.
    NotAccepted {
        /// The grant.
        grant: Grant,
    },
    /// Accepted; the new token (when rotating) is stored.
    Accepted {
        /// The grant.
        grant: Grant,
        /// Its customer, read in the same transaction (for the new ID token), if still there.
        user: Option<Box<super::User>>,
    },
}

macro_rules! select_grant {
    () => {
        "SELECT g.id, g.client_id, g.user_id, g.session_id, g.scope, g.nonce, g.auth_time, g.amr, g.acr, g.created_at, g.expires_at, g.revoked_at \
         FROM grants g WHERE g.id = $1"
    };
}

/// A stored code: grant id, redirect URI, challenge, expiry, time of use.
type CodeRow = (String, String, Option<String>, UnixTime, Option<UnixTime>);

impl Store {
    /// Records a grant and its authorization code, in one transaction.
    pub async fn create_grant_with_code(
        &self,
        grant: NewGrant<'_>,
        code_hash: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
        code_expires_at: UnixTime,
    ) -> StoreResult<String> {
        let id = crate::random::id();
        let mut tx = self.begin_write().await.map_err(query_error("create_grant"))?;
        sqlx::query(
            "INSERT INTO grants (id, client_id, user_id, session_id, scope, nonce, auth_time, amr, acr, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(grant.client_id)
        .bind(grant.user_id)
        .bind(grant.session_id)
        .bind(grant.scope)
        .bind(grant.nonce)
        .bind(grant.auth_time)
        .bind(grant.amr)
        .bind(grant.acr)
        .bind(grant.now)
        .bind(grant.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(query_error("create_grant"))?;
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, grant_id, redirect_uri, code_challenge, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code_hash)
        .bind(&id)
        .bind(redirect_uri)
        .bind(code_challenge)
        .bind(code_expires_at)
        .execute(&mut *tx)
        .await
        .map_err(query_error("create_code"))?;
        tx.commit().await.map_err(query_error("create_grant"))?;
        Ok(id)
    }

    /// Consumes an authorization code. A second use revokes the grant the first use created.
    pub async fn redeem_code(&self, code_hash: &str, now: UnixTime) -> StoreResult<CodeRedemption> {
        let mut tx = self.begin_write().await.map_err(query_error("redeem_code"))?;
        let row: Option<CodeRow> = sqlx::query_as(
            "SELECT grant_id, redirect_uri, code_challenge, expires_at, used_at FROM authorization_codes WHERE code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_error("redeem_code"))?;
        let Some((grant_id, redirect_uri, code_challenge, expires_at, used_at)) = row else {
            return Ok(CodeRedemption::Unknown);
        };
        let first_use = used_at.is_none()
            && sqlx::query("UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL")
                .bind(code_hash)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(query_error("redeem_code"))?
                .rows_affected()
                == 1;
        let outcome = if !first_use {
            revoke_grant_in(&mut tx, &grant_id, now).await?;
            CodeRedemption::Reused
        } else if expires_at <= now {
            CodeRedemption::Expired
        } else {
            match grant_in(&mut tx, &grant_id).await? {
                Some(grant) => CodeRedemption::Redeemed {
                    grant: Box::new(grant),
                    redirect_uri,
                    code_challenge,
                },
                None => CodeRedemption::Unknown,
            }
        };
        tx.commit().await.map_err(query_error("redeem_code"))?;
        Ok(outcome)
    }

    /// Stores a refresh token of a grant.
    pub async fn create_refresh_token(
        &self,
        grant_id: &str,
        token_hash: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO refresh_tokens (token_hash, grant_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(grant_id)
            .bind(expires_at)
            .execute(self.pool())
            .await
            .map_err(query_error("create_refresh_token"))?;
        Ok(())
    }

    /// Uses a refresh token in one transaction: checks it and asks `accept` (client and scope
    /// checks), then, when `replacement` is given, retires it and stores the replacement.
    /// Reuse of a retired token revokes the grant.
    pub async fn use_refresh_token(
        &self,
        token_hash: &str,
        accept: impl FnOnce(&Grant) -> bool,
        replacement: Option<&str>,
        now: UnixTime,
    ) -> StoreResult<RefreshOutcome> {
        let mut tx = self.begin_write().await.map_err(query_error("use_refresh_token"))?;
        let row: Option<(String, UnixTime, Option<UnixTime>)> =
            sqlx::query_as("SELECT grant_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error("use_refresh_token"))?;
        let Some((grant_id, expires_at, used_at)) = row else {
            return Ok(RefreshOutcome::Invalid);
        };
        let Some(grant) = grant_in(&mut tx, &grant_id).await? else {
            return Ok(RefreshOutcome::Invalid);
        };
        let outcome = if used_at.is_some() {
            if grant.revoked_at.is_none() {
                revoke_grant_in(&mut tx, &grant_id, now).await?;
            }
            RefreshOutcome::Reused { grant }
        } else if expires_at <= now || !grant.is_active(now) {
            RefreshOutcome::Invalid
        } else if !accept(&grant) {
            RefreshOutcome::NotAccepted { grant }
        } else {
            rotate_in(&mut tx, token_hash, replacement, &grant, now).await?
        };
        // One transaction per refresh (DESIGN.md section 6): the customer is read inside it too.
        let outcome = match outcome {
            RefreshOutcome::Accepted { grant, .. } => {
                let user = super::users::user_by_id_on(&mut *tx, &grant.user_id)
                    .await?
                    .map(Box::new);
                RefreshOutcome::Accepted { grant, user }
            }
            other => other,
        };
        tx.commit().await.map_err(query_error("use_refresh_token"))?;
        Ok(outcome)
    }

    /// The grant and expiry behind a refresh token, for introspection and revocation.
    pub async fn refresh_token_grant(&self, token_hash: &str) -> StoreResult<Option<(Grant, UnixTime, bool)>> {
        let row: Option<(String, UnixTime, Option<UnixTime>)> =
            sqlx::query_as("SELECT grant_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(self.pool())
                .await
                .map_err(query_error("refresh_token_grant"))?;
        let Some((grant_id, expires_at, used_at)) = row else {
            return Ok(None);
        };
        Ok(self
            .grant(&grant_id)
            .await?
            .map(|grant| (grant, expires_at, used_at.is_some())))
    }

    /// The grant with this id.
    pub async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
        sqlx::query_as::<_, Grant>(select_grant!())
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("grant"))
    }

    /// Revokes a grant: its refresh tokens and access tokens stop working.
    pub async fn revoke_grant(&self, id: &str, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(query_error("revoke_grant"))?;
        Ok(())
    }

    /// Revokes every grant of a customer (password reset), or of one of their sessions.
    pub async fn revoke_grants(
        &self,
        user_id: &UserId,
        session_id: Option<&SessionId>,
        now: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE grants SET revoked_at = $3 WHERE user_id = $1 AND ($2 = '' OR session_id = $2) AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(session_id.map_or("", SessionId::as_str))
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("revoke_grants"))?;
        Ok(())
    }

    /// Revokes every grant of a customer except those of session `keep`: after a password
    /// change, only the session it was made in keeps its tokens.
    pub async fn revoke_other_grants(&self, user_id: &UserId, keep: &SessionId, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE grants SET revoked_at = $3 WHERE user_id = $1 AND session_id <> $2 AND revoked_at IS NULL")
            .bind(user_id)
            .bind(keep)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(query_error("revoke_other_grants"))?;
        Ok(())
    }

    /// Puts an access token on the deny list until it expires anyway.
    pub async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()> {
        sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(expires_at)
            .execute(self.pool())
            .await
            .map_err(query_error("revoke_access_token"))?;
        Ok(())
    }

    /// Whether an access token is still good: not on the deny list and, when it belongs to a
    /// grant, that grant active at `now`. One query, so userinfo and introspection pay one round
    /// trip for it.
    pub async fn access_token_valid(&self, jti: &str, grant_id: Option<&str>, now: UnixTime) -> StoreResult<bool> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM revoked_access_tokens WHERE jti = $1), \
                    (SELECT COUNT(*) FROM grants WHERE id = $2 AND revoked_at IS NULL AND expires_at > $3)",
        )
        .bind(jti)
        .bind(grant_id.unwrap_or(""))
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("access_token_valid"))?;
        Ok(row.is_some_and(|(revoked, active_grants)| revoked == 0 && (grant_id.is_none() || active_grants == 1)))
    }
}

async fn grant_in(tx: &mut Transaction<'_, Any>, id: &str) -> StoreResult<Option<Grant>> {
    sqlx::query_as::<_, Grant>(select_grant!())
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(query_error("grant"))
}

async fn revoke_grant_in(tx: &mut Transaction<'_, Any>, id: &str, now: UnixTime) -> StoreResult<()> {
    sqlx::query("UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(query_error("revoke_grant"))?;
    Ok(())
}

async fn rotate_in(
    tx: &mut Transaction<'_, Any>,
    token_hash: &str,
    replacement: Option<&str>,
    grant: &Grant,
    now: UnixTime,
) -> StoreResult<RefreshOutcome> {
    let Some(replacement) = replacement else {
        return Ok(RefreshOutcome::Accepted {
            grant: grant.clone(),
            user: None,
        });
    };
    let retired = sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(query_error("rotate_refresh_token"))?;
    if retired.rows_affected() == 0 {
        // Another request retired it first: this is a reuse.
        revoke_grant_in(tx, &grant.id, now).await?;
        return Ok(RefreshOutcome::Reused { grant: grant.clone() });
    }
    sqlx::query("INSERT INTO refresh_tokens (token_hash, grant_id, expires_at) VALUES ($1, $2, $3)")
        .bind(replacement)
        .bind(&grant.id)
        .bind(grant.expires_at)
        .execute(&mut **tx)
        .await
        .map_err(query_error("rotate_refresh_token"))?;
    Ok(RefreshOutcome::Accepted {
        grant: grant.clone(),
        user: None,
    })
}
