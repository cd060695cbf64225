//! Every example reaches the status it should.

use k8s_openapi::api::core::v1::Secret;
use kube::api::PostParams;
use vestibule_crds::v1alpha1::{Client, ConsentPolicy, MfaPolicy, SocialProvider, Tenant};

use crate::support::Setup;

/// A fresh PostgreSQL database for the production example, and its URL.
fn postgres_database() -> String {
    let admin = std::env::var("VESTIBULE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!(
        "vestibule_e2e_{}_{}",
        std::process::id(),
        vestibule_e2e::control_plane::free_port().unwrap()
    );
    let status = std::process::Command::new("psql")
        .arg(&admin)
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .unwrap();
    assert!(status.success(), "creating the database failed");
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_the_examples_brings_every_object_to_its_status() {
    let setup = Setup::with_examples(&[]).await;
    // The Secrets the examples' comments ask for: the production database and the social
    // providers' client secrets.
    let secrets = setup.api::<Secret>();
    for (name, key, value) in [
        ("shop-db", "url", postgres_database()),
        ("google-oauth", "clientSecret", "not-a-real-secret".into()),
        ("github-oauth", "clientSecret", "not-a-real-secret".into()),
        ("corporate-sso", "clientSecret", "not-a-real-secret".into()),
    ] {
        let mut secret = Secret::default();
        secret.metadata.name = Some(name.into());
        secret.string_data = Some([(key.to_owned(), value)].into());
        secrets.create(&PostParams::default(), &secret).await.unwrap();
    }
    let files = vestibule_e2e::examples::all_files();
    setup.apply_examples(&files.iter().map(String::as_str).collect::<Vec<_>>());

    for tenant in ["demo", "shop"] {
        let ready: Tenant = setup.wait_condition(tenant, "Ready", "True", None).await;
        let status = ready.status.unwrap();
        assert_eq!(status.issuer.as_deref(), Some(setup.issuer(tenant).as_str()));
        assert!(!status.signing_keys.is_empty());
    }
    let shop: Tenant = setup.api().get("shop").await.unwrap();
    assert_eq!(
        shop.status.unwrap().ready_replicas,
        Some(3),
        "three replicas on PostgreSQL"
    );
    for client in ["webapp", "spa", "billing"] {
        setup.wait_condition::<Client>(client, "Ready", "True", None).await;
    }
    for provider in ["google", "github", "corporate"] {
        setup
            .wait_condition::<SocialProvider>(provider, "Ready", "True", Some("Available"))
            .await;
    }
    setup
        .wait_condition::<ConsentPolicy>("privacy", "Ready", "True", Some("Available"))
        .await;
    setup
        .wait_condition::<MfaPolicy>("mfa", "Ready", "True", Some("Available"))
        .await;

    // The issuer answers through the gateway, with what the examples declare.
    let discovery: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", setup.issuer("shop")))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(discovery["issuer"], setup.issuer("shop"));
    let algorithms = discovery["id_token_signing_alg_values_supported"].as_array().unwrap();
    assert!(
        algorithms.contains(&"ES256".into()),
        "the production example adds ES256"
    );
    let ingress = setup.kubectl(&["get", "ingress", "shop-idp", "-o", "jsonpath={.spec.ingressClassName}"]);
    assert_eq!(ingress, "nginx");
}
