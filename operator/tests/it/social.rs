//! SocialProvider served through the attachment path: its client secret resolved from the
//! Secret it names, a rotated Secret served without a restart, a missing one reported while the
//! last accepted entry stays served, and a deleted provider gone from the config.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;
use vestibule_crds::config::{SocialProviderConfig, TenantConfig};
use vestibule_crds::v1alpha1::{SocialProvider, Tenant};

use crate::support::*;

const GOOGLE: &str = "apiVersion: vestibule.dev/v1alpha1
kind: SocialProvider
metadata: {name: google}
spec:
  tenantRef: {name: demo}
  type: google
  clientId: abc.apps.googleusercontent.com
  clientSecretRef: {name: google-oauth, key: clientSecret}
";

/// Creates or replaces the Secret `google-oauth` with `value` at `clientSecret`.
async fn put_secret(client: &kube::Client, ns: &str, value: &str) {
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "google-oauth"}, "stringData": {"clientSecret": value},
    });
    Api::<Secret>::namespaced(client.clone(), ns)
        .patch(
            "google-oauth",
            &PatchParams::apply("test").force(),
            &Patch::Apply(&secret),
        )
        .await
        .unwrap();
}

/// Waits until SocialProvider `name` reports `Ready` with `status` and `reason` for its current
/// generation, and returns the message; on timeout, fails with the status it had.
async fn provider_ready(client: &kube::Client, ns: &str, name: &str, status: &str, reason: &str) -> String {
    let api = Api::<SocialProvider>::namespaced(client.clone(), ns);
    let found = vestibule_e2e::wait_for(TIMEOUT, || async {
        let provider = api.get_opt(name).await.ok()??;
        let current = provider.status.as_ref()?;
        let (ready_status, ready_reason, message) = ready(&current.conditions)?;
        let fresh = current.observed_generation == provider.metadata.generation;
        (fresh && ready_status == status && ready_reason == reason).then(|| message.to_owned())
    })
    .await;
    match found {
        Some(message) => message,
        None => {
            let last = api.get_opt(name).await.ok().flatten().and_then(|p| p.status);
            panic!("timed out waiting for {name} {status} {reason}; its status: {last:?}")
        }
    }
}

/// Waits until the config of Tenant `demo` lists provider `id` as `check` accepts it.
async fn served_entry(
    client: &kube::Client,
    ns: &str,
    id: &str,
    what: &str,
    check: impl Fn(&SocialProviderConfig) -> bool,
) -> TenantConfig {
    eventually(what, || async {
        let config = served_config(client, ns, "demo").await?;
        let entry = config.social_providers.iter().find(|entry| entry.id == id)?;
        check(entry).then_some(config)
    })
    .await
}

#[tokio::test]
async fn a_social_provider_is_served_with_its_secret_and_a_rotation_without_a_restart() {
    let (client, ns) = namespace().await;
    let settings = config(&[&ns]);
    let port = settings.idp_admin_port;
    let operator = start(settings).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    put_secret(&client, &ns, "first").await;
    create::<SocialProvider>(&client, &ns, GOOGLE).await;
    let id = format!("{ns}.google");
    let config = served_entry(&client, &ns, &id, "the provider served", |entry| {
        entry.client_secret.expose() == "first"
    })
    .await;
    let entry = config.social_providers[0].clone();
    assert_eq!(
        (entry.client_id.as_str(), entry.display_name.as_str()),
        ("abc.apps.googleusercontent.com", "Google")
    );
    config.validate().unwrap();
    // In the config, not yet served by pods: not Ready.
    provider_ready(&client, &ns, "google", "False", "Progressing").await;

    let served = fake_idp_pod(&client, &ns, "demo", port).await;
    let follower = follow_config(&client, &ns, "demo", served.clone());
    let message = provider_ready(&client, &ns, "google", "True", "Available").await;
    assert!(message.contains(&id), "{message}");
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    let before = deployments.get("demo-idp").await.unwrap().metadata.generation;

    // The upstream secret is rotated: the Tenant renders it at once, the pods stay.
    put_secret(&client, &ns, "second").await;
    served_entry(&client, &ns, &id, "the rotated secret served", |entry| {
        entry.client_secret.expose() == "second"
    })
    .await;
    provider_ready(&client, &ns, "google", "True", "Available").await;
    let after = deployments.get("demo-idp").await.unwrap().metadata.generation;
    assert_eq!(before, after, "a rotated upstream secret does not roll the pods");
    follower.abort();
    operator.stop().await;
}

#[tokio::test]
async fn a_missing_secret_is_reported_the_last_entry_stays_and_deletion_removes_it() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<SocialProvider>(&client, &ns, GOOGLE).await;
    let message = provider_ready(&client, &ns, "google", "False", "SecretNotFound").await;
    assert!(message.contains("spec.clientSecretRef"), "{message}");
    assert!(message.contains(&format!("{ns}/google-oauth")), "{message}");
    assert!(message.contains("clientSecret"), "{message}");
    let event = wait_event(&client, &ns, "google", "SecretNotFound").await;
    assert!(event.note.unwrap().contains(&format!("{ns}/google-oauth")));
    let config = eventually("the config", || served_config(&client, &ns, "demo")).await;
    assert!(config.social_providers.is_empty(), "nothing served without its secret");

    put_secret(&client, &ns, "first").await;
    let id = format!("{ns}.google");
    served_entry(&client, &ns, &id, "the provider served", |_| true).await;
    provider_ready(&client, &ns, "google", "False", "Progressing").await;

    // The Secret goes away: the provider says which one, and the Tenant keeps what it served.
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    secrets.delete("google-oauth", &DeleteParams::default()).await.unwrap();
    let message = provider_ready(&client, &ns, "google", "False", "SecretNotFound").await;
    assert!(message.contains(&format!("{ns}/google-oauth")), "{message}");
    assert!(message.contains("keeps serving the last accepted version"), "{message}");
    merge::<Tenant>(&client, &ns, "demo", json!({"spec": {"displayName": "Later"}})).await;
    let config = eventually("a config rendered without the Secret", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.display_name == "Later").then_some(config)
    })
    .await;
    let kept = config.social_providers.iter().find(|entry| entry.id == id).unwrap();
    assert_eq!(kept.client_secret.expose(), "first");

    // Deleting the provider takes it off the login page.
    Api::<SocialProvider>::namespaced(client.clone(), &ns)
        .delete("google", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the provider gone from the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        config.social_providers.is_empty().then_some(())
    })
    .await;
    operator.stop().await;
}
