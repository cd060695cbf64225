//! Persistence over sqlx: one repository layer, two backends (SQLite embedded by default,
//! PostgreSQL for high availability). Queries are written once in the common SQL dialect with
//! `$n` placeholders; times are Unix seconds, flags 0/1, and secrets SHA-256 hex.

mod audit;
pub mod backup;
mod breached;
mod challenges;
mod consent_records;
mod devices;
mod email_codes;
mod email_tokens;
mod episodes;
mod erasure;
mod grants;
mod identities;
mod lockout;
mod outcomes;
mod passkeys;
mod purge;
mod rate_limits;
mod recovery_codes;
mod retention;
mod scope_consents;
mod sessions;
mod settings;
mod sign_ins;
mod totp;
mod users;

use std::str::FromStr;
use std::time::Duration;

pub use audit::{AuditEntry, AuditEvent};
pub use challenges::{AddressSignals, NewChallenge};
pub use consent_records::{ConsentRecord, ConsentSource, ConsentState};
pub use devices::TrustedDevice;
pub use email_codes::{NewEmailCode, ReservedTry};
pub use email_tokens::EmailPurpose;
pub use erasure::{Erased, Erasure, ErasureReason, erasure_tables};
pub use grants::{CodeRedemption, Grant, NewGrant, RefreshOutcome};
pub use identities::{LinkedIdentity, NewIdentity, Unlinked};
pub use lockout::{Limit, Reserved};
pub use outcomes::Outcomes;
pub use passkeys::{Ceremony, StoredPasskey};
pub use purge::{Cutoffs, Purged};
pub use rate_limits::Counted;
pub use retention::InactiveAccount;
pub use sessions::{NewSession, Session};
pub use sign_ins::{NewSignIn, SignInRow};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
pub use totp::TotpFactor;
pub use users::{NewUser, ProfileUpdate, User};

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A failed database operation, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names an engine we do not support.
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// Connecting failed.
    #[error("connecting to the database failed: {0}")]
    Connect(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query {operation} failed: {source}")]
    Query {
        /// What the query was for.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

/// Shorthand for query results.
pub type StoreResult<T> = Result<T, StoreError>;

pub(crate) fn query_error(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { operation, source }
}

/// The database: a connection pool and its engine.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url`, creating an SQLite file if missing, and applies pending migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed during a write; busy_timeout queues writers
                        // instead of failing them. secure_delete overwrites deleted content
                        // with zeros, so an erased account leaves no bytes in the file.
                        connection
                            .execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        let store = Self { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&self.pool).await.map_err(StoreError::Migrate)
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for transactions spanning repositories.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
    /// taken up front, waiting for other writers (`busy_timeout`). A deferred transaction that
    /// reads first would fail at once with `SQLITE_BUSY` when another connection committed in
    /// between, since waiting could not help it (its WAL snapshot is stale).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Picks the backend and, for SQLite, asks for the file to be created when missing.
fn normalise_url(url: &str) -> StoreResult<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    if !url.starts_with("sqlite:") {
        return Err(StoreError::UnsupportedUrl(
            url.split('@').next_back().unwrap_or_default().to_owned(),
        ));
    }
    if url.contains("mode=") || url.contains(":memory:") {
        return Ok((Backend::Sqlite, url.to_owned()));
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok((Backend::Sqlite, format!("{url}{separator}mode=rwc")))
}

/// `1` or `0`, the stored form of a flag.
pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file_and_others_are_refused() {
        assert_eq!(
            normalise_url("sqlite:///tmp/x.db").unwrap().1,
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://x.db?mode=ro").unwrap().1,
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(normalise_url("postgres://u@h/db").unwrap().0, Backend::Postgres);
        let error = normalise_url("mysql://user:secret@host/db").unwrap_err().to_string();
        assert!(!error.contains("secret"), "credentials must not reach the log: {error}");
    }
}
