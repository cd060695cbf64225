//! The customer journey in a real browser, and the application's view of it.

use std::path::Path;
use std::process::Command;

use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::Setup;

/// Runs `e2e/node/e2e/journey.mjs`; returns what the application learned.
pub fn journey(setup: &Setup, client: &str, email: &str, mode: &str, screenshots: Option<&Path>) -> serde_json::Value {
    let credentials = futures::executor::block_on(setup.secret(&format!("{client}-oidc")));
    let mut command = Command::new("node");
    command
        .arg(vestibule_e2e::smtp::node_dir().join("e2e/journey.mjs"))
        .env("ISSUER", &credentials["issuer"])
        .env("CLIENT_ID", &credentials["clientId"])
        .env("CLIENT_SECRET", &credentials["clientSecret"])
        .env("EMAIL", email)
        .env("PASSWORD", "a long and happy passphrase")
        .env("MODE", mode)
        .env("MAIL_DIR", &setup.env.smtp.dir)
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
        "the journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_registers_verifies_by_email_signs_in_and_consents() {
    let setup = Setup::with_examples(&["tenant-minimal.yaml", "client-webapp.yaml"]).await;
    setup.wait_condition::<Tenant>("demo", "Ready", "True", None).await;
    setup.wait_condition::<Client>("webapp", "Ready", "True", None).await;
    let credentials = setup.secret("webapp-oidc").await;
    assert_eq!(credentials["issuer"], setup.issuer("demo"));
    assert_eq!(
        credentials["discoveryUrl"],
        format!("{}/.well-known/openid-configuration", setup.issuer("demo"))
    );
    assert_eq!(credentials["clientSecret"].len(), 43, "256 bits, base64url");

    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/screenshots");
    let email = format!("customer-{}@example.com", setup.namespace);
    let learned = tokio::task::block_in_place(|| journey(&setup, "webapp", &email, "register", Some(&screenshots)));
    assert_eq!(learned["claims"]["email"], email);
    assert_eq!(learned["claims"]["email_verified"], true);
    assert_eq!(learned["claims"]["iss"], setup.issuer("demo"));
    assert_eq!(learned["userinfo"]["sub"], learned["claims"]["sub"]);
    assert_eq!(learned["refresh_token"], true);
    for page in [
        "login-en",
        "register-en",
        "consent-en",
        "login-de",
        "register-de",
        "consent-de",
    ] {
        assert!(
            screenshots.join(format!("{page}.png")).is_file(),
            "no screenshot of {page}"
        );
    }
}
