//! Challenged mode's episodes (so entering it is audited once, however many failures arrive at
//! the same time) and the CAPTCHA answers already presented (each accepted once).

use super::{Store, StoreResult, query_error};
use crate::ids::UnixTime;

impl Store {
    /// Extends the challenge episode of `subject` to `now`, or starts one as `episode` when none
    /// is live (its last extension is not after `window_start`). One atomic statement: of many
    /// requests at once, exactly one learns it started the episode. Returns whether this call did.
    pub async fn extend_challenge_episode(
        &self,
        subject: &str,
        episode: &str,
        now: UnixTime,
        window_start: UnixTime,
    ) -> StoreResult<bool> {
        let current: String = sqlx::query_scalar(
            "INSERT INTO challenge_episodes (subject, episode, last_at) VALUES ($1, $2, $3) \
             ON CONFLICT (subject) DO UPDATE SET \
               episode = CASE WHEN challenge_episodes.last_at <= $4 THEN excluded.episode \
                         ELSE challenge_episodes.episode END, \
               last_at = CASE WHEN challenge_episodes.last_at > excluded.last_at THEN challenge_episodes.last_at \
                         ELSE excluded.last_at END \
             RETURNING episode",
        )
        .bind(subject)
        .bind(episode)
        .bind(now)
        .bind(window_start)
        .fetch_one(self.pool())
        .await
        .map_err(query_error("extend_challenge_episode"))?;
        Ok(current == episode)
    }

    /// Records the CAPTCHA answer hashed `answer_hash` as presented, until `expires_at`. Returns
    /// false when it was presented before: one statement, so two requests with the same answer
    /// cannot both use it.
    pub async fn claim_captcha_answer(&self, answer_hash: &str, expires_at: UnixTime) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO captcha_answers (answer_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (answer_hash) DO NOTHING",
        )
        .bind(answer_hash)
        .bind(expires_at)
        .execute(self.pool())
        .await
        .map_err(query_error("claim_captcha_answer"))?;
        Ok(result.rows_affected() == 1)
    }
}
