//! One pod on the node, from binding to deletion: volumes, environment, the process, probes,
//! Secret sync, restarts, status.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod, Secret};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use tokio::process::Child;
use tokio::sync::watch;

use super::status::{Observed, patch};
use super::volumes::{Materialised, materialise, sync_secret};
use super::{NodeContext, NodeError, env, probe, process};

/// How often the node probes, syncs Secrets and checks the process.
const TICK: Duration = Duration::from_millis(500);

/// A pod's running state.
struct Running {
    child: Child,
    observed: Observed,
}

/// Runs `pod` until it is deleted; `updates` carries its newer versions (`None`: it is gone).
pub async fn run(node: Arc<NodeContext>, pod: Pod, mut updates: watch::Receiver<Option<Pod>>) {
    let (namespace, name) = (pod.namespace().unwrap_or_default(), pod.name_any());
    let pods: Api<Pod> = Api::namespaced(node.client.clone(), &namespace);
    let unbound = pod.spec.as_ref().and_then(|spec| spec.node_name.as_ref()).is_none();
    if unbound && let Err(error) = bind(&pods, &name, &node.name).await {
        tracing::warn!(%error, pod = %name, "binding failed");
        return;
    }
    let Some(ip) = node.allocate_ip() else {
        tracing::error!(pod = %name, "no loopback address left for the pod");
        return;
    };
    let outcome = serve(&node, &pods, pod, &ip, &mut updates).await;
    if let Err(error) = outcome {
        tracing::warn!(%error, pod = %name, "pod stopped with an error");
    }
    node.release_ip(&ip);
}

async fn bind(pods: &Api<Pod>, name: &str, node: &str) -> Result<(), NodeError> {
    let binding = json!({
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": { "name": name },
        "target": { "apiVersion": "v1", "kind": "Node", "name": node },
    });
    pods.create_subresource::<_, serde_json::Value>("binding", name, &PostParams::default(), &binding)
        .await
        .map_err(NodeError::Api)?;
    Ok(())
}

/// Prepares and runs the pod's container until deletion.
async fn serve(
    node: &Arc<NodeContext>,
    pods: &Api<Pod>,
    pod: Pod,
    ip: &str,
    updates: &mut watch::Receiver<Option<Pod>>,
) -> Result<(), NodeError> {
    let name = pod.name_any();
    let namespace = pod.namespace().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(node.client.clone(), &namespace);
    let container = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.containers.first())
        .cloned()
        .ok_or_else(|| NodeError::Unsupported("a pod without containers".into()))?;
    let pod_dir = node.dir.join("pods").join(format!("{namespace}_{name}"));
    let owner = process::run_as(&pod, &container);
    // Like the kubelet, wait (ContainerCreating) until referenced Secrets exist.
    let (volumes, env) = loop {
        if deleted(updates) {
            return finish(pods, &name).await;
        }
        match prepare(&pod, &container, ip, &pod_dir, node, &secrets, owner).await {
            Ok(prepared) => break prepared,
            Err(NodeError::Waiting(what)) => tracing::debug!(pod = %name, %what, "waiting"),
            Err(error) => return Err(error),
        }
        tokio::time::sleep(TICK).await;
    };
    let args = env::arguments(&container, &env);
    let log = pod_dir.join(format!("{}.log", container.name));
    let start = |restarts: i32| -> Result<Running, NodeError> {
        let launch = process::Launch {
            binary: &node.binary,
            pod: &pod,
            container: &container,
            env: &env,
            args: &args,
            volumes: &volumes,
            log: &log,
        };
        let child = process::spawn(&launch)?;
        if let Some(pid) = child.id() {
            node.register(pid);
        }
        let started = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        Ok(Running {
            child,
            observed: Observed {
                ip: ip.to_owned(),
                ready: false,
                restarts,
                started,
                running: true,
            },
        })
    };
    let mut running = start(0)?;
    report(pods, &name, &container, &running.observed).await;
    let target = probe::target(&container);
    loop {
        tokio::select! {
            _ = updates.changed() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
        if deleted(updates) {
            process::stop(&mut running.child, Duration::from_secs(5)).await;
            return finish(pods, &name).await;
        }
        for volume in volumes.iter().filter(|volume| volume.secret.is_some()) {
            let secret = volume.secret.as_deref().unwrap_or_default();
            if let Err(error) = sync_secret(&secrets, secret, &volume.path).await {
                tracing::debug!(%error, pod = %name, "secret sync failed; keeping the old files");
            }
        }
        let mut observed = running.observed.clone();
        if let Ok(Some(status)) = running.child.try_wait() {
            tracing::warn!(pod = %name, %status, log = %log.display(), "container exited; restarting");
            // CrashLoopBackOff: 1s, 2s, 4s, ... at most 10s between restarts.
            let backoff = 1_u64 << observed.restarts.clamp(0, 4);
            tokio::time::sleep(Duration::from_secs(backoff.min(10))).await;
            running = start(observed.restarts + 1)?;
            observed = running.observed.clone();
        }
        observed.ready = match &target {
            Some((port, path)) => probe::ready(ip, *port, path).await,
            None => true,
        };
        if observed != running.observed {
            running.observed = observed;
            report(pods, &name, &container, &running.observed).await;
        }
    }
}

async fn prepare(
    pod: &Pod,
    container: &Container,
    ip: &str,
    pod_dir: &std::path::Path,
    node: &NodeContext,
    secrets: &Api<Secret>,
    owner: Option<u32>,
) -> Result<(Vec<Materialised>, Vec<(String, String)>), NodeError> {
    let volumes = materialise(pod, pod_dir, &node.dir.join("claims"), secrets, owner).await?;
    let env = env::resolve(container, pod, ip, secrets).await?;
    Ok((volumes, env))
}

fn deleted(updates: &watch::Receiver<Option<Pod>>) -> bool {
    updates
        .borrow()
        .as_ref()
        .is_none_or(|pod| pod.metadata.deletion_timestamp.is_some())
}

/// The kubelet's last word on a deleted pod: remove it for good (grace period 0).
async fn finish(pods: &Api<Pod>, name: &str) -> Result<(), NodeError> {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    match pods.delete(name, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(NodeError::Api(error)),
    }
}

async fn report(pods: &Api<Pod>, name: &str, container: &Container, observed: &Observed) {
    let body = patch(container, observed);
    if let Err(error) = pods
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&body))
        .await
    {
        tracing::debug!(%error, pod = %name, "reporting status failed");
    }
}

/// The pod's directory, for tests that want to read a pod's log.
pub fn pod_dir(dir: &std::path::Path, namespace: &str, name: &str) -> PathBuf {
    dir.join("pods").join(format!("{namespace}_{name}"))
}
