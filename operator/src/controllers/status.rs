//! Writing an object's status: server-side apply of the whole status by the kind's own field
//! manager, only when it changed, and one Event per condition transition.

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::conditions::{Decided, transitions};
use crate::context::Context;
use crate::error::Error;
use crate::events;
use crate::names::field_manager;

/// Applies `status` to `object` unless it equals `current`, then publishes an Event for each
/// condition in `decided` that changed. Returns whether it wrote.
pub async fn write<K, S>(
    ctx: &Context,
    object: &K,
    current: Option<&S>,
    status: &S,
    previous_conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    decided: &[Decided],
) -> Result<bool, Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
    S: Serialize + PartialEq,
{
    if current == Some(status) {
        return Ok(false);
    }
    let namespace = object.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let name = object.name_any();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let patch = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let manager = field_manager(&K::kind(&()));
    api.patch_status(&name, &PatchParams::apply(&manager).force(), &Patch::Apply(&patch))
        .await
        .map_err(|source| Error::PatchStatus {
            what: format!("{} {namespace}/{name}", K::kind(&())),
            source,
        })?;
    let changed = transitions(previous_conditions, decided);
    events::publish_transitions(ctx, &object.object_ref(&()), &changed).await;
    Ok(true)
}

/// Now, to the second: status times need no more and compare equal after a round trip.
pub fn now() -> k8s_openapi::jiff::Timestamp {
    let now = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(now.as_second()).unwrap_or(now)
}
