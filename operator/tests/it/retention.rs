//! No silent data loss: the embedded database's claim outlives its Tenant, and lost signing
//! keys are reported, never silently replaced.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service};
use kube::Api;
use kube::api::DeleteParams;
use serde_json::json;
use vestibule_crds::keys::SigningKeySet;
use vestibule_crds::v1alpha1::Tenant;

use crate::support::*;

fn reason(tenant: &Tenant) -> Option<&str> {
    ready(&tenant.status.as_ref()?.common.conditions).map(|r| r.1)
}

#[tokio::test]
async fn deleting_a_tenant_leaves_its_database_claim_for_a_namesake_to_reattach() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let claim = wait_object::<PersistentVolumeClaim>(&client, &ns, "demo-idp-data", "the claim", |_| true).await;
    assert_eq!(claim.metadata.owner_references, None, "Retain is the default");
    wait_object::<Deployment>(&client, &ns, "demo-idp", "the Deployment", |_| true).await;

    Api::<Tenant>::namespaced(client.clone(), &ns)
        .delete("demo", &DeleteParams::background())
        .await
        .unwrap();
    // The garbage collector removes what the Tenant owned...
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    eventually("the Deployment collected", || async {
        deployments.get_opt("demo-idp").await.ok()?.is_none().then_some(())
    })
    .await;
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    let services = Api::<Service>::namespaced(client.clone(), &ns);
    eventually("the Secrets and the Service collected", || async {
        let config = secrets.get_opt("demo-idp-config").await.ok()?;
        let keys = secrets.get_opt("demo-idp-keys").await.ok()?;
        let service = services.get_opt("demo-idp").await.ok()?;
        (config.is_none() && keys.is_none() && service.is_none()).then_some(())
    })
    .await;
    // ...and not the claim with the users in it.
    let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), &ns);
    let kept = claims.get("demo-idp-data").await.unwrap();
    assert_eq!(kept.metadata.uid, claim.metadata.uid);
    assert!(kept.metadata.deletion_timestamp.is_none());

    // A Tenant of the same name reattaches it.
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "the new Tenant's status", |t| {
        reason(t).is_some_and(|r| r == "Progressing")
    })
    .await;
    assert_eq!(tenant.status.unwrap().config_generation, Some(1));
    assert_eq!(
        claims.get("demo-idp-data").await.unwrap().metadata.uid,
        claim.metadata.uid
    );
    operator.stop().await;
}

async fn keys(client: &kube::Client, ns: &str) -> Option<SigningKeySet> {
    let secret = Api::<Secret>::namespaced(client.clone(), ns)
        .get_opt("demo-idp-keys")
        .await
        .ok()??;
    serde_json::from_slice(&secret.data?.get("jwks.json")?.0).ok()
}

#[tokio::test]
async fn a_deleted_keys_secret_gives_signing_keys_lost_and_no_new_key_until_asked() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "a signing key in the status", |t| {
        t.status.as_ref().is_some_and(|s| s.signing_keys.len() == 1)
    })
    .await;
    let lost_kid = tenant.status.unwrap().signing_keys[0].kid.clone();
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    secrets.delete("demo-idp-keys", &DeleteParams::default()).await.unwrap();

    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "SigningKeysLost", |t| {
        reason(t) == Some("SigningKeysLost")
    })
    .await;
    let status = tenant.status.as_ref().unwrap();
    let (_, _, message) = ready(&status.common.conditions).unwrap();
    assert!(
        message.contains(&lost_kid) && message.contains("vestibule.dev/regenerate-keys"),
        "{message}"
    );
    assert!(
        status
            .common
            .conditions
            .iter()
            .any(|c| c.type_ == "Stalled" && c.status == "True")
    );
    assert_eq!(
        status.signing_keys[0].kid, lost_kid,
        "the status still names the lost key"
    );
    wait_event(&client, &ns, "demo", "SigningKeysLost").await;
    assert!(
        secrets.get_opt("demo-idp-keys").await.unwrap().is_none(),
        "no new key was made"
    );

    merge::<Tenant>(
        &client,
        &ns,
        "demo",
        json!({"metadata": {"annotations": {"vestibule.dev/regenerate-keys": "after-the-loss"}}}),
    )
    .await;
    let fresh = eventually("new keys", || keys(&client, &ns)).await;
    assert_eq!(fresh.keys.len(), 1);
    assert_ne!(fresh.keys[0].kid, lost_kid);
    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "the new key in the status", |t| {
        t.status
            .as_ref()
            .is_some_and(|s| s.signing_keys.first().is_some_and(|k| k.kid == fresh.keys[0].kid))
    })
    .await;
    let status = tenant.status.unwrap();
    assert_eq!(status.keys_regenerated_for.as_deref(), Some("after-the-loss"));
    assert_ne!(reason_of(&status.common.conditions), Some("SigningKeysLost"));
    operator.stop().await;
}

fn reason_of(conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition]) -> Option<&str> {
    ready(conditions).map(|r| r.1)
}
