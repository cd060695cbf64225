//! Which IdP image a Tenant's pods run: its own `spec.image`, or the operator's default, to which
//! running Tenants move at the pace of the [`RolloutGate`](crate::rollouts::RolloutGate).

use std::time::Instant;

use k8s_openapi::api::apps::v1::Deployment;
use kube::{Api, ResourceExt};
use vestibule_crds::v1alpha1::Tenant;

use super::error::ReadinessError;
use crate::context::Context;
use crate::names::workload;

/// The image to put in the Deployment, and whether a newer default is held back for now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The image.
    pub image: String,
    /// A newer default image waits for a free rollout slot.
    pub deferred: bool,
}

/// Chooses the image of `tenant` (`id`: namespace/name). The image running now is the one the
/// status records; a Tenant from before that record reads it off its Deployment once.
pub async fn choose(ctx: &Context, tenant: &Tenant, id: &str) -> Result<Choice, ReadinessError> {
    let default = &ctx.config.idp_image;
    if let Some(own) = &tenant.spec.image {
        ctx.rollouts.finish(id);
        return Ok(Choice {
            image: own.clone(),
            deferred: false,
        });
    }
    let recorded = tenant.status.as_ref().and_then(|status| status.image.clone());
    let running = match recorded {
        Some(image) => Some(image),
        None => live_image(ctx, tenant).await?,
    };
    Ok(decide(ctx, id, default, running, Instant::now()))
}

/// The pure part of [`choose`]: a new Tenant or one already on `default` takes it; one on another
/// image takes it only when the gate admits it, and keeps its image otherwise.
fn decide(ctx: &Context, id: &str, default: &str, running: Option<String>, now: Instant) -> Choice {
    match running {
        Some(old) if old != default && !ctx.rollouts.admit(id, now) => Choice {
            image: old,
            deferred: true,
        },
        _ => Choice {
            image: default.to_owned(),
            deferred: false,
        },
    }
}

/// The image of the IdP container of the Tenant's Deployment, if it exists.
async fn live_image(ctx: &Context, tenant: &Tenant) -> Result<Option<String>, ReadinessError> {
    let namespace = tenant.namespace().unwrap_or_default();
    let name = workload(&tenant.name_any());
    let deployment = Api::<Deployment>::namespaced(ctx.client.clone(), &namespace)
        .get_opt(&name)
        .await
        .map_err(|source| ReadinessError {
            tenant: format!("{namespace}/{}", tenant.name_any()),
            what: format!("Deployment {namespace}/{name}"),
            source,
        })?;
    Ok(deployment.and_then(|deployment| deployment.spec?.template.spec?.containers.into_iter().next()?.image))
}
