//! The chart with every optional feature on (`charts/vestibule/ci/all-features-values.yaml`),
//! rendered by `helm template` and applied to the test API server: its metrics Service,
//! ServiceMonitor, PodMonitor, NetworkPolicies, PodDisruptionBudget and aggregated ClusterRoles
//! exist, and the aggregation controller folds the edit and view roles into the built-in ones.
//! The operator does not run here: the cluster alone is enough.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::Value;
use vestibule_e2e::install::ensure_helm_kubectl;
use vestibule_e2e::{TestCluster, crds, wait_for};

use crate::support::PATIENCE;

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/vestibule")
}

/// `helm template` of the chart with every feature on, for `kube_version`.
fn render(helm: &Path, release: &str, namespace: &str, watched: &[String], kube_version: &str) -> String {
    let chart = chart_dir();
    let output = Command::new(helm)
        .args(["template", release])
        .arg(&chart)
        .args(["--namespace", namespace, "--kube-version", kube_version, "-f"])
        .arg(chart.join("ci/all-features-values.yaml"))
        .args(["--set", &format!("watchNamespaces={{{}}}", watched.join(","))])
        // The test cluster has its CRDs, fitted to its Kubernetes version; see the CRD test.
        .args(["--set", "crds.install=false"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `kubectl apply -f -` of `manifest`; panics with kubectl's answer on failure.
fn apply(kubectl: &Path, kubeconfig: &Path, manifest: &str) {
    let mut child = Command::new(kubectl)
        .env("KUBECONFIG", kubeconfig)
        .args(["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(manifest.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "kubectl apply of the chart: {}\n{manifest}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The stand-in monitoring.coreos.com CRDs, unless the cluster has the real ones.
async fn install_monitoring_crds(client: &kube::Client) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/monitoring-crds");
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut missing = Vec::new();
    for crd in crds::read_dir(&dir).unwrap() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        if api.get_opt(&name).await.unwrap().is_none() {
            missing.push(crd);
        }
    }
    crds::install(client, missing).await.unwrap();
}

fn dynamic_api(client: &kube::Client, namespace: &str, group_version: &str, kind: &str) -> Api<DynamicObject> {
    let (group, version) = group_version.rsplit_once('/').unwrap_or(("", group_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let plural = format!("{}s", kind.to_ascii_lowercase());
    Api::namespaced_with(
        client.clone(),
        namespace,
        &ApiResource::from_gvk_with_plural(&gvk, &plural),
    )
}

/// The object as the server holds it, as JSON.
async fn get(client: &kube::Client, namespace: &str, group_version: &str, kind: &str, name: &str) -> Value {
    let object = dynamic_api(client, namespace, group_version, kind)
        .get(name)
        .await
        .unwrap_or_else(|error| panic!("{kind} {namespace}/{name} is not on the server: {error}"));
    serde_json::to_value(object).unwrap()
}

/// Whether `role` grants `verb` on `resource` of vestibule.dev.
fn grants(role: &ClusterRole, resource: &str, verb: &str) -> bool {
    role.rules.iter().flatten().any(|rule| {
        rule.api_groups.iter().flatten().any(|g| g == "vestibule.dev")
            && rule.resources.iter().flatten().any(|r| r == resource)
            && rule.verbs.iter().any(|v| v == verb)
    })
}

/// Adds a rule on a resource no other role names to ClusterRole `role`, then waits until each of
/// the built-in `into` roles carries it: proof that this role's labels aggregate into them, which
/// the chart's other releases on the cluster (same rules, other names) cannot give.
async fn assert_aggregates(roles: &Api<ClusterRole>, role: &str, into: &[&str]) {
    let marker = format!("{role}-marker");
    let mut object = roles.get(role).await.unwrap();
    object.rules.get_or_insert_with(Vec::new).push(PolicyRule {
        api_groups: Some(vec!["vestibule.dev".into()]),
        resources: Some(vec![marker.clone()]),
        verbs: vec!["get".into()],
        ..PolicyRule::default()
    });
    roles.replace(role, &PostParams::default(), &object).await.unwrap();
    for name in into {
        let aggregated = wait_for(PATIENCE, || async {
            let built_in = roles.get(name).await.ok()?;
            grants(&built_in, &marker, "get").then_some(())
        })
        .await;
        assert!(
            aggregated.is_some(),
            "{role} never aggregated into the built-in ClusterRole {name}"
        );
    }
}

#[test]
fn the_disruption_budget_is_policy_v1_from_kubernetes_1_21_and_v1beta1_before() {
    let (helm, _) = ensure_helm_kubectl().unwrap();
    let watched = ["team-a".to_owned()];
    let old = render(&helm, "vestibule", "vestibule-system", &watched, "1.20.2");
    assert!(
        old.contains("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget"),
        "{old}"
    );
    let new = render(&helm, "vestibule", "vestibule-system", &watched, "1.21.0");
    assert!(
        new.contains("apiVersion: policy/v1\nkind: PodDisruptionBudget"),
        "{new}"
    );
}

#[test]
fn the_crds_are_templates_that_helm_upgrades_and_uninstall_keeps() {
    let (helm, _) = ensure_helm_kubectl().unwrap();
    let template = |extra: &[&str]| {
        let output = Command::new(&helm)
            .args(["template", "vestibule"])
            .arg(chart_dir())
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let manifest = template(&[]);
    let crds: Vec<&str> = manifest
        .split("\n---")
        .filter(|document| document.contains("\nkind: CustomResourceDefinition"))
        .collect();
    assert_eq!(crds.len(), 5, "{manifest}");
    for crd in &crds {
        assert!(crd.contains("helm.sh/resource-policy: keep"), "{crd}");
        assert!(crd.contains("app.kubernetes.io/managed-by: Helm"), "{crd}");
    }
    assert!(manifest.contains("name: tenants.vestibule.dev"));
    let without = template(&["--set", "crds.install=false"]);
    assert!(!without.contains("kind: CustomResourceDefinition"));
}

/// A release of the chart applied to the test cluster.
struct Installed {
    client: kube::Client,
    /// The release namespace.
    namespace: String,
    /// The watched namespaces.
    watched: Vec<String>,
    /// The chart's full name, prefix of its objects' names.
    fullname: String,
    /// The API server's minor version.
    minor: u32,
}

/// Renders the chart with every feature on for the cluster's Kubernetes version, watching two
/// fresh namespaces, and applies it.
async fn install(cluster: &TestCluster) -> Installed {
    let client = cluster.client().await.unwrap();
    let (helm, kubectl) = tokio::task::spawn_blocking(ensure_helm_kubectl).await.unwrap().unwrap();
    install_monitoring_crds(&client).await;
    let namespace = cluster.new_namespace().await.unwrap();
    let watched = vec![
        cluster.new_namespace().await.unwrap(),
        cluster.new_namespace().await.unwrap(),
    ];
    // Cluster-scoped names (the ClusterRoles) carry the release name: one of its own per run.
    let release = format!("c{}", namespace.trim_start_matches('t'));
    let version = client.apiserver_version().await.unwrap();
    let minor: u32 = version.minor.trim_end_matches('+').parse().unwrap();
    let kube_version = format!("{}.{minor}.0", version.major);
    let manifest = render(&helm, &release, &namespace, &watched, &kube_version);
    apply(&kubectl, cluster.kubeconfig_path(), &manifest);
    Installed {
        client,
        namespace,
        watched,
        fullname: format!("{release}-vestibule"),
        minor,
    }
}

/// The metrics Service, the operator's ServiceMonitor and the IdPs' PodMonitor.
async fn assert_monitoring(installed: &Installed) {
    let Installed {
        client,
        namespace,
        fullname,
        ..
    } = installed;
    let service: Service = Api::namespaced(client.clone(), namespace)
        .get(&format!("{fullname}-metrics"))
        .await
        .unwrap();
    let ports = service.spec.unwrap().ports.unwrap();
    assert_eq!(ports[0].name.as_deref(), Some("metrics"));

    let monitor = get(
        client,
        namespace,
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        fullname,
    )
    .await;
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["interval"], "15s");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(
        monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"],
        "operator"
    );

    let pods = get(
        client,
        namespace,
        "monitoring.coreos.com/v1",
        "PodMonitor",
        &format!("{fullname}-idp"),
    )
    .await;
    assert_eq!(pods["spec"]["podMetricsEndpoints"][0]["port"], "admin");
    assert_eq!(
        pods["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "vestibule-idp"
    );
    assert_eq!(
        pods["spec"]["namespaceSelector"]["matchNames"],
        serde_json::json!(installed.watched)
    );
}

/// One NetworkPolicy per watched namespace: the public port open, the admin port to the operator.
async fn assert_network_policies(installed: &Installed) {
    for watched in &installed.watched {
        let policy: NetworkPolicy = Api::namespaced(installed.client.clone(), watched)
            .get(&format!("{}-idp", installed.fullname))
            .await
            .unwrap_or_else(|error| panic!("no NetworkPolicy in {watched}: {error}"));
        let spec = serde_json::to_value(policy.spec.unwrap()).unwrap();
        assert_eq!(
            spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
            "vestibule-idp"
        );
        assert_eq!(spec["policyTypes"], serde_json::json!(["Ingress", "Egress"]));
        assert_eq!(spec["ingress"][0]["ports"][0]["port"], "http");
        assert_eq!(spec["ingress"][1]["ports"][0]["port"], "admin");
        let operator = &spec["ingress"][1]["from"][0];
        assert_eq!(
            operator["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            installed.namespace.as_str()
        );
    }
}

/// The edit and view ClusterRoles: their rules, and their aggregation into the built-in roles.
async fn assert_aggregated_roles(installed: &Installed) {
    let fullname = &installed.fullname;
    let roles: Api<ClusterRole> = Api::all(installed.client.clone());
    let edit = roles.get(&format!("{fullname}-edit")).await.unwrap();
    let labels = edit.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels["rbac.authorization.k8s.io/aggregate-to-edit"], "true");
    assert_eq!(labels["rbac.authorization.k8s.io/aggregate-to-admin"], "true");
    assert!(grants(&edit, "clients", "create") && !grants(&edit, "tenants", "create"));
    let view = roles.get(&format!("{fullname}-view")).await.unwrap();
    assert!(grants(&view, "tenants", "list") && !grants(&view, "clients", "create"));
    // The cluster runs kube-controller-manager, whose clusterrole-aggregation controller copies
    // the rules into the built-in roles.
    assert_aggregates(&roles, &format!("{fullname}-edit"), &["edit", "admin"]).await;
    assert_aggregates(&roles, &format!("{fullname}-view"), &["view"]).await;
    let built_in_edit = roles.get("edit").await.unwrap();
    assert!(grants(&built_in_edit, "clients", "create"));
    for role in [fullname.clone(), format!("{fullname}-edit"), format!("{fullname}-view")] {
        let _ = roles.delete(&role, &Default::default()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_with_every_feature_on_applies_and_its_roles_aggregate_into_edit_and_view() {
    let installed = install(TestCluster::shared().await.unwrap()).await;
    assert_monitoring(&installed).await;
    assert_network_policies(&installed).await;
    let policy_version = if installed.minor >= 21 {
        "policy/v1"
    } else {
        "policy/v1beta1"
    };
    let budget = get(
        &installed.client,
        &installed.namespace,
        policy_version,
        "PodDisruptionBudget",
        &installed.fullname,
    )
    .await;
    assert_eq!(budget["spec"]["maxUnavailable"], 1);
    assert_aggregated_roles(&installed).await;
}
