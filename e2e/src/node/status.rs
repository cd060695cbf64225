//! The pod status the node reports: phase, addresses, conditions, container state.

use k8s_openapi::api::core::v1::Container;
use serde_json::{Value, json};

/// What the node knows about a running container.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The pod's address.
    pub ip: String,
    /// Whether the readiness probe passes.
    pub ready: bool,
    /// Restarts so far.
    pub restarts: i32,
    /// When the pod started (RFC 3339).
    pub started: String,
    /// Whether the process is up.
    pub running: bool,
}

/// A merge patch for the pod's status subresource.
pub fn patch(container: &Container, observed: &Observed) -> Value {
    let ready = if observed.ready { "True" } else { "False" };
    let condition =
        |kind: &str, status: &str| json!({ "type": kind, "status": status, "lastTransitionTime": observed.started });
    let state = if observed.running {
        json!({ "running": { "startedAt": observed.started } })
    } else {
        json!({ "waiting": { "reason": "CrashLoopBackOff" } })
    };
    json!({
        "status": {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "podIP": observed.ip,
            "podIPs": [{ "ip": observed.ip }],
            "startTime": observed.started,
            "conditions": [
                condition("PodScheduled", "True"),
                condition("Initialized", "True"),
                condition("ContainersReady", ready),
                condition("Ready", ready),
            ],
            "containerStatuses": [{
                "name": container.name,
                "image": container.image.clone().unwrap_or_default(),
                "imageID": "",
                "ready": observed.ready,
                "started": observed.running,
                "restartCount": observed.restarts,
                "state": state,
            }],
        }
    })
}
