//! How long a Client change takes to reach the IdP: a Client gains a scope, and the clock runs
//! until the IdP (through the gateway, as applications reach it) grants a client-credentials
//! token for that scope.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use vestibule_crds::v1alpha1::Client;

use super::scale::client_name;
use crate::bench::BenchError;

/// How long one change may take before it counts as lost.
const PATIENCE: Duration = Duration::from_secs(120);
/// How often the token endpoint is asked.
const POLL: Duration = Duration::from_millis(20);

/// Latencies of the changes, and the changes never served.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// From sending the change to the first token with the new scope.
    pub latencies: Vec<Duration>,
    /// Changes not served within [`PATIENCE`].
    pub lost: usize,
}

/// The client id and secret in a Client's credentials Secret.
async fn credentials(secrets: &Api<Secret>, index: usize) -> Result<(String, String), BenchError> {
    let name = format!("{}-oidc", client_name(index));
    let secret = secrets
        .get(&name)
        .await
        .map_err(|e| BenchError::Operator(format!("reading Secret {name}: {e}")))?;
    let data = secret.data.unwrap_or_default();
    let text = |key: &str| {
        data.get(key)
            .map(|value| String::from_utf8_lossy(&value.0).into_owned())
            .ok_or_else(|| BenchError::Operator(format!("Secret {name} has no {key}")))
    };
    Ok((text("clientId")?, text("clientSecret")?))
}

/// Whether the IdP grants `scope` to the client now.
async fn granted(http: &reqwest::Client, issuer: &str, id: &str, secret: &str, scope: &str) -> bool {
    let form = [("grant_type", "client_credentials"), ("scope", scope)];
    let response = http
        .post(format!("{issuer}/token"))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await;
    response.is_ok_and(|response| response.status().is_success())
}

/// Changes Clients `0..count` one after another and times each until it is served.
pub async fn measure(
    clients: &Api<Client>,
    secrets: &Api<Secret>,
    issuer: &str,
    count: usize,
) -> Result<Changes, BenchError> {
    let http = reqwest::Client::new();
    let mut changes = Changes::default();
    for index in 0..count {
        let (id, secret) = credentials(secrets, index).await?;
        let scope = format!("change:{index}");
        let patch = json!({ "spec": { "scopes": ["orders:read", scope] } });
        let started = Instant::now();
        clients
            .patch(&client_name(index), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| BenchError::Operator(format!("changing a Client: {e}")))?;
        loop {
            if granted(&http, issuer, &id, &secret, &scope).await {
                changes.latencies.push(started.elapsed());
                break;
            }
            if started.elapsed() > PATIENCE {
                changes.lost += 1;
                break;
            }
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(changes)
}
