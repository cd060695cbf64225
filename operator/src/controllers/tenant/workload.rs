//! The IdP Deployment of a Tenant. Pure.
//!
//! Config and keys arrive through mounted Secrets that the IdP reloads, so the pod template
//! changes, and the pods roll, only for what needs a restart: the image, the database and the
//! Tenant's pod settings (`spec.pod`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    HTTPGetAction, ObjectFieldSelector, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector, SecretVolumeSource,
    SecurityContext, TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use vestibule_crds::v1alpha1::{CORPUS_MOUNT_DIR, DatabaseChoice, ExtraVolume, PodSettings, Tenant};

use super::build::{BuildInputs, metadata};
use crate::names::{
    CONFIG_KEY, DATABASE_HASH_ANNOTATION, KEYS_KEY, config_secret, data_claim, keys_secret, selector_labels,
    tenant_labels, workload,
};

/// Where the IdP keeps its embedded database.
pub const DATA_DIR: &str = "/var/lib/vestibule";
const NON_ROOT: i64 = 65532;

/// The Deployment running `vestibule-idp`.
pub fn deployment(tenant: &Tenant, inputs: &BuildInputs) -> Deployment {
    let name = tenant.name_any();
    let embedded = matches!(tenant.spec.database.choice(), DatabaseChoice::Embedded(_));
    let annotations = inputs
        .database_hash
        .as_ref()
        .map(|hash| BTreeMap::from([(DATABASE_HASH_ANNOTATION.to_owned(), hash.clone())]))
        .unwrap_or_default();
    Deployment {
        metadata: metadata(tenant, workload(&name)),
        spec: Some(DeploymentSpec {
            replicas: Some(tenant.spec.replicas),
            selector: LabelSelector {
                match_labels: Some(selector_labels(&name)),
                ..LabelSelector::default()
            },
            // One writer for the embedded database's ReadWriteOnce volume.
            strategy: embedded.then(|| DeploymentStrategy {
                type_: Some("Recreate".into()),
                ..DeploymentStrategy::default()
            }),
            template: PodTemplateSpec {
                metadata: Some(pod_metadata(tenant, annotations)),
                spec: Some(pod_spec(tenant, inputs, embedded)),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// The Tenant's pod settings, borrowed (none set: the defaults, which add nothing).
fn pod_settings(tenant: &Tenant) -> Cow<'_, PodSettings> {
    tenant
        .spec
        .pod
        .as_ref()
        .map_or_else(|| Cow::Owned(PodSettings::default()), Cow::Borrowed)
}

/// The pods' labels and annotations: the Tenant's additions, then the operator's own on top.
fn pod_metadata(tenant: &Tenant, own_annotations: BTreeMap<String, String>) -> ObjectMeta {
    let pod = pod_settings(tenant);
    let mut labels = pod.labels.clone();
    labels.extend(tenant_labels(&tenant.name_any()));
    let mut annotations = pod.annotations.clone();
    annotations.extend(own_annotations);
    ObjectMeta {
        labels: Some(labels),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..ObjectMeta::default()
    }
}

fn pod_spec(tenant: &Tenant, inputs: &BuildInputs, embedded: bool) -> PodSpec {
    let name = tenant.name_any();
    let mut volumes = vec![
        secret_volume("config", config_secret(&name)),
        secret_volume("keys", keys_secret(&name)),
        Volume {
            name: "tmp".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Volume::default()
        },
    ];
    if let Some(claim) = corpus_claim(tenant) {
        volumes.push(Volume {
            name: "breached".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.to_owned(),
                // The IdP only reads the corpus; the claim may be shared by several Tenants.
                read_only: Some(true),
            }),
            ..Volume::default()
        });
    }
    if embedded {
        volumes.push(Volume {
            name: "data".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: data_claim(&name),
                ..PersistentVolumeClaimVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    let spec = &tenant.spec;
    let pod = pod_settings(tenant);
    volumes.extend(pod.volumes.iter().map(extra_volume));
    PodSpec {
        // The IdP never talks to the Kubernetes API.
        automount_service_account_token: Some(false),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(NON_ROOT),
            run_as_group: Some(NON_ROOT),
            fs_group: Some(NON_ROOT),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        containers: vec![container(tenant, inputs)],
        volumes: Some(volumes),
        node_selector: (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone()),
        tolerations: (!spec.tolerations.is_empty()).then(|| spec.tolerations.clone()),
        affinity: pod.affinity.clone(),
        topology_spread_constraints: (!pod.topology_spread_constraints.is_empty())
            .then(|| spread_over_own_pods(pod.topology_spread_constraints.clone(), &name)),
        priority_class_name: pod.priority_class_name.clone(),
        image_pull_secrets: (!pod.image_pull_secrets.is_empty()).then(|| pod.image_pull_secrets.clone()),
        termination_grace_period_seconds: pod.termination_grace_period_seconds,
        ..PodSpec::default()
    }
}

/// Constraints without a label selector select the Tenant's own pods.
fn spread_over_own_pods(constraints: Vec<TopologySpreadConstraint>, tenant: &str) -> Vec<TopologySpreadConstraint> {
    constraints
        .into_iter()
        .map(|mut constraint| {
            constraint.label_selector.get_or_insert_with(|| LabelSelector {
                match_labels: Some(selector_labels(tenant)),
                ..LabelSelector::default()
            });
            constraint
        })
        .collect()
}

/// A Tenant's extra Secret or ConfigMap volume.
fn extra_volume(extra: &ExtraVolume) -> Volume {
    Volume {
        name: extra.name.clone(),
        secret: extra.secret_name.as_ref().map(|name| SecretVolumeSource {
            secret_name: Some(name.clone()),
            ..SecretVolumeSource::default()
        }),
        config_map: extra.config_map_name.as_ref().map(|name| ConfigMapVolumeSource {
            name: name.clone(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn container(tenant: &Tenant, inputs: &BuildInputs) -> Container {
    let mut args = vec![
        format!("--config=/etc/vestibule/config/{CONFIG_KEY}"),
        format!("--keys=/etc/vestibule/keys/{KEYS_KEY}"),
        format!("--listen=$(POD_IP):{}", inputs.port),
        // Readiness and metrics on a port of their own, which no Service or Ingress exposes.
        format!("--admin-listen=$(POD_IP):{}", inputs.admin_port),
    ];
    if !inputs.trusted_proxies.is_empty() {
        args.push(format!("--trusted-proxies={}", inputs.trusted_proxies.join(",")));
    }
    let mut env = vec![EnvVar {
        name: "POD_IP".into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "status.podIP".into(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }];
    let mut mounts = vec![
        mount("config", "/etc/vestibule/config"),
        mount("keys", "/etc/vestibule/keys"),
        mount("tmp", "/tmp"),
    ];
    if corpus_claim(tenant).is_some() {
        mounts.push(mount("breached", CORPUS_MOUNT_DIR));
    }
    match tenant.spec.database.choice() {
        DatabaseChoice::Embedded(_) => {
            args.push(format!("--database=sqlite://{DATA_DIR}/idp.db"));
            mounts.push(mount("data", DATA_DIR));
        }
        DatabaseChoice::Postgres(postgres) => env.push(EnvVar {
            name: "VESTIBULE_DATABASE_URL".into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: postgres.url_secret_ref.name.clone(),
                    key: postgres.url_secret_ref.key.clone(),
                    ..SecretKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        }),
    }
    let pod = pod_settings(tenant);
    env.extend(pod.env.iter().cloned());
    mounts.extend(pod.volumes.iter().map(|extra| VolumeMount {
        name: extra.name.clone(),
        mount_path: extra.mount_path.clone(),
        read_only: Some(true),
        ..VolumeMount::default()
    }));
    Container {
        name: "idp".into(),
        image: Some(inputs.image.clone()),
        args: Some(args),
        env: Some(env),
        ports: Some(vec![port("http", inputs.port), port("admin", inputs.admin_port)]),
        readiness_probe: Some(probe("/readyz", 5)),
        liveness_probe: Some(probe("/healthz", 10)),
        resources: Some(tenant.spec.resources.clone().unwrap_or_else(default_resources)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

/// The claim holding the Tenant's breached-password corpus, if it has one.
fn corpus_claim(tenant: &Tenant) -> Option<&str> {
    tenant
        .spec
        .attack_protection
        .breached_passwords
        .local_corpus
        .as_ref()
        .and_then(|corpus| corpus.persistent_volume_claim.as_deref())
}

fn port(name: &str, number: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: i32::from(number),
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    }
}

/// A probe of the admin listener, so probes work whatever the public listener is busy with.
fn probe(path: &str, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("admin".into()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        ..Probe::default()
    }
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        // `false` is the default and the API server omits it: only `true` is written.
        read_only: (name != "tmp" && name != "data").then_some(true),
        ..VolumeMount::default()
    }
}

fn secret_volume(name: &str, secret: String) -> Volume {
    Volume {
        name: name.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Requests of 50m CPU and 64Mi memory, a 256Mi memory limit.
pub fn default_resources() -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_owned(), Quantity("50m".into())),
            ("memory".to_owned(), Quantity("64Mi".into())),
        ])),
        limits: Some(BTreeMap::from([("memory".to_owned(), Quantity("256Mi".into()))])),
        ..ResourceRequirements::default()
    }
}
