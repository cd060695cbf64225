//! A new default IdP image reaches running Tenants a few at a time (`--max-concurrent-rollouts`):
//! the next Tenant rolls only once a rolling one has completed.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use kube::runtime::{WatchStreamExt, watcher};
use vestibule_crds::v1alpha1::Tenant;
use vestibule_operator::controllers::tenant::readiness::{Rollout, rollout};

use crate::support::*;

const OLD: &str = "example.com/vestibule-idp:1";
const NEW: &str = "example.com/vestibule-idp:2";

fn image_of(deployment: &Deployment) -> Option<String> {
    deployment
        .spec
        .as_ref()?
        .template
        .spec
        .as_ref()?
        .containers
        .first()?
        .image
        .clone()
}

/// Records, for every change of a Deployment in `ns`, how many are on `NEW` with their rollout
/// not complete; returns the highest count seen.
fn record_rolling(client: &kube::Client, ns: &str) -> Arc<Mutex<usize>> {
    let most = Arc::new(Mutex::new(0));
    let seen = most.clone();
    let api = Api::<Deployment>::namespaced(client.clone(), ns);
    tokio::spawn(async move {
        let mut rolling = std::collections::BTreeMap::new();
        let mut stream = watcher(api, watcher::Config::default()).applied_objects().boxed();
        while let Some(Ok(deployment)) = stream.next().await {
            let name = deployment.metadata.name.clone().unwrap_or_default();
            let on_new = image_of(&deployment).as_deref() == Some(NEW);
            rolling.insert(name, on_new && rollout(&deployment) != Rollout::Complete);
            let now = rolling.values().filter(|r| **r).count();
            let mut most = seen.lock().unwrap();
            *most = (*most).max(now);
        }
    });
    most
}

/// Plays the kubelet for the pod of Tenant `tenant` that runs `image`, on a fake IdP serving the
/// Tenant's config as it is written.
async fn run_pod_on(client: &kube::Client, ns: &str, tenant: &str, image: &str, port: u16) {
    let runs_image = |pod: &Pod| {
        let spec = pod.spec.as_ref();
        spec.and_then(|s| s.containers.first()?.image.clone()).as_deref() == Some(image)
    };
    let served = fake_idp_pod_where(client, ns, tenant, port, runs_image).await;
    follow_config(client, ns, tenant, served);
}

async fn tenant_where(
    client: &kube::Client,
    ns: &str,
    name: &str,
    what: &str,
    test: impl Fn(&Tenant) -> bool,
) -> Tenant {
    wait_object::<Tenant>(client, ns, name, what, test).await
}

#[tokio::test]
async fn a_new_default_image_rolls_one_tenant_at_a_time() {
    let (client, ns) = namespace().await;
    let mut settings = config(&[&ns]);
    settings.idp_image = OLD.into();
    let port = settings.idp_admin_port;
    let operator = start(settings.clone()).await;
    for name in ["a", "b"] {
        create::<Tenant>(&client, &ns, &tenant_yaml(name)).await;
    }
    for name in ["a", "b"] {
        tenant_where(&client, &ns, name, "the old image recorded", |t| {
            t.status.as_ref().and_then(|s| s.image.as_deref()) == Some(OLD)
        })
        .await;
    }
    operator.stop().await;

    // The upgraded operator lets one Tenant through; the other keeps its image and says why.
    let most_rolling = record_rolling(&client, &ns);
    settings.idp_image = NEW.into();
    settings.max_concurrent_rollouts = 1;
    let operator = start(settings).await;
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    let first = eventually("one Deployment on the new image", || async {
        let list = deployments.list(&ListParams::default()).await.ok()?;
        let on_new: Vec<_> = list
            .items
            .iter()
            .filter(|d| image_of(d).as_deref() == Some(NEW))
            .map(|d| d.metadata.name.clone().unwrap_or_default())
            .collect();
        (on_new.len() == 1).then(|| on_new[0].trim_end_matches("-idp").to_owned())
    })
    .await;
    let second = if first == "a" { "b" } else { "a" };
    let waiting = tenant_where(&client, &ns, second, "the new image pending", |t| {
        t.status.as_ref().and_then(|s| s.pending_image.as_deref()) == Some(NEW)
    })
    .await;
    assert_eq!(waiting.status.unwrap().image.as_deref(), Some(OLD));

    // Once the first has rolled and serves, the second follows.
    run_pod_on(&client, &ns, &first, NEW, port).await;
    tenant_where(&client, &ns, &first, "the first rolled and Ready", |t| {
        t.status.as_ref().is_some_and(|s| {
            s.image.as_deref() == Some(NEW) && ready(&s.common.conditions).is_some_and(|r| r.0 == "True")
        })
    })
    .await;
    let rolled = tenant_where(&client, &ns, second, "the second on the new image", |t| {
        t.status.as_ref().and_then(|s| s.image.as_deref()) == Some(NEW)
    })
    .await;
    assert_eq!(rolled.status.unwrap().pending_image, None);
    assert_eq!(*most_rolling.lock().unwrap(), 1, "never two rollouts at once");
    operator.stop().await;
}
