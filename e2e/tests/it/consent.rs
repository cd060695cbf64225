//! Privacy consent on the local control plane: the example ConsentPolicy is served, a customer of
//! the demo Tenant answers it at their next sign-in and is not asked again, and a new `version`
//! of the policy asks them again, in English and German.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Client, ConsentPolicy, Tenant};

use crate::journey::journey;
use crate::support::{Setup, condition};

/// Runs `e2e/node/e2e/consent-journey.mjs`: one sign-in to the webapp, answering the privacy page
/// if asked (captured as `<shot>-en.png` and `<shot>-de.png`).
fn consent_journey(setup: &Setup, email: &str, shot: Option<(&str, &Path)>) -> Value {
    let credentials = futures::executor::block_on(setup.secret("webapp-oidc"));
    let mut command = Command::new("node");
    command
        .arg(vestibule_e2e::smtp::node_dir().join("e2e/consent-journey.mjs"))
        .env("ISSUER", &credentials["issuer"])
        .env("CLIENT_ID", &credentials["clientId"])
        .env("CLIENT_SECRET", &credentials["clientSecret"])
        .env("EMAIL", email)
        .env("PASSWORD", "a long and happy passphrase")
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        );
    if let Some((name, dir)) = shot {
        command.env("SHOT", name).env("SCREENSHOTS", dir);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the consent journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

/// Waits until the demo Tenant's pods serve a config whose consent policy is at `version`.
async fn wait_until_version_is_served(setup: &Setup, version: &str) {
    let patience = std::time::Duration::from_secs(180);
    let generation = vestibule_e2e::wait_for(patience, || async {
        let data = setup.secret("demo-idp-config").await;
        let config = TenantConfig::from_yaml(data.get("config.yaml")?).ok()?;
        let served = config.consent_policies.first()?.version == version;
        served.then_some(config.generation)
    })
    .await
    .unwrap_or_else(|| panic!("the config never had consent policy version {version}"));
    let tenants = setup.api::<Tenant>();
    let served = vestibule_e2e::wait_for(patience, || async {
        let tenant = tenants.get_opt("demo").await.ok()??;
        let ready = condition(&tenant, "Ready").is_some_and(|(status, _)| status == "True");
        (ready && tenant.status?.config_generation? >= generation).then_some(())
    })
    .await;
    assert!(served.is_some(), "the pods never served config generation {generation}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_policy_version_asks_the_customer_again_at_the_next_sign_in() {
    let setup = Setup::with_examples(&["tenant-minimal.yaml", "client-webapp.yaml"]).await;
    setup.wait_condition::<Tenant>("demo", "Ready", "True", None).await;
    setup.wait_condition::<Client>("webapp", "Ready", "True", None).await;
    let email = format!("consent-{}@example.com", setup.namespace);
    tokio::task::block_in_place(|| journey(&setup, "webapp", &email, "register", None));

    setup.apply_examples(&["consentpolicy.yaml"]);
    setup
        .wait_condition::<ConsentPolicy>("privacy", "Ready", "True", Some("Available"))
        .await;
    wait_until_version_is_served(&setup, "2026-11").await;
    // An account from before the policy has no answer: asked once, then not again.
    let first = tokio::task::block_in_place(|| consent_journey(&setup, &email, None));
    assert_eq!(first["asked"], true, "no answer yet: {first}");
    assert_eq!(first["claims"]["email"], email.as_str());
    let again = tokio::task::block_in_place(|| consent_journey(&setup, &email, None));
    assert_eq!(again["asked"], false, "answered under this version: {again}");

    let bump = r#"{"spec":{"version":"2026-12"}}"#;
    setup.kubectl(&["patch", "consentpolicy", "privacy", "--type=merge", "-p", bump]);
    wait_until_version_is_served(&setup, "2026-12").await;
    setup
        .wait_condition::<ConsentPolicy>("privacy", "Ready", "True", Some("Available"))
        .await;
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/screenshots");
    let asked = tokio::task::block_in_place(|| consent_journey(&setup, &email, Some(("consent-ask", &screenshots))));
    assert_eq!(asked["asked"], true, "a new version asks again: {asked}");
    assert_eq!(asked["claims"]["email"], email.as_str(), "then the sign-in completes");
    let english = asked["text"]["en"].as_str().unwrap_or_default();
    let german = asked["text"]["de"].as_str().unwrap_or_default();
    for (language, text, purposes) in [
        ("en", english, ["Newsletter", "Personalised offers"]),
        ("de", german, ["Newsletter", "Persönliche Angebote"]),
    ] {
        assert!(
            text.contains("2026-12"),
            "the page names the new version ({language}): {text}"
        );
        for purpose in purposes {
            assert!(text.contains(purpose), "{purpose} is asked ({language}): {text}");
        }
    }
    assert!(english.contains("Accept"), "{english}");
    assert!(english.contains("Decline"), "{english}");
    for page in ["consent-ask-en", "consent-ask-de"] {
        assert!(
            screenshots.join(format!("{page}.png")).is_file(),
            "{page} was not captured"
        );
    }
}
