//! ConsentPolicy: validated and dereferenced, then honestly `NotYetServed`, and never put into
//! the config.

use kube::Api;
use vestibule_crds::v1alpha1::{CommonStatus, ConsentPolicy, Tenant};

use crate::support::*;

async fn reason_of<K>(client: &kube::Client, ns: &str, name: &str, want: &str) -> String
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let api = Api::<K>::namespaced(client.clone(), ns);
    eventually(&format!("{name} to be {want}"), || async {
        let object = serde_json::to_value(api.get_opt(name).await.ok()??).ok()?;
        let status: CommonStatus = serde_json::from_value(object["status"].clone()).ok()?;
        let (ready, reason, message) = ready(&status.conditions)?;
        (ready == "False" && reason == want).then(|| message.to_owned())
    })
    .await
}

#[tokio::test]
async fn attached_kinds_report_the_worst_reason_then_not_yet_served() {
    let (client, ns) = namespace().await;
    let (_, other) = namespace().await;
    let operator = start(config(&[&ns, &other])).await;
    let terms = "apiVersion: vestibule.dev/v1alpha1\nkind: ConsentPolicy\nmetadata: {name: terms}\nspec: {tenantRef: {name: demo}, version: '1'}\n";
    create::<ConsentPolicy>(&client, &ns, terms).await;
    reason_of::<ConsentPolicy>(&client, &ns, "terms", "TenantNotFound").await;

    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let message = reason_of::<ConsentPolicy>(&client, &ns, "terms", "NotYetServed").await;
    assert!(message.contains("does not serve ConsentPolicy"), "{message}");

    let consent = format!(
        "apiVersion: vestibule.dev/v1alpha1\nkind: ConsentPolicy\nmetadata: {{name: terms}}\nspec: {{tenantRef: {{name: demo, namespace: {ns}}}, version: '1'}}\n"
    );
    create::<ConsentPolicy>(&client, &other, &consent).await;
    reason_of::<ConsentPolicy>(&client, &other, "terms", "NamespaceNotAllowed").await;

    let config = eventually("the config", || served_config(&client, &ns, "demo")).await;
    assert!(config.consent_policies.is_empty());
    operator.stop().await;
}
