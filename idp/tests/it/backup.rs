//! `vestibule-idp backup`: a consistent copy of the embedded database taken while the IdP serves,
//! never over an existing file, never of PostgreSQL.

use std::process::Command;

use sqlx::Connection;

use crate::support::smtp::tempfile_dir;
use crate::support::{Backend, TestIdp};

fn backup(database: &str, output: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vestibule-idp"))
        .args(["backup", "--database", database, "--output"])
        .arg(output)
        .env_remove("VESTIBULE_DATABASE_URL")
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_running_idps_database_is_copied_with_its_customers_and_never_overwritten() {
    let idp = TestIdp::start(Backend::Sqlite).await;
    idp.user("ada@example.com").await;
    let output = tempfile_dir("backup").join("copy.db");

    let made = backup(&idp.database, &output);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let mut copy = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", output.display()))
        .await
        .unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'")
        .fetch_one(&mut copy)
        .await
        .unwrap();
    assert_eq!(count, 1, "the customer is in the copy");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await
        .unwrap();
    assert_eq!(check, "ok");

    // To standard output, as `kubectl exec` carries it: the same rows, no file left behind.
    let streamed = backup(&idp.database, std::path::Path::new("-"));
    assert!(
        streamed.status.success(),
        "{}",
        String::from_utf8_lossy(&streamed.stderr)
    );
    assert!(streamed.stdout.starts_with(b"SQLite format 3\0"));
    let piped = output.with_file_name("piped.db");
    std::fs::write(&piped, &streamed.stdout).unwrap();
    let mut piped = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", piped.display()))
        .await
        .unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&mut piped)
        .await
        .unwrap();
    assert_eq!(count, 1);
    let database_dir = std::path::Path::new(idp.database.trim_start_matches("sqlite://"))
        .parent()
        .unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(database_dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".vestibule-backup"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let again = backup(&idp.database, &output);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
}

#[tokio::test]
async fn a_missing_database_or_postgresql_is_refused_and_nothing_is_created() {
    let dir = tempfile_dir("backup");
    let missing = dir.join("none.db");
    let output = dir.join("copy.db");
    let refused = backup(&format!("sqlite://{}", missing.display()), &output);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no database at"));
    assert!(!missing.exists() && !output.exists(), "no file is created");

    let postgres = backup("postgres://postgres@127.0.0.1:5432/postgres", &output);
    assert!(!postgres.status.success());
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"));
}
