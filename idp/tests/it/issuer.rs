//! The IdP records its issuer in its database at first start and refuses a database that
//! belongs to another issuer, at start and on reload.

use std::time::Duration;

use vestibule_idp::config::watch::Sources;
use vestibule_idp::store::Store;

use crate::support::Backend;
use crate::support::idp::{fresh_database, test_config, test_keys};
use crate::support::smtp::tempfile_dir;

/// Sources for a config with `issuer`.
fn sources(issuer: &str) -> Sources {
    let dir = tempfile_dir("issuer");
    let (config, keys) = (dir.join("config.yaml"), dir.join("jwks.json"));
    std::fs::write(&config, serde_yaml::to_string(&test_config(issuer, 25)).unwrap()).unwrap();
    std::fs::write(&keys, serde_json::to_string(&test_keys()).unwrap()).unwrap();
    Sources {
        config,
        keys: Some(keys),
        dev: false,
    }
}

async fn a_database_of_another_issuer_is_refused(backend: Backend) {
    let store = Store::connect(&fresh_database(backend).await).await.unwrap();
    assert_eq!(store.setting("issuer").await.unwrap(), None);
    sources("https://shop.example.com").load(&store).await.unwrap();
    assert_eq!(
        store.setting("issuer").await.unwrap().as_deref(),
        Some("https://shop.example.com"),
        "recorded at first start"
    );
    sources("https://shop.example.com").load(&store).await.unwrap();
    let error = sources("https://other.example.com")
        .load(&store)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("belongs to issuer https://shop.example.com, not https://other.example.com"),
        "{error}"
    );
    assert_eq!(
        store.setting("issuer").await.unwrap().as_deref(),
        Some("https://shop.example.com"),
        "the record stays"
    );
}

on_both_backends!(a_database_of_another_issuer_is_refused);

#[tokio::test]
async fn the_binary_refuses_to_start_on_another_issuers_database() {
    let database = format!("sqlite://{}/idp.db", tempfile_dir("issuer-db").display());
    let store = Store::connect(&database).await.unwrap();
    store.claim_issuer("https://shop.example.com").await.unwrap();
    store.pool().close().await;
    let other = sources("https://other.example.com");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_vestibule-idp"))
        .args(["--config", &other.config.display().to_string()])
        .args(["--keys", &other.keys.unwrap().display().to_string()])
        .args([
            "--database",
            &database,
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the IdP exits instead of serving")
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("belongs to issuer https://shop.example.com"),
        "{stderr}"
    );
}
