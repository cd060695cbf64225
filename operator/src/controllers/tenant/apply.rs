//! Applies a Tenant's children, touching only what the Tenant owns.
//!
//! Every child is read first. If a name the Tenant needs is taken by an object it does not own
//! (a user's own Ingress, say), nothing at all is written and the Tenant reports `NameConflict`:
//! the operator never adopts, overwrites or deletes someone else's object, and never leaves half
//! a set of children pointing at it. Otherwise the children that differ are applied, the keys
//! only if their Secret is unchanged since the keys were planned from it, and optional children
//! no longer wanted are removed if they are the Tenant's.

use std::fmt::Debug;

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret};
use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use vestibule_crds::v1alpha1::Tenant;

use super::build::Children;
use super::error::ApplyStepError;
use crate::context::Context;
use crate::names::{MANAGED_BY, TENANT_LABEL, field_manager, workload};
use crate::ssa::{self, Applied, ApplyError};

/// What the apply step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every child is as desired; this many were written.
    Written(usize),
    /// These objects (`Kind name`) are someone else's; nothing was written.
    NameConflict(Vec<String>),
}

/// One child: its desired form (`None`: the Tenant does not want it) and its live object.
struct Slot<K> {
    api: Api<K>,
    name: String,
    desired: Option<K>,
    live: Option<K>,
}

/// Reads every child of `tenant`, then writes them unless a name is taken. `keys_version` is
/// the keys Secret's resourceVersion when the keys were planned (`None`: it did not exist).
pub async fn apply(
    ctx: &Context,
    tenant: &Tenant,
    children: Children,
    keys_version: Option<&str>,
) -> Result<Outcome, ApplyStepError> {
    let namespace = tenant.namespace().unwrap_or_default();
    let name = tenant.name_any();
    let step = |source| ApplyStepError {
        tenant: format!("{namespace}/{name}"),
        source,
    };
    let uid = tenant.uid().unwrap_or_default();
    let manager = field_manager("Tenant");
    let client = &ctx.client;
    let config = Slot::read(client, &namespace, Some(children.config))
        .await
        .map_err(step)?;
    let keys = Slot::read(client, &namespace, Some(children.keys))
        .await
        .map_err(step)?;
    let claim = Slot::read(client, &namespace, children.claim).await.map_err(step)?;
    let deployment = Slot::read(client, &namespace, Some(children.deployment))
        .await
        .map_err(step)?;
    let service = Slot::read(client, &namespace, Some(children.service))
        .await
        .map_err(step)?;
    let ingress = Slot::named(client, &namespace, workload(&name), children.ingress)
        .await
        .map_err(step)?;
    // Without policy/v1 there is nothing to apply or delete: the budget is skipped (see status).
    let budget = if ctx.capabilities.policy_v1 {
        let budget = Slot::named(client, &namespace, workload(&name), children.disruption_budget);
        Some(budget.await.map_err(step)?)
    } else {
        None
    };
    // Likewise without autoscaling/v2 (see status).
    let autoscaler = if ctx.capabilities.autoscaling_v2 {
        let autoscaler = Slot::named(client, &namespace, workload(&name), children.autoscaler);
        Some(autoscaler.await.map_err(step)?)
    } else {
        None
    };
    let conflicts: Vec<String> = [
        config.conflict(&uid, &name),
        keys.conflict(&uid, &name),
        claim.conflict(&uid, &name),
        deployment.conflict(&uid, &name),
        service.conflict(&uid, &name),
        ingress.conflict(&uid, &name),
        budget.as_ref().and_then(|budget| budget.conflict(&uid, &name)),
        autoscaler
            .as_ref()
            .and_then(|autoscaler| autoscaler.conflict(&uid, &name)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !conflicts.is_empty() {
        return Ok(Outcome::NameConflict(conflicts));
    }
    let mut written = vec![
        config.write(&manager, &uid).await.map_err(step)?,
        write_keys(keys, keys_version, &manager).await.map_err(step)?,
    ];
    if let Some(live) = &claim.live {
        release_claim(&claim, live, &uid).await.map_err(step)?;
    }
    written.push(claim.write(&manager, &uid).await.map_err(step)?);
    written.push(deployment.write(&manager, &uid).await.map_err(step)?);
    written.push(service.write(&manager, &uid).await.map_err(step)?);
    written.push(ingress.write(&manager, &uid).await.map_err(step)?);
    if let Some(budget) = budget {
        written.push(budget.write(&manager, &uid).await.map_err(step)?);
    }
    if let Some(autoscaler) = autoscaler {
        written.push(autoscaler.write(&manager, &uid).await.map_err(step)?);
    }
    Ok(Outcome::Written(
        written.into_iter().filter(|w| *w == Applied::Patched).count(),
    ))
}

impl<K> Slot<K>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Serialize
        + DeserializeOwned
        + Clone
        + Debug,
{
    /// The slot of a wanted child (a `None` slot reads nothing).
    async fn read(client: &kube::Client, namespace: &str, desired: Option<K>) -> Result<Self, ApplyError> {
        let name = desired.as_ref().map(ResourceExt::name_any).unwrap_or_default();
        Self::named(client, namespace, name, desired).await
    }

    /// The slot of the child `name`, wanted or not.
    async fn named(
        client: &kube::Client,
        namespace: &str,
        name: String,
        desired: Option<K>,
    ) -> Result<Self, ApplyError> {
        let api = Api::namespaced(client.clone(), namespace);
        let live = if name.is_empty() {
            None
        } else {
            ssa::read(&api, &name).await?
        };
        Ok(Self {
            api,
            name,
            desired,
            live,
        })
    }

    /// `Kind name` if the Tenant wants this child and someone else's object holds its name.
    fn conflict(&self, uid: &str, tenant: &str) -> Option<String> {
        let live = self.live.as_ref()?;
        self.desired.as_ref()?;
        let ours = ssa::owned_by(live, uid) || left_by_namesake(live, tenant);
        (!ours).then(|| format!("{} {}", K::kind(&()), self.name))
    }

    /// Applies the wanted child, or deletes the unwanted one if it is the Tenant's.
    async fn write(self, manager: &str, uid: &str) -> Result<Applied, ApplyError> {
        match self.desired {
            Some(desired) => ssa::apply_over(&self.api, desired, self.live.as_ref(), manager).await,
            None if self.live.is_some() => match ssa::delete_owned(&self.api, &self.name, uid).await? {
                true => Ok(Applied::Patched),
                false => Ok(Applied::Unchanged),
            },
            None => Ok(Applied::Unchanged),
        }
    }
}

/// Whether `live` is what a deleted Tenant of the same name left behind: a retained claim
/// carries no owner reference, only the operator's labels for that Tenant. Reattaching it is
/// the point of `Retain`.
fn left_by_namesake<K: Resource<DynamicType = ()>>(live: &K, tenant: &str) -> bool {
    let labels = live.meta().labels.as_ref();
    let label = |key: &str| labels.and_then(|labels| labels.get(key)).map(String::as_str);
    let controlled = live
        .owner_references()
        .iter()
        .any(|owner| owner.controller == Some(true));
    K::kind(&()) == "PersistentVolumeClaim"
        && !controlled
        && label("app.kubernetes.io/managed-by") == Some(MANAGED_BY)
        && label(TENANT_LABEL) == Some(tenant)
}

/// Writes the keys only if their Secret is as it was when they were planned: of two writers
/// (two replicas during a failover, say) at most one makes an active key.
async fn write_keys(slot: Slot<Secret>, planned_from: Option<&str>, manager: &str) -> Result<Applied, ApplyError> {
    let Some(mut desired) = slot.desired else {
        return Ok(Applied::Unchanged);
    };
    let stale = || ApplyError::Stale {
        kind: "Secret".into(),
        name: slot.name.clone(),
    };
    match (&slot.live, planned_from) {
        // A create fails if another writer created it first.
        (None, None) => ssa::create(&slot.api, desired, manager).await,
        (Some(live), Some(version)) if live.resource_version().as_deref() == Some(version) => {
            // The server refuses the apply if the Secret changed since `version`.
            desired.metadata.resource_version = Some(version.to_owned());
            ssa::apply_over(&slot.api, desired, Some(live), manager).await
        }
        _ => Err(stale()),
    }
}

/// Removes the Tenant's owner reference from a claim it must not take down with it (`Retain`,
/// or a claim made before `Retain` existed), conditional on the claim being unchanged.
async fn release_claim(
    slot: &Slot<PersistentVolumeClaim>,
    live: &PersistentVolumeClaim,
    uid: &str,
) -> Result<(), ApplyError> {
    let retained = slot
        .desired
        .as_ref()
        .is_some_and(|desired| desired.owner_references().is_empty());
    if !retained || !ssa::owned_by(live, uid) {
        return Ok(());
    }
    let others: Vec<_> = live
        .owner_references()
        .iter()
        .filter(|owner| owner.uid != uid)
        .collect();
    let patch = json!({"metadata": {"ownerReferences": others, "resourceVersion": live.resource_version()}});
    tracing::info!(claim = %slot.name, "releasing the claim from its Tenant (retainPolicy: Retain)");
    slot.api
        .patch(&slot.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|source| ApplyError::Patch {
            kind: "PersistentVolumeClaim".into(),
            name: slot.name.clone(),
            source,
        })?;
    Ok(())
}
