//! The Service, Ingress and PodDisruptionBudget of a Tenant. Pure.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use vestibule_crds::v1alpha1::{IngressSettings, Tenant};

use super::build::metadata;
use crate::names::{selector_labels, workload};

/// Port of the Service; it forwards to the pods' `http` port.
pub const SERVICE_PORT: i32 = 80;

/// A ClusterIP Service in front of the IdP pods.
pub fn service(tenant: &Tenant) -> Service {
    Service {
        metadata: metadata(tenant, workload(&tenant.name_any())),
        spec: Some(ServiceSpec {
            selector: Some(selector_labels(&tenant.name_any())),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: SERVICE_PORT,
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// At most one IdP pod down at a time during voluntary disruptions.
pub fn disruption_budget(tenant: &Tenant) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: metadata(tenant, workload(&tenant.name_any())),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(&tenant.name_any())),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

/// An Ingress routing the issuer's host (and path) to the Service.
pub fn ingress(tenant: &Tenant, settings: &IngressSettings) -> Ingress {
    let (host, path) = host_and_path(&tenant.spec.issuer);
    let mut meta = metadata(tenant, workload(&tenant.name_any()));
    if !settings.annotations.is_empty() {
        meta.annotations = Some(settings.annotations.clone());
    }
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: workload(&tenant.name_any()),
            port: Some(ServiceBackendPort {
                number: Some(SERVICE_PORT),
                ..ServiceBackendPort::default()
            }),
        }),
        ..IngressBackend::default()
    };
    Ingress {
        metadata: meta,
        spec: Some(IngressSpec {
            ingress_class_name: settings.class_name.clone(),
            tls: settings.tls_secret_name.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: host.clone().map(|host| vec![host]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            rules: Some(vec![IngressRule {
                host,
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(path),
                        path_type: "Prefix".into(),
                        backend,
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    }
}

/// The issuer's host and path (`/` when it has none). An IP address is no host to an Ingress
/// (the API server requires a DNS name), so a rule for one matches every host.
pub fn host_and_path(issuer: &str) -> (Option<String>, String) {
    match url::Url::parse(issuer) {
        Ok(url) => {
            let host = match url.host() {
                Some(url::Host::Domain(domain)) => Some(domain.to_owned()),
                _ => None,
            };
            (host, url.path().to_owned())
        }
        Err(_) => (None, "/".into()),
    }
}
