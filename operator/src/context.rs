//! What every reconcile is handed: the client, the Event recorder, metrics and settings.

use std::sync::Arc;

use kube::runtime::events::{Recorder, Reporter};

use crate::config::OperatorConfig;
use crate::metrics::Metrics;
use crate::retries::Retries;
use crate::rollouts::RolloutGate;
use crate::scope::Scope;
use crate::tasks::Tasks;

/// Shared by all reconciles of all controllers. No globals: tests build their own.
#[derive(Clone)]
pub struct Context {
    /// The API client.
    pub client: kube::Client,
    /// Publishes `events.k8s.io/v1` Events of failures, repeats folded into a series.
    pub recorder: Recorder,
    /// Who reports the Events (for recorders of one-off Events).
    pub reporter: Reporter,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Settings.
    pub config: Arc<OperatorConfig>,
    /// The namespaces the operator acts in.
    pub scope: Scope,
    /// What the API server serves, discovered at start.
    pub capabilities: Capabilities,
    /// How long each failing object waits before its next attempt.
    pub retries: Arc<Retries>,
    /// Which Tenants may roll to a new default IdP image now.
    pub rollouts: Arc<RolloutGate>,
    /// Background tasks, aborted with the reconciles when leadership is lost.
    pub tasks: Arc<Tasks>,
}

/// API versions that not every supported Kubernetes release serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `policy/v1` PodDisruptionBudget (Kubernetes 1.21 and later).
    pub policy_v1: bool,
    /// `autoscaling/v2` HorizontalPodAutoscaler (Kubernetes 1.23 and later).
    pub autoscaling_v2: bool,
}
