//! Every file in `examples/` parses into the Rust types and passes validation.

use std::path::{Path, PathBuf};

use vestibule_crds::v1alpha1::{Client, ConsentPolicy, MfaPolicy, SocialProvider, Tenant};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn manifests() -> Vec<(PathBuf, String)> {
    let mut files: Vec<_> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| (path.clone(), std::fs::read_to_string(&path).unwrap()))
        .collect()
}

fn validate_manifest(path: &Path, text: &str) -> &'static str {
    let value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    assert_eq!(
        value["apiVersion"].as_str(),
        Some("vestibule.dev/v1alpha1"),
        "{}",
        path.display()
    );
    let kind = value["kind"].as_str().unwrap_or_default();
    let result = match kind {
        "Tenant" => serde_yaml::from_str::<Tenant>(text).map(|object| object.spec.validate()),
        "Client" => serde_yaml::from_str::<Client>(text).map(|object| object.spec.validate()),
        "SocialProvider" => serde_yaml::from_str::<SocialProvider>(text).map(|object| object.spec.validate()),
        "ConsentPolicy" => serde_yaml::from_str::<ConsentPolicy>(text).map(|object| object.spec.validate()),
        "MfaPolicy" => serde_yaml::from_str::<MfaPolicy>(text).map(|object| object.spec.validate()),
        other => panic!("{}: unexpected kind {other}", path.display()),
    };
    let validation = result.unwrap_or_else(|error| panic!("{} does not parse: {error}", path.display()));
    validation.unwrap_or_else(|errors| panic!("{} is invalid: {errors}", path.display()));
    match kind {
        "Tenant" => "Tenant",
        "Client" => "Client",
        "SocialProvider" => "SocialProvider",
        "ConsentPolicy" => "ConsentPolicy",
        _ => "MfaPolicy",
    }
}

#[test]
fn every_example_manifest_parses_and_validates() {
    let manifests = manifests();
    let mut kinds: Vec<_> = manifests
        .iter()
        .map(|(path, text)| validate_manifest(path, text))
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        ["Client", "ConsentPolicy", "MfaPolicy", "SocialProvider", "Tenant"]
    );
}

#[test]
fn the_promised_example_files_exist() {
    for name in [
        "tenant-minimal.yaml",
        "tenant-production.yaml",
        "client-webapp.yaml",
        "client-spa.yaml",
        "client-service.yaml",
        "socialprovider-google.yaml",
        "socialprovider-github.yaml",
        "socialprovider-oidc.yaml",
        "consentpolicy.yaml",
        "mfapolicy.yaml",
    ] {
        assert!(examples_dir().join(name).is_file(), "examples/{name} is missing");
    }
}

#[test]
fn production_example_uses_postgres_replicas_and_ingress() {
    let text = std::fs::read_to_string(examples_dir().join("tenant-production.yaml")).unwrap();
    let tenant: Tenant = serde_yaml::from_str(&text).unwrap();
    assert!(tenant.spec.database.postgres.is_some());
    assert_eq!(tenant.spec.replicas, 3);
    assert!(tenant.spec.ingress.is_some());
}
