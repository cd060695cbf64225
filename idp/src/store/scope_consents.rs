//! OAuth scope consent: the scopes a customer agreed to share with a third-party client (not
//! privacy consent to processing purposes, which is [`crate::privacy`]).

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

impl Store {
    /// The scopes the customer consented to for this client (space-separated), and when.
    pub async fn scope_consent(&self, user_id: &UserId, client_id: &str) -> StoreResult<Option<(String, UnixTime)>> {
        sqlx::query_as("SELECT scope, granted_at FROM scope_consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("scope_consent"))
    }

    /// Records consent to `scope` (replacing earlier consent for the client).
    pub async fn record_scope_consent(
        &self,
        user_id: &UserId,
        client_id: &str,
        scope: &str,
        now: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO scope_consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("record_scope_consent"))?;
        Ok(())
    }
}
