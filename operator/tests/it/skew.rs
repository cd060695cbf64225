//! Version skew: a newer CRD with a field this operator does not know. The API server keeps the
//! field (the newer schema declares it), so the operator reads objects carrying it; it must still
//! serve them, not drop them from its caches.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use vestibule_crds::v1alpha1::{MfaPolicy, Tenant};

use crate::support::*;

/// Declares `spec.laterSetting` in the MfaPolicy CRD, as a later release's CRD would. Additive and
/// optional, so the tests sharing this API server are not affected.
async fn declare_a_later_field(client: &kube::Client) {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    let mut crd = crds.get("mfapolicies.vestibule.dev").await.unwrap();
    let version = &mut crd.spec.versions[0];
    let schema = version.schema.as_mut().unwrap().open_api_v3_schema.as_mut().unwrap();
    let spec = schema.properties.as_mut().unwrap().get_mut("spec").unwrap();
    let properties = spec.properties.as_mut().unwrap();
    if properties.contains_key("laterSetting") {
        return;
    }
    let field = serde_json::from_value(json!({"type": "string"})).unwrap();
    properties.insert("laterSetting".into(), field);
    crd.metadata.managed_fields = None;
    crds.replace("mfapolicies.vestibule.dev", &Default::default(), &crd)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_object_with_a_field_the_operator_does_not_know_is_still_served() {
    let (client, ns) = namespace().await;
    declare_a_later_field(&client).await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;

    let policy = json!({
        "apiVersion": "vestibule.dev/v1alpha1",
        "kind": "MfaPolicy",
        "metadata": {"name": "later"},
        "spec": {"tenantRef": {"name": "demo"}, "factors": ["totp"], "laterSetting": "from a newer release"},
    });
    let api = Api::<kube::api::DynamicObject>::namespaced_with(
        client.clone(),
        &ns,
        &kube::api::ApiResource::erase::<MfaPolicy>(&()),
    );
    // Created as untyped JSON: the typed MfaPolicy cannot even express the field. The API server may
    // take a moment to serve the new schema, so the create is retried until the field is kept.
    eventually("the API server keeping spec.laterSetting", || async {
        let params = PatchParams::apply("skew-test").force();
        let stored = api.patch("later", &params, &Patch::Apply(&policy)).await.ok()?;
        stored.data["spec"].get("laterSetting").map(|_| ())
    })
    .await;

    let id = format!("{ns}.later");
    eventually("the policy served in the Tenant's config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        config.mfa_policies.iter().any(|entry| entry.id == id).then_some(())
    })
    .await;
    operator.stop().await;
}
