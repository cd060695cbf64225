//! Applies a Tenant's children (only those that differ) and removes the optional ones it no
//! longer wants.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;

use super::build::Children;
use crate::context::Context;
use crate::error::Error;
use crate::names::workload;
use crate::ssa::{self, Applied};

/// Applies every child in `namespace`; returns how many were written.
pub async fn apply(ctx: &Context, namespace: &str, tenant: &str, children: Children) -> Result<usize, Error> {
    let client = &ctx.client;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let mut results = vec![
        ssa::apply(&secrets, children.config).await?,
        ssa::apply(&secrets, children.keys).await?,
    ];
    if let Some(claim) = children.claim {
        let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
        results.push(ssa::apply(&claims, claim).await?);
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    results.push(ssa::apply(&deployments, children.deployment).await?);
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    results.push(ssa::apply(&services, children.service).await?);
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), namespace);
    match children.ingress {
        Some(ingress) => results.push(ssa::apply(&ingresses, ingress).await?),
        None => {
            ssa::delete_if_present(&ingresses, &workload(tenant)).await?;
        }
    }
    // Without policy/v1 there is nothing to apply or delete: the budget is skipped (see status).
    if ctx.capabilities.policy_v1 {
        let budgets: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), namespace);
        match children.disruption_budget {
            Some(budget) => results.push(ssa::apply(&budgets, budget).await?),
            None => {
                ssa::delete_if_present(&budgets, &workload(tenant)).await?;
            }
        }
    }
    Ok(results.into_iter().filter(|r| *r == Applied::Patched).count())
}
