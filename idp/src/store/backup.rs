//! An online copy of the embedded database (`vestibule-idp backup`): SQLite's `VACUUM INTO`
//! writes a consistent, compacted snapshot while the IdP keeps serving. PostgreSQL is backed up
//! with its own tools (`pg_dump`, or the operator running the server).

use std::path::{Path, PathBuf};

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The URL is not an embedded database's.
    #[error("only the embedded database (sqlite://) is backed up by vestibule-idp; back PostgreSQL up with pg_dump")]
    NotEmbedded,
    /// The database file is not there: a backup never creates an empty database.
    #[error("no database at {0}")]
    Missing(PathBuf),
    /// The output would overwrite a file.
    #[error("{0} exists: a backup never overwrites a file")]
    OutputExists(PathBuf),
    /// SQLite refused.
    #[error("backing up {database} failed: {source}")]
    Sqlite {
        /// The database file.
        database: PathBuf,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

/// Copies the embedded database at `url` (`sqlite://PATH`) to the new file `output`, read-only on
/// the source, and returns the copy's size in bytes.
pub async fn backup(url: &str, output: &Path) -> Result<u64, BackupError> {
    let database = PathBuf::from(
        url.strip_prefix("sqlite://")
            .ok_or(BackupError::NotEmbedded)?
            .split('?')
            .next()
            .unwrap_or_default(),
    );
    if !database.is_file() {
        return Err(BackupError::Missing(database));
    }
    if output.exists() {
        return Err(BackupError::OutputExists(output.to_owned()));
    }
    let failed = |source| BackupError::Sqlite {
        database: database.clone(),
        source,
    };
    // Read-only: the copy must never change the live database, nor create one by mistake.
    let options = SqliteConnectOptions::new().filename(&database).read_only(true);
    let mut connection = SqliteConnection::connect_with(&options).await.map_err(failed)?;
    sqlx::query("VACUUM INTO ?")
        .bind(output.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await
        .map_err(failed)?;
    connection.close().await.map_err(failed)?;
    Ok(std::fs::metadata(output).map(|meta| meta.len()).unwrap_or(0))
}
