//! Two-factor sign-in on the local control plane: the example MfaPolicy is served, a customer of
//! the demo Tenant sets up an authenticator app and is asked for it on a new device, and once
//! the policy is deleted no second factor is asked.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Client, MfaPolicy, Tenant};

use crate::journey::journey;
use crate::support::{Setup, condition};

/// Runs `e2e/node/e2e/mfa-journey.mjs` in `phase`; returns the sign-in as the application saw it.
fn mfa_journey(setup: &Setup, email: &str, phase: &str, screenshots: Option<&Path>) -> Value {
    let credentials = futures::executor::block_on(setup.secret("webapp-oidc"));
    let mut command = Command::new("node");
    command
        .arg(vestibule_e2e::smtp::node_dir().join("e2e/mfa-journey.mjs"))
        .env("ISSUER", &credentials["issuer"])
        .env("CLIENT_ID", &credentials["clientId"])
        .env("CLIENT_SECRET", &credentials["clientSecret"])
        .env("EMAIL", email)
        .env("PASSWORD", "a long and happy passphrase")
        .env("PHASE", phase)
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        );
    if let Some(dir) = screenshots {
        command.env("SCREENSHOTS", dir);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the MFA journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

/// The methods of a sign-in, from its ID token.
fn amr(signed_in: &Value) -> Vec<&str> {
    signed_in["claims"]["amr"]
        .as_array()
        .map(|methods| methods.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Waits until the demo Tenant's pods serve a config without MFA policies.
async fn wait_until_no_policy_is_served(setup: &Setup) {
    let generation = vestibule_e2e::wait_for(std::time::Duration::from_secs(120), || async {
        let data = setup.secret("demo-idp-config").await;
        let config = TenantConfig::from_yaml(data.get("config.yaml")?).ok()?;
        config.mfa_policies.is_empty().then_some(config.generation)
    })
    .await
    .expect("the config without the policy");
    let tenants = setup.api::<Tenant>();
    let served = vestibule_e2e::wait_for(std::time::Duration::from_secs(180), || async {
        let tenant = tenants.get_opt("demo").await.ok()??;
        let ready = condition(&tenant, "Ready").is_some_and(|(status, _)| status == "True");
        (ready && tenant.status?.config_generation? >= generation).then_some(())
    })
    .await;
    assert!(served.is_some(), "the pods never served config generation {generation}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_enrols_an_authenticator_and_is_asked_for_it_until_the_policy_goes() {
    let setup = Setup::with_examples(&["tenant-minimal.yaml", "client-webapp.yaml", "mfapolicy.yaml"]).await;
    setup.wait_condition::<Tenant>("demo", "Ready", "True", None).await;
    setup.wait_condition::<Client>("webapp", "Ready", "True", None).await;
    setup
        .wait_condition::<MfaPolicy>("mfa", "Ready", "True", Some("Available"))
        .await;
    setup
        .wait_condition::<MfaPolicy>("mfa", "ClientsResolved", "True", None)
        .await;

    let email = format!("mfa-{}@example.com", setup.namespace);
    tokio::task::block_in_place(|| journey(&setup, "webapp", &email, "register", None));
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/screenshots");
    let asked = tokio::task::block_in_place(|| mfa_journey(&setup, &email, "enrol", Some(&screenshots)));
    assert_eq!(asked["asked"], true, "a new device steps up: {asked}");
    assert_eq!(amr(&asked), ["pwd", "otp", "mfa"], "{asked}");
    assert_eq!(asked["claims"]["acr"], "urn:vestibule:acr:mfa");
    for page in ["mfa-enrol-en", "mfa-enrol-de", "mfa-challenge-en", "mfa-challenge-de"] {
        assert!(
            screenshots.join(format!("{page}.png")).is_file(),
            "{page} was not captured"
        );
    }

    setup.kubectl(&["delete", "mfapolicy", "mfa"]);
    wait_until_no_policy_is_served(&setup).await;
    let plain = tokio::task::block_in_place(|| mfa_journey(&setup, &email, "sign-in", None));
    assert_eq!(plain["asked"], false, "no policy, no second factor: {plain}");
    assert_eq!(amr(&plain), ["pwd"], "{plain}");
}
