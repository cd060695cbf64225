//! A Tenant's status: conditions from validation, the applied children and the pods; what is
//! served (issuer, config generation, clients, signing keys). Deterministic.

use kube::{Resource, ResourceExt};
use vestibule_crds::config::TenantConfig;
use vestibule_crds::keys::{KeyState, SigningKey};
use vestibule_crds::v1alpha1::{CommonStatus, SigningKeyStatus, Tenant, TenantStatus};

use super::readiness::{Readiness, Rollout};
use super::scaling;
use crate::conditions::{self, AUTOSCALING, DISRUPTION_BUDGET, Decided, Reason};
use crate::context::{Capabilities, Context};
use crate::controllers::status as write_status;
use crate::error::Error;
use crate::events;

/// What was served by this reconcile.
pub struct Served<'a> {
    /// The IdP image put in the Deployment.
    pub image: &'a str,
    /// A newer default image held back for a rollout slot.
    pub pending_image: Option<&'a str>,
    /// The config.
    pub config: &'a TenantConfig,
    /// The keys.
    pub keys: &'a [SigningKey],
    /// The pods' answer.
    pub readiness: &'a Readiness,
    /// The `regenerate-keys` annotation value acted on so far.
    pub keys_regenerated_for: Option<String>,
}

/// The conditions for a Tenant whose children were applied.
pub fn decide(tenant: &Tenant, served: &Served<'_>, capabilities: Capabilities) -> Vec<Decided> {
    let readiness = served.readiness;
    let message = readiness.describe(served.config.generation);
    let ready = if readiness.is_ready() {
        Decided::ready(true, Reason::Available, message)
    } else if matches!(readiness.rollout, Rollout::Failed(_)) {
        Decided::ready(false, Reason::ProgressDeadlineExceeded, message)
    } else {
        Decided::ready(false, Reason::Progressing, message)
    };
    let mut decided = vec![ready];
    if tenant.spec.replicas > 1 {
        decided.push(if capabilities.policy_v1 {
            Decided {
                type_: DISRUPTION_BUDGET,
                status: true,
                reason: Reason::Applied,
                message: "at most one IdP pod is disrupted at a time".into(),
            }
        } else {
            Decided {
                type_: DISRUPTION_BUDGET,
                status: false,
                reason: Reason::PolicyV1Unavailable,
                message: "PodDisruptionBudget skipped: the cluster does not serve policy/v1".into(),
            }
        });
    }
    if tenant.spec.autoscaling.is_some() {
        decided.push(autoscaling(capabilities.autoscaling_v2));
    }
    decided
}

/// The `Autoscaling` condition of a Tenant with `spec.autoscaling`.
fn autoscaling(served: bool) -> Decided {
    if served {
        Decided {
            type_: AUTOSCALING,
            status: true,
            reason: Reason::Applied,
            message: "a HorizontalPodAutoscaler sets spec.replicas through the scale subresource".into(),
        }
    } else {
        Decided {
            type_: AUTOSCALING,
            status: false,
            reason: Reason::AutoscalingV2Unavailable,
            message:
                "HorizontalPodAutoscaler skipped: the cluster does not serve autoscaling/v2 (Kubernetes 1.23 or later)"
                    .into(),
        }
    }
}

/// The status after a successful reconcile.
pub fn served_status(tenant: &Tenant, served: &Served<'_>, decided: &[Decided]) -> TenantStatus {
    let issuer = tenant.spec.issuer.trim_end_matches('/').to_owned();
    TenantStatus {
        common: common(tenant, decided),
        discovery_url: Some(format!("{issuer}/.well-known/openid-configuration")),
        issuer: Some(issuer),
        replicas: Some(served.readiness.replicas),
        selector: Some(scaling::selector(tenant)),
        ready_replicas: Some(served.readiness.ready),
        image: Some(served.image.to_owned()),
        pending_image: served.pending_image.map(str::to_owned),
        config_generation: Some(served.config.generation),
        served_generation: served_generation(tenant, served),
        clients: i32::try_from(served.config.clients.len()).ok(),
        signing_keys: served
            .keys
            .iter()
            .map(|key| SigningKeyStatus {
                kid: key.kid.clone(),
                alg: key.alg,
                state: key.state,
            })
            .collect(),
        keys_regenerated_for: served.keys_regenerated_for.clone(),
    }
}

/// The generation every pod serves: this config's once the pods are ready with it, else the one
/// recorded before.
fn served_generation(tenant: &Tenant, served: &Served<'_>) -> Option<i64> {
    if served.readiness.is_ready() {
        return Some(served.config.generation);
    }
    tenant.status.as_ref().and_then(|status| status.served_generation)
}

/// Normal Events for what this reconcile did once: a signing key promoted, a configuration
/// generation newly served by every pod. Derived from the old and new status alone, so a
/// reconcile that changes nothing publishes nothing.
pub async fn announce(ctx: &Context, tenant: &Tenant, status: &TenantStatus) {
    let previous = tenant.status.clone().unwrap_or_default();
    let reference = tenant.object_ref(&());
    let was_active = |kid: &str| {
        previous
            .signing_keys
            .iter()
            .any(|key| key.kid == kid && key.state == KeyState::Active)
    };
    for key in &status.signing_keys {
        let known = previous.signing_keys.iter().any(|old| old.kid == key.kid);
        // A Tenant's first key is active from the start: that is no promotion.
        if key.state == KeyState::Active && known && !was_active(&key.kid) {
            let note = format!(
                "signing key {} ({}) now signs; the key it replaces stays published until its tokens expire",
                key.kid,
                key.alg.as_str()
            );
            events::publish_notice(ctx, &reference, "SigningKeyPromoted", &note).await;
        }
    }
    if let Some(generation) = status
        .served_generation
        .filter(|g| previous.served_generation != Some(*g))
    {
        let note = format!("every IdP pod serves configuration generation {generation}");
        events::publish_notice(ctx, &reference, "ConfigurationServed", &note).await;
    }
}

/// The status of a refused Tenant: the new condition, the rest as last served.
pub fn refused_status(tenant: &Tenant, refusal: &Decided) -> TenantStatus {
    let mut status = tenant.status.clone().unwrap_or_default();
    status.common = common(tenant, std::slice::from_ref(refusal));
    status
}

fn common(tenant: &Tenant, decided: &[Decided]) -> CommonStatus {
    let previous = tenant
        .status
        .as_ref()
        .map(|s| s.common.conditions.as_slice())
        .unwrap_or_default();
    CommonStatus {
        conditions: conditions::merge(previous, decided, tenant.metadata.generation, write_status::now()),
        observed_generation: tenant.metadata.generation,
    }
}

/// Writes `status` if it changed, with Events for transitions.
pub async fn write(ctx: &Context, tenant: &Tenant, status: &TenantStatus, decided: &[Decided]) -> Result<bool, Error> {
    let previous = tenant
        .status
        .as_ref()
        .map(|s| s.common.conditions.clone())
        .unwrap_or_default();
    let written = write_status::write(ctx, tenant, tenant.status.as_ref(), status, &previous, decided).await?;
    if written {
        tracing::info!(tenant = %tenant.name_any(), ready = decided.first().map(|d| d.status), "status updated");
    }
    Ok(written)
}
