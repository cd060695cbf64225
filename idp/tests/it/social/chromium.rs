//! A headless Chromium journey: an application (openid-client) sends a customer to the IdP,
//! who presses "Sign in with Upstream", passes through panva's oidc-provider and comes back
//! signed in; registered on the first journey, signed in on the second
//! (`e2e/node/social-journey.mjs`).

use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};
use vestibule_idp::config::Tenant;

use super::oidc_entry;
use super::routes::CALLBACK;
use super::upstream_op::upstream_op_for;
use crate::support::idp::WEB_SECRET;
use crate::support::smtp::ensure_node_modules;
use crate::support::{Backend, TestIdp};

async fn chromium_registers_then_signs_in_through_the_upstream(backend: Backend) {
    ensure_node_modules();
    let idp = TestIdp::start(backend).await;
    let op = upstream_op_for(&idp.url(CALLBACK)).await;
    let mut config = idp.tenant().config.clone();
    config.social_providers = vec![oidc_entry(&op.issuer)];
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());

    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node");
    let output = tokio::process::Command::new("node")
        .arg(node.join("social-journey.mjs"))
        .env("ISSUER", &idp.base)
        .env("CLIENT_ID", "web")
        .env("CLIENT_SECRET", WEB_SECRET)
        .env("BUTTON", "Sign in with Upstream")
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let journeys: Vec<Value> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert_eq!(journeys.len(), 2, "{stdout}");
    let alice = idp
        .state
        .store
        .user_by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    for journey in &journeys {
        assert_eq!(journey["sub"], alice.id.as_str(), "{journey}");
        assert_eq!(journey["amr"], json!(["fed"]), "{journey}");
    }
    let registered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE event = 'registered'")
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(registered, 1, "the first journey registers, the second signs in");
}

on_both_backends!(chromium_registers_then_signs_in_through_the_upstream);
