//! The OpenID Connect flow against panva's oidc-provider (OpenID Certified), started on loopback
//! by the test (`e2e/node/upstream-op.mjs`): discovery, PKCE, RS256 ID token, userinfo, RFC 9207.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use vestibule_idp::social::{UpstreamError, finish, start};

use super::fake_op::now;
use super::{REDIRECT_URI, authorize, oidc_entry, provider};
use crate::support::smtp::ensure_node_modules;

pub struct UpstreamOp {
    pub issuer: String,
    _child: Child,
}

async fn upstream_op() -> UpstreamOp {
    upstream_op_for(REDIRECT_URI).await
}

/// oidc-provider with our client registered for `redirect_uri`.
pub async fn upstream_op_for(redirect_uri: &str) -> UpstreamOp {
    ensure_node_modules();
    let node = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node");
    assert!(
        node.join("node_modules/oidc-provider").is_dir(),
        "oidc-provider is not installed: run scripts/setup.sh (npm ci in e2e/node)"
    );
    let mut child = Command::new("node")
        .arg(node.join("upstream-op.mjs"))
        .env("CLIENT_ID", "vestibule-rp")
        .env("CLIENT_SECRET", "upstream-secret")
        .env("REDIRECT_URI", redirect_uri)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Ok(ready) = serde_json::from_str::<serde_json::Value>(&line) {
            let issuer = ready["issuer"].as_str().unwrap().to_owned();
            // Keep reading: a closed pipe would kill node at its next line of output.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return UpstreamOp { issuer, _child: child };
        }
    }
    panic!("oidc-provider exited before listening");
}

#[tokio::test]
async fn a_customer_signs_in_through_oidc_provider() {
    let op = upstream_op().await;
    let provider = provider(&oidc_entry(&op.issuer));
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&redirect).await;
    assert_eq!(
        callback.iss.as_deref(),
        Some(op.issuer.as_str()),
        "oidc-provider names itself (RFC 9207)"
    );
    let identity = finish(&provider, &callback, &redirect.pending, now()).await.unwrap();
    assert_eq!(identity.subject, "alice-upstream");
    // oidc-provider keeps these out of the ID token: they come from its userinfo endpoint.
    assert_eq!(identity.email.as_deref(), Some("alice@example.com"));
    assert!(identity.email_verified);
    assert_eq!(identity.family_name.as_deref(), Some("Liddell"));

    let replayed = finish(&provider, &callback, &redirect.pending, now()).await;
    assert!(
        matches!(replayed, Err(UpstreamError::TokenExchange { .. })),
        "{replayed:?}"
    );
}
