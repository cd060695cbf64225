//! The rotation planner under controlled time.

use jiff::{SignedDuration, Timestamp};
use kube::ResourceExt;
use vestibule_crds::Duration;
use vestibule_crds::keys::{KeyState, SigningKey};
use vestibule_crds::v1alpha1::{SigningAlgorithm, SigningKeySettings, Tenant};

use super::*;

const HOUR: i64 = 3600;

fn at(seconds: i64) -> Timestamp {
    Timestamp::UNIX_EPOCH + SignedDuration::from_secs(seconds)
}

// Cheap keys (Ed25519) stand in for every algorithm: the planner only looks at metadata.
fn key(alg: SigningAlgorithm, state: KeyState, created: i64) -> SigningKey {
    let mut key = SigningKey::generate(SigningAlgorithm::EdDsa, state, at(created)).unwrap();
    key.alg = alg;
    key
}

fn settings(interval_hours: u64) -> SigningKeySettings {
    SigningKeySettings {
        algorithms: vec![SigningAlgorithm::Rs256],
        rotation_interval: Duration::from_hours(interval_hours),
    }
}

const LIFETIME: Duration = Duration::from_hours(1);

fn states(plan: &KeyPlan) -> Vec<KeyState> {
    plan.keys.iter().map(|k| k.state).collect()
}

#[test]
fn a_new_tenant_gets_one_active_key_per_algorithm() {
    let mut settings = settings(720);
    settings.algorithms.push(SigningAlgorithm::Es256);
    let plan = plan(&[], &settings, LIFETIME, at(0));
    assert!(plan.keys.is_empty());
    assert_eq!(
        plan.generate,
        vec![
            (SigningAlgorithm::Rs256, KeyState::Active),
            (SigningAlgorithm::Es256, KeyState::Active)
        ]
    );
}

#[test]
fn nothing_changes_before_the_publication_lead_and_the_requeue_targets_it() {
    let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let plan = plan(std::slice::from_ref(&active), &settings(24), LIFETIME, at(HOUR));
    assert_eq!(plan.keys, vec![active]);
    assert!(plan.generate.is_empty());
    // 24h interval: lead is min(6h, 1h) = 1h, so the next key is due at 23h.
    assert_eq!(plan.next_change, Some(at(23 * HOUR)));
}

#[test]
fn the_next_key_is_published_one_lead_before_the_interval_ends() {
    let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let plan = plan(&[active], &settings(24), LIFETIME, at(23 * HOUR));
    assert_eq!(plan.generate, vec![(SigningAlgorithm::Rs256, KeyState::Next)]);
    assert_eq!(states(&plan), vec![KeyState::Active]);
    assert_eq!(plan.next_change, Some(at(24 * HOUR)));
}

#[test]
fn the_next_key_is_promoted_when_the_interval_ends_and_the_old_one_retires() {
    let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let next = key(SigningAlgorithm::Rs256, KeyState::Next, 23 * HOUR);
    let before = plan(
        &[active.clone(), next.clone()],
        &settings(24),
        LIFETIME,
        at(24 * HOUR - 1),
    );
    assert_eq!(states(&before), vec![KeyState::Next, KeyState::Active]);
    assert_eq!(before.next_change, Some(at(24 * HOUR)));

    let after = plan(&[active.clone(), next.clone()], &settings(24), LIFETIME, at(24 * HOUR));
    let promoted = after.keys.iter().find(|k| k.kid == next.kid).unwrap();
    let retired = after.keys.iter().find(|k| k.kid == active.kid).unwrap();
    assert_eq!(promoted.state, KeyState::Active);
    assert_eq!(promoted.activated, Some(at(24 * HOUR)));
    assert_eq!(retired.state, KeyState::Retired);
    assert_eq!(retired.retired, Some(at(24 * HOUR)));
    assert!(after.generate.is_empty());
}

#[test]
fn a_late_next_key_signs_only_after_a_full_lead_in_the_jwks() {
    // The operator was down: the next key appeared 10 minutes before the interval ended.
    let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let next = key(SigningAlgorithm::Rs256, KeyState::Next, 24 * HOUR - 600);
    let plan = plan(&[active, next], &settings(24), LIFETIME, at(24 * HOUR));
    assert_eq!(states(&plan), vec![KeyState::Next, KeyState::Active]);
    assert_eq!(plan.next_change, Some(at(25 * HOUR - 600)));
}

#[test]
fn a_missed_window_publishes_the_next_key_and_waits_a_full_lead() {
    let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let plan = plan(&[active], &settings(24), LIFETIME, at(30 * HOUR));
    assert_eq!(plan.generate, vec![(SigningAlgorithm::Rs256, KeyState::Next)]);
    assert_eq!(plan.next_change, Some(at(31 * HOUR)));
}

#[test]
fn a_retired_key_stays_until_its_last_token_expired() {
    let mut retired = key(SigningAlgorithm::Rs256, KeyState::Retired, 0);
    retired.retired = Some(at(24 * HOUR));
    let mut active = key(SigningAlgorithm::Rs256, KeyState::Active, 23 * HOUR);
    active.activated = Some(at(24 * HOUR));
    let keys = [retired.clone(), active];
    let kept = plan(&keys, &settings(24), LIFETIME, at(25 * HOUR - 1));
    assert!(kept.keys.iter().any(|k| k.kid == retired.kid));
    assert_eq!(kept.next_change, Some(at(25 * HOUR)));
    let dropped = plan(&keys, &settings(24), LIFETIME, at(25 * HOUR));
    assert!(!dropped.keys.iter().any(|k| k.kid == retired.kid));
}

#[test]
fn a_longer_token_lifetime_keeps_a_retired_key_longer() {
    let mut retired = key(SigningAlgorithm::Rs256, KeyState::Retired, 0);
    retired.retired = Some(at(0));
    let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let keys = [retired.clone(), active];
    let plan = plan(&keys, &settings(720), Duration::from_hours(24), at(20 * HOUR));
    assert!(plan.keys.iter().any(|k| k.kid == retired.kid));
}

#[test]
fn a_removed_algorithm_retires_its_active_key_and_drops_its_next_key() {
    let rs = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let es = key(SigningAlgorithm::Es256, KeyState::Active, 0);
    let es_next = key(SigningAlgorithm::Es256, KeyState::Next, 0);
    let plan = plan(&[rs, es.clone(), es_next.clone()], &settings(720), LIFETIME, at(HOUR));
    let es_now = plan.keys.iter().find(|k| k.kid == es.kid).unwrap();
    assert_eq!(es_now.state, KeyState::Retired);
    assert!(!plan.keys.iter().any(|k| k.kid == es_next.kid));
}

#[test]
fn a_next_key_without_an_active_one_is_promoted_at_once() {
    let next = key(SigningAlgorithm::Rs256, KeyState::Next, 0);
    let plan = plan(&[next], &settings(24), LIFETIME, at(10));
    assert_eq!(states(&plan), vec![KeyState::Active]);
    assert!(plan.generate.is_empty());
}

#[test]
fn of_two_active_keys_the_newest_keeps_signing() {
    let old = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let new = key(SigningAlgorithm::Rs256, KeyState::Active, 100);
    let plan = plan(&[old.clone(), new.clone()], &settings(24), LIFETIME, at(200));
    assert_eq!(
        plan.keys.iter().find(|k| k.kid == new.kid).unwrap().state,
        KeyState::Active
    );
    assert_eq!(
        plan.keys.iter().find(|k| k.kid == old.kid).unwrap().state,
        KeyState::Retired
    );
}

#[test]
fn planning_twice_at_the_same_instant_changes_nothing_more() {
    let settings = settings(24);
    for now in [0, 23 * HOUR, 24 * HOUR, 30 * HOUR] {
        let active = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
        let first = plan(&[active], &settings, LIFETIME, at(now)).fulfil(at(now)).unwrap();
        let second = plan(&first, &settings, LIFETIME, at(now));
        assert!(second.generate.is_empty(), "at {now}");
        assert_eq!(second.keys, first, "at {now}");
    }
}

#[test]
fn a_full_cycle_always_publishes_before_signing_and_overlaps() {
    // One-minute interval (lead 15s), driven second by second for three rotations.
    let settings = SigningKeySettings {
        algorithms: vec![SigningAlgorithm::Rs256],
        rotation_interval: Duration::from_mins(1),
    };
    let lifetime = Duration::from_secs(10);
    let mut keys: Vec<SigningKey> = Vec::new();
    let mut published_at = std::collections::HashMap::new();
    for second in 0..200 {
        let now = at(second);
        keys = plan(&keys, &settings, lifetime, now).fulfil(now).unwrap();
        let active: Vec<_> = keys.iter().filter(|k| k.state == KeyState::Active).collect();
        assert_eq!(active.len(), 1, "exactly one active key at {second}");
        for key in &keys {
            published_at.entry(key.kid.clone()).or_insert(second);
        }
        let active = active[0];
        if second > 0 {
            assert!(
                second - published_at[&active.kid] >= 15 || published_at[&active.kid] == 0,
                "key {} signs at {second} but was published at {}",
                active.kid,
                published_at[&active.kid]
            );
        }
    }
    assert!(
        published_at.len() >= 4,
        "three rotations happened: {}",
        published_at.len()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn rsa_keys_are_generated_off_the_event_loop() {
    let plan = plan(&[], &settings(24), LIFETIME, at(0));
    assert_eq!(plan.generate, [(SigningAlgorithm::Rs256, KeyState::Active)]);
    let generating = tokio::spawn(plan.fulfil_off_loop(at(0), "shop/demo"));
    // One turn of this single-threaded loop runs the spawned task until it waits: generated on
    // the loop, the key would be done by now.
    tokio::task::yield_now().await;
    assert!(
        !generating.is_finished(),
        "the loop was blocked while the RSA key was generated"
    );
    let keys = generating.await.unwrap().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].alg, SigningAlgorithm::Rs256);
}

fn tenant_listing(kids: &[&str], annotation: Option<&str>, handled: Option<&str>) -> Tenant {
    let mut tenant: Tenant = serde_json::from_value(serde_json::json!({
        "apiVersion": "vestibule.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "demo", "namespace": "shop"},
        "spec": {"issuer": "https://id.example.com"},
        "status": {
            "signingKeys": kids.iter().map(|kid| serde_json::json!({"kid": kid, "alg": "RS256", "state": "active"})).collect::<Vec<_>>(),
            "keysRegeneratedFor": handled,
        },
    }))
    .unwrap();
    if let Some(value) = annotation {
        tenant
            .annotations_mut()
            .insert("vestibule.dev/regenerate-keys".into(), value.into());
    }
    tenant
}

#[test]
fn lost_keys_are_reported_not_replaced() {
    let tenant = tenant_listing(&["k1"], None, None);
    for stored in [
        StoredKeys::Missing,
        StoredKeys::Unreadable("jwks.json does not parse".into()),
    ] {
        let refusal = recover(&tenant, &stored).unwrap_err();
        assert_eq!(refusal.reason, Reason::SigningKeysLost);
        assert!(
            refusal.message.contains("k1") && refusal.message.contains("demo-idp-keys"),
            "{}",
            refusal.message
        );
    }
    let kept = key(SigningAlgorithm::Rs256, KeyState::Active, 0);
    let (keys, _) = recover(&tenant, &StoredKeys::Found(vec![kept.clone()])).unwrap();
    assert_eq!(keys, [kept]);
}

#[test]
fn a_new_tenant_starts_without_keys_and_a_new_annotation_value_regenerates_once() {
    let fresh = tenant_listing(&[], None, None);
    assert_eq!(recover(&fresh, &StoredKeys::Missing).unwrap(), (Vec::new(), None));
    let asked = tenant_listing(&["k1"], Some("2024-01"), None);
    assert_eq!(
        recover(&asked, &StoredKeys::Missing).unwrap(),
        (Vec::new(), Some("2024-01".to_owned()))
    );
    let handled = tenant_listing(&["k2"], Some("2024-01"), Some("2024-01"));
    let refusal = recover(&handled, &StoredKeys::Missing).unwrap_err();
    assert_eq!(
        refusal.reason,
        Reason::SigningKeysLost,
        "the same value regenerates only once"
    );
}
