//! The chart's RBAC is what the code uses: an operator impersonating the chart's ServiceAccount,
//! bound exactly as `helm template` renders it for one watched namespace, runs every reconcile
//! path without a single 403.

use std::process::Command;

use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::rbac::v1::{ClusterRole, Role, RoleBinding};
use kube::Api;
use kube::api::PostParams;
use serde::Deserialize;
use serde_json::json;
use vestibule_crds::v1alpha1::{Client, ConsentPolicy, SocialProvider, Tenant};
use vestibule_e2e::TestCluster;
use vestibule_operator::LeaderElection;

use crate::support::*;

/// Creates what `helm template` renders for a release named `ns` watching `ns` (the CRDs are
/// installed already), except the operator's Deployment and metrics Service (the test runs the
/// operator itself). Returns the ServiceAccount's name.
async fn install_chart_rbac(client: &kube::Client, ns: &str) -> String {
    let (helm, _) = vestibule_e2e::install::ensure_helm_kubectl().unwrap();
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/vestibule");
    let output = Command::new(helm)
        .args([
            "template",
            ns,
            chart,
            "--namespace",
            ns,
            "--set",
            "crds.install=false",
            "--set",
        ])
        .arg(format!("watchNamespaces={{{ns}}}"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut account = None;
    for document in serde_yaml::Deserializer::from_slice(&output.stdout) {
        let value = serde_json::Value::deserialize(document).unwrap_or_default();
        let Some(kind) = value.get("kind").and_then(|k| k.as_str()).map(str::to_owned) else {
            continue;
        };
        let params = PostParams::default();
        match kind.as_str() {
            "ServiceAccount" => {
                let sa: ServiceAccount = serde_json::from_value(value).unwrap();
                account = sa.metadata.name.clone();
                Api::<ServiceAccount>::namespaced(client.clone(), ns)
                    .create(&params, &sa)
                    .await
                    .unwrap();
            }
            "ClusterRole" => {
                let role: ClusterRole = serde_json::from_value(value).unwrap();
                Api::<ClusterRole>::all(client.clone())
                    .create(&params, &role)
                    .await
                    .unwrap();
            }
            "Role" => {
                let role: Role = serde_json::from_value(value).unwrap();
                Api::<Role>::namespaced(client.clone(), ns)
                    .create(&params, &role)
                    .await
                    .unwrap();
            }
            "RoleBinding" => {
                let binding: RoleBinding = serde_json::from_value(value).unwrap();
                Api::<RoleBinding>::namespaced(client.clone(), ns)
                    .create(&params, &binding)
                    .await
                    .unwrap();
            }
            // The operator itself and its metrics Service: the test runs the operator in-process.
            "Deployment" | "Service" => {}
            other => panic!("the chart renders an unexpected {other} for one watched namespace"),
        }
    }
    account.expect("the chart renders a ServiceAccount")
}

#[tokio::test]
async fn the_operator_needs_no_permission_beyond_the_charts_rbac() {
    let (client, ns) = namespace().await;
    let account = install_chart_rbac(&client, &ns).await;
    let mut as_operator = TestCluster::shared().await.unwrap().client_config().await.unwrap();
    as_operator.auth_info.impersonate = Some(format!("system:serviceaccount:{ns}:{account}"));
    let mut settings = config(&[&ns]);
    settings.leader_election = Some(LeaderElection::new(&ns, "vestibule-operator"));
    let operator = start_as(settings, as_operator).await;

    let db: Secret =
        serde_json::from_value(json!({"metadata": {"name": "db"}, "stringData": {"url": "postgres://u:p@db/x"}}))
            .unwrap();
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &db)
        .await
        .unwrap();
    let tenant = format!(
        "{}  replicas: 2\n  database: {{postgres: {{urlSecretRef: {{name: db, key: url}}}}}}\n  ingress: {{}}\n",
        tenant_yaml("demo")
    );
    create::<Tenant>(&client, &ns, &tenant).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let bad = client_yaml("bad", "demo", None, "").replace("https://app.example.com/callback", "http://x.example.com/");
    create::<Client>(&client, &ns, &bad).await;
    let policy = "apiVersion: vestibule.dev/v1alpha1\nkind: ConsentPolicy\nmetadata: {name: terms}\nspec: {tenantRef: {name: demo}, version: '1'}\n";
    create::<ConsentPolicy>(&client, &ns, policy).await;
    // A served kind that refers to a user's Secret: read when the Tenant renders its config.
    let upstream: Secret =
        serde_json::from_value(json!({"metadata": {"name": "upstream"}, "stringData": {"secret": "s"}})).unwrap();
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &upstream)
        .await
        .unwrap();
    let provider = "apiVersion: vestibule.dev/v1alpha1\nkind: SocialProvider\nmetadata: {name: github}\nspec: {tenantRef: {name: demo}, type: github, clientId: abc, clientSecretRef: {name: upstream, key: secret}}\n";
    create::<SocialProvider>(&client, &ns, provider).await;
    wait_object::<Secret>(&client, &ns, "web-oidc", "the credentials", |_| true).await;
    wait_event(&client, &ns, "bad", "InvalidSpec").await;
    wait_object::<Ingress>(&client, &ns, "demo-idp", "the Ingress", |_| true).await;

    // Deleting paths: an Ingress no longer wanted, a credentials Secret renamed.
    merge::<Tenant>(&client, &ns, "demo", json!({"spec": {"ingress": null}})).await;
    merge::<Client>(&client, &ns, "web", json!({"spec": {"secretName": "web-creds"}})).await;
    wait_object::<Secret>(&client, &ns, "web-creds", "the renamed credentials", |_| true).await;
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    eventually("the old credentials deleted", || async {
        secrets.get_opt("web-oidc").await.ok()?.is_none().then_some(())
    })
    .await;
    let ingresses = Api::<Ingress>::namespaced(client.clone(), &ns);
    eventually("the Ingress deleted", || async {
        ingresses.get_opt("demo-idp").await.ok()?.is_none().then_some(())
    })
    .await;
    wait_object::<ConsentPolicy>(&client, &ns, "terms", "a status", |p| p.status.is_some()).await;
    wait_object::<Tenant>(&client, &ns, "demo", "a status", |t| {
        t.status.as_ref().is_some_and(|s| s.clients == Some(1))
    })
    .await;
    eventually("the provider served with its secret", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.social_providers.first()?.client_secret.expose() == "s").then_some(())
    })
    .await;
    wait_object::<SocialProvider>(&client, &ns, "github", "a status", |p| p.status.is_some()).await;

    assert_eq!(
        operator.requests.forbidden(),
        Vec::<String>::new(),
        "requests refused by the chart's RBAC"
    );
    operator.stop().await;
}
