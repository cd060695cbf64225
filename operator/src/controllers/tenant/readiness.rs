//! Whether a Tenant's change is live: the Deployment's rollout is complete and every ready IdP
//! pod reports the current config generation on `/readyz` of its admin listener.

use std::net::IpAddr;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use serde::Deserialize;

use super::error::ReadinessError;
use crate::context::Context;
use crate::names::{selector_labels, workload};

/// Where the Deployment's rollout stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Rollout {
    /// Every desired replica runs the current pod template and is available.
    Complete,
    /// Still rolling out; what it waits for.
    #[default]
    Waiting,
    /// The Deployment reports `ProgressDeadlineExceeded`; its message.
    Failed(String),
}

/// What the Deployment and the pods say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// The rollout.
    pub rollout: Rollout,
    /// The replicas the Deployment wants.
    pub desired: i32,
    /// The pods the Deployment has, old and new.
    pub replicas: i32,
    /// The Deployment's available replicas.
    pub available: i32,
    /// The Deployment's ready replicas.
    pub ready: i32,
    /// Ready pods (with an IP, not terminating).
    pub ready_pods: usize,
    /// Ready pods that serve the expected generation.
    pub serving: usize,
}

impl Readiness {
    /// Ready: the rollout is complete, and every ready pod serves the expected generation.
    pub fn is_ready(&self) -> bool {
        self.rollout == Rollout::Complete && self.ready_pods > 0 && self.serving == self.ready_pods
    }

    /// A deterministic sentence for the condition message.
    pub fn describe(&self, generation: i64) -> String {
        let rollout = match &self.rollout {
            Rollout::Complete => "rollout complete".to_owned(),
            Rollout::Waiting => "rollout in progress".to_owned(),
            Rollout::Failed(message) => format!("rollout failed: {message}"),
        };
        format!(
            "{rollout}, {} of {} replica(s) available; {} of {} ready pod(s) serve config generation {generation}",
            self.available, self.desired, self.serving, self.ready_pods
        )
    }
}

/// Where a Deployment's rollout stands, by the rules of `kubectl rollout status`.
pub fn rollout(deployment: &Deployment) -> Rollout {
    let desired = deployment.spec.as_ref().and_then(|spec| spec.replicas).unwrap_or(1);
    let status = deployment.status.clone().unwrap_or_default();
    let stuck = status.conditions.iter().flatten().find(|condition| {
        condition.type_ == "Progressing" && condition.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if let Some(condition) = stuck {
        return Rollout::Failed(condition.message.clone().unwrap_or_default());
    }
    let observed = status.observed_generation >= deployment.metadata.generation;
    let DeploymentStatus {
        updated_replicas,
        available_replicas,
        replicas,
        ..
    } = status;
    let all = |count: Option<i32>| count.unwrap_or(0) == desired;
    // Old pods still running (`replicas` above desired) mean the rollout is not over.
    if observed && all(updated_replicas) && all(available_replicas) && all(replicas) {
        Rollout::Complete
    } else {
        Rollout::Waiting
    }
}

#[derive(Deserialize)]
struct ReadyBody {
    generation: i64,
}

/// Reads the Deployment, lists the pods and asks each ready one for its generation.
pub async fn observe(
    ctx: &Context,
    namespace: &str,
    tenant: &str,
    generation: i64,
) -> Result<Readiness, ReadinessError> {
    let failed = |what: String| {
        move |source| ReadinessError {
            tenant: format!("{namespace}/{tenant}"),
            what,
            source,
        }
    };
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), namespace);
    let name = workload(tenant);
    let deployment = deployments
        .get_opt(&name)
        .await
        .map_err(failed(format!("Deployment {namespace}/{name}")))?;
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    let selector = selector_labels(tenant)
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(failed(format!("Pods of Tenant {namespace}/{tenant}")))?;
    let ips: Vec<String> = pods.items.iter().filter_map(ready_ip).collect();
    let mut serving = 0;
    for ip in &ips {
        if served_generation(ip, ctx.config.idp_admin_port).await == Some(generation) {
            serving += 1;
        }
    }
    let desired = deployment.as_ref().and_then(|d| d.spec.as_ref()?.replicas).unwrap_or(1);
    let status = deployment.as_ref().and_then(|d| d.status.clone()).unwrap_or_default();
    Ok(Readiness {
        rollout: deployment.as_ref().map(rollout).unwrap_or_default(),
        desired,
        replicas: status.replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        ready_pods: ips.len(),
        serving,
    })
}

/// The IP of a pod that is Ready and not terminating.
fn ready_ip(pod: &Pod) -> Option<String> {
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let status = pod.status.as_ref()?;
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|condition| condition.type_ == "Ready" && condition.status == "True");
    ready.then(|| status.pod_ip.clone())?
}

/// The generation a pod's IdP serves, from `GET http://<ip>:<admin port>/readyz`; `None` if it does
/// not answer 200 with a generation within two seconds.
pub async fn served_generation(ip: &str, port: u16) -> Option<i64> {
    let ip: IpAddr = ip.parse().ok()?;
    let url = format!("http://{}/readyz", std::net::SocketAddr::new(ip, port));
    // Pods are reached directly: a proxy from the environment has no business here.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .ok()?;
    let response = client.get(url).header("accept", "application/json").send().await.ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    let body: ReadyBody = response.json().await.ok()?;
    Some(body.generation)
}

#[cfg(test)]
#[path = "readiness_tests.rs"]
mod tests;
