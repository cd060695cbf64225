//! A Tenant's CAPTCHA: the secret it refers to reaches the IdP's config, resolved; a missing
//! Secret is reported naming the field until it appears, and a changed one is served again.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use vestibule_crds::v1alpha1::{CaptchaProvider, Tenant};

use crate::support::*;

const CAPTCHA: &str = "  attackProtection: {challenge: {captcha: {provider: turnstile, siteKey: 0x4AAAA-site, secretRef: {name: captcha, key: secret}}}}\n";

fn refused_for_secret(tenant: &Tenant) -> bool {
    tenant
        .status
        .as_ref()
        .and_then(|s| ready(&s.common.conditions))
        .is_some_and(|r| r.1 == "SecretNotFound")
}

async fn served_secret(client: &kube::Client, ns: &str) -> Option<String> {
    let config = served_config(client, ns, "shop").await?;
    let captcha = config.attack_protection.challenge.captcha?;
    captcha.secret.map(|secret| secret.expose().to_owned())
}

#[tokio::test]
async fn the_captcha_secret_is_resolved_into_the_config_or_its_absence_reported() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &format!("{}{CAPTCHA}", tenant_yaml("shop"))).await;
    let refused = wait_object::<Tenant>(&client, &ns, "shop", "SecretNotFound", refused_for_secret).await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(
        message.contains("spec.attackProtection.challenge.captcha.secretRef"),
        "{message}"
    );
    let event = wait_event(&client, &ns, "shop", "SecretNotFound").await;
    let note = event.note.unwrap_or_default();
    assert!(
        note.contains("spec.attackProtection.challenge.captcha.secretRef"),
        "{note}"
    );

    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "captcha"}, "stringData": {"secret": "0x4AAAA-first-secret"}
    }))
    .unwrap();
    secrets.create(&PostParams::default(), &secret).await.unwrap();
    eventually("the secret in the config", || async {
        (served_secret(&client, &ns).await.as_deref() == Some("0x4AAAA-first-secret")).then_some(())
    })
    .await;
    let config = served_config(&client, &ns, "shop").await.unwrap();
    let captcha = config.attack_protection.challenge.captcha.clone().unwrap();
    assert_eq!(captcha.provider, CaptchaProvider::Turnstile);
    assert_eq!(captcha.site_key, "0x4AAAA-site");
    assert!(captcha.secret_ref.is_none(), "the IdP reads no Secrets");
    config.validate().unwrap();

    // A rotated secret is served without touching the Tenant: the operator watches the Secret.
    let rotated = json!({"stringData": {"secret": "0x4AAAA-rotated-secret"}});
    secrets
        .patch("captcha", &PatchParams::default(), &Patch::Merge(&rotated))
        .await
        .unwrap();
    eventually("the rotated secret in the config", || async {
        (served_secret(&client, &ns).await.as_deref() == Some("0x4AAAA-rotated-secret")).then_some(())
    })
    .await;
    operator.stop().await;
}
