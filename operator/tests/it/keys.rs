//! Signing-key rotation on a real API server with a one-minute interval: the next key is
//! published before it signs, and the retired key stays published until its tokens expired.
//! The data key beside them is made once and kept.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use vestibule_crds::keys::{KeyState, SigningKeySet};
use vestibule_crds::v1alpha1::Tenant;

use crate::support::*;

async fn published(client: &kube::Client, ns: &str) -> Option<SigningKeySet> {
    let secret = Api::<Secret>::namespaced(client.clone(), ns)
        .get_opt("demo-idp-keys")
        .await
        .ok()??;
    serde_json::from_slice(&secret.data?.get("jwks.json")?.0).ok()
}

fn states(set: &SigningKeySet) -> Vec<(String, KeyState)> {
    set.keys.iter().map(|k| (k.kid.clone(), k.state)).collect()
}

#[tokio::test]
async fn keys_rotate_with_overlap_and_survive_in_their_secret() {
    let (client, ns) = namespace().await;
    let mut settings = config(&[&ns]);
    // The margin for config propagation and JWKS caches is ten minutes by default.
    settings.key_retention_margin = std::time::Duration::from_secs(2);
    let operator = start(settings).await;
    let yaml = format!(
        "{}  signingKeys: {{rotationInterval: 1m}}\n  tokens: {{accessTokenLifetime: 10s, idTokenLifetime: 10s}}\n",
        tenant_yaml("demo")
    );
    create::<Tenant>(&client, &ns, &yaml).await;
    let first = eventually("the first key", || async {
        published(&client, &ns).await.filter(|s| s.keys.len() == 1)
    })
    .await;
    let first_kid = first.keys[0].kid.clone();
    assert_eq!(first.keys[0].state, KeyState::Active);
    let data_key = first.data_key.clone().expect("a data key beside the signing keys");
    assert_eq!(data_key.expose().len(), 64, "256 bits, hex");

    // 15 s (a quarter of the interval) before the interval ends, the next key is published.
    let overlap = eventually("a next key beside the active one", || async {
        let set = published(&client, &ns).await?;
        set.keys.iter().any(|k| k.state == KeyState::Next).then_some(set)
    })
    .await;
    assert!(states(&overlap).contains(&(first_kid.clone(), KeyState::Active)));
    let next_kid = overlap
        .keys
        .iter()
        .find(|k| k.state == KeyState::Next)
        .unwrap()
        .kid
        .clone();

    // At the end of the interval it signs, and the old key is retired but still published.
    let rotated = eventually("the next key promoted", || async {
        let set = published(&client, &ns).await?;
        set.keys
            .iter()
            .any(|k| k.kid == next_kid && k.state == KeyState::Active)
            .then_some(set)
    })
    .await;
    assert!(states(&rotated).contains(&(first_kid.clone(), KeyState::Retired)));
    let event = wait_event(&client, &ns, "demo", "SigningKeyPromoted").await;
    assert_eq!(event.type_.as_deref(), Some("Normal"));
    assert!(
        event.note.as_deref().unwrap_or_default().contains(&next_kid),
        "{event:?}"
    );
    assert_eq!(
        rotated.data_key.as_ref().map(|key| key.expose()),
        Some(data_key.expose()),
        "the data key is kept through rotations: the secrets it sealed open with it alone"
    );
    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "the status listing the retired key", |t| {
        t.status.as_ref().is_some_and(|s| {
            s.signing_keys
                .iter()
                .any(|k| k.kid == first_kid && k.state == KeyState::Retired)
        })
    })
    .await;
    let listed: BTreeSet<_> = tenant
        .status
        .unwrap()
        .signing_keys
        .iter()
        .map(|k| k.kid.clone())
        .collect();
    assert!(listed.contains(&next_kid));

    // Once every token it signed has expired (10 s), and the margin passed (2 s), it is dropped.
    eventually("the retired key dropped", || async {
        let set = published(&client, &ns).await?;
        (!set.keys.iter().any(|k| k.kid == first_kid)).then_some(())
    })
    .await;
    operator.stop().await;
}
