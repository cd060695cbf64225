//! "Sign in with …" through an upstream OpenID provider we did not write (panva's
//! oidc-provider on loopback): a SocialProvider applied with its Secret is served, rotated
//! without a restart and removed again.

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vestibule_crds::v1alpha1::{Client, SocialProvider, Tenant};
use vestibule_e2e::gateway::ready_address;
use vestibule_e2e::upstream::{self, Options, UpstreamOp};
use vestibule_e2e::wait_for;

use crate::support::{PATIENCE, Setup};

const BUTTON: &str = "Sign in with Upstream";
const SECRET: &str = "upstream-oidc";

/// The hosted login page a browser lands on from an authorization request of `client_id`.
async fn login_page(issuer: &str, client_id: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(b"a verifier long enough for pkce, 43 chars at least"));
    let response = reqwest::Client::new()
        .get(format!("{issuer}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", "http://127.0.0.1/auth/callback"),
            ("scope", "openid email"),
            ("state", "state-1"),
            ("nonce", "nonce-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response.url().path().ends_with("/login"),
        "landed on {}",
        response.url()
    );
    response.text().await.unwrap()
}

/// Runs `e2e/node/social-journey.mjs` for the Client `webapp`: a first and a second sign-in
/// through the upstream (answering its sign-in form, as `make demo` asks a person to) in
/// headless Chromium; what the application learned from each.
fn social_journeys(credentials: &std::collections::BTreeMap<String, String>) -> Vec<Value> {
    let output = Command::new("node")
        .arg(vestibule_e2e::smtp::node_dir().join("social-journey.mjs"))
        .env("ISSUER", &credentials["issuer"])
        .env("CLIENT_ID", &credentials["clientId"])
        .env("CLIENT_SECRET", &credentials["clientSecret"])
        .env("BUTTON", BUTTON)
        .env("CALLBACK_PATH", "/auth/callback")
        .env("UPSTREAM_EMAIL", upstream::ACCOUNT_EMAIL)
        .env("UPSTREAM_PASSWORD", upstream::ACCOUNT_PASSWORD)
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the social journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Both journeys signed the same customer in, federated, with the upstream's email.
fn assert_signed_in(journeys: &[Value]) {
    assert_eq!(journeys.len(), 2, "{journeys:?}");
    for journey in journeys {
        assert_eq!(journey["amr"], json!(["fed"]), "{journey}");
        assert_eq!(journey["email"], "alice@example.com", "{journey}");
        assert_eq!(journey["sub"], journeys[0]["sub"], "one customer: {journeys:?}");
    }
}

fn provider_yaml(issuer: &str) -> String {
    format!(
        "apiVersion: vestibule.dev/v1alpha1
kind: SocialProvider
metadata: {{name: upstream}}
spec:
  tenantRef: {{name: demo}}
  type: oidc
  issuer: {issuer}
  clientId: vestibule-rp
  clientSecretRef: {{name: {SECRET}, key: clientSecret}}
  scopes: [openid, email, profile]
  displayName: Upstream"
    )
}

async fn demo_pods(setup: &Setup) -> Vec<Pod> {
    let pods: Api<Pod> = setup.api();
    pods.list(&ListParams::default().labels("vestibule.dev/tenant=demo"))
        .await
        .unwrap()
        .items
}

/// The config generation every ready IdP pod of `demo` reports on its admin `/readyz`.
async fn served_generations(setup: &Setup) -> Vec<i64> {
    let admin = IntOrString::String("admin".into());
    let mut generations = Vec::new();
    for address in demo_pods(setup)
        .await
        .iter()
        .filter_map(|pod| ready_address(pod, Some(&admin)))
    {
        let Ok(response) = reqwest::get(format!("http://{address}/readyz")).await else {
            continue;
        };
        let body: Value = response.json().await.unwrap_or_default();
        generations.extend(body["generation"].as_i64());
    }
    generations
}

/// Waits until the Tenant is Ready with a config generation above `above`, and every IdP pod
/// serves it; returns that generation.
async fn wait_served_beyond(setup: &Setup, above: i64) -> i64 {
    let tenants: Api<Tenant> = setup.api();
    let served = wait_for(PATIENCE, || {
        let tenants = tenants.clone();
        async move {
            let tenant = tenants.get("demo").await.ok()?;
            let generation = tenant.status.as_ref()?.config_generation.filter(|g| *g > above)?;
            let ready = crate::support::condition(&tenant, "Ready").is_some_and(|(status, _)| status == "True");
            let pods = served_generations(setup).await;
            (ready && !pods.is_empty() && pods.iter().all(|served| *served >= generation)).then_some(generation)
        }
    })
    .await;
    served.unwrap_or_else(|| panic!("no configuration beyond generation {above} was served"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_social_provider_is_served_rotated_without_a_restart_and_removed() {
    let setup = Setup::with_examples(&["tenant-minimal.yaml", "client-webapp.yaml"]).await;
    setup.wait_condition::<Tenant>("demo", "Ready", "True", None).await;
    setup.wait_condition::<Client>("webapp", "Ready", "True", None).await;
    let issuer = setup.issuer("demo");
    let callback = format!("{issuer}/social/{}.upstream/callback", setup.namespace);
    let mut upstream = UpstreamOp::start(Options {
        client_id: "vestibule-rp",
        client_secret: "first-upstream-secret",
        redirect_uri: &callback,
        port: None,
        login_page: true,
        log: None,
    })
    .await
    .unwrap();
    let secrets: Api<Secret> = setup.api();
    let mut secret = Secret::default();
    secret.metadata.name = Some(SECRET.into());
    secret.string_data = Some([("clientSecret".to_owned(), "first-upstream-secret".to_owned())].into());
    secrets.create(&PostParams::default(), &secret).await.unwrap();
    setup.apply_yaml(&provider_yaml(&upstream.issuer));
    setup
        .wait_condition::<SocialProvider>("upstream", "Ready", "True", None)
        .await;

    let credentials = setup.secret("webapp-oidc").await;
    let page = login_page(&issuer, &credentials["clientId"]).await;
    assert!(page.contains(BUTTON), "no button on the login page:\n{page}");
    assert!(page.contains(&format!("/social/{}.upstream/start", setup.namespace)));
    assert_signed_in(&tokio::task::block_in_place(|| social_journeys(&credentials)));

    // Rotation: the upstream accepts only the new secret, then the Secret follows.
    let pods_before = demo_pods(&setup).await;
    let generation_before = wait_served_beyond(&setup, 0).await;
    upstream.rotate_client_secret("second-upstream-secret").await.unwrap();
    let patch = json!({ "stringData": { "clientSecret": "second-upstream-secret" } });
    secrets
        .patch(SECRET, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    wait_served_beyond(&setup, generation_before).await;
    assert_signed_in(&tokio::task::block_in_place(|| social_journeys(&credentials)));
    let pods_after = demo_pods(&setup).await;
    let uids = |pods: &[Pod]| pods.iter().map(|pod| pod.metadata.uid.clone()).collect::<Vec<_>>();
    assert_eq!(
        uids(&pods_after),
        uids(&pods_before),
        "the same pods served the new secret"
    );
    for pod in &pods_after {
        let restarts = pod.status.as_ref().unwrap().container_statuses.as_ref().unwrap()[0].restart_count;
        assert_eq!(restarts, 0, "and their processes never restarted");
    }

    setup
        .api::<SocialProvider>()
        .delete("upstream", &DeleteParams::default())
        .await
        .unwrap();
    let gone = wait_for(PATIENCE, || {
        let (issuer, client_id) = (issuer.clone(), credentials["clientId"].clone());
        async move { (!login_page(&issuer, &client_id).await.contains(BUTTON)).then_some(()) }
    })
    .await;
    assert!(gone.is_some(), "the deleted provider's button stayed on the login page");
}
