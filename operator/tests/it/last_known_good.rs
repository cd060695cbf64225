//! A bad edit of a live attachment never removes it from sign-in: the Tenant keeps serving the
//! entry it served before, and the attachment says `InvalidSpec` with the field.

use kube::Api;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::json;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

const GOOD: &str = "https://app.example.com/callback";

/// The config rendered after the Tenant's display name became `name`: a render that saw every
/// change of its Clients made before (their controller reported them from the same store).
async fn rendered_with(client: &kube::Client, ns: &str, name: &str) -> TenantConfig {
    merge::<Tenant>(client, ns, "demo", json!({"spec": {"displayName": name}})).await;
    eventually(&format!("the config of {name}"), || async {
        let config = served_config(client, ns, "demo").await?;
        (config.display_name == name).then_some(config)
    })
    .await
}

#[tokio::test]
async fn a_bad_edit_keeps_the_old_entry_served() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let id = format!("{ns}.web");
    let served = eventually("the client served", || async {
        let config = served_config(&client, &ns, "demo").await?;
        config.client(&id).cloned()
    })
    .await;
    assert_eq!(served.redirect_uris, [GOOD]);

    // Kubernetes 1.20 does not evaluate the schema's CEL rules: the edit is stored.
    merge::<Client>(
        &client,
        &ns,
        "web",
        json!({"spec": {"redirectUris": ["http://app.example.com/cb"]}}),
    )
    .await;
    let refused = client_ready(&client, &ns, "web", "False", "InvalidSpec").await;
    let message = ready(&refused.status.unwrap().common.conditions).unwrap().2.to_owned();
    assert!(message.contains("spec.redirectUris[0]"), "{message}");
    assert!(message.contains("keeps serving the last accepted version"), "{message}");
    wait_event(&client, &ns, "web", "InvalidSpec").await;
    let config = rendered_with(&client, &ns, "Two").await;
    assert_eq!(config.client(&id), Some(&served));

    // An edit that does not even parse (a duration the pattern lets through but that overflows)
    // keeps it served too.
    let raw = Api::<DynamicObject>::namespaced_with(client.clone(), &ns, &ApiResource::erase::<Client>(&()));
    let broken = json!({"spec": {"secretRotationGracePeriod": "99999999999999999999s"}});
    raw.patch("web", &PatchParams::default(), &Patch::Merge(&broken))
        .await
        .unwrap();
    eventually("the broken client told why", || async {
        let object = raw.get("web").await.ok()?;
        let conditions = object.data.pointer("/status/conditions")?.as_array()?.clone();
        let ready = conditions.iter().find(|c| c["type"] == "Ready")?;
        let message = ready["message"].as_str()?;
        message.contains("does not parse").then_some(())
    })
    .await;
    let config = rendered_with(&client, &ns, "Three").await;
    assert_eq!(config.client(&id), Some(&served));

    // The fix is served.
    let fixed = json!({"spec": {"secretRotationGracePeriod": "1h", "redirectUris": ["https://app.example.com/v2"]}});
    raw.patch("web", &PatchParams::default(), &Patch::Merge(&fixed))
        .await
        .unwrap();
    eventually("the fixed client served", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.client(&id)?.redirect_uris == ["https://app.example.com/v2"]).then_some(())
    })
    .await;
    operator.stop().await;
}
