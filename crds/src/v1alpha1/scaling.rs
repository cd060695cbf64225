//! Horizontal autoscaling of a Tenant's IdP pods: a HorizontalPodAutoscaler that moves the
//! Tenant's own `spec.replicas` through its scale subresource, so the autoscaler, `kubectl scale`
//! and the operator never fight over the Deployment.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::validation::Checker;

/// Bounds and target of the autoscaler.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("self.minReplicas <= self.maxReplicas")
    .message("minReplicas must not exceed maxReplicas"))]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    /// Fewest IdP pods, 1 to 100. Default 2.
    #[serde(default = "default_min_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: i32,
    /// Most IdP pods, 1 to 100. More than one needs `database.postgres`.
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: i32,
    /// The average CPU use, in percent of the pods' CPU request, the autoscaler keeps them at,
    /// 10 to 100. Default 70. Needs a CPU request (the default resources have one) and the
    /// cluster's resource metrics (metrics-server).
    #[serde(default = "default_target_cpu")]
    #[schemars(range(min = 10, max = 100))]
    pub target_cpu_utilization: i32,
}

fn default_min_replicas() -> i32 {
    2
}

fn default_target_cpu() -> i32 {
    70
}

impl Autoscaling {
    /// The schema's rules, for API servers that do not enforce CEL.
    pub fn check(&self, checker: &mut Checker, path: &str) {
        let range = |value: i32, low: i32| (low..=100).contains(&value);
        checker.require(
            range(self.min_replicas, 1),
            format!("{path}.minReplicas"),
            "must be between 1 and 100",
        );
        checker.require(
            range(self.max_replicas, 1),
            format!("{path}.maxReplicas"),
            "must be between 1 and 100",
        );
        checker.require(
            self.min_replicas <= self.max_replicas,
            format!("{path}.minReplicas"),
            "must not exceed maxReplicas",
        );
        checker.require(
            range(self.target_cpu_utilization, 10),
            format!("{path}.targetCpuUtilization"),
            "must be between 10 and 100",
        );
    }
}
