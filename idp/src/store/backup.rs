//! An online copy of the embedded database (`vestibule-idp backup`): SQLite's `VACUUM INTO`
//! writes a consistent, compacted snapshot while the IdP keeps serving. PostgreSQL is backed up
//! with its own tools (`pg_dump`, or the operator running the server).

use std::io::Write;
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
    /// The copy could not be passed on.
    #[error("writing the copy {0} out failed: {1}")]
    Write(PathBuf, #[source] std::io::Error),
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

/// Copies the embedded database at `url` into `out` (standard output, say): through a copy beside
/// the database, removed afterwards whatever happens, since `VACUUM INTO` writes only files.
pub async fn backup_to(url: &str, out: &mut impl Write) -> Result<u64, BackupError> {
    let database = database_path(url)?;
    let dir = database.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let copy = dir.join(format!(".vestibule-backup-{}.db", crate::random::id()));
    let written = match backup(url, &copy).await {
        Ok(_) => std::fs::File::open(&copy)
            .and_then(|mut file| std::io::copy(&mut file, out))
            .and_then(|bytes| out.flush().map(|()| bytes))
            .map_err(|source| BackupError::Write(copy.clone(), source)),
        Err(error) => Err(error),
    };
    let _ = std::fs::remove_file(&copy);
    written
}

/// Copies the embedded database at `url` (`sqlite://PATH`) to the new file `output`, read-only on
/// the source, and returns the copy's size in bytes.
pub async fn backup(url: &str, output: &Path) -> Result<u64, BackupError> {
    let database = database_path(url)?;
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

/// The file of an embedded database's URL (`sqlite://PATH?options`).
fn database_path(url: &str) -> Result<PathBuf, BackupError> {
    let rest = url.strip_prefix("sqlite://").ok_or(BackupError::NotEmbedded)?;
    Ok(PathBuf::from(rest.split('?').next().unwrap_or_default()))
}
