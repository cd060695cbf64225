//! The Tenant's scale subresource (`kubectl scale`, autoscalers) and `spec.autoscaling`.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use vestibule_crds::v1alpha1::Tenant;

use crate::support::*;

fn tenants(client: &kube::Client, ns: &str) -> Api<Tenant> {
    Api::namespaced(client.clone(), ns)
}

async fn postgres_tenant(client: &kube::Client, ns: &str, name: &str, extra: &str) {
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db"}, "stringData": {"url": "postgres://u:p@db/shop"}
    }))
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let yaml = format!(
        "{}  database: {{postgres: {{urlSecretRef: {{name: db, key: url}}}}}}\n{extra}",
        tenant_yaml(name)
    );
    create::<Tenant>(client, ns, &yaml).await;
}

#[tokio::test]
async fn kubectl_scale_on_a_tenant_reaches_its_deployment_and_reports_the_pod_selector() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    postgres_tenant(&client, &ns, "ha", "").await;
    let tenants = tenants(&client, &ns);
    wait_object::<Tenant>(&client, &ns, "ha", "the selector in the status", |t| {
        t.status.as_ref().is_some_and(|s| s.selector.is_some())
    })
    .await;

    let scale = json!({"spec": {"replicas": 3}});
    tenants
        .patch_scale("ha", &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .unwrap();
    wait_object::<Deployment>(&client, &ns, "ha-idp", "three replicas", |d| {
        d.spec.as_ref().and_then(|s| s.replicas) == Some(3)
    })
    .await;
    let scale = tenants.get_scale("ha").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(3));
    let selector = scale.status.unwrap().selector.unwrap();
    assert!(selector.contains("app.kubernetes.io/instance=ha"), "{selector}");
    operator.stop().await;
}

#[tokio::test]
async fn autoscaling_makes_an_autoscaler_of_the_tenant_or_says_why_not() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    postgres_tenant(
        &client,
        &ns,
        "auto",
        "  autoscaling: {minReplicas: 2, maxReplicas: 5}\n",
    )
    .await;
    let capabilities = vestibule_operator::runner::discover(&client).await.unwrap();
    if capabilities.autoscaling_v2 {
        let autoscaler =
            wait_object::<HorizontalPodAutoscaler>(&client, &ns, "auto-idp", "the autoscaler", |_| true).await;
        let target = autoscaler.spec.unwrap().scale_target_ref;
        assert_eq!((target.kind.as_str(), target.name.as_str()), ("Tenant", "auto"));
    } else {
        // Kubernetes 1.20 serves no autoscaling/v2: the condition and an Event say so.
        let tenant = wait_object::<Tenant>(&client, &ns, "auto", "the Autoscaling condition", |t| {
            t.status
                .as_ref()
                .is_some_and(|s| s.common.conditions.iter().any(|c| c.type_ == "Autoscaling"))
        })
        .await;
        let status = tenant.status.unwrap();
        let condition = status
            .common
            .conditions
            .iter()
            .find(|c| c.type_ == "Autoscaling")
            .unwrap();
        assert_eq!(
            (condition.status.as_str(), condition.reason.as_str()),
            ("False", "AutoscalingV2Unavailable")
        );
        wait_event(&client, &ns, "auto", "AutoscalingV2Unavailable").await;
    }

    // An autoscaler beyond one pod needs PostgreSQL: the operator refuses it by field name even
    // where the API server does not run the CEL rule.
    let embedded = format!("{}  autoscaling: {{maxReplicas: 3}}\n", tenant_yaml("single"));
    let object: Tenant = serde_yaml::from_str(&embedded).unwrap();
    if let Err(kube::Error::Api(refusal)) = tenants(&client, &ns).create(&PostParams::default(), &object).await {
        // A server that runs the CEL rules refuses it at once.
        assert!(refusal.message.contains("autoscaling.maxReplicas"), "{refusal:?}");
        operator.stop().await;
        return;
    }
    let refused = wait_object::<Tenant>(&client, &ns, "single", "the refusal", |t| {
        t.status
            .as_ref()
            .is_some_and(|s| ready(&s.common.conditions).is_some_and(|r| r.1 == "InvalidSpec"))
    })
    .await;
    let status = refused.status.unwrap();
    let (_, _, message) = ready(&status.common.conditions).unwrap();
    assert!(message.contains("spec.autoscaling.maxReplicas"), "{message}");
    operator.stop().await;
}
