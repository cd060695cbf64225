//! Watching and listing our custom resources so that one object that does not deserialize (a
//! duration too long to represent, say, which the schema's pattern lets through) cannot stall
//! the others: a typed watch or list fails as a whole on one bad item.
//!
//! Objects are read raw and converted one by one, without their `managedFields`. A malformed one
//! is skipped and told so in its status (`Ready=False`, `InvalidSpec`), written only when the
//! status does not say so already.

use std::sync::Arc;

use futures::{Stream, StreamExt, future};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::json;
use tracing::warn;

use crate::conditions::{self, Decided, Reason};
use crate::context::Context;
use crate::controllers::status;
use crate::{events, listing};

/// The raw API of kind `K`, in `namespace` or cluster-wide.
pub fn raw_api<K>(client: &kube::Client, namespace: Option<&str>) -> Api<DynamicObject>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>,
{
    let resource = ApiResource::erase::<K>(&());
    match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
        None => Api::all_with(client.clone(), &resource),
    }
}

/// A watch of kind `K` that yields the objects that deserialize and reports the others.
pub fn watch<K>(
    ctx: Arc<Context>,
    namespace: Option<&str>,
) -> impl Stream<Item = Result<Event<K>, watcher::Error>> + Send + 'static
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope> + DeserializeOwned + Clone + Send + 'static,
{
    let api = raw_api::<K>(&ctx.client, namespace);
    watcher::watcher(api, watcher::Config::default()).filter_map(move |event| {
        let typed = |object: DynamicObject| convert::<K>(&ctx, object);
        future::ready(match event {
            Ok(Event::Apply(object)) => typed(object).map(|k| Ok(Event::Apply(k))),
            Ok(Event::InitApply(object)) => typed(object).map(|k| Ok(Event::InitApply(k))),
            Ok(Event::Delete(mut object)) => serde_json::to_value({
                listing::slim(&mut object);
                object
            })
            .ok()
            .and_then(|value| serde_json::from_value(value).ok())
            .map(|k| Ok(Event::Delete(k))),
            Ok(Event::Init) => Some(Ok(Event::Init)),
            Ok(Event::InitDone) => Some(Ok(Event::InitDone)),
            Err(error) => Some(Err(error)),
        })
    })
}

/// Lists kind `K` through `api` in pages, skipping (and reporting) objects that do not deserialize.
pub async fn list<K>(ctx: &Arc<Context>, api: &Api<DynamicObject>) -> Result<Vec<K>, kube::Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope> + DeserializeOwned + Clone + Send + 'static,
{
    listing::paged(api, ListParams::default(), |object| convert::<K>(ctx, object)).await
}

fn convert<K>(ctx: &Arc<Context>, mut object: DynamicObject) -> Option<K>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope> + DeserializeOwned + Clone + Send + 'static,
{
    listing::slim(&mut object);
    let value = serde_json::to_value(&object).ok()?;
    match serde_json::from_value::<K>(value) {
        Ok(typed) => Some(typed),
        Err(error) => {
            let kind = K::kind(&()).into_owned();
            warn!(%kind, name = %object.name_any(), namespace = ?object.namespace(), %error, "skipping an object that does not parse");
            ctx.tasks.spawn(report::<K>(ctx.clone(), object, error.to_string()));
            None
        }
    }
}

/// Sets `Ready=False InvalidSpec` on a malformed object, unless its status says so already.
async fn report<K>(ctx: Arc<Context>, object: DynamicObject, error: String)
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>,
{
    let decided = Decided::ready(
        false,
        Reason::InvalidSpec,
        format!("the object does not parse: {error}"),
    );
    let previous: Vec<Condition> = object
        .data
        .pointer("/status/conditions")
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default();
    let generation = object.metadata.generation;
    let observed = object
        .data
        .pointer("/status/observedGeneration")
        .and_then(|g| g.as_i64());
    let transitions = conditions::transitions(&previous, std::slice::from_ref(&decided));
    let unchanged =
        observed == generation && conditions::ready(&previous).is_some_and(|ready| ready.message == decided.message);
    if unchanged && transitions.is_empty() {
        return;
    }
    let merged = conditions::merge(&previous, std::slice::from_ref(&decided), generation, status::now());
    // A merge patch: the rest of the status (what was served) stays as it was.
    let patch = json!({"status": {"conditions": merged, "observedGeneration": generation}});
    let api = raw_api::<K>(&ctx.client, object.namespace().as_deref());
    let params = PatchParams::default();
    match api
        .patch_status(&object.name_any(), &params, &Patch::Merge(&patch))
        .await
    {
        Ok(_) => {
            let reference = object.object_ref(&ApiResource::erase::<K>(&()));
            events::publish_transitions(&ctx, &reference, &transitions).await;
        }
        Err(error) => warn!(%error, "reporting a malformed object failed"),
    }
}
