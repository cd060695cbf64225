//! What happens to a running installation as manifests change: new and deleted Clients,
//! branding, hand edits, secret rotation, and the Tenant's deletion.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde_json::json;
use vestibule_crds::v1alpha1::{Client, Tenant};
use vestibule_e2e::wait_for;

use crate::journey::journey;
use crate::support::{PATIENCE, Setup, client_credentials};

async fn idp_pods(setup: &Setup) -> Vec<Pod> {
    let pods: Api<Pod> = setup.api();
    pods.list(&ListParams::default().labels("vestibule.dev/tenant=demo"))
        .await
        .unwrap()
        .items
}

async fn ready_demo(files: &[&str]) -> Setup {
    let setup = Setup::with_examples(files).await;
    setup.wait_condition::<Tenant>("demo", "Ready", "True", None).await;
    setup
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_client_signs_in_without_restarting_the_idp() {
    let setup = ready_demo(&["tenant-minimal.yaml", "client-webapp.yaml"]).await;
    setup.wait_condition::<Client>("webapp", "Ready", "True", None).await;
    let email = format!("second-{}@example.com", setup.namespace);
    tokio::task::block_in_place(|| journey(&setup, "webapp", &email, "register", None));
    let before = idp_pods(&setup).await;
    assert_eq!(before.len(), 1);

    setup.apply_yaml(
        "apiVersion: vestibule.dev/v1alpha1
kind: Client
metadata: {name: storefront}
spec:
  tenantRef: {name: demo}
  displayName: Storefront
  redirectUris: [http://127.0.0.1/auth/callback]",
    );
    setup
        .wait_condition::<Client>("storefront", "Ready", "True", None)
        .await;
    let learned = tokio::task::block_in_place(|| journey(&setup, "storefront", &email, "login", None));
    assert_eq!(learned["claims"]["aud"], format!("{}.storefront", setup.namespace));

    let after = idp_pods(&setup).await;
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].metadata.uid, before[0].metadata.uid,
        "the same pod served the new client"
    );
    let restarts = after[0].status.as_ref().unwrap().container_statuses.as_ref().unwrap()[0].restart_count;
    assert_eq!(restarts, 0, "and its process never restarted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_client_can_no_longer_get_tokens() {
    let setup = ready_demo(&["tenant-minimal.yaml", "client-service.yaml"]).await;
    setup.wait_condition::<Client>("billing", "Ready", "True", None).await;
    let credentials = setup.secret("billing-oidc").await;
    let issuer = setup.issuer("demo");
    let (status, body) = client_credentials(&issuer, &credentials["clientId"], &credentials["clientSecret"]).await;
    assert_eq!(status, 200, "{body}");

    setup
        .api::<Client>()
        .delete("billing", &DeleteParams::default())
        .await
        .unwrap();
    let refused = wait_for(PATIENCE, || {
        let (issuer, id, secret) = (
            issuer.clone(),
            credentials["clientId"].clone(),
            credentials["clientSecret"].clone(),
        );
        async move {
            let (status, body) = client_credentials(&issuer, &id, &secret).await;
            (status == 401).then_some(body)
        }
    })
    .await
    .expect("the deleted client's token requests keep succeeding");
    assert_eq!(refused["error"], "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branding_change_shows_on_the_login_page() {
    let setup = ready_demo(&["tenant-minimal.yaml"]).await;
    let issuer = setup.issuer("demo");
    let login = reqwest::get(format!("{issuer}/login"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("Demo Store"));

    let patch = json!({ "spec": { "displayName": "Demo Outlet", "branding": { "primaryColor": "#b91c1c" } } });
    setup
        .api::<Tenant>()
        .patch("demo", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let shown = wait_for(PATIENCE, || {
        let issuer = issuer.clone();
        async move {
            let page = reqwest::get(format!("{issuer}/login")).await.ok()?.text().await.ok()?;
            let style = reqwest::get(format!("{issuer}/assets/style.css"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (page.contains("Sign in to Demo Outlet") && style.contains("--primary: #b91c1c")).then_some(())
        }
    })
    .await;
    assert!(shown.is_some(), "the new branding never reached the login page");
    let pods = idp_pods(&setup).await;
    assert_eq!(
        pods[0].status.as_ref().unwrap().container_statuses.as_ref().unwrap()[0].restart_count,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_service_and_a_hand_edited_deployment_are_restored() {
    let setup = ready_demo(&["tenant-minimal.yaml"]).await;
    let services: Api<Service> = setup.api();
    let deployments: Api<Deployment> = setup.api();
    let original = services.get("demo-idp").await.unwrap().metadata.uid;
    services.delete("demo-idp", &DeleteParams::default()).await.unwrap();
    let edit = json!({ "spec": { "template": { "spec": { "containers": [{ "name": "idp", "image": "example.com/not-vestibule:1" }] } } } });
    deployments
        .patch("demo-idp", &PatchParams::default(), &Patch::Strategic(&edit))
        .await
        .unwrap();

    let restored = wait_for(PATIENCE, || {
        let (services, deployments, original) = (services.clone(), deployments.clone(), original.clone());
        async move {
            let service = services.get_opt("demo-idp").await.ok()??;
            let deployment = deployments.get("demo-idp").await.ok()?;
            let image = deployment.spec?.template.spec?.containers.first()?.image.clone()?;
            (service.metadata.uid != original && image.contains("vestibule-idp")).then_some(())
        }
    })
    .await;
    assert!(
        restored.is_some(),
        "the Service was not recreated or the Deployment not reverted"
    );
    setup.wait_condition::<Tenant>("demo", "Ready", "True", None).await;
    let answers = wait_for(PATIENCE, || {
        let url = format!("{}/login", setup.issuer("demo"));
        async move { (reqwest::get(url).await.ok()?.status() == 200).then_some(()) }
    })
    .await;
    assert!(answers.is_some(), "the issuer answers again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_client_secret_and_its_predecessor_both_work_during_the_grace_period() {
    let setup = ready_demo(&["tenant-minimal.yaml", "client-service.yaml"]).await;
    setup.wait_condition::<Client>("billing", "Ready", "True", None).await;
    let old = setup.secret("billing-oidc").await;
    let issuer = setup.issuer("demo");
    let patch = json!({ "metadata": { "annotations": { "vestibule.dev/rotate-secret": "2026-11-29" } } });
    setup
        .api::<Client>()
        .patch("billing", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();

    let secrets: Api<Secret> = setup.api();
    let new_secret = wait_for(PATIENCE, || {
        let (secrets, previous) = (secrets.clone(), old["clientSecret"].clone());
        async move {
            let secret = secrets.get("billing-oidc").await.ok()?;
            let value = String::from_utf8(secret.data?.get("clientSecret")?.0.clone()).ok()?;
            (value != previous).then_some(value)
        }
    })
    .await
    .expect("no new secret was issued");
    let served = wait_for(PATIENCE, || {
        let (issuer, id, secret) = (issuer.clone(), old["clientId"].clone(), new_secret.clone());
        async move { (client_credentials(&issuer, &id, &secret).await.0 == 200).then_some(()) }
    })
    .await;
    assert!(served.is_some(), "the new secret never worked");
    let (status, body) = client_credentials(&issuer, &old["clientId"], &old["clientSecret"]).await;
    assert_eq!(
        status, 200,
        "the previous secret still works during the grace period: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_tenant_collects_its_children_and_keeps_its_data() {
    let setup = ready_demo(&["tenant-minimal.yaml", "client-webapp.yaml"]).await;
    assert!(!idp_pods(&setup).await.is_empty());
    setup
        .api::<Tenant>()
        .delete("demo", &DeleteParams::default())
        .await
        .unwrap();
    let labels = ListParams::default().labels("vestibule.dev/tenant=demo");
    let gone = wait_for(Duration::from_secs(180), || {
        let (client, namespace, labels) = (setup.client.clone(), setup.namespace.clone(), labels.clone());
        async move {
            let deployments = Api::<Deployment>::namespaced(client.clone(), &namespace)
                .list(&labels)
                .await
                .ok()?
                .items
                .len();
            let services = Api::<Service>::namespaced(client.clone(), &namespace)
                .list(&labels)
                .await
                .ok()?
                .items
                .len();
            let secrets = Api::<Secret>::namespaced(client.clone(), &namespace)
                .list(&labels)
                .await
                .ok()?
                .items
                .len();
            let pods = Api::<Pod>::namespaced(client, &namespace)
                .list(&labels)
                .await
                .ok()?
                .items
                .len();
            (deployments + services + secrets + pods == 0).then_some(())
        }
    })
    .await;
    if gone.is_none() {
        let remaining = setup.kubectl(&[
            "get",
            "deployments,services,secrets,pods",
            "-l",
            "vestibule.dev/tenant=demo",
            "-o",
            "wide",
        ]);
        panic!("children of the deleted Tenant remain:\n{remaining}");
    }
    // The customer database outlives its Tenant (retainPolicy: Retain by default), released
    // from the Tenant so that nothing collects it.
    let claims = setup.api::<PersistentVolumeClaim>().list(&labels).await.unwrap().items;
    assert_eq!(claims.len(), 1, "the database claim is kept");
    let owners = claims[0].metadata.owner_references.clone().unwrap_or_default();
    assert!(owners.is_empty(), "the kept claim has no owner: {owners:?}");
    assert!(
        reqwest::get(format!("{}/login", setup.issuer("demo")))
            .await
            .map(|r| r.status() != 200)
            .unwrap_or(true)
    );
}
