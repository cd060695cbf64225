//! The desired children of a Tenant, as pure functions of the validated Tenant and what was
//! rendered. Each carries the Tenant's labels and a controller owner reference.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, Secret, Service, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::ObjectMeta;
use kube::{Resource, ResourceExt};
use vestibule_crds::v1alpha1::{DatabaseChoice, RetainPolicy, Tenant};

use super::{network, scaling, workload};
use crate::names::{CONFIG_KEY, KEYS_KEY, config_secret, data_claim, keys_secret, tenant_labels};

/// What the build step needs besides the Tenant.
#[derive(Clone, Debug)]
pub struct BuildInputs {
    /// The rendered `TenantConfig`, YAML.
    pub config_yaml: String,
    /// The `SigningKeySet`, JSON.
    pub keys_json: String,
    /// The IdP image (the Tenant's `spec.image` or the operator's default).
    pub image: String,
    /// Port the IdP serves the issuer's routes on.
    pub port: u16,
    /// Port of the IdP's admin listener (`/readyz`, `/metrics`).
    pub admin_port: u16,
    /// Networks whose `X-Forwarded-For` the IdP believes.
    pub trusted_proxies: Vec<String>,
    /// Hash of the PostgreSQL URL (postgres only).
    pub database_hash: Option<String>,
    /// Whether the cluster serves `policy/v1`.
    pub policy_v1: bool,
    /// Whether the cluster serves `autoscaling/v2`.
    pub autoscaling_v2: bool,
}

/// Every child the Tenant should have; `None` for those it should not.
#[derive(Clone, Debug)]
pub struct Children {
    /// The rendered config.
    pub config: Secret,
    /// The signing keys.
    pub keys: Secret,
    /// The IdP.
    pub deployment: Deployment,
    /// The IdP's Service.
    pub service: Service,
    /// The embedded database's claim.
    pub claim: Option<PersistentVolumeClaim>,
    /// A disruption budget, when replicas > 1 and the cluster serves `policy/v1`.
    pub disruption_budget: Option<PodDisruptionBudget>,
    /// An Ingress for the issuer, when `spec.ingress` is set.
    pub ingress: Option<Ingress>,
    /// An autoscaler, when `spec.autoscaling` is set and the cluster serves `autoscaling/v2`.
    pub autoscaler: Option<HorizontalPodAutoscaler>,
}

/// Builds every child.
pub fn children(tenant: &Tenant, inputs: &BuildInputs) -> Children {
    let spec = &tenant.spec;
    Children {
        config: secret(
            tenant,
            config_secret(&tenant.name_any()),
            CONFIG_KEY,
            &inputs.config_yaml,
        ),
        keys: secret(tenant, keys_secret(&tenant.name_any()), KEYS_KEY, &inputs.keys_json),
        deployment: workload::deployment(tenant, inputs),
        service: network::service(tenant),
        claim: match spec.database.choice() {
            DatabaseChoice::Embedded(embedded) => Some(claim(
                tenant,
                &embedded.storage_size,
                embedded.storage_class_name.clone(),
            )),
            DatabaseChoice::Postgres(_) => None,
        },
        disruption_budget: (spec.replicas > 1 && inputs.policy_v1).then(|| network::disruption_budget(tenant)),
        ingress: spec.ingress.as_ref().map(|ingress| network::ingress(tenant, ingress)),
        autoscaler: spec
            .autoscaling
            .as_ref()
            .filter(|_| inputs.autoscaling_v2)
            .map(|autoscaling| scaling::autoscaler(tenant, autoscaling)),
    }
}

/// Metadata of a child named `name`: namespace, labels and the controller owner reference.
pub fn metadata(tenant: &Tenant, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: tenant.namespace(),
        labels: Some(tenant_labels(&tenant.name_any())),
        owner_references: tenant.controller_owner_ref(&()).map(|owner| vec![owner]),
        ..ObjectMeta::default()
    }
}

fn secret(tenant: &Tenant, name: String, key: &str, content: &str) -> Secret {
    Secret {
        metadata: metadata(tenant, name),
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([(
            key.to_owned(),
            ByteString(content.as_bytes().to_vec()),
        )])),
        ..Secret::default()
    }
}

/// The embedded database's claim. Under `Retain` it has no owner reference, so deleting the
/// Tenant leaves it (and every user) in place; under `Delete` the garbage collector removes it
/// with the Tenant.
fn claim(tenant: &Tenant, size: &str, class: Option<String>) -> PersistentVolumeClaim {
    let mut metadata = metadata(tenant, data_claim(&tenant.name_any()));
    if tenant.spec.retain_policy() == RetainPolicy::Retain {
        metadata.owner_references = None;
    }
    PersistentVolumeClaim {
        metadata,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(size.to_owned()))])),
                ..VolumeResourceRequirements::default()
            }),
            storage_class_name: class,
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
