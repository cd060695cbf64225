//! What changes in one kind trigger another kind's reconciles, as kube-runtime predicates: a
//! Tenant with 1,000 Clients must not reconcile on every Client status write, nor requeue its
//! 1,000 Clients on every Tenant status write (that loop is quadratic). Deletions, which a
//! predicate cannot see, come from the shared reflectors' deletion broadcasts.

use std::hash::{DefaultHasher, Hash, Hasher};

use kube::Resource;
use kube::core::DeserializeGuard;
use vestibule_crds::v1alpha1::Tenant;

use crate::conditions;

fn hash(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// What a Tenant's config depends on in an attachment: its identity and its spec (status is the
/// attachment's own business). An object that does not parse counts by its metadata alone.
pub fn spec<K: Resource>(object: &K) -> Option<u64> {
    let meta = object.meta();
    Some(hash((&meta.uid, meta.generation, meta.deletion_timestamp.is_some())))
}

/// What an attachment's status depends on in its Tenant: its identity, spec, readiness and the
/// config generation its pods serve.
pub fn tenant_serving(tenant: &DeserializeGuard<Tenant>) -> Option<u64> {
    let meta = tenant.meta();
    let status = tenant.0.as_ref().ok().and_then(|tenant| tenant.status.as_ref());
    let ready = status
        .and_then(|status| conditions::ready(&status.common.conditions))
        .map(|ready| ready.status.clone());
    let served = status.and_then(|status| status.config_generation);
    Some(hash((
        &meta.uid,
        meta.generation,
        meta.deletion_timestamp.is_some(),
        ready,
        served,
    )))
}

#[cfg(test)]
mod tests {
    use futures::{StreamExt, stream};
    use kube::ResourceExt;
    use kube::runtime::{PredicateConfig, WatchStreamExt, watcher};
    use vestibule_crds::v1alpha1::{Client, TenantStatus};

    use super::*;

    fn client(name: &str, generation: i64, status: bool) -> DeserializeGuard<Client> {
        let mut client: Client = serde_json::from_value(serde_json::json!({
            "apiVersion": "vestibule.dev/v1alpha1",
            "kind": "Client",
            "metadata": { "name": name, "namespace": "shop", "uid": name, "generation": generation },
            "spec": { "tenantRef": { "name": "t" }, "type": "confidential" },
        }))
        .unwrap();
        if status {
            client.status = Some(Default::default());
        }
        DeserializeGuard(Ok(client))
    }

    #[tokio::test]
    async fn only_spec_changes_of_an_attachment_pass() {
        let events = stream::iter([
            client("a", 1, false),
            client("a", 1, true),
            client("b", 1, false),
            client("a", 2, true),
        ])
        .map(Ok::<_, watcher::Error>);
        let passed: Vec<(String, Option<i64>)> = events
            .predicate_filter(spec, PredicateConfig::default())
            .map(|object| {
                let object = object.unwrap();
                (object.name_any(), object.meta().generation)
            })
            .collect()
            .await;
        let expected = [("a", 1), ("b", 1), ("a", 2)];
        assert_eq!(
            passed,
            expected.map(|(name, generation)| (name.to_owned(), Some(generation)))
        );
    }

    #[test]
    fn a_tenant_counts_by_readiness_and_served_generation() {
        let mut tenant: Tenant = serde_json::from_value(serde_json::json!({
            "apiVersion": "vestibule.dev/v1alpha1",
            "kind": "Tenant",
            "metadata": { "name": "t", "namespace": "shop", "generation": 1 },
            "spec": { "issuer": "https://id.example.com" },
        }))
        .unwrap();
        let print = |tenant: &Tenant| tenant_serving(&DeserializeGuard(Ok(tenant.clone())));
        let before = print(&tenant);
        tenant.status = Some(TenantStatus {
            ready_replicas: Some(1),
            ..TenantStatus::default()
        });
        assert_eq!(print(&tenant), before, "replicas alone change nothing a Client reports");
        tenant.status = Some(TenantStatus {
            config_generation: Some(3),
            ..TenantStatus::default()
        });
        assert_ne!(print(&tenant), before);
    }
}
