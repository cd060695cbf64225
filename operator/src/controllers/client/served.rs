//! The configs Tenants serve, as the Client controller reads them: from a watch of the Tenants'
//! own Secrets rather than one read per reconcile, each parsed once per version. With 1,000
//! Clients, every new config generation requeues all of them; a read and a parse of a config
//! listing all 1,000 each time made that quadratic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::Stream;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, ObjectRef, Store, reflector};
use kube::runtime::watcher;
use vestibule_crds::config::TenantConfig;

use super::dereference::parse_config;
use crate::context::Context;
use crate::listing;
use crate::names::{TENANT_LABEL, config_secret};

/// Parsed configs by Secret (`namespace/name`), with the resource version they were parsed at.
type Parsed = HashMap<String, (String, Option<Arc<TenantConfig>>)>;

/// The Tenants' Secrets in every namespace in scope, and the configs parsed from them.
#[derive(Clone)]
pub struct ServedConfigs {
    stores: Vec<Store<Secret>>,
    parsed: Arc<Mutex<Parsed>>,
}

impl ServedConfigs {
    /// The caches, and the watch streams that fill them (the caller must poll these).
    pub fn new(
        ctx: &Context,
    ) -> (
        Self,
        Vec<impl Stream<Item = Result<Secret, watcher::Error>> + Send + 'static>,
    ) {
        let mut stores = Vec::new();
        let mut streams = Vec::new();
        for api in ctx.scope.apis::<Secret>(&ctx.client) {
            let (store, writer) = reflector::store();
            let config = watcher::Config::default().labels(TENANT_LABEL);
            let secrets = watcher::watcher(api, config).modify(listing::slim);
            let stream = reflector(writer, secrets).default_backoff().applied_objects();
            stores.push(store);
            streams.push(stream);
        }
        let parsed = Arc::new(Mutex::new(HashMap::new()));
        (Self { stores, parsed }, streams)
    }

    /// The config the Tenant `namespace/name` serves, once the caches hold what the API did.
    pub async fn get(&self, namespace: &str, name: &str) -> Option<Arc<TenantConfig>> {
        let key = ObjectRef::<Secret>::new(&config_secret(name)).within(namespace);
        let mut found = None;
        for store in &self.stores {
            // Until the first list arrives an empty cache would say "not served" and flap status.
            if store.wait_until_ready().await.is_err() {
                continue;
            }
            found = found.or_else(|| store.get(&key));
        }
        let id = format!("{namespace}/{name}");
        let mut parsed = self.parsed.lock().ok()?;
        let Some(secret) = found else {
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
