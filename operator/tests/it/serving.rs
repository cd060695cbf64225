//! A Client is Ready only when the IdP serves the entry of its current spec, not merely an
//! entry with its client id.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

#[tokio::test]
async fn a_client_is_not_ready_between_its_spec_change_and_the_idp_serving_it() {
    let (client, ns) = namespace().await;
    let settings = config(&[&ns]);
    let port = settings.idp_admin_port;
    let operator = start(settings).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let served = fake_idp_pod(&client, &ns, "demo", port).await;
    let follower = follow_config(&client, &ns, "demo", served.clone());
    client_ready(&client, &ns, "web", "True", "Available").await;

    // The IdP keeps serving the generation it has: the changed spec is not served yet. Every
    // status the Client reports from now on is recorded.
    follower.abort();
    let reported = record_statuses(&client, &ns, "web").await;
    let changed = merge::<Client>(
        &client,
        &ns,
        "web",
        json!({"spec": {"redirectUris": ["https://app.example.com/v2"]}}),
    )
    .await;
    let waiting = client_ready(&client, &ns, "web", "False", "Progressing").await;
    let (_, _, message) = ready(&waiting.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(message.contains(&format!("{ns}.web")), "{message}");
    let id = format!("{ns}.web");
    let config = eventually("the new entry in the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.client(&id)?.redirect_uris == ["https://app.example.com/v2"]).then_some(config)
    })
    .await;
    // Still not Ready once the Tenant has seen its pods on the old generation.
    wait_object::<Tenant>(&client, &ns, "demo", "the Tenant waiting for its pods", |t| {
        t.status
            .as_ref()
            .is_some_and(|s| s.config_generation == Some(config.generation))
    })
    .await;
    client_ready(&client, &ns, "web", "False", "Progressing").await;

    let early: Vec<_> = reported
        .lock()
        .unwrap()
        .iter()
        .filter(|(observed, ready)| *observed == changed.metadata.generation && *ready)
        .cloned()
        .collect();
    assert!(early.is_empty(), "Ready before the IdP served the change: {early:?}");

    served.store(config.generation, Ordering::SeqCst);
    client_ready(&client, &ns, "web", "True", "Available").await;
    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "the new generation served", |t| {
        t.status.as_ref().and_then(|s| s.served_generation) == Some(config.generation)
    })
    .await;
    assert_eq!(tenant.status.unwrap().config_generation, Some(config.generation));
    let note = format!("configuration generation {}", config.generation);
    eventually("a ConfigurationServed Event for the new generation", || async {
        let events = Api::<Event>::namespaced(client.clone(), &ns)
            .list(&Default::default())
            .await
            .ok()?;
        events.items.into_iter().find(|event| {
            event.reason.as_deref() == Some("ConfigurationServed")
                && event.note.as_deref().is_some_and(|text| text.contains(&note))
        })
    })
    .await;
    operator.stop().await;
}

/// Every (observedGeneration, Ready) the Client `name` reports from now on.
async fn record_statuses(client: &kube::Client, ns: &str, name: &str) -> Arc<Mutex<Vec<(Option<i64>, bool)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let api = kube::Api::<Client>::namespaced(client.clone(), ns);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let record = seen.clone();
    tokio::spawn(watcher::watcher(api, config).applied_objects().for_each(move |object| {
        if let Some(status) = object.ok().and_then(|client| client.status) {
            let ready = ready(&status.common.conditions).is_some_and(|r| r.0 == "True");
            record.lock().unwrap().push((status.common.observed_generation, ready));
        }
        futures::future::ready(())
    }));
    // The first event comes from the list the watch starts from: nothing after it is missed.
    eventually("the status watch", || async {
        (!seen.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    seen
}
