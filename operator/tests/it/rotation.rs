//! Client secret rotation on demand: a new secret at once, the old one valid for the grace
//! period, then dropped.

use k8s_openapi::api::core::v1::Secret;
use serde_json::json;
use vestibule_crds::config::ClientSecretHash;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

#[tokio::test]
async fn a_rotated_secret_keeps_the_old_one_valid_for_the_grace_period() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(
        &client,
        &ns,
        &client_yaml("web", "demo", None, "  secretRotationGracePeriod: 5s\n"),
    )
    .await;
    let id = format!("{ns}.web");
    let old = secret_value(
        &wait_object::<Secret>(&client, &ns, "web-oidc", "the credentials", |_| true).await,
        "clientSecret",
    )
    .unwrap();
    let old_hash = ClientSecretHash::of(&old, None).sha256;

    merge::<Client>(
        &client,
        &ns,
        "web",
        json!({"metadata": {"annotations": {"vestibule.dev/rotate-secret": "1"}}}),
    )
    .await;
    let rotated = wait_object::<Secret>(&client, &ns, "web-oidc", "a new secret", |s| {
        secret_value(s, "clientSecret").is_some_and(|v| v != old)
    })
    .await;
    let new = secret_value(&rotated, "clientSecret").unwrap();
    let new_hash = ClientSecretHash::of(&new, None).sha256;

    // During the grace period the IdP accepts both; the old one carries its expiry.
    let during = eventually("both hashes in the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        let secrets = config.client(&id)?.secrets.clone();
        (secrets.len() == 2).then_some(secrets)
    })
    .await;
    assert_eq!(during[0], ClientSecretHash::of(&new, None));
    assert_eq!(during[1].sha256, old_hash);
    assert!(during[1].expires.is_some());

    // After it, only the new secret works.
    let after = eventually("the old hash dropped", || async {
        let config = served_config(&client, &ns, "demo").await?;
        let secrets = config.client(&id)?.secrets.clone();
        (secrets.len() == 1).then_some(secrets)
    })
    .await;
    assert_eq!(after[0].sha256, new_hash);
    // The Client controller clears the bookkeeping when the grace period ends.
    let secret = wait_object::<Secret>(&client, &ns, "web-oidc", "the previous hash forgotten", |s| {
        let annotations = s.metadata.annotations.clone().unwrap_or_default();
        !annotations.contains_key("vestibule.dev/previous-secret-sha256")
    })
    .await;
    assert_eq!(
        secret_value(&secret, "clientSecret").unwrap(),
        new,
        "the same annotation value rotates once"
    );
    operator.stop().await;
}
