//! Client secret rotation in two phases: the IdP first accepts the new secret beside the old
//! one; only then does the application's Secret switch to it; the old one keeps working for the
//! grace period from the switch.

use std::sync::atomic::Ordering;

use k8s_openapi::api::core::v1::Secret;
use serde_json::json;
use vestibule_crds::config::ClientSecretHash;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

#[tokio::test]
async fn a_rotation_never_hands_the_application_a_secret_the_idp_does_not_accept() {
    let (client, ns) = namespace().await;
    let settings = config(&[&ns]);
    let port = settings.idp_admin_port;
    let operator = start(settings).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(
        &client,
        &ns,
        &client_yaml("web", "demo", None, "  secretRotationGracePeriod: 5s\n"),
    )
    .await;
    let id = format!("{ns}.web");
    let served = fake_idp_pod(&client, &ns, "demo", port).await;
    let follower = follow_config(&client, &ns, "demo", served.clone());
    client_ready(&client, &ns, "web", "True", "Available").await;
    let old = secret_value(
        &wait_object::<Secret>(&client, &ns, "web-oidc", "the credentials", |_| true).await,
        "clientSecret",
    )
    .unwrap();

    // The IdP stops taking new configs: whatever it is given, it serves this generation.
    follower.abort();
    let frozen = served.load(Ordering::SeqCst);
    merge::<Client>(
        &client,
        &ns,
        "web",
        json!({"metadata": {"annotations": {"vestibule.dev/rotate-secret": "1"}}}),
    )
    .await;
    let pending = wait_object::<Secret>(&client, &ns, "web-oidc", "a pending secret", |s| {
        secret_value(s, "pendingClientSecret").is_some()
    })
    .await;
    let new = secret_value(&pending, "pendingClientSecret").unwrap();
    assert_eq!(
        secret_value(&pending, "clientSecret").unwrap(),
        old,
        "the application keeps the accepted secret"
    );
    let both = eventually("both hashes in the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.client(&id)?.secrets.len() == 2).then_some(config)
    })
    .await;
    assert_eq!(
        both.client(&id).unwrap().secrets,
        vec![ClientSecretHash::of(&old, None), ClientSecretHash::of(&new, None)]
    );
    // The Tenant has seen that its pods do not serve that config, and so has the Client.
    wait_object::<Tenant>(&client, &ns, "demo", "the Tenant waiting for its pods", |t| {
        t.status.as_ref().is_some_and(|s| {
            s.config_generation == Some(both.generation)
                && ready(&s.common.conditions).is_some_and(|r| r.1 == "Progressing")
        })
    })
    .await;
    client_ready(&client, &ns, "web", "False", "Progressing").await;
    let still = wait_object::<Secret>(&client, &ns, "web-oidc", "the credentials", |_| true).await;
    assert_eq!(
        secret_value(&still, "clientSecret").unwrap(),
        old,
        "not switched before the IdP serves it"
    );
    assert_ne!(frozen, both.generation);

    // The IdP serves the config listing both: now, and only now, the application gets the new one.
    served.store(both.generation, Ordering::SeqCst);
    let switched = wait_object::<Secret>(&client, &ns, "web-oidc", "the switch", |s| {
        secret_value(s, "clientSecret").is_some_and(|v| v != old)
    })
    .await;
    assert_eq!(secret_value(&switched, "clientSecret").unwrap(), new);
    let event = wait_event(&client, &ns, "web", "SecretRotated").await;
    assert_eq!(event.type_.as_deref(), Some("Normal"));
    assert!(
        !event.note.as_deref().unwrap_or_default().contains(&new),
        "no secret in an Event"
    );
    assert!(secret_value(&switched, "pendingClientSecret").is_none());
    assert_eq!(
        served.load(Ordering::SeqCst),
        both.generation,
        "the IdP served the new hash at the switch"
    );

    // From the switch, the old secret works for the grace period, then only the new one does.
    let during = eventually("the old hash with its expiry", || async {
        let config = served_config(&client, &ns, "demo").await?;
        let secrets = config.client(&id)?.secrets.clone();
        (secrets.len() == 2 && secrets[1].expires.is_some()).then_some(secrets)
    })
    .await;
    assert_eq!(during[0], ClientSecretHash::of(&new, None));
    assert_eq!(during[1].sha256, ClientSecretHash::of(&old, None).sha256);
    let _follower = follow_config(&client, &ns, "demo", served.clone());
    let after = eventually("the old hash dropped", || async {
        let config = served_config(&client, &ns, "demo").await?;
        let secrets = config.client(&id)?.secrets.clone();
        (secrets.len() == 1).then_some(secrets)
    })
    .await;
    assert_eq!(after[0], ClientSecretHash::of(&new, None));
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
