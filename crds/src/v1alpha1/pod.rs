//! What a platform team adds to a Tenant's IdP pods: scheduling (affinity, topology spread,
//! priority), registry credentials, metadata, extra environment and read-only files such as a
//! PostgreSQL CA bundle. What the operator itself sets cannot be overridden.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, EnvVar, LocalObjectReference, TopologySpreadConstraint};
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::rules;
use crate::validation::Checker;

/// Labels the operator selects its pods by: a Tenant may not change them.
pub const RESERVED_POD_LABELS: [&str; 4] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "vestibule.dev/tenant",
];
/// Volume names the operator uses.
const RESERVED_VOLUMES: [&str; 5] = ["config", "keys", "tmp", "data", "breached"];
/// Directories the operator mounts: extra files go elsewhere.
const RESERVED_DIRS: [&str; 4] = ["/etc/vestibule", "/var/lib/vestibule", "/tmp", "/var/run/secrets"];

/// Additions to the IdP pods.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodSettings {
    /// Annotations of the IdP pods (a service mesh's, a backup tool's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels of the IdP pods, besides the operator's own, which cannot be set here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Affinity and anti-affinity of the IdP pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// How the IdP pods spread over zones and nodes. A constraint without `labelSelector` selects
    /// this Tenant's pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// PriorityClass of the IdP pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Secrets holding registry credentials for the IdP image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Extra environment variables of the IdP container (for example `SSL_CERT_FILE`). Names
    /// starting with `VESTIBULE_`, and `POD_IP`, are the operator's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Secrets and ConfigMaps mounted read-only into the IdP container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<ExtraVolume>,
    /// Seconds a stopping pod has to finish the requests in flight, 10 to 300. Default 30 (the IdP stops taking new requests 5 seconds after SIGTERM, then finishes those in flight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 300))]
    pub termination_grace_period_seconds: Option<i64>,
}

/// A Secret or a ConfigMap mounted read-only at `mountPath`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.secretName) != has(self.configMapName)")
    .message("set either secretName or configMapName"))]
#[serde(rename_all = "camelCase")]
pub struct ExtraVolume {
    /// Name of the volume in the pod (a DNS label; not config, keys, tmp, data or breached).
    #[schemars(length(max = 63), pattern(crate::rules::DNS_LABEL_PATTERN))]
    pub name: String,
    /// Absolute directory the files appear in.
    pub mount_path: String,
    /// The Secret whose keys become files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// The ConfigMap whose keys become files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_name: Option<String>,
}

impl PodSettings {
    /// The rules the schema cannot express: nothing of the operator's may be overridden.
    pub fn check(&self, checker: &mut Checker, path: &str) {
        for key in self.labels.keys() {
            checker.require(
                !RESERVED_POD_LABELS.contains(&key.as_str()),
                format!("{path}.labels.{key}"),
                "is set by the operator, which selects its pods by it",
            );
        }
        for (index, variable) in self.env.iter().enumerate() {
            let name = &variable.name;
            checker.require(
                !name.starts_with("VESTIBULE_") && name != "POD_IP",
                format!("{path}.env[{index}].name"),
                "VESTIBULE_* and POD_IP are set by the operator",
            );
        }
        if let Some(seconds) = self.termination_grace_period_seconds {
            checker.require(
                (10..=300).contains(&seconds),
                format!("{path}.terminationGracePeriodSeconds"),
                "must be between 10 and 300",
            );
        }
        for (index, volume) in self.volumes.iter().enumerate() {
            volume.check(checker, &format!("{path}.volumes[{index}]"));
        }
    }
}

impl ExtraVolume {
    fn check(&self, checker: &mut Checker, path: &str) {
        checker.merge_reason(rules::dns_label(&self.name), format!("{path}.name"));
        checker.require(
            !RESERVED_VOLUMES.contains(&self.name.as_str()),
            format!("{path}.name"),
            "config, keys, tmp, data and breached are the operator's volumes",
        );
        let mount = self.mount_path.trim_end_matches('/');
        let reserved = RESERVED_DIRS
            .iter()
            .any(|dir| mount == *dir || mount.starts_with(&format!("{dir}/")) || dir.starts_with(&format!("{mount}/")));
        checker.require(
            self.mount_path.starts_with('/') && !reserved && !mount.is_empty(),
            format!("{path}.mountPath"),
            "must be an absolute directory outside /etc/vestibule, /var/lib/vestibule, /tmp and /var/run/secrets",
        );
        checker.require(
            self.secret_name.is_some() != self.config_map_name.is_some(),
            path.to_owned(),
            "set either secretName or configMapName",
        );
    }
}
