//! Server-side sign-in sessions. The browser holds a random token; we keep only its hash.

use super::{Store, StoreResult, query_error};
use crate::ids::{SessionId, UnixTime, UserId};

/// A customer's sign-in session at the IdP.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    /// Public identifier: the `sid` claim, and the handle on the account page.
    pub id: SessionId,
    /// The customer.
    pub user_id: UserId,
    /// When the customer authenticated (`auth_time`).
    pub auth_time: UnixTime,
    /// Authentication methods, space-separated (`amr`).
    pub amr: String,
    /// When the session began.
    pub created_at: UnixTime,
    /// Last request seen (idle timeout).
    pub last_seen_at: UnixTime,
    /// Hard end (absolute timeout).
    pub expires_at: UnixTime,
    /// Client IP at sign-in.
    pub ip: Option<String>,
    /// Browser at sign-in.
    pub user_agent: Option<String>,
}

/// Where and how a session began.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// Hash of the cookie token.
    pub token_hash: &'a str,
    /// The customer.
    pub user_id: &'a UserId,
    /// Authentication methods.
    pub amr: &'a str,
    /// Now.
    pub now: UnixTime,
    /// Absolute expiry.
    pub expires_at: UnixTime,
    /// Client IP.
    pub ip: Option<&'a str>,
    /// Browser.
    pub user_agent: Option<&'a str>,
}

macro_rules! columns {
    () => {
        "id, user_id, auth_time, amr, created_at, last_seen_at, expires_at, ip, user_agent"
    };
}

impl Store {
    /// Starts a session.
    pub async fn create_session(&self, session: NewSession<'_>) -> StoreResult<Session> {
        let id = SessionId::new(crate::random::id());
        sqlx::query(
            "INSERT INTO sessions (token_hash, id, user_id, auth_time, amr, created_at, last_seen_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $4, $4, $6, $7, $8)",
        )
        .bind(session.token_hash)
        .bind(&id)
        .bind(session.user_id)
        .bind(session.now)
        .bind(session.amr)
        .bind(session.expires_at)
        .bind(session.ip)
        .bind(session.user_agent)
        .execute(self.pool())
        .await
        .map_err(query_error("create_session"))?;
        Ok(Session {
            id,
            user_id: session.user_id.clone(),
            auth_time: session.now,
            amr: session.amr.to_owned(),
            created_at: session.now,
            last_seen_at: session.now,
            expires_at: session.expires_at,
            ip: session.ip.map(str::to_owned),
            user_agent: session.user_agent.map(str::to_owned),
        })
    }

    /// The session whose cookie token hashes to `token_hash`.
    pub async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, Session>(concat!("SELECT ", columns!(), " FROM sessions WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("session_by_token"))
    }

    /// The session with this public id.
    pub async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, Session>(concat!("SELECT ", columns!(), " FROM sessions WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("session_by_id"))
    }

    /// Records activity, for the idle timeout.
    pub async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(query_error("touch_session"))?;
        Ok(())
    }

    /// Every session of a customer, newest first.
    pub async fn sessions_of_user(&self, user_id: &UserId) -> StoreResult<Vec<Session>> {
        sqlx::query_as::<_, Session>(concat!(
            "SELECT ",
            columns!(),
            " FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("sessions_of_user"))
    }

    /// Ends one session of a customer; returns whether it existed.
    pub async fn delete_session(&self, user_id: &UserId, id: &SessionId) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(query_error("delete_session"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Ends every session of a customer except `keep`.
    pub async fn delete_other_sessions(&self, user_id: &UserId, keep: Option<&SessionId>) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.map_or("", SessionId::as_str))
            .execute(self.pool())
            .await
            .map_err(query_error("delete_other_sessions"))?;
        Ok(result.rows_affected())
    }
}
