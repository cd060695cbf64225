//! The operator touches only what it owns: a user's own object holding a child's name is never
//! adopted, overwritten or deleted, and the Tenant says `NameConflict`.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use vestibule_crds::v1alpha1::Tenant;

use crate::support::*;

fn condition(tenant: &Tenant, type_: &str) -> Option<(String, String)> {
    let conditions = &tenant.status.as_ref()?.common.conditions;
    let condition = conditions.iter().find(|c| c.type_ == type_)?;
    Some((condition.status.clone(), condition.reason.clone()))
}

#[tokio::test]
async fn a_users_own_ingress_named_like_the_operators_survives_and_the_tenant_says_name_conflict() {
    let (client, ns) = namespace().await;
    let ingresses = Api::<Ingress>::namespaced(client.clone(), &ns);
    let own: Ingress = serde_json::from_value(json!({
        "metadata": {"name": "demo-idp", "labels": {"team": "web"}},
        "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
    }))
    .unwrap();
    ingresses.create(&PostParams::default(), &own).await.unwrap();
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &format!("{}  ingress: {{}}\n", tenant_yaml("demo"))).await;

    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "NameConflict", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "NameConflict")
    })
    .await;
    let (_, _, message) = ready(&tenant.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(message.contains("Ingress demo-idp"), "{message}");
    assert_eq!(
        condition(&tenant, "Stalled"),
        Some(("True".into(), "NameConflict".into()))
    );
    assert_eq!(condition(&tenant, "Reconciling").unwrap().0, "False");
    let event = wait_event(&client, &ns, "demo", "NameConflict").await;
    assert!(event.note.unwrap().contains("Ingress demo-idp"));
    // Nothing was written for the Tenant, and the user's Ingress is as the user made it.
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    assert!(deployments.get_opt("demo-idp").await.unwrap().is_none());
    let untouched = ingresses.get("demo-idp").await.unwrap();
    assert_eq!(untouched.metadata.owner_references, None);
    assert_eq!(untouched.metadata.annotations, None);
    assert_eq!(untouched.spec, own.spec);

    // Without an Ingress in its spec the Tenant proceeds, and still leaves the user's alone.
    merge::<Tenant>(&client, &ns, "demo", json!({"spec": {"ingress": null}})).await;
    wait_object::<Deployment>(&client, &ns, "demo-idp", "the Deployment", |_| true).await;
    wait_object::<Tenant>(&client, &ns, "demo", "the conflict resolved", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "Progressing")
    })
    .await;
    let kept = ingresses.get("demo-idp").await.unwrap();
    assert_eq!(kept.metadata.uid, untouched.metadata.uid);
    assert_eq!(kept.metadata.owner_references, None);
    operator.stop().await;
}

#[tokio::test]
async fn a_client_whose_secret_name_is_the_tenants_keys_secret_gets_name_conflict_and_the_keys_are_untouched() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    let keys = wait_object::<Secret>(&client, &ns, "demo-idp-keys", "the signing keys", |_| true).await;
    // A user's own Secret is no Client's to write either.
    let own: Secret =
        serde_json::from_value(json!({"metadata": {"name": "mine"}, "stringData": {"token": "t"}})).unwrap();
    secrets.create(&PostParams::default(), &own).await.unwrap();

    create::<vestibule_crds::v1alpha1::Client>(
        &client,
        &ns,
        &client_yaml("thief", "demo", None, "  secretName: demo-idp-keys\n"),
    )
    .await;
    create::<vestibule_crds::v1alpha1::Client>(&client, &ns, &client_yaml("web", "demo", None, "  secretName: mine\n"))
        .await;
    let refused = client_ready(&client, &ns, "thief", "False", "NameConflict").await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(
        message.contains(&format!("Secret {ns}/demo-idp-keys belongs to Tenant {ns}/demo")),
        "{message}"
    );
    assert_eq!(
        condition_of(&refused, "Stalled"),
        Some(("True".into(), "NameConflict".into()))
    );
    wait_event(&client, &ns, "thief", "NameConflict").await;
    let refused = client_ready(&client, &ns, "web", "False", "NameConflict").await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(
        message.contains(&format!("Secret {ns}/mine exists and is not this Client's")),
        "{message}"
    );

    // The keys and the user's Secret are exactly as they were, and the Tenant serves neither Client.
    let after = secrets.get("demo-idp-keys").await.unwrap();
    assert_eq!(after.metadata.resource_version, keys.metadata.resource_version);
    assert_eq!(after.data, keys.data);
    let mine = secrets.get("mine").await.unwrap();
    assert_eq!(mine.metadata.owner_references, None);
    assert_eq!(secret_value(&mine, "token").as_deref(), Some("t"));
    assert!(secret_value(&mine, "clientSecret").is_none());
    let config = eventually("the Tenant's config", || served_config(&client, &ns, "demo")).await;
    assert!(config.clients.is_empty());
    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "the Tenant's status", |t| t.status.is_some()).await;
    assert_ne!(
        ready(&tenant.status.unwrap().common.conditions).unwrap().1,
        "SigningKeysLost"
    );
    operator.stop().await;
}

fn condition_of(client: &vestibule_crds::v1alpha1::Client, type_: &str) -> Option<(String, String)> {
    let conditions = &client.status.as_ref()?.common.conditions;
    let condition = conditions.iter().find(|c| c.type_ == type_)?;
    Some((condition.status.clone(), condition.reason.clone()))
}
