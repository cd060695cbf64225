//! The openid-client conformance suite (`e2e/node/conformance/`) against the real
//! `vestibule-idp` binary, on both backends.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use vestibule_idp::clock::{Clock, SystemClock};
use vestibule_idp::store::{NewUser, ProfileUpdate, Store};

use crate::support::Backend;
use crate::support::idp::{
    PARTNER_SECRET, PASSWORD, SERVICE_SECRET, WEB_SECRET, fresh_database, test_config, test_keys,
};
use crate::support::smtp::{ensure_node_modules, tempfile_dir};

const REDIRECT: &str = "http://127.0.0.1:9000/callback";
const POST_LOGOUT: &str = "https://app.example.com/";

/// The binary, killed when dropped.
struct Idp {
    _child: tokio::process::Child,
}

async fn free_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_binary(backend: Backend) -> (Idp, String) {
    let (port, admin_port) = (free_port().await, free_port().await);
    let issuer = format!("http://127.0.0.1:{port}");
    let mut config = test_config(&issuer, 25);
    config.email = None;
    for client in &mut config.clients {
        client.redirect_uris.push(REDIRECT.into());
    }
    let dir = tempfile_dir("conformance");
    std::fs::write(dir.join("config.yaml"), serde_yaml::to_string(&config).unwrap()).unwrap();
    std::fs::write(dir.join("jwks.json"), serde_json::to_string(&test_keys()).unwrap()).unwrap();
    let database = fresh_database(backend).await;
    seed_user(&database).await;
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vestibule-idp"))
        .args(["--config", &dir.join("config.yaml").display().to_string()])
        .args(["--keys", &dir.join("jwks.json").display().to_string()])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--database", &database])
        .args(["--admin-listen", &format!("127.0.0.1:{admin_port}")])
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let idp = Idp { _child: child };
    for _ in 0..200 {
        if reqwest::get(format!("http://127.0.0.1:{admin_port}/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return (idp, issuer);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("vestibule-idp did not become ready");
}

async fn seed_user(database: &str) {
    let store = Store::connect(database).await.unwrap();
    let hasher = vestibule_idp::password::PasswordHasher::new(1, 8).unwrap();
    let hash = hasher.hash(&vestibule_crds::SecretString::new(PASSWORD)).await.unwrap();
    let user = NewUser {
        email: "conformance@example.com".into(),
        password_hash: hash,
        profile: ProfileUpdate::default(),
        email_verified: true,
        locale: None,
    };
    store.create_user(user, SystemClock.now()).await.unwrap().unwrap();
    store.pool().close().await;
}

async fn openid_client_conformance_suite_passes(backend: Backend) {
    ensure_node_modules();
    let (_idp, issuer) = start_binary(backend).await;
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node/conformance/oidc.test.mjs");
    let output = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg(suite)
        .env("IDP_ISSUER", &issuer)
        .env("IDP_REDIRECT_URI", REDIRECT)
        .env("IDP_POST_LOGOUT_URI", POST_LOGOUT)
        .env("IDP_USER_EMAIL", "conformance@example.com")
        .env("IDP_USER_PASSWORD", PASSWORD)
        .env("IDP_WEB_SECRET", WEB_SECRET)
        .env("IDP_PARTNER_SECRET", PARTNER_SECRET)
        .env("IDP_SERVICE_SECRET", SERVICE_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "openid-client conformance failed:\n{report}");
    assert!(report.contains("fail 0") && !report.contains("pass 0"), "{report}");
}

on_both_backends!(openid_client_conformance_suite_passes);
