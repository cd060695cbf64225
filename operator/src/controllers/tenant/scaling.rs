//! The HorizontalPodAutoscaler of a Tenant with `spec.autoscaling`. It scales the Tenant itself
//! (its scale subresource), not the Deployment: `spec.replicas` stays the one number the
//! operator renders from. Pure.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use kube::{Resource, ResourceExt};
use vestibule_crds::v1alpha1::{Autoscaling, Tenant};

use super::build::metadata;
use crate::names::{selector_labels, workload};

/// The autoscaler keeping the IdP pods at the target CPU use, between the declared bounds.
pub fn autoscaler(tenant: &Tenant, autoscaling: &Autoscaling) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: metadata(tenant, workload(&tenant.name_any())),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(Tenant::api_version(&()).into_owned()),
                kind: Tenant::kind(&()).into_owned(),
                name: tenant.name_any(),
            },
            min_replicas: Some(autoscaling.min_replicas),
            max_replicas: autoscaling.max_replicas,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(autoscaling.target_cpu_utilization),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    }
}

/// The pods' label selector as the scale subresource reports it (`key=value,...`).
pub fn selector(tenant: &Tenant) -> String {
    selector_labels(&tenant.name_any())
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",")
}
