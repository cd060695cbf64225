//! The CEL rules in the generated CRDs, evaluated as an API server would, agree with the Rust
//! validation that the operator runs for API servers too old to evaluate CEL.

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use serde_json::{Value, json};
use vestibule_crds::v1alpha1::{Client, ClientSpec, Tenant, TenantSpec};

fn schema<K: CustomResourceExt>() -> Value {
    let crd = K::crd();
    serde_json::to_value(&crd.spec.versions[0].schema.as_ref().unwrap().open_api_v3_schema).unwrap()
}

fn object(kind: &str, spec: Value) -> Value {
    json!({"apiVersion": "vestibule.dev/v1alpha1", "kind": kind, "metadata": {"name": "x"}, "spec": spec})
}

/// Checks that CEL and Rust agree on `spec`, and returns whether it is valid.
fn tenant_verdict(spec: Value) -> bool {
    let cel = Validator::new().validate(&schema::<Tenant>(), &object("Tenant", spec.clone()), None);
    let rust = serde_json::from_value::<TenantSpec>(spec.clone()).unwrap().validate();
    assert_eq!(
        cel.is_ok(),
        rust.is_ok(),
        "CEL and Rust disagree on {spec}: {cel:?} / {rust:?}"
    );
    cel.is_ok()
}

fn client_verdict(spec: Value, old: Option<Value>) -> bool {
    let old_object = old.clone().map(|old| object("Client", old));
    let cel = Validator::new().validate(
        &schema::<Client>(),
        &object("Client", spec.clone()),
        old_object.as_ref(),
    );
    let new: ClientSpec = serde_json::from_value(spec.clone()).unwrap();
    let rust = match old {
        Some(old) => new
            .validate_update(&serde_json::from_value(old).unwrap())
            .and(new.validate()),
        None => new.validate(),
    };
    assert_eq!(
        cel.is_ok(),
        rust.is_ok(),
        "CEL and Rust disagree on {spec}: {cel:?} / {rust:?}"
    );
    cel.is_ok()
}

#[test]
fn issuer_rule_agrees() {
    assert!(tenant_verdict(json!({"issuer": "https://id.example.com"})));
    assert!(tenant_verdict(json!({"issuer": "http://localhost:8080"})));
    assert!(tenant_verdict(json!({"issuer": "http://127.0.0.1:9000/t"})));
    assert!(!tenant_verdict(json!({"issuer": "http://id.example.com"})));
    assert!(!tenant_verdict(json!({"issuer": "http://localhost.example.com"})));
}

#[test]
fn replicas_rule_agrees() {
    let postgres = json!({"postgres": {"urlSecretRef": {"name": "db", "key": "url"}}});
    assert!(tenant_verdict(
        json!({"issuer": "https://id.example.com", "replicas": 3, "database": postgres})
    ));
    assert!(!tenant_verdict(
        json!({"issuer": "https://id.example.com", "replicas": 3})
    ));
    assert!(!tenant_verdict(
        json!({"issuer": "https://id.example.com", "replicas": 2, "database": {"embedded": {}}})
    ));
}

#[test]
fn database_choice_rule_agrees() {
    let both = json!({"embedded": {}, "postgres": {"urlSecretRef": {"name": "db", "key": "url"}}});
    assert!(!tenant_verdict(
        json!({"issuer": "https://id.example.com", "database": both})
    ));
}

fn client_spec(extra: Value) -> Value {
    let mut spec = json!({"tenantRef": {"name": "demo"}, "redirectUris": ["https://app.example.com/cb"]});
    spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    spec
}

#[test]
fn public_clients_authenticate_with_none_in_both() {
    assert!(client_verdict(client_spec(json!({"type": "public"})), None));
    assert!(client_verdict(
        client_spec(json!({"type": "public", "tokenEndpointAuthMethod": "none"})),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"type": "public", "tokenEndpointAuthMethod": "client_secret_post"})),
        None
    ));
}

#[test]
fn immutable_fields_agree() {
    let old = client_spec(json!({"clientId": "web"}));
    assert!(client_verdict(
        client_spec(json!({"clientId": "web", "displayName": "Web"})),
        Some(old.clone())
    ));
    assert!(!client_verdict(
        client_spec(json!({"clientId": "web2"})),
        Some(old.clone())
    ));
    assert!(!client_verdict(client_spec(json!({})), Some(old.clone())));
    let moved =
        json!({"tenantRef": {"name": "other"}, "redirectUris": ["https://app.example.com/cb"], "clientId": "web"});
    assert!(!client_verdict(moved, Some(old)));
}
