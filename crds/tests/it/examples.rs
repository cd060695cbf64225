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
        "Tenant" => strictly::<Tenant>(path, text).map(|object| object.spec.validate()),
        "Client" => strictly::<Client>(path, text).map(|object| object.spec.validate()),
        "SocialProvider" => strictly::<SocialProvider>(path, text).map(|object| object.spec.validate()),
        "ConsentPolicy" => strictly::<ConsentPolicy>(path, text).map(|object| object.spec.validate()),
        "MfaPolicy" => strictly::<MfaPolicy>(path, text).map(|object| object.spec.validate()),
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

/// Parses `text`, failing on any field the types do not know: the types tolerate unknown fields
/// (version skew), so a misspelt example would otherwise pass unnoticed.
fn strictly<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, serde_yaml::Error> {
    let mut unknown = Vec::new();
    let object = serde_ignored::deserialize(serde_yaml::Deserializer::from_str(text), |field| {
        unknown.push(field.to_string())
    })?;
    // The generated kinds take apiVersion and kind as given, without keeping them.
    unknown.retain(|field| field != "apiVersion" && field != "kind");
    assert!(unknown.is_empty(), "{}: unknown fields {unknown:?}", path.display());
    Ok(object)
}

#[test]
fn the_api_types_keep_objects_with_fields_of_a_later_release() {
    let text = "apiVersion: vestibule.dev/v1alpha1\nkind: Tenant\nmetadata: {name: demo}\nspec:\n  issuer: https://id.example.com\n  laterSetting: 1\n  branding: {laterColour: blue}\n";
    let tenant: Tenant = serde_yaml::from_str(text).unwrap();
    assert_eq!(tenant.spec.issuer, "https://id.example.com");
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
