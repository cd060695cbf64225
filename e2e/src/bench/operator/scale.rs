//! One Tenant with many Clients, applied at once: the objects, and waiting until every Client is
//! Ready and the IdP serves a config containing all of them.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::json;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::bench::BenchError;
use crate::gateway::ready_address;
use crate::wait::wait_for;

/// The Tenant's name.
pub const TENANT: &str = "bench";

/// The name of Client number `index`.
pub fn client_name(index: usize) -> String {
    format!("c{index:04}")
}

/// The Tenant, served at `issuer` (a loopback port of the gateway).
pub fn tenant(issuer: &str) -> Result<Tenant, BenchError> {
    serde_json::from_value(json!({
        "apiVersion": "vestibule.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": { "name": TENANT },
        "spec": { "issuer": issuer, "displayName": "Bench Shop" },
    }))
    .map_err(|e| BenchError::setup("the Tenant", e))
}

/// A confidential service Client (client credentials), as backends register them.
pub fn client(index: usize) -> Result<Client, BenchError> {
    serde_json::from_value(json!({
        "apiVersion": "vestibule.dev/v1alpha1",
        "kind": "Client",
        "metadata": { "name": client_name(index) },
        "spec": {
            "tenantRef": { "name": TENANT },
            "type": "confidential",
            "grantTypes": ["client_credentials"],
            "scopes": ["orders:read"],
        },
    }))
    .map_err(|e| BenchError::setup("a Client", e))
}

/// Creates `count` Clients, 32 requests in flight; returns how long submitting took.
pub async fn create_clients(api: &Api<Client>, count: usize) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let results: Vec<Result<(), BenchError>> = futures::stream::iter(0..count)
        .map(|index| async move {
            api.create(&PostParams::default(), &client(index)?)
                .await
                .map(|_| ())
                .map_err(|e| BenchError::setup("creating a Client", e))
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(started.elapsed())
}

/// Whether `object` (a Tenant or Client) has `Ready=True`.
pub fn is_ready<K: serde::Serialize>(object: &K) -> bool {
    let Ok(value) = serde_json::to_value(object) else {
        return false;
    };
    value["status"]["conditions"].as_array().is_some_and(|conditions| {
        conditions
            .iter()
            .any(|condition| condition["type"] == "Ready" && condition["status"] == "True")
    })
}

/// The TenantConfig in the Tenant's config Secret.
pub async fn served_config(secrets: &Api<Secret>) -> Option<TenantConfig> {
    let secret = secrets.get_opt(&format!("{TENANT}-idp-config")).await.ok()??;
    let bytes = &secret.data.as_ref()?.get("config.yaml")?.0;
    serde_yaml::from_slice(bytes).ok()
}

/// The lowest config generation the Tenant's ready IdP pods report on `/readyz` of their admin
/// listener (which the gateway, like an Ingress, does not route); `None` without a ready pod.
pub async fn idp_generation(http: &reqwest::Client, pods: &Api<Pod>) -> Option<i64> {
    let selector = format!("app.kubernetes.io/instance={TENANT}");
    let listed = pods.list(&ListParams::default().labels(&selector)).await.ok()?;
    let admin = IntOrString::String("admin".into());
    let mut lowest: Option<i64> = None;
    for address in listed.items.iter().filter_map(|pod| ready_address(pod, Some(&admin))) {
        let response = http.get(format!("http://{address}/readyz")).send().await.ok()?;
        let body: serde_json::Value = response.json().await.ok()?;
        let generation = body["generation"].as_i64()?;
        lowest = Some(lowest.map_or(generation, |seen| seen.min(generation)));
    }
    lowest
}

/// What waiting for the Clients saw at the end.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settled {
    /// Clients with `Ready=True`.
    pub ready: usize,
    /// Clients in the config the IdP serves.
    pub served: usize,
    /// The generation the IdP serves.
    pub generation: i64,
}

/// Polls until all `count` Clients are Ready, the config Secret holds every one of them and the
/// IdP serves that config's generation (or newer); `Err` with what it saw at `timeout`.
pub async fn wait_all_served(
    clients: &Api<Client>,
    secrets: &Api<Secret>,
    pods: &Api<Pod>,
    count: usize,
    timeout: Duration,
) -> Result<Settled, Settled> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + timeout;
    let mut last = Settled::default();
    loop {
        if observe(clients, secrets, &http, pods, &mut last).await && last.ready == count && last.served == count {
            return Ok(last);
        }
        if Instant::now() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Updates `seen`; true when the IdP serves the config Secret's generation (or newer).
async fn observe(
    clients: &Api<Client>,
    secrets: &Api<Secret>,
    http: &reqwest::Client,
    pods: &Api<Pod>,
    seen: &mut Settled,
) -> bool {
    if let Ok(list) = clients.list(&ListParams::default()).await {
        seen.ready = list.items.iter().filter(|client| is_ready(*client)).count();
    }
    let Some(config) = served_config(secrets).await else {
        return false;
    };
    let ids: BTreeSet<&str> = config.clients.iter().map(|c| c.client_id.as_str()).collect();
    seen.served = ids.len();
    let Some(generation) = idp_generation(http, pods).await else {
        return false;
    };
    seen.generation = generation;
    generation >= config.generation
}

/// Waits until the Tenant is Ready.
pub async fn wait_tenant_ready(tenants: &Api<Tenant>, timeout: Duration) -> Result<(), BenchError> {
    wait_for(timeout, || async {
        let tenant = tenants.get_opt(TENANT).await.ok()??;
        is_ready(&tenant).then_some(())
    })
    .await
    .ok_or_else(|| BenchError::Operator("the bench Tenant never became Ready".into()))
}
