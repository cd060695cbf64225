//! Authorization requests parked while the customer signs in or consents.

use super::{Store, StoreResult, query_error};

impl Store {
    /// Parks a validated authorization request (as JSON) until `expires_at`; returns its id.
    pub async fn park_request(&self, params: &str, expires_at: i64) -> StoreResult<String> {
        let id = crate::random::token();
        sqlx::query("INSERT INTO authorization_requests (id, params, expires_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(params)
            .bind(expires_at)
            .execute(self.pool())
            .await
            .map_err(query_error("park_request"))?;
        Ok(id)
    }

    /// A parked request, unless it expired.
    pub async fn parked_request(&self, id: &str, now: i64) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT params FROM authorization_requests WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("parked_request"))
    }

    /// Replaces a parked request's parameters (a step on the way completed).
    pub async fn update_parked_request(&self, id: &str, params: &str) -> StoreResult<()> {
        sqlx::query("UPDATE authorization_requests SET params = $2 WHERE id = $1")
            .bind(id)
            .bind(params)
            .execute(self.pool())
            .await
            .map_err(query_error("update_parked_request"))?;
        Ok(())
    }

    /// Forgets a parked request once it produced a response.
    pub async fn drop_request(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM authorization_requests WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(query_error("drop_request"))?;
        Ok(())
    }
}
