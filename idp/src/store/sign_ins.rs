//! Sign-ins in progress: found by id and the hash of the browser's binding cookie together,
//! never by id alone.

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// A stored sign-in; `state` is the transaction's JSON, which only `authn` reads.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SignInRow {
    /// Public handle (in page URLs).
    pub id: String,
    /// The customer identified so far.
    pub user_id: Option<UserId>,
    /// Everything else the transaction holds, as JSON.
    pub state: String,
    /// When it started.
    pub created_at: UnixTime,
    /// When it lapses.
    pub expires_at: UnixTime,
}

/// A sign-in about to be recorded.
#[derive(Debug, Clone)]
pub struct NewSignIn<'a> {
    /// Public handle.
    pub id: &'a str,
    /// SHA-256 of the browser's binding cookie.
    pub browser_hash: &'a str,
    /// The client's network (an IPv4 address or an IPv6 /64), for the bound per network.
    pub network: &'a str,
    /// The customer identified so far.
    pub user_id: Option<&'a UserId>,
    /// The transaction's JSON.
    pub state: &'a str,
    /// Now.
    pub now: UnixTime,
    /// When it lapses.
    pub expires_at: UnixTime,
}

impl Store {
    /// Records a sign-in unless its network already has `limit` sign-ins in progress; returns
    /// whether it was recorded. One statement, so the count and the insert see the same rows.
    pub async fn create_sign_in(&self, sign_in: NewSignIn<'_>, limit: i64) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO sign_ins (id, browser_hash, network, user_id, state, created_at, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE (SELECT COUNT(*) FROM sign_ins WHERE network = $3 AND expires_at > $6) < $8",
        )
        .bind(sign_in.id)
        .bind(sign_in.browser_hash)
        .bind(sign_in.network)
        .bind(sign_in.user_id)
        .bind(sign_in.state)
        .bind(sign_in.now)
        .bind(sign_in.expires_at)
        .bind(limit)
        .execute(self.pool())
        .await
        .map_err(query_error("create_sign_in"))?;
        Ok(result.rows_affected() == 1)
    }

    /// The sign-in `id` of the browser whose binding cookie hashes to `browser_hash`, unless it
    /// lapsed.
    pub async fn sign_in(&self, id: &str, browser_hash: &str, now: UnixTime) -> StoreResult<Option<SignInRow>> {
        sqlx::query_as::<_, SignInRow>(
            "SELECT id, user_id, state, created_at, expires_at FROM sign_ins \
             WHERE id = $1 AND browser_hash = $2 AND expires_at > $3",
        )
        .bind(id)
        .bind(browser_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("sign_in"))
    }

    /// Records progress on a sign-in of this browser; returns whether it was still there.
    pub async fn update_sign_in(
        &self,
        id: &str,
        browser_hash: &str,
        user_id: Option<&UserId>,
        state: &str,
    ) -> StoreResult<bool> {
        let result = sqlx::query("UPDATE sign_ins SET user_id = $3, state = $4 WHERE id = $1 AND browser_hash = $2")
            .bind(id)
            .bind(browser_hash)
            .bind(user_id)
            .bind(state)
            .execute(self.pool())
            .await
            .map_err(query_error("update_sign_in"))?;
        Ok(result.rows_affected() == 1)
    }

    /// Ends a sign-in of this browser; returns whether it was still there, so of two requests
    /// finishing the same sign-in only one goes on.
    pub async fn end_sign_in(&self, id: &str, browser_hash: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM sign_ins WHERE id = $1 AND browser_hash = $2")
            .bind(id)
            .bind(browser_hash)
            .execute(self.pool())
            .await
            .map_err(query_error("end_sign_in"))?;
        Ok(result.rows_affected() == 1)
    }
}
