//! A write the API server refuses reaches the status: `Ready=False`, `Stalled=True`, an Event,
//! and retries that back off instead of hammering the server.

use k8s_openapi::api::core::v1::ResourceQuota;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use vestibule_crds::v1alpha1::Tenant;

use crate::support::*;

#[tokio::test]
async fn a_write_refused_by_admission_shows_stalled_with_the_servers_answer() {
    let (client, ns) = namespace().await;
    // The ResourceQuota admission plugin refuses every claim in this namespace.
    let quota: ResourceQuota = serde_json::from_value(json!({
        "metadata": {"name": "no-claims"},
        "spec": {"hard": {"persistentvolumeclaims": "0"}},
    }))
    .unwrap();
    Api::<ResourceQuota>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &quota)
        .await
        .unwrap();
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;

    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "WriteRefused", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "WriteRefused")
    })
    .await;
    let conditions = tenant.status.unwrap().common.conditions;
    let (status, _, message) = ready(&conditions).unwrap();
    assert_eq!(status, "False");
    assert!(message.contains("PersistentVolumeClaim demo-idp-data"), "{message}");
    let stalled = conditions.iter().find(|c| c.type_ == "Stalled").unwrap();
    assert_eq!(
        (stalled.status.as_str(), stalled.reason.as_str()),
        ("True", "WriteRefused")
    );
    let reconciling = conditions.iter().find(|c| c.type_ == "Reconciling").unwrap();
    assert_eq!(reconciling.status, "False");
    wait_event(&client, &ns, "demo", "WriteRefused").await;

    // Retries back off: the refused claim is not re-sent every second (the first retry delay),
    // each wait is longer than the one before (the first retry comes from the status write).
    let claims = format!("/api/v1/namespaces/{ns}/persistentvolumeclaims/demo-idp-data");
    eventually("a retry of the refused write", || async {
        let attempts = operator
            .requests
            .writes(false)
            .iter()
            .filter(|w| w.ends_with(&claims))
            .count();
        (attempts >= 4).then_some(())
    })
    .await;
    let attempts: Vec<_> = operator
        .requests
        .writes_at(false)
        .into_iter()
        .filter(|(_, w)| w.ends_with(&claims))
        .map(|(at, _)| at)
        .collect();
    let gaps: Vec<_> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[2] > gaps[1], "each retry waits longer: {gaps:?}");
    operator.stop().await;
}
