//! The desired children: hardening, what triggers a rollout, optional children.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;

fn tenant(yaml: &str) -> Tenant {
    let mut tenant = Tenant::new("demo", serde_yaml::from_str(yaml).unwrap());
    tenant.metadata.namespace = Some("shop".into());
    tenant.metadata.uid = Some("tenant-uid".into());
    tenant
}

fn inputs() -> BuildInputs {
    BuildInputs {
        config_yaml: "generation: 1".into(),
        keys_json: "{\"keys\":[]}".into(),
        image: "ghcr.io/vestibule-dev/vestibule-idp:0.1.0".into(),
        port: 8080,
        admin_port: 9090,
        trusted_proxies: Vec::new(),
        database_hash: None,
        policy_v1: true,
        autoscaling_v2: true,
    }
}

const POSTGRES: &str =
    "issuer: https://id.example.com\nreplicas: 3\ndatabase: {postgres: {urlSecretRef: {name: db, key: url}}}";

#[test]
fn every_child_is_owned_by_the_tenant() {
    let children = children(&tenant(POSTGRES), &inputs());
    let owners = [
        &children.config.metadata,
        &children.keys.metadata,
        &children.deployment.metadata,
        &children.service.metadata,
        &children.disruption_budget.unwrap().metadata,
    ];
    for meta in owners {
        let owner = &meta.owner_references.as_ref().unwrap()[0];
        assert_eq!(owner.uid, "tenant-uid");
        assert_eq!(owner.controller, Some(true));
        assert_eq!(meta.namespace.as_deref(), Some("shop"));
    }
}

#[test]
fn the_database_claim_outlives_the_tenant_unless_told_to_go_with_it() {
    let retained = children(&tenant("issuer: https://id.example.com"), &inputs());
    let claim = retained.claim.unwrap();
    assert_eq!(claim.metadata.owner_references, None);
    assert_eq!(
        claim
            .metadata
            .labels
            .unwrap()
            .get("vestibule.dev/tenant")
            .map(String::as_str),
        Some("demo")
    );
    let deleted = children(
        &tenant("issuer: https://id.example.com\nstorage: {retainPolicy: Delete}"),
        &inputs(),
    );
    let owner = &deleted.claim.unwrap().metadata.owner_references.unwrap()[0];
    assert_eq!(owner.uid, "tenant-uid");
}

#[test]
fn the_idp_container_is_hardened_and_probed() {
    let children = children(&tenant("issuer: https://id.example.com"), &inputs());
    let pod = children.deployment.spec.unwrap().template.spec.unwrap();
    assert_eq!(pod.automount_service_account_token, Some(false));
    let container = &pod.containers[0];
    let security = container.security_context.as_ref().unwrap();
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(
        security.capabilities.as_ref().unwrap().drop,
        Some(vec!["ALL".to_owned()])
    );
    assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
    let readiness = container.readiness_probe.as_ref().unwrap().http_get.as_ref().unwrap();
    assert_eq!(readiness.path.as_deref(), Some("/readyz"));
    assert_eq!(readiness.port, IntOrString::String("admin".into()));
    let liveness = container.liveness_probe.as_ref().unwrap().http_get.as_ref().unwrap();
    assert_eq!(liveness.port, IntOrString::String("admin".into()));
    let ports: Vec<_> = container
        .ports
        .iter()
        .flatten()
        .map(|port| (port.name.as_deref().unwrap(), port.container_port))
        .collect();
    assert_eq!(ports, [("http", 8080), ("admin", 9090)]);
    let args = container.args.as_ref().unwrap();
    assert!(args.contains(&"--listen=$(POD_IP):8080".to_owned()));
    assert!(args.contains(&"--admin-listen=$(POD_IP):9090".to_owned()));
    assert!(args.contains(&"--config=/etc/vestibule/config/config.yaml".to_owned()));
    assert!(args.contains(&"--database=sqlite:///var/lib/vestibule/idp.db".to_owned()));
}

#[test]
fn trusted_proxies_reach_the_idp_only_when_configured() {
    let args = |inputs: &BuildInputs| {
        let pod = children(&tenant("issuer: https://id.example.com"), inputs)
            .deployment
            .spec
            .unwrap()
            .template
            .spec
            .unwrap();
        pod.containers[0].args.clone().unwrap()
    };
    assert!(!args(&inputs()).iter().any(|arg| arg.starts_with("--trusted-proxies")));
    let mut behind_ingress = inputs();
    behind_ingress.trusted_proxies = vec!["10.0.0.0/8".into(), "fd00::/8".into()];
    assert!(args(&behind_ingress).contains(&"--trusted-proxies=10.0.0.0/8,fd00::/8".to_owned()));
}

#[test]
fn pod_settings_come_from_the_spec() {
    let yaml = "issuer: https://id.example.com\nnodeSelector: {disk: ssd}\ntolerations: [{key: idp, operator: Exists}]\nresources: {limits: {memory: 1Gi}}";
    let pod = children(&tenant(yaml), &inputs())
        .deployment
        .spec
        .unwrap()
        .template
        .spec
        .unwrap();
    assert_eq!(pod.node_selector.unwrap()["disk"], "ssd");
    assert_eq!(pod.tolerations.unwrap()[0].key.as_deref(), Some("idp"));
    let limits = pod.containers[0].resources.clone().unwrap().limits.unwrap();
    assert_eq!(limits["memory"].0, "1Gi");
}

#[test]
fn config_changes_leave_the_pod_template_alone_but_image_and_database_roll_it() {
    let tenant = tenant(POSTGRES);
    let template = |inputs: &BuildInputs| children(&tenant, inputs).deployment.spec.unwrap().template;
    let base = template(&inputs());
    let mut new_config = inputs();
    new_config.config_yaml = "generation: 2".into();
    new_config.keys_json = "{\"keys\":[{}]}".into();
    assert_eq!(template(&new_config), base);
    let mut new_image = inputs();
    new_image.image = "registry.example.com/idp:2".into();
    assert_ne!(template(&new_image), base);
    let mut new_database = inputs();
    new_database.database_hash = Some("abc".into());
    assert_ne!(template(&new_database), base);
}

#[test]
fn postgres_takes_the_url_from_its_secret_and_needs_no_claim() {
    let children = children(&tenant(POSTGRES), &inputs());
    assert!(children.claim.is_none());
    let container = &children.deployment.spec.unwrap().template.spec.unwrap().containers[0];
    let env = container.env.as_ref().unwrap();
    let url = env.iter().find(|e| e.name == "VESTIBULE_DATABASE_URL").unwrap();
    let reference = url.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
    assert_eq!((reference.name.as_str(), reference.key.as_str()), ("db", "url"));
}

#[test]
fn a_disruption_budget_needs_several_replicas_and_policy_v1() {
    assert!(children(&tenant(POSTGRES), &inputs()).disruption_budget.is_some());
    let mut old_cluster = inputs();
    old_cluster.policy_v1 = false;
    assert!(children(&tenant(POSTGRES), &old_cluster).disruption_budget.is_none());
    let single = children(&tenant("issuer: https://id.example.com"), &inputs());
    assert!(single.disruption_budget.is_none());
    assert!(single.claim.is_some());
}

#[test]
fn an_autoscaler_scales_the_tenant_itself_within_its_bounds() {
    let yaml = format!("{POSTGRES}\nautoscaling: {{minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 60}}");
    let autoscaler = children(&tenant(&yaml), &inputs()).autoscaler.unwrap();
    let spec = autoscaler.spec.unwrap();
    assert_eq!(
        spec.scale_target_ref.kind, "Tenant",
        "not the Deployment: no fight over its replicas"
    );
    assert_eq!(
        spec.scale_target_ref.api_version.as_deref(),
        Some("vestibule.dev/v1alpha1")
    );
    assert_eq!(spec.scale_target_ref.name, "demo");
    assert_eq!((spec.min_replicas, spec.max_replicas), (Some(2), 6));
    let metric = &spec.metrics.unwrap()[0];
    assert_eq!(metric.resource.as_ref().unwrap().target.average_utilization, Some(60));
    assert!(autoscaler.metadata.owner_references.is_some());

    let mut old_cluster = inputs();
    old_cluster.autoscaling_v2 = false;
    assert!(children(&tenant(&yaml), &old_cluster).autoscaler.is_none());
    assert!(children(&tenant(POSTGRES), &inputs()).autoscaler.is_none());
}

#[test]
fn the_ingress_routes_the_issuer_host_and_path() {
    let yaml = "issuer: https://example.com/login\ningress: {className: nginx, tlsSecretName: tls}";
    let ingress = children(&tenant(yaml), &inputs()).ingress.unwrap().spec.unwrap();
    let rule = &ingress.rules.unwrap()[0];
    assert_eq!(rule.host.as_deref(), Some("example.com"));
    assert_eq!(rule.http.as_ref().unwrap().paths[0].path.as_deref(), Some("/login"));
    assert_eq!(ingress.tls.unwrap()[0].secret_name.as_deref(), Some("tls"));
    assert!(
        children(&tenant("issuer: https://id.example.com"), &inputs())
            .ingress
            .is_none()
    );
}

#[test]
fn an_ip_address_issuer_gets_a_rule_for_every_host() {
    let yaml = "issuer: http://127.0.0.1:8080\ningress: {}";
    let ingress = children(&tenant(yaml), &inputs()).ingress.unwrap().spec.unwrap();
    assert_eq!(
        ingress.rules.unwrap()[0].host,
        None,
        "the API server refuses an IP address as host"
    );
}

const CORPUS: &str = "issuer: https://id.example.com\nattackProtection: {breachedPasswords: {localCorpus: {persistentVolumeClaim: hibp, path: pwned/corpus.bin}}}";

#[test]
fn a_breached_password_corpus_claim_is_mounted_read_only() {
    let pod = children(&tenant(CORPUS), &inputs())
        .deployment
        .spec
        .unwrap()
        .template
        .spec
        .unwrap();
    let volume = pod.volumes.unwrap().into_iter().find(|v| v.name == "breached").unwrap();
    let claim = volume.persistent_volume_claim.unwrap();
    assert_eq!((claim.claim_name.as_str(), claim.read_only), ("hibp", Some(true)));
    let mounts = pod.containers[0].volume_mounts.clone().unwrap();
    let mount = mounts.iter().find(|m| m.name == "breached").unwrap();
    assert_eq!(
        (mount.mount_path.as_str(), mount.read_only),
        (vestibule_crds::v1alpha1::CORPUS_MOUNT_DIR, Some(true))
    );
    let plain = children(&tenant(POSTGRES), &inputs())
        .deployment
        .spec
        .unwrap()
        .template
        .spec
        .unwrap();
    assert!(
        plain.volumes.unwrap().iter().all(|v| v.name != "breached"),
        "no claim, no volume"
    );
}

#[test]
fn pod_settings_reach_the_pods_under_the_operators_own() {
    let yaml = "issuer: https://id.example.com
pod:
  labels: {team: identity}
  annotations: {mesh.example.com/inject: 'false'}
  priorityClassName: identity-critical
  imagePullSecrets: [{name: registry}]
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]
  affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, podAffinityTerm: {topologyKey: kubernetes.io/hostname}}]}}
  env: [{name: SSL_CERT_FILE, value: /etc/pg-ca/ca.crt}]
  volumes: [{name: pg-ca, mountPath: /etc/pg-ca, configMapName: pg-ca}]
  terminationGracePeriodSeconds: 45
";
    let deployment = children(&tenant(yaml), &inputs()).deployment;
    let template = deployment.spec.unwrap().template;
    let meta = template.metadata.unwrap();
    let labels = meta.labels.unwrap();
    assert_eq!(labels.get("team").map(String::as_str), Some("identity"));
    assert_eq!(
        labels.get("app.kubernetes.io/instance").map(String::as_str),
        Some("demo")
    );
    assert_eq!(
        meta.annotations
            .unwrap()
            .get("mesh.example.com/inject")
            .map(String::as_str),
        Some("false")
    );
    let pod = template.spec.unwrap();
    assert_eq!(pod.priority_class_name.as_deref(), Some("identity-critical"));
    assert_eq!(pod.image_pull_secrets.unwrap()[0].name, "registry");
    assert_eq!(pod.termination_grace_period_seconds, Some(45));
    assert!(pod.affinity.unwrap().pod_anti_affinity.is_some());
    let spread = &pod.topology_spread_constraints.unwrap()[0];
    let selector = spread.label_selector.as_ref().unwrap().match_labels.as_ref().unwrap();
    assert_eq!(
        selector.get("app.kubernetes.io/instance").map(String::as_str),
        Some("demo")
    );
    let volume = pod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "pg-ca")
        .unwrap();
    assert_eq!(volume.config_map.as_ref().unwrap().name, "pg-ca");
    let container = &pod.containers[0];
    assert!(
        container
            .env
            .as_ref()
            .unwrap()
            .iter()
            .any(|e| e.name == "SSL_CERT_FILE")
    );
    let mount = container
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.name == "pg-ca")
        .unwrap();
    assert_eq!((mount.mount_path.as_str(), mount.read_only), ("/etc/pg-ca", Some(true)));
}
