//! What a Tenant's pods serve, and whether that includes an attachment's current entry.
//!
//! The configs come from the shared store of the Tenants' own Secrets, each parsed once per
//! version: with 1,000 Clients, every new config generation requeues all of them, and a parse of
//! a config listing all 1,000 for each made that quadratic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kube::ResourceExt;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::Tenant;

use super::Attachment;
use crate::conditions::{self, Decided, Reason};
use crate::controllers::client::dereference::parse_config;
use crate::controllers::shared::Shared;
use crate::names::config_secret;

/// Parsed configs by Tenant (`namespace/name`), with the resource version they were parsed at.
#[derive(Debug, Default)]
pub struct ParsedConfigs(Mutex<HashMap<String, Parsed>>);

/// A config as parsed from one version of its Secret (`None`: it did not parse).
type Parsed = (String, Option<Arc<TenantConfig>>);

impl Shared {
    /// The config the Tenant `namespace/name` gives its pods.
    pub fn served_config(&self, namespace: &str, name: &str) -> Option<Arc<TenantConfig>> {
        let secret = self.tenant_secrets.get(namespace, &config_secret(name));
        let id = format!("{namespace}/{name}");
        let mut parsed = self.parsed.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(secret) = secret else {
            // A deleted Tenant's config must not stay parsed in memory.
            parsed.remove(&id);
            return None;
        };
        let version = secret.resource_version().unwrap_or_default();
        if let Some((seen, config)) = parsed.get(&id)
            && *seen == version
        {
            return config.clone();
        }
        let config = parse_config(&secret).map(Arc::new);
        parsed.insert(id, (version, config.clone()));
        config
    }
}

/// Whether `tenant`'s pods serve `config`: the Tenant is Ready (every ready pod serves the
/// generation in its status) at `config`'s generation.
pub fn pods_serve(tenant: &Tenant, config: &TenantConfig) -> bool {
    let status = tenant.status.as_ref();
    let ready = status
        .and_then(|status| conditions::ready(&status.common.conditions))
        .is_some_and(|ready| ready.status == "True");
    ready && status.and_then(|status| status.config_generation) == Some(config.generation)
}

/// `Ready=True` once `tenant`'s pods serve exactly `entry` (the entry of the current spec, not
/// only its identifier), `Progressing` until then.
pub fn serving<K: Attachment>(entry: &K::Entry, tenant: &Tenant, served: Option<&TenantConfig>) -> Decided {
    let id = K::entry_id(entry);
    let tenant_name = format!("{}/{}", tenant.namespace().unwrap_or_default(), tenant.name_any());
    let listed = served.filter(|config| K::entries(config).iter().any(|served| served == entry));
    match listed {
        Some(config) if pods_serve(tenant, config) => Decided::ready(
            true,
            Reason::Available,
            format!("served by Tenant {tenant_name} as {id}"),
        ),
        Some(_) => Decided::ready(
            false,
            Reason::Progressing,
            format!("waiting for the pods of Tenant {tenant_name} to serve the config with the current {id}"),
        ),
        None => Decided::ready(
            false,
            Reason::Progressing,
            format!("waiting for Tenant {tenant_name} to put the current {id} into its config"),
        ),
    }
}
