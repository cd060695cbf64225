//! Continuous correction: nothing to do means no API write; drift is repaired.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Secret, Service};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;
use vestibule_crds::v1alpha1::{Client, ConsentPolicy, Tenant};

use crate::support::*;

#[tokio::test]
async fn a_reconcile_with_nothing_to_do_writes_nothing() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(
        &client,
        &ns,
        &format!("{}  replicas: 1\n  ingress: {{}}\n", tenant_yaml("demo")),
    )
    .await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    create::<Client>(&client, &ns, &client_yaml("spa", "demo", None, "  type: public\n")).await;
    let policy = "apiVersion: vestibule.dev/v1alpha1\nkind: ConsentPolicy\nmetadata: {name: terms}\nspec: {tenantRef: {name: demo}, version: '1'}\n";
    create::<ConsentPolicy>(&client, &ns, policy).await;
    eventually("both clients served", || async {
        (served_config(&client, &ns, "demo").await?.clients.len() == 2).then_some(())
    })
    .await;
    // The Tenant is not Ready (no kubelet), so it is reconciled every second: each reconcile
    // reads its config Secret. Rounds of three reconciles must write nothing; the first rounds
    // may still see the last status updates settle.
    let config_path = format!("/api/v1/namespaces/{ns}/secrets/demo-idp-config");
    let mut last = Vec::new();
    for _ in 0..6 {
        operator.requests.clear();
        eventually("three reconciles", || async {
            (operator.requests.gets_of(&config_path) >= 3).then_some(())
        })
        .await;
        last = operator.requests.writes(false);
        if last.is_empty() {
            break;
        }
    }
    assert!(last.is_empty(), "writes at steady state: {last:?}");
    operator.stop().await;
}

#[tokio::test]
async fn hand_edits_are_reverted_and_deleted_children_recreated() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let deployment = wait_object::<Deployment>(&client, &ns, "demo-idp", "the Deployment", |_| true).await;
    let image = deployment.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone();

    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    let edit = json!({"spec": {"template": {"spec": {"containers": [{"name": "idp", "image": "evil/idp:latest"}]}}}});
    deployments
        .patch("demo-idp", &PatchParams::default(), &Patch::Strategic(&edit))
        .await
        .unwrap();
    wait_object::<Deployment>(&client, &ns, "demo-idp", "the image restored", |d| {
        d.spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0].image == image
    })
    .await;

    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    let served = eventually("the config", || served_config(&client, &ns, "demo")).await;
    let tampered = serde_yaml::to_string(&served)
        .unwrap()
        .replace("https://demo.example.com", "https://evil.example.com");
    let edit = json!({"stringData": {"config.yaml": tampered}});
    secrets
        .patch("demo-idp-config", &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .unwrap();
    eventually("the config restored", || async {
        let config = served_config(&client, &ns, "demo").await?;
        // Restored at the same generation, or at the next one if the operator read the tampered
        // file as the previous config: either way the pods get the Tenant's content back.
        (config.issuer == "https://demo.example.com" && config.generation >= served.generation).then_some(())
    })
    .await;

    let services = Api::<Service>::namespaced(client.clone(), &ns);
    let old_uid = services.get("demo-idp").await.unwrap().metadata.uid;
    services.delete("demo-idp", &DeleteParams::default()).await.unwrap();
    wait_object::<Service>(&client, &ns, "demo-idp", "the Service recreated", |s| {
        s.metadata.uid != old_uid
    })
    .await;
    operator.stop().await;
}
