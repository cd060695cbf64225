//! Fields every kind shares: the tenant reference, secret references, status and conditions.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rules;
use crate::validation::Checker;

/// Which Tenant an object attaches to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantRef {
    /// Name of the Tenant.
    #[schemars(length(min = 1, max = 253), pattern(rules::DNS_SUBDOMAIN_PATTERN))]
    pub name: String,
    /// Namespace of the Tenant. Defaults to the namespace of the referring object. A Tenant in
    /// another namespace accepts the object only if its `allowedNamespaces` admits this namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(rules::DNS_LABEL_PATTERN))]
    pub namespace: Option<String>,
}

impl TenantRef {
    /// The Tenant's namespace, resolving the default against the referring object's namespace.
    pub fn namespace_or<'a>(&'a self, own_namespace: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(own_namespace)
    }

    pub(crate) fn check(&self, checker: &mut Checker, path: &str) {
        checker.merge_reason(rules::dns_subdomain(&self.name), format!("{path}.name"));
        if let Some(namespace) = &self.namespace {
            checker.merge_reason(rules::dns_label(namespace), format!("{path}.namespace"));
        }
    }
}

/// A key of a Secret in the referring object's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253), pattern(rules::DNS_SUBDOMAIN_PATTERN))]
    pub name: String,
    /// Key within the Secret's data.
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

impl SecretKeyRef {
    pub(crate) fn check(&self, checker: &mut Checker, path: &str) {
        checker.merge_reason(rules::dns_subdomain(&self.name), format!("{path}.name"));
        checker.require(
            !self.key.is_empty() && self.key.len() <= 253,
            format!("{path}.key"),
            "must be 1 to 253 characters",
        );
    }
}

/// What every kind reports: conditions (`Ready` summarises) and the generation they describe.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommonStatus {
    /// Standard conditions. `Ready` is `True` when the object is fully served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` the conditions describe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// The status of an object attached to a Tenant (SocialProvider, ConsentPolicy, MfaPolicy).
pub type AttachedStatus = CommonStatus;
