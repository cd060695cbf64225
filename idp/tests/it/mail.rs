//! Email without SMTP: written to the log only in development (an `http://` issuer on loopback,
//! or `--dev`); anywhere else the IdP refuses to start rather than drop or log live links.

use std::time::Duration;

use vestibule_idp::config::watch::Sources;
use vestibule_idp::store::Store;

use crate::support::Backend;
use crate::support::idp::{fresh_database, test_config, test_keys};
use crate::support::smtp::tempfile_dir;

/// Config and key files for `issuer`, without SMTP unless `smtp`.
fn files(issuer: &str, smtp: bool) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile_dir("nosmtp");
    let mut config = test_config(issuer, 25);
    if !smtp {
        config.email = None;
    }
    let (config_path, keys_path) = (dir.join("config.yaml"), dir.join("jwks.json"));
    std::fs::write(&config_path, serde_yaml::to_string(&config).unwrap()).unwrap();
    std::fs::write(&keys_path, serde_json::to_string(&test_keys()).unwrap()).unwrap();
    (config_path, keys_path)
}

async fn load(backend: Backend, issuer: &str, smtp: bool, dev: bool) -> Result<bool, String> {
    let (config, keys) = files(issuer, smtp);
    let store = Store::connect(&fresh_database(backend).await).await.unwrap();
    let sources = Sources {
        config,
        keys: Some(keys),
        dev,
    };
    let loaded = sources.load(&store).await;
    store.pool().close().await;
    loaded
        .map(|(tenant, _)| tenant.mail_to_log)
        .map_err(|error| error.to_string())
}

async fn mail_goes_to_the_log_only_in_development(backend: Backend) {
    let error = load(backend, "https://id.example.com", false, false).await.unwrap_err();
    assert!(
        error.contains("no SMTP server is configured for issuer https://id.example.com") && error.contains("--dev"),
        "{error}"
    );
    assert_eq!(load(backend, "https://id.example.com", false, true).await, Ok(true));
    assert_eq!(load(backend, "http://127.0.0.1:8080", false, false).await, Ok(true));
    assert_eq!(load(backend, "https://id.example.com", true, false).await, Ok(false));
    assert_eq!(load(backend, "http://127.0.0.1:8080", true, true).await, Ok(false));
}

on_both_backends!(mail_goes_to_the_log_only_in_development);

#[tokio::test]
async fn the_binary_refuses_to_start_without_smtp_off_loopback() {
    let (config, keys) = files("https://id.example.com", false);
    let database = format!("sqlite://{}/idp.db", tempfile_dir("nosmtp-db").display());
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_vestibule-idp"))
        .args(["--config", &config.display().to_string()])
        .args(["--keys", &keys.display().to_string()])
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
    assert!(stderr.contains("no SMTP server is configured"), "{stderr}");
}
