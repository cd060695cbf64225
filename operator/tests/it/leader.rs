//! Leader election: while one operator holds the Lease, a second one does not act; when the
//! first stops, the second takes over.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
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
