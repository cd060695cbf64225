//! Watches that trigger another kind's reconciles only when something that kind depends on
//! changed. A Tenant with 1,000 Clients must not reconcile on every Client status write, nor
//! requeue its 1,000 Clients on every Tenant status write: that loop is quadratic.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use futures::{Stream, StreamExt, future};
use kube::runtime::watcher::{self, Event};
use kube::{Resource, ResourceExt};
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::conditions;

/// Objects of `events` whose `fingerprint` differs from the last one seen, and every deleted
/// object (a deletion always matters).
pub fn changed<K, F>(
    events: impl Stream<Item = Result<Event<K>, watcher::Error>> + Send + 'static,
    fingerprint: F,
) -> impl Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: Resource + Send + 'static,
    F: Fn(&K) -> u64 + Send + 'static,
{
    let mut seen: HashMap<(Option<String>, String), u64> = HashMap::new();
    events.filter_map(move |event| {
        let key = |object: &K| (object.namespace(), object.name_any());
        future::ready(match event {
            Ok(Event::Apply(object) | Event::InitApply(object)) => {
                let print = fingerprint(&object);
                (seen.insert(key(&object), print) != Some(print)).then_some(Ok(object))
            }
            Ok(Event::Delete(object)) => {
                seen.remove(&key(&object));
                Some(Ok(object))
            }
            Ok(Event::Init | Event::InitDone) => None,
            Err(error) => Some(Err(error)),
        })
    })
}

fn hash(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// What a Tenant's config depends on in a Client: its identity and its spec (status is the
/// Client's own business).
pub fn client_spec(client: &Client) -> u64 {
    let meta = client.meta();
    hash((&meta.uid, meta.generation, meta.deletion_timestamp.is_some()))
}

/// What a Client's status depends on in its Tenant: its identity, spec, readiness and the
/// config generation its pods serve.
pub fn tenant_serving(tenant: &Tenant) -> u64 {
    let meta = tenant.meta();
    let status = tenant.status.as_ref();
    let ready = status
        .and_then(|status| conditions::ready(&status.common.conditions))
        .map(|ready| ready.status.clone());
    let served = status.and_then(|status| status.config_generation);
    hash((
        &meta.uid,
        meta.generation,
        meta.deletion_timestamp.is_some(),
        ready,
        served,
    ))
}

#[cfg(test)]
mod tests {
    use futures::stream;
    use kube::api::ObjectMeta;

    use super::*;

    fn client(name: &str, generation: i64) -> Client {
        let mut client: Client = serde_json::from_value(serde_json::json!({
            "apiVersion": "vestibule.dev/v1alpha1",
            "kind": "Client",
            "metadata": { "name": name, "namespace": "shop" },
            "spec": { "tenantRef": { "name": "t" }, "type": "confidential" },
        }))
        .unwrap();
        client.metadata = ObjectMeta {
            generation: Some(generation),
            ..client.metadata
        };
        client
    }

    #[tokio::test]
    async fn only_new_fingerprints_and_deletions_pass() {
        let with_status = {
            let mut c = client("a", 1);
            c.status = Some(Default::default());
            c
        };
        let events = stream::iter([
            Ok(Event::Init),
            Ok(Event::InitApply(client("a", 1))),
            Ok(Event::InitDone),
            Ok(Event::Apply(with_status)),
            Ok(Event::Apply(client("b", 1))),
            Ok(Event::Apply(client("a", 2))),
            Ok(Event::Delete(client("a", 2))),
            Ok(Event::Apply(client("a", 2))),
        ]);
        let passed: Vec<(String, Option<i64>)> = changed(events, client_spec)
            .map(|object| {
                let object = object.unwrap();
                (object.name_any(), object.metadata.generation)
            })
            .collect()
            .await;
        let expected = [("a", 1), ("b", 1), ("a", 2), ("a", 2), ("a", 2)];
        assert_eq!(
            passed,
            expected.map(|(name, generation)| (name.to_owned(), Some(generation)))
        );
    }
}
