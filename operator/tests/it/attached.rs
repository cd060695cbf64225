//! SocialProvider, ConsentPolicy and MfaPolicy: validated and dereferenced, then honestly
//! `NotYetServed`, and never put into the config.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use vestibule_crds::v1alpha1::{CommonStatus, ConsentPolicy, MfaPolicy, SocialProvider, Tenant};

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

const GOOGLE: &str = "apiVersion: vestibule.dev/v1alpha1
kind: SocialProvider
metadata: {name: google}
spec:
  tenantRef: {name: demo}
  type: google
  clientId: abc.apps.googleusercontent.com
  clientSecretRef: {name: google, key: secret}
";

#[tokio::test]
async fn attached_kinds_report_the_worst_reason_then_not_yet_served() {
    let (client, ns) = namespace().await;
    let (_, other) = namespace().await;
    let operator = start(config(&[&ns, &other])).await;
    create::<SocialProvider>(&client, &ns, GOOGLE).await;
    reason_of::<SocialProvider>(&client, &ns, "google", "TenantNotFound").await;

    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let message = reason_of::<SocialProvider>(&client, &ns, "google", "SecretNotFound").await;
    assert!(message.contains("spec.clientSecretRef"), "{message}");
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": "google"}, "stringData": {"secret": "s"}})).unwrap();
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let message = reason_of::<SocialProvider>(&client, &ns, "google", "NotYetServed").await;
    assert!(message.contains("does not serve SocialProvider"), "{message}");

    let mfa = "apiVersion: vestibule.dev/v1alpha1\nkind: MfaPolicy\nmetadata: {name: strict}\nspec:\n  tenantRef: {name: demo}\n  factors: [totp]\n  passkeys: {passwordless: true}\n";
    create::<MfaPolicy>(&client, &ns, mfa).await;
    let message = reason_of::<MfaPolicy>(&client, &ns, "strict", "InvalidSpec").await;
    assert!(message.contains("spec.passkeys.passwordless"), "{message}");

    let consent = format!(
        "apiVersion: vestibule.dev/v1alpha1\nkind: ConsentPolicy\nmetadata: {{name: terms}}\nspec: {{tenantRef: {{name: demo, namespace: {ns}}}, version: '1'}}\n"
    );
    create::<ConsentPolicy>(&client, &other, &consent).await;
    reason_of::<ConsentPolicy>(&client, &other, "terms", "NamespaceNotAllowed").await;

    let config = eventually("the config", || served_config(&client, &ns, "demo")).await;
    assert!(config.social_providers.is_empty() && config.consent_policies.is_empty() && config.mfa_policies.is_empty());
    operator.stop().await;
}
