//! A Tenant's status: conditions from validation, the applied children and the pods; what is
//! served (issuer, config generation, clients, signing keys). Deterministic.

use kube::ResourceExt;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::keys::SigningKey;
use vestibule_crds::v1alpha1::{CommonStatus, SigningKeyStatus, Tenant, TenantStatus};

use super::readiness::{Readiness, Rollout};
use crate::conditions::{self, DISRUPTION_BUDGET, Decided, Reason};
use crate::context::Context;
use crate::controllers::status as write_status;
use crate::error::Error;

/// What was served by this reconcile.
pub struct Served<'a> {
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
pub fn decide(tenant: &Tenant, served: &Served<'_>, policy_v1: bool) -> Vec<Decided> {
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
        decided.push(if policy_v1 {
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
    decided
}

/// The status after a successful reconcile.
pub fn served_status(tenant: &Tenant, served: &Served<'_>, decided: &[Decided]) -> TenantStatus {
    let issuer = tenant.spec.issuer.trim_end_matches('/').to_owned();
    TenantStatus {
        common: common(tenant, decided),
        discovery_url: Some(format!("{issuer}/.well-known/openid-configuration")),
        issuer: Some(issuer),
        ready_replicas: Some(served.readiness.ready),
        config_generation: Some(served.config.generation),
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
