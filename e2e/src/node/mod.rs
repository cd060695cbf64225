//! A node for the pods the harness can run, standing in for kubelet (and, with
//! [`crate::gateway`], for kube-proxy and an ingress controller).
//!
//! It registers a Node, binds pending pods whose image names `vestibule-idp` to it, materialises
//! their Secret, claim and `emptyDir` volumes in a directory, and starts the locally built binary
//! with exactly the container's arguments and environment, each pod on its own loopback address
//! and in its own mount namespace (so the volumes appear at their mount paths). It reports pod
//! status (Running; Ready from the readiness probe), keeps Secret files in sync as the kubelet
//! does, restarts a crashed container, and stops the process when the pod is deleted. Pods of
//! other images stay Pending.

mod env;
mod pod;
mod probe;
mod process;
mod status;
mod volumes;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube::{Api, ResourceExt};
use serde_json::json;
use tokio::sync::watch;

pub use pod::pod_dir;

use crate::process::Supervisor;

/// Why the node could not do something.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// An API call failed.
    #[error("Kubernetes API: {0}")]
    Api(#[source] kube::Error),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Something the pod needs does not exist yet (the pod waits, as on a kubelet).
    #[error("waiting for {0}")]
    Waiting(String),
    /// The pod asks for something this node does not provide.
    #[error("not supported by the test node: {0}")]
    Unsupported(String),
}

/// What the node is and runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The Node's name.
    pub name: String,
    /// Pods whose image contains this run here.
    pub image: String,
    /// The binary standing in for that image.
    pub binary: PathBuf,
    /// Work directory: pod volumes, claims, logs.
    pub dir: PathBuf,
}

/// Shared by the pod workers.
pub struct NodeContext {
    client: kube::Client,
    name: String,
    binary: PathBuf,
    dir: PathBuf,
    supervisor: Arc<Supervisor>,
    addresses: Mutex<BTreeSet<u8>>,
}

impl NodeContext {
    /// A free loopback address, 127.0.0.2 to 127.0.0.254.
    fn allocate_ip(&self) -> Option<String> {
        let mut used = self.addresses.lock().ok()?;
        let last = (2..=254).find(|octet| !used.contains(octet))?;
        used.insert(last);
        Some(format!("127.0.0.{last}"))
    }

    fn release_ip(&self, ip: &str) {
        if let (Ok(mut used), Some(last)) = (
            self.addresses.lock(),
            ip.rsplit('.').next().and_then(|o| o.parse().ok()),
        ) {
            used.remove(&last);
        }
    }

    fn register(&self, pid: u32) {
        if let Err(error) = self.supervisor.register(pid) {
            tracing::warn!(%error, "the watchdog does not know a pod process");
        }
    }
}

/// The running node; dropping it stops the controller loop (pod processes die with the
/// supervisor, or when their pods are deleted).
pub struct LocalNode {
    task: tokio::task::JoinHandle<()>,
    dir: PathBuf,
}

impl Drop for LocalNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LocalNode {
    /// Registers the Node and starts serving pods.
    pub async fn start(
        client: kube::Client,
        config: NodeConfig,
        supervisor: Arc<Supervisor>,
    ) -> Result<Self, NodeError> {
        std::fs::create_dir_all(&config.dir).map_err(|source| NodeError::Io {
            path: config.dir.clone(),
            source,
        })?;
        register_node(&client, &config.name).await?;
        let context = Arc::new(NodeContext {
            client: client.clone(),
            name: config.name.clone(),
            binary: config.binary.clone(),
            dir: config.dir.clone(),
            supervisor,
            addresses: Mutex::new(BTreeSet::new()),
        });
        let task = tokio::spawn(run(context, config.image));
        Ok(Self { task, dir: config.dir })
    }

    /// The work directory (pod logs live in `pods/<namespace>_<name>/`).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

async fn register_node(client: &kube::Client, name: &str) -> Result<(), NodeError> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    }))
    .map_err(|error| NodeError::Unsupported(error.to_string()))?;
    match nodes.create(&PostParams::default(), &node).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.is_conflict() || status.code == 409 => {}
        Err(error) => return Err(NodeError::Api(error)),
    }
    let status = json!({ "status": {
        "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "vestibule test node" }],
        "addresses": [{ "type": "InternalIP", "address": "127.0.0.1" }, { "type": "Hostname", "address": name }],
        "capacity": { "cpu": "2", "memory": "8Gi", "pods": "110" },
        "allocatable": { "cpu": "2", "memory": "8Gi", "pods": "110" },
    }});
    nodes
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(NodeError::Api)?;
    Ok(())
}

/// Watches every pod; hands pods of our image to a worker each and keeps the workers informed.
async fn run(context: Arc<NodeContext>, image: String) {
    let pods: Api<Pod> = Api::all(context.client.clone());
    let mut workers: HashMap<String, watch::Sender<Option<Pod>>> = HashMap::new();
    let mut events = watcher(pods, watcher::Config::default()).boxed();
    while let Some(event) = events.next().await {
        let (pod, gone) = match event {
            Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => (pod, false),
            Ok(watcher::Event::Delete(pod)) => (pod, true),
            Ok(watcher::Event::Init | watcher::Event::InitDone) => continue,
            Err(error) => {
                tracing::debug!(%error, "pod watch interrupted");
                continue;
            }
        };
        if !ours(&pod, &image, &context.name) {
            continue;
        }
        let uid = pod.uid().unwrap_or_default();
        workers.retain(|_, sender| !sender.is_closed());
        match workers.get(&uid) {
            Some(sender) => {
                let _ = sender.send(if gone { None } else { Some(pod) });
            }
            None if !gone && pod.metadata.deletion_timestamp.is_none() => {
                let (sender, receiver) = watch::channel(Some(pod.clone()));
                workers.insert(uid, sender);
                tokio::spawn(pod::run(context.clone(), pod, receiver));
            }
            None => {}
        }
    }
}

/// Pods of our image that are unbound or bound to us.
fn ours(pod: &Pod, image: &str, node: &str) -> bool {
    let Some(spec) = &pod.spec else { return false };
    let bound_elsewhere = spec.node_name.as_deref().is_some_and(|bound| bound != node);
    let our_image = spec
        .containers
        .first()
        .and_then(|c| c.image.as_deref())
        .is_some_and(|i| i.contains(image));
    our_image && !bound_elsewhere
}
