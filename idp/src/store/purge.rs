//! Purging what has expired, so the tables that grow with traffic stay the size of what is live.

use super::{Store, StoreResult, query_error};
use crate::ids::UnixTime;

/// The moments before which rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Now: sign-ins in progress, codes, refresh tokens, grants, email tokens, deny-listed access
    /// tokens and sessions that expired before it go.
    pub now: UnixTime,
    /// Sessions unused since before this go (the idle timeout).
    pub idle_before: UnixTime,
    /// Grants revoked before this go, with their codes and refresh tokens (kept a while so a
    /// reused refresh token of a just-revoked grant is still recognised as reuse).
    pub revoked_before: UnixTime,
    /// Audit log lines older than this go (the retention).
    pub audit_before: UnixTime,
    /// Rate-limit windows that started before this have ended and go.
    pub rate_limits_before: UnixTime,
    /// Second factors set up before this and never confirmed by a first code go.
    pub unconfirmed_before: UnixTime,
    /// Devices and networks an account has not signed in from since before this are forgotten
    /// (a device's cookie has expired by then): they are new again to adaptive MFA.
    pub forgotten_before: UnixTime,
}

/// Rows purged, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged(pub Vec<(&'static str, u64)>);

impl Purged {
    /// Rows purged in all.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, rows)| rows).sum()
    }
}

/// Email-code send windows last an hour: one that started before this has ended.
fn email_sends_before(now: UnixTime) -> UnixTime {
    now.minus_seconds(3600)
}

impl Store {
    /// Deletes every row past its cutoff; idempotent. One statement per table, so a purge never
    /// holds one lock across all of them; each is served by an index on its cutoff column.
    pub async fn purge(&self, cutoffs: &Cutoffs) -> StoreResult<Purged> {
        let Cutoffs {
            now,
            idle_before,
            revoked_before,
            audit_before,
            rate_limits_before,
            unconfirmed_before,
            forgotten_before,
        } = *cutoffs;
        // Grants first: their codes and refresh tokens go with them (ON DELETE CASCADE).
        let purges: &[(&'static str, &'static str, &[UnixTime])] = &[
            (
                "grants",
                "DELETE FROM grants WHERE expires_at < $1 OR revoked_at < $2",
                &[now, revoked_before],
            ),
            (
                "authorization_codes",
                "DELETE FROM authorization_codes WHERE expires_at < $1",
                &[now],
            ),
            (
                "refresh_tokens",
                "DELETE FROM refresh_tokens WHERE expires_at < $1",
                &[now],
            ),
            ("sign_ins", "DELETE FROM sign_ins WHERE expires_at < $1", &[now]),
            ("email_tokens", "DELETE FROM email_tokens WHERE expires_at < $1", &[now]),
            (
                "revoked_access_tokens",
                "DELETE FROM revoked_access_tokens WHERE expires_at < $1",
                &[now],
            ),
            (
                "sessions",
                "DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2",
                &[now, idle_before],
            ),
            ("audit_log", "DELETE FROM audit_log WHERE at < $1", &[audit_before]),
            (
                "rate_limits",
                "DELETE FROM rate_limits WHERE window_start < $1",
                &[rate_limits_before],
            ),
            (
                "totp_factors",
                "DELETE FROM totp_factors WHERE confirmed_at IS NULL AND created_at < $1",
                &[unconfirmed_before],
            ),
            (
                "trusted_devices",
                "DELETE FROM trusted_devices WHERE expires_at < $1",
                &[now],
            ),
            (
                "passkey_ceremonies",
                "DELETE FROM passkey_ceremonies WHERE expires_at < $1",
                &[now],
            ),
            (
                "sign_in_challenges",
                "DELETE FROM sign_in_challenges WHERE expires_at < $1",
                &[now],
            ),
            (
                "known_devices",
                "DELETE FROM known_devices WHERE last_seen_at < $1",
                &[forgotten_before],
            ),
            (
                "known_networks",
                "DELETE FROM known_networks WHERE last_seen_at < $1",
                &[forgotten_before],
            ),
            ("email_codes", "DELETE FROM email_codes WHERE expires_at < $1", &[now]),
            (
                "captcha_answers",
                "DELETE FROM captcha_answers WHERE expires_at < $1",
                &[now],
            ),
            (
                "email_code_sends",
                "DELETE FROM email_code_sends WHERE window_start < $1",
                &[email_sends_before(now)],
            ),
        ];
        let mut purged = Purged::default();
        for &(table, statement, cutoffs) in purges {
            let mut query = sqlx::query(statement);
            for cutoff in cutoffs {
                query = query.bind(*cutoff);
            }
            let result = query.execute(self.pool()).await.map_err(query_error("purge"))?;
            purged.0.push((table, result.rows_affected()));
        }
        // An address's block backoff is remembered for a day after its last failure.
        let throttled = self.purge_sign_in_throttle(now, now.minus_seconds(86_400)).await?;
        purged.0.push(("sign_in_throttle", throttled));
        // Challenged mode's windows last a day at most.
        let failures = sqlx::query("DELETE FROM address_sign_in_failures WHERE last_failed_at < $1")
            .bind(now.minus_seconds(86_400))
            .execute(self.pool())
            .await
            .map_err(query_error("purge"))?;
        purged.0.push(("address_sign_in_failures", failures.rows_affected()));
        // An episode ends within a day (the longest window) of its last failure.
        let episodes = sqlx::query("DELETE FROM challenge_episodes WHERE last_at < $1")
            .bind(now.minus_seconds(86_400))
            .execute(self.pool())
            .await
            .map_err(query_error("purge"))?;
        purged.0.push(("challenge_episodes", episodes.rows_affected()));
        // The tenant's outcomes serve a baseline of an hour before the last five minutes.
        let outcomes = self.purge_sign_in_outcomes(now.seconds().div_euclid(60) - 120).await?;
        purged.0.push(("sign_in_outcomes", outcomes));
        Ok(purged)
    }
}
