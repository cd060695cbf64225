//! Leader election: while one operator holds the Lease, a second one does not act; when the
//! first stops, or its renewals stall, the second takes over, and never while the first acts.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use serde_json::json;
use vestibule_crds::v1alpha1::Tenant;
use vestibule_operator::LeaderElection;

use crate::support::*;

fn elected(ns: &str, instance: &str) -> vestibule_operator::OperatorConfig {
    let mut config = config(&[ns]);
    config.instance = instance.into();
    let mut lease = LeaderElection::new(ns, "vestibule-operator");
    lease.retry_interval = Duration::from_millis(500);
    lease.renew_interval = Duration::from_secs(2);
    config.leader_election = Some(lease);
    config
}

async fn holder(client: &kube::Client, ns: &str) -> Option<String> {
    let lease = Api::<Lease>::namespaced(client.clone(), ns)
        .get_opt("vestibule-operator")
        .await
        .ok()??;
    lease.spec?.holder_identity
}

#[tokio::test]
async fn only_the_lease_holder_acts_and_a_successor_takes_over() {
    let (client, ns) = namespace().await;
    let first = start(elected(&ns, "first")).await;
    eventually("the first operator to lead", || async {
        (holder(&client, &ns).await? == "first").then_some(())
    })
    .await;
    let second = start(elected(&ns, "second")).await;

    create::<Tenant>(&client, &ns, &tenant_yaml("one")).await;
    wait_object::<Tenant>(&client, &ns, "one", "the leader's status", |t| t.status.is_some()).await;
    // The follower keeps asking for the Lease (reads) and writes nothing at all.
    eventually("the follower to check the Lease", || async {
        (second.requests.gets_of(&format!(
            "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/vestibule-operator"
        )) >= 2)
            .then_some(())
    })
    .await;
    assert_eq!(second.requests.writes(true), Vec::<String>::new());
    assert_eq!(holder(&client, &ns).await.as_deref(), Some("first"));

    first.stop().await;
    eventually("the second operator to lead", || async {
        (holder(&client, &ns).await? == "second").then_some(())
    })
    .await;
    create::<Tenant>(&client, &ns, &tenant_yaml("two")).await;
    wait_object::<Tenant>(&client, &ns, "two", "the successor's status", |t| t.status.is_some()).await;
    assert!(!second.is_finished());
    second.stop().await;
}

fn quick(ns: &str, instance: &str) -> vestibule_operator::OperatorConfig {
    let mut config = config(&[ns]);
    config.instance = instance.into();
    let mut lease = LeaderElection::new(ns, "vestibule-operator");
    lease.lease_duration = Duration::from_secs(6);
    lease.renew_deadline = Duration::from_secs(4);
    lease.renew_interval = Duration::from_millis(500);
    lease.retry_interval = Duration::from_millis(500);
    lease.call_timeout = Duration::from_millis(500);
    config.leader_election = Some(lease);
    config
}

#[tokio::test]
async fn two_operators_never_act_at_once_when_the_leaders_renewals_stall() {
    let (client, ns) = namespace().await;
    let stall = LeaseStall::default();
    let cluster = vestibule_e2e::TestCluster::shared().await.unwrap();
    let first = start_stalling(
        quick(&ns, "first"),
        cluster.client_config().await.unwrap(),
        stall.clone(),
    )
    .await;
    eventually("the first operator to lead", || async {
        (holder(&client, &ns).await? == "first").then_some(())
    })
    .await;
    let second = start(quick(&ns, "second")).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("busy")).await;
    wait_object::<Tenant>(&client, &ns, "busy", "the leader's status", |t| t.status.is_some()).await;

    // The leader's Lease requests now hang, while the Tenant keeps changing: whoever leads has
    // work to do at every moment.
    let first_requests = first.requests.clone();
    stall.0.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut edits = 0;
    let mut pace = tokio::time::interval(Duration::from_millis(300));
    while holder(&client, &ns).await.as_deref() != Some("second") {
        edits += 1;
        merge::<Tenant>(
            &client,
            &ns,
            "busy",
            json!({"spec": {"displayName": format!("Busy {edits}")}}),
        )
        .await;
        pace.tick().await;
        assert!(edits < 200, "the second operator never took over");
    }
    wait_object::<Tenant>(&client, &ns, "busy", "the successor's config", |t| {
        t.status.as_ref().and_then(|s| s.config_generation) > Some(1)
    })
    .await;
    let outcome = first.exited().await;
    assert!(
        matches!(outcome, Err(vestibule_operator::RunError::LostLeadership)),
        "{outcome:?}"
    );

    let last_by_first = first_requests
        .writes_at(false)
        .into_iter()
        .map(|(at, _)| at)
        .max()
        .unwrap();
    let takeover = second
        .requests
        .writes_at(true)
        .into_iter()
        .find(|(_, write)| write.contains("/leases/"))
        .map(|(at, _)| at)
        .unwrap();
    assert!(
        last_by_first < takeover,
        "the old leader wrote after the new one took the Lease"
    );
    assert!(second.requests.writes(false).iter().any(|w| w.contains("/tenants/")));
    second.stop().await;
}
