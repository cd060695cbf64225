//! Writing an object's status: server-side apply of the whole status by the kind's own field
//! manager, only when it changed, and one Event per condition transition; and the status of an
//! object that does not even parse.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::core::error_boundary::InvalidObject;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::conditions::{self, Decided, Reason, transitions};
use crate::context::Context;
use crate::error::Error;
use crate::events;
use crate::names::{self, field_manager};

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

/// Sets `Ready=False InvalidSpec` on an object that does not parse, unless its status says so
/// already. Read and written raw: the typed client cannot hold it.
pub async fn report_unparsable<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    invalid: &InvalidObject,
) -> Result<Action, Error> {
    let namespace = invalid
        .metadata
        .namespace
        .clone()
        .ok_or(Error::MissingMetadata("namespace"))?;
    let name = invalid.metadata.name.clone().ok_or(Error::MissingMetadata("name"))?;
    let resource = ApiResource::erase::<K>(&());
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), &namespace, &resource);
    let what = format!("{} {namespace}/{name}", K::kind(&()));
    let Some(object) = api.get_opt(&name).await.map_err(|source| Error::Read {
        what: what.clone(),
        source,
    })?
    else {
        return Ok(Action::await_change());
    };
    let decided = Decided::ready(
        false,
        Reason::InvalidSpec,
        format!("the object does not parse: {}", invalid.error),
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
    let same = conditions::ready(&previous).is_some_and(|ready| ready.message == decided.message);
    if observed == generation && same && transitions.is_empty() {
        return Ok(Action::requeue(ctx.config.resync));
    }
    let merged = conditions::merge(&previous, std::slice::from_ref(&decided), generation, now());
    // A merge patch by the kind's field manager: the rest of the status (what was served) stays.
    let patch = json!({"status": {"conditions": merged, "observedGeneration": generation}});
    let params = PatchParams {
        field_manager: Some(names::field_manager(&K::kind(&()))),
        ..PatchParams::default()
    };
    api.patch_status(&name, &params, &Patch::Merge(&patch))
        .await
        .map_err(|source| Error::PatchStatus { what, source })?;
    events::publish_transitions(ctx, &object.object_ref(&resource), &transitions).await;
    Ok(Action::requeue(ctx.config.resync))
}
