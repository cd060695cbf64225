//! Whether a Tenant's change is live: the Deployment has available replicas and every running
//! IdP pod reports the current config generation on `/readyz`.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use serde::Deserialize;

use crate::context::Context;
use crate::error::Error;
use crate::names::{selector_labels, workload};

/// What the Deployment and the pods say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// The Deployment's available replicas.
    pub available: i32,
    /// The Deployment's ready replicas.
    pub ready: i32,
    /// Running pods (with an IP, not terminating).
    pub running: usize,
    /// Running pods that serve the expected generation.
    pub serving: usize,
}

impl Readiness {
    /// Ready: available replicas, and every running pod serves the expected generation.
    pub fn is_ready(&self) -> bool {
        self.available > 0 && self.running > 0 && self.serving == self.running
    }

    /// A deterministic sentence for the condition message.
    pub fn describe(&self, generation: i64) -> String {
        format!(
            "{} available replica(s); {} of {} running pod(s) serve config generation {generation}",
            self.available, self.serving, self.running
        )
    }
}

#[derive(Deserialize)]
struct ReadyBody {
    generation: i64,
}

/// Reads the Deployment, lists the pods and asks each running one for its generation.
pub async fn observe(ctx: &Context, namespace: &str, tenant: &str, generation: i64) -> Result<Readiness, Error> {
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), namespace);
    let deployment = deployments
        .get_opt(&workload(tenant))
        .await
        .map_err(|source| Error::Read {
            what: format!("Deployment {namespace}/{}", workload(tenant)),
            source,
        })?;
    let status = deployment.and_then(|d| d.status).unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    let selector = selector_labels(tenant)
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|source| Error::Read {
            what: format!("Pods of Tenant {namespace}/{tenant}"),
            source,
        })?;
    let ips: Vec<String> = pods
        .items
        .iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter_map(|pod| {
            let status = pod.status.as_ref()?;
            (status.phase.as_deref() == Some("Running")).then(|| status.pod_ip.clone())?
        })
        .collect();
    let mut serving = 0;
    for ip in &ips {
        if served_generation(ip, ctx.config.idp_port).await == Some(generation) {
            serving += 1;
        }
    }
    Ok(Readiness {
        available: status.available_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        running: ips.len(),
        serving,
    })
}

/// The generation a pod's IdP serves, from `GET http://<ip>:<port>/readyz`; `None` if it does
/// not answer 200 with a generation.
pub async fn served_generation(ip: &str, port: u16) -> Option<i64> {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .no_proxy()
        .build()
        .ok()?;
    let response = client.get(format!("http://{host}:{port}/readyz")).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json::<ReadyBody>().await.ok().map(|body| body.generation)
}
