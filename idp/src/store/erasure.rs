//! Erasing an account: every row that refers to it goes in one transaction, and the audit log
//! keeps one pseudonymous tombstone saying that an erasure happened.

use sqlx::{Any, Transaction};

use super::{Backend, Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// Why an account was erased (the tombstone's detail and the metric's label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureReason {
    /// The customer asked for it on the account page.
    Request,
    /// Unused for longer than the tenant's `dataRetention.inactiveAccounts`.
    Inactive,
}

impl ErasureReason {
    /// The stored and exported name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Inactive => "inactive",
        }
    }
}

/// Which account to erase, and on what condition.
#[derive(Debug, Clone)]
pub struct Erasure<'a> {
    /// The account.
    pub user_id: &'a UserId,
    /// Why.
    pub reason: ErasureReason,
    /// When.
    pub now: UnixTime,
    /// For inactivity: erase only if still unused since before the first instant and warned
    /// before the second (a sign-in in between keeps the account).
    pub unless_used: Option<(UnixTime, UnixTime)>,
}

/// What is left of an erased account until the confirmation email is sent: the former
/// address, kept in memory only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The former email address.
    pub email: String,
    /// The former preferred language.
    pub locale: Option<String>,
}

/// What a delete statement matches on.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// The account id.
    User,
    /// The SHA-256 of the email address (challenged-mode signals).
    AccountHash,
    /// The rate-limit key of the email address (`account:<SHA-256>`).
    AccountLimit,
}

/// Every table holding rows about an account, children before parents. Cascades would reach
/// most of them, but naming each keeps the erasure independent of foreign keys and tells
/// PostgreSQL which tables to vacuum.
const DELETES: &[(&str, &str, Key)] = &[
    ("audit_log", "DELETE FROM audit_log WHERE user_id = $1", Key::User),
    // Hashes of the address are pseudonymous personal data: they go too.
    (
        "address_sign_in_failures",
        "DELETE FROM address_sign_in_failures WHERE account_hash = $1",
        Key::AccountHash,
    ),
    (
        "rate_limits",
        "DELETE FROM rate_limits WHERE limit_key = $1",
        Key::AccountLimit,
    ),
    ("email_codes", "DELETE FROM email_codes WHERE user_id = $1", Key::User),
    (
        "email_code_sends",
        "DELETE FROM email_code_sends WHERE user_id = $1",
        Key::User,
    ),
    (
        "email_otp_factors",
        "DELETE FROM email_otp_factors WHERE user_id = $1",
        Key::User,
    ),
    (
        "recovery_codes",
        "DELETE FROM recovery_codes WHERE user_id = $1",
        Key::User,
    ),
    (
        "passkey_ceremonies",
        "DELETE FROM passkey_ceremonies WHERE user_id = $1",
        Key::User,
    ),
    ("passkeys", "DELETE FROM passkeys WHERE user_id = $1", Key::User),
    ("totp_factors", "DELETE FROM totp_factors WHERE user_id = $1", Key::User),
    (
        "trusted_devices",
        "DELETE FROM trusted_devices WHERE user_id = $1",
        Key::User,
    ),
    (
        "known_devices",
        "DELETE FROM known_devices WHERE user_id = $1",
        Key::User,
    ),
    (
        "known_networks",
        "DELETE FROM known_networks WHERE user_id = $1",
        Key::User,
    ),
    (
        "linked_identities",
        "DELETE FROM linked_identities WHERE user_id = $1",
        Key::User,
    ),
    (
        "scope_consents",
        "DELETE FROM scope_consents WHERE user_id = $1",
        Key::User,
    ),
    (
        "consent_records",
        "DELETE FROM consent_records WHERE user_id = $1",
        Key::User,
    ),
    ("email_tokens", "DELETE FROM email_tokens WHERE user_id = $1", Key::User),
    ("sign_ins", "DELETE FROM sign_ins WHERE user_id = $1", Key::User),
    (
        "authorization_codes",
        "DELETE FROM authorization_codes WHERE grant_id IN (SELECT id FROM grants WHERE user_id = $1)",
        Key::User,
    ),
    (
        "refresh_tokens",
        "DELETE FROM refresh_tokens WHERE grant_id IN (SELECT id FROM grants WHERE user_id = $1)",
        Key::User,
    ),
    ("grants", "DELETE FROM grants WHERE user_id = $1", Key::User),
    ("sessions", "DELETE FROM sessions WHERE user_id = $1", Key::User),
    ("users", "DELETE FROM users WHERE id = $1", Key::User),
];

/// The tables an erasure deletes from: the only names the vacuum accepts.
pub fn erasure_tables() -> impl Iterator<Item = &'static str> {
    DELETES.iter().map(|(table, _, _)| *table)
}

impl Store {
    /// Erases the account and everything linked to it in one transaction, leaving an
    /// `account_erased` audit line whose subject is the SHA-256 of the account id (no address,
    /// no network). `None` when there is no such account (or it was used since, for
    /// inactivity). A failure rolls everything back: no account is ever half erased.
    pub async fn erase_account(&self, erasure: &Erasure<'_>) -> StoreResult<Option<Erased>> {
        let mut transaction = self.begin_write().await.map_err(query_error("erase_account"))?;
        let Some(erased) = claim(&mut transaction, erasure).await? else {
            return Ok(None);
        };
        let account_hash = crate::random::hash(&erased.email);
        let limit_key = format!("account:{account_hash}");
        for &(table, statement, key) in DELETES {
            let value = match key {
                Key::User => erasure.user_id.as_str(),
                Key::AccountHash => account_hash.as_str(),
                Key::AccountLimit => limit_key.as_str(),
            };
            let deleted = sqlx::query(statement)
                .bind(value)
                .execute(&mut *transaction)
                .await
                .map_err(query_error("erase_account"))?;
            if self.backend == Backend::Postgres && deleted.rows_affected() > 0 {
                mark_vacuum_due(&mut transaction, table).await?;
            }
        }
        tombstone(&mut transaction, erasure).await?;
        transaction.commit().await.map_err(query_error("erase_account"))?;
        self.checkpoint().await;
        Ok(Some(erased))
    }

    /// On SQLite, copies the write-ahead log into the database file and truncates it, so the
    /// bytes an erasure overwrote (`secure_delete`) leave the log too. Busy readers make it
    /// retry a few times; a checkpoint left undone is logged (the next one completes it).
    async fn checkpoint(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        for _ in 0..20 {
            let done: Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(self.pool())
                .await;
            match done {
                Ok((0, _, _)) => return,
                Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
                Err(error) => {
                    tracing::warn!(%error, "checkpointing the write-ahead log after an erasure failed");
                    return;
                }
            }
        }
        tracing::warn!("the write-ahead log stayed busy after an erasure; the next checkpoint truncates it");
    }

    /// Vacuums the tables erasures deleted from (PostgreSQL), so deleted rows do not linger as
    /// dead tuples; returns the tables vacuumed.
    pub async fn vacuum_erased_tables(&self) -> StoreResult<Vec<&'static str>> {
        let due: Vec<String> = sqlx::query_scalar("SELECT table_name FROM vacuum_due")
            .fetch_all(self.pool())
            .await
            .map_err(query_error("vacuum_due"))?;
        let mut vacuumed = Vec::new();
        // Only names of the erasure's own tables reach the statement: nothing read from the
        // database is ever spliced into SQL.
        for table in erasure_tables().filter(|table| due.iter().any(|name| name == table)) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM {table}")))
                .execute(self.pool())
                .await
                .map_err(query_error("vacuum"))?;
            sqlx::query("DELETE FROM vacuum_due WHERE table_name = $1")
                .bind(table)
                .execute(self.pool())
                .await
                .map_err(query_error("vacuum_due"))?;
            vacuumed.push(table);
        }
        Ok(vacuumed)
    }
}

/// Locks the account row for the transaction and reads what the confirmation needs; for
/// inactivity, only while the account is still unused and was warned long enough ago.
async fn claim(transaction: &mut Transaction<'_, Any>, erasure: &Erasure<'_>) -> StoreResult<Option<Erased>> {
    // An UPDATE takes the row lock on PostgreSQL, so a sign-in racing the retention job waits
    // for it and then finds no account, instead of being erased right after it counted.
    let (used_before, warned_before) = erasure
        .unless_used
        .unwrap_or((UnixTime::from_seconds(i64::MAX), UnixTime::from_seconds(i64::MAX)));
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "UPDATE users SET updated_at = updated_at WHERE id = $1 \
         AND COALESCE(last_active_at, created_at) < $2 \
         AND ($4 = 0 OR (inactivity_warned_at IS NOT NULL AND inactivity_warned_at <= $3)) \
         RETURNING email, locale",
    )
    .bind(erasure.user_id)
    .bind(used_before)
    .bind(warned_before)
    .bind(i64::from(erasure.unless_used.is_some()))
    .fetch_optional(&mut **transaction)
    .await
    .map_err(query_error("erase_account"))?;
    Ok(row.map(|(email, locale)| Erased { email, locale }))
}

/// The audit line that stays: that an account was erased and why, under a hash of its id.
async fn tombstone(transaction: &mut Transaction<'_, Any>, erasure: &Erasure<'_>) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
        .bind(erasure.now)
        .bind(super::AuditEvent::AccountErased.as_str())
        .bind(crate::random::hash(erasure.user_id.as_str()))
        .bind(format!("reason={}", erasure.reason.as_str()))
        .execute(&mut **transaction)
        .await
        .map_err(query_error("erase_account"))?;
    Ok(())
}

async fn mark_vacuum_due(transaction: &mut Transaction<'_, Any>, table: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO vacuum_due (table_name) VALUES ($1) ON CONFLICT (table_name) DO NOTHING")
        .bind(table)
        .execute(&mut **transaction)
        .await
        .map_err(query_error("erase_account"))?;
    Ok(())
}
