//! The CEL rules in the generated CRDs, evaluated as an API server would, agree with the Rust
//! validation that the operator runs for API servers too old to evaluate CEL.

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use serde_json::{Value, json};
use vestibule_crds::v1alpha1::{
    Client, ClientSpec, ConsentPolicy, ConsentPolicySpec, SocialProvider, SocialProviderSpec, Tenant, TenantSpec,
};

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

#[test]
fn grant_and_authentication_rules_agree() {
    assert!(!client_verdict(client_spec(json!({"redirectUris": []})), None));
    assert!(client_verdict(
        json!({"tenantRef": {"name": "demo"}, "grantTypes": ["client_credentials"]}),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"grantTypes": ["refresh_token"]})),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"grantTypes": ["authorization_code", "authorization_code"]})),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"type": "public", "grantTypes": ["authorization_code", "client_credentials"]})),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"type": "public", "requirePkce": false})),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"tokenEndpointAuthMethod": "none"})),
        None
    ));
    assert!(client_verdict(
        client_spec(json!({"tokenEndpointAuthMethod": "client_secret_post"})),
        None
    ));
}

#[test]
fn default_assurance_rules_agree() {
    for age in [0, 300, 31_536_000] {
        assert!(
            client_verdict(client_spec(json!({"defaultMaxAge": age})), None),
            "{age}"
        );
    }
    for age in [-1, 31_536_001] {
        assert!(
            !client_verdict(client_spec(json!({"defaultMaxAge": age})), None),
            "{age}"
        );
    }
    let password = "urn:vestibule:acr:password";
    let mfa = "urn:vestibule:acr:mfa";
    for good in [json!([password]), json!([mfa, password]), json!([])] {
        assert!(
            client_verdict(client_spec(json!({"defaultAcrValues": good})), None),
            "{good}"
        );
    }
    for bad in [json!(["urn:other:acr"]), json!([mfa, mfa]), json!([""])] {
        assert!(
            !client_verdict(client_spec(json!({"defaultAcrValues": bad})), None),
            "{bad}"
        );
    }
    for good in [password, mfa, "urn:vestibule:acr:phr"] {
        assert!(
            client_verdict(client_spec(json!({"requiredAcr": good})), None),
            "{good}"
        );
    }
    for bad in ["urn:other:acr", "", "urn:vestibule:acr:MFA"] {
        assert!(!client_verdict(client_spec(json!({"requiredAcr": bad})), None), "{bad}");
    }
}

#[test]
fn redirect_uri_rules_agree() {
    for good in [
        "https://app.example.com/cb",
        "http://127.0.0.1/cb",
        "http://localhost:8080/cb",
        "http://[::1]/cb",
        "com.example.app:/oauth2redirect",
    ] {
        assert!(
            client_verdict(client_spec(json!({"redirectUris": [good]})), None),
            "{good}"
        );
        assert!(
            client_verdict(client_spec(json!({"postLogoutRedirectUris": [good]})), None),
            "{good}"
        );
    }
    for bad in [
        "http://app.example.com/cb",
        "http://localhost.example.com/cb",
        "https://app.example.com/cb#frag",
        "javascript:alert(1)",
        "/relative",
    ] {
        assert!(
            !client_verdict(client_spec(json!({"redirectUris": [bad]})), None),
            "{bad}"
        );
        assert!(
            !client_verdict(client_spec(json!({"postLogoutRedirectUris": [bad]})), None),
            "{bad}"
        );
    }
}

#[test]
fn repeated_scopes_are_refused_by_both() {
    assert!(client_verdict(
        client_spec(json!({"scopes": ["openid", "email"]})),
        None
    ));
    assert!(!client_verdict(
        client_spec(json!({"scopes": ["openid", "openid"]})),
        None
    ));
}

fn provider_verdict(spec: Value) -> bool {
    let cel = Validator::new().validate(
        &schema::<SocialProvider>(),
        &object("SocialProvider", spec.clone()),
        None,
    );
    let rust = serde_json::from_value::<SocialProviderSpec>(spec.clone())
        .unwrap()
        .validate();
    assert_eq!(
        cel.is_ok(),
        rust.is_ok(),
        "CEL and Rust disagree on {spec}: {cel:?} / {rust:?}"
    );
    cel.is_ok()
}

#[test]
fn social_provider_endpoint_rules_agree() {
    let base = |extra: Value| {
        let mut spec =
            json!({"tenantRef": {"name": "demo"}, "clientId": "abc", "clientSecretRef": {"name": "s", "key": "k"}});
        spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        spec
    };
    assert!(provider_verdict(base(json!({"type": "google"}))));
    // The OpenID Connect presets accept an issuer override; the OAuth 2 ones do not.
    assert!(provider_verdict(base(
        json!({"type": "google", "issuer": "https://accounts.google.com"})
    )));
    assert!(!provider_verdict(base(
        json!({"type": "github", "issuer": "https://github.example.com"})
    )));
    assert!(provider_verdict(base(
        json!({"type": "oidc", "issuer": "https://id.example.com"})
    )));
    assert!(!provider_verdict(base(json!({"type": "oidc"}))));
    // Upstream URLs are https, or http on a loopback host only.
    assert!(provider_verdict(base(
        json!({"type": "oidc", "issuer": "http://127.0.0.1:4000"})
    )));
    assert!(!provider_verdict(base(
        json!({"type": "oidc", "issuer": "http://id.example.com"})
    )));
    assert!(!provider_verdict(base(
        json!({"type": "oidc", "issuer": "https://id.example.com/"})
    )));
    assert!(!provider_verdict(base(
        json!({"type": "github", "tokenUrl": "http://ghe.example.com/token"})
    )));
    assert!(provider_verdict(base(
        json!({"type": "github", "tokenUrl": "http://localhost:8080/token"})
    )));
    // Apple needs the ids of its key, and only Apple takes them.
    let apple = json!({"teamId": "TEAM123456", "keyId": "KEY1234567"});
    assert!(provider_verdict(base(json!({"type": "apple", "apple": apple}))));
    assert!(!provider_verdict(base(json!({"type": "apple"}))));
    assert!(!provider_verdict(base(json!({"type": "google", "apple": apple}))));
    assert!(!provider_verdict(base(
        json!({"type": "apple", "apple": {"teamId": "TEAM 1", "keyId": "K"}})
    )));
    let endpoints = json!({
        "type": "oauth2",
        "authorizationUrl": "https://a.example.com/auth",
        "tokenUrl": "https://a.example.com/token",
        "userinfoUrl": "https://a.example.com/me",
    });
    assert!(provider_verdict(base(endpoints)));
    assert!(!provider_verdict(base(
        json!({"type": "oauth2", "tokenUrl": "https://a.example.com/token"})
    )));
    // The OAuth 2 presets accept endpoint overrides (GitHub Enterprise); the OpenID ones do not.
    assert!(provider_verdict(base(
        json!({"type": "github", "tokenUrl": "https://github.example.com/login/oauth/access_token"})
    )));
    assert!(!provider_verdict(base(
        json!({"type": "google", "tokenUrl": "https://a.example.com/token"})
    )));
    assert!(!provider_verdict(base(
        json!({"type": "github", "scopes": ["user", "user"]})
    )));
}

fn consent_verdict(purposes: Value) -> bool {
    let spec = json!({"tenantRef": {"name": "demo"}, "version": "1", "purposes": purposes});
    let cel = Validator::new().validate(&schema::<ConsentPolicy>(), &object("ConsentPolicy", spec.clone()), None);
    let rust = serde_json::from_value::<ConsentPolicySpec>(spec.clone())
        .unwrap()
        .validate();
    assert_eq!(
        cel.is_ok(),
        rust.is_ok(),
        "CEL and Rust disagree on {spec}: {cel:?} / {rust:?}"
    );
    cel.is_ok()
}

#[test]
fn an_inactivity_warning_needs_an_inactivity_erasure() {
    let verdict = |retention: Value| {
        let spec = json!({"tenantRef": {"name": "demo"}, "version": "1", "dataRetention": retention});
        Validator::new()
            .validate(&schema::<ConsentPolicy>(), &object("ConsentPolicy", spec), None)
            .is_ok()
    };
    assert!(verdict(
        json!({"inactiveAccounts": "17520h", "inactiveAccountsWarning": "720h"})
    ));
    assert!(verdict(json!({"inactiveAccounts": "17520h"})));
    assert!(!verdict(json!({"inactiveAccountsWarning": "720h"})));
}

#[test]
fn consent_purpose_rules_agree() {
    let purpose = |id: &str, title: Value, required: bool, basis: &str| json!({"id": id, "title": title, "required": required, "legalBasis": basis});
    let en = json!({"en": "Newsletter"});
    assert!(consent_verdict(json!([purpose("news", en.clone(), false, "consent")])));
    assert!(consent_verdict(json!([purpose(
        "orders",
        en.clone(),
        true,
        "contract"
    )])));
    assert!(!consent_verdict(json!([purpose("news", en.clone(), true, "consent")])));
    assert!(!consent_verdict(json!([purpose(
        "news",
        json!({"de": "Newsletter"}),
        false,
        "consent"
    )])));
    assert!(!consent_verdict(json!([
        purpose("news", en.clone(), false, "consent"),
        purpose("news", en, false, "consent"),
    ])));
}

/// Every list a CEL rule walks has a bound: a server that evaluates CEL refuses a CRD whose
/// rules may cost more than its budget.
#[test]
fn every_rule_fits_the_api_servers_cost_budget() {
    for (kind, schema) in [
        ("Client", schema::<Client>()),
        ("SocialProvider", schema::<SocialProvider>()),
        ("ConsentPolicy", schema::<ConsentPolicy>()),
        ("Tenant", schema::<Tenant>()),
    ] {
        let mut checked = 0;
        check_costs(kind, &schema, &mut checked);
        assert!(checked > 0, "{kind} has rules");
    }
}

/// Estimates every `x-kubernetes-validations` rule in `schema` against the node it is on.
fn check_costs(kind: &str, schema: &Value, checked: &mut usize) {
    use kube::core::cel::{compile_schema, estimate_rule_cost};
    if let Some(rules) = schema.get("x-kubernetes-validations").and_then(Value::as_array) {
        let compiled = compile_schema(schema);
        for rule in rules.iter().filter_map(|r| r["rule"].as_str()) {
            let warnings = estimate_rule_cost(rule, &compiled);
            assert!(warnings.is_empty(), "{kind}: {rule}: {warnings:?}");
            *checked += 1;
        }
    }
    match schema {
        Value::Object(map) => map.values().for_each(|v| check_costs(kind, v, checked)),
        Value::Array(items) => items.iter().for_each(|v| check_costs(kind, v, checked)),
        _ => {}
    }
}

fn breached(settings: Value) -> Value {
    json!({"issuer": "https://id.example.com", "attackProtection": {"breachedPasswords": settings}})
}

#[test]
fn breached_password_rules_agree() {
    assert!(tenant_verdict(breached(json!({}))));
    assert!(tenant_verdict(breached(
        json!({"rangeApi": {"baseUrl": "https://hibp.internal.example.com/pwned", "timeoutSeconds": 10, "failMode": "closed"}})
    )));
    assert!(tenant_verdict(breached(
        json!({"rangeApi": {"baseUrl": "http://127.0.0.1:8080"}})
    )));
    for base in [
        "http://hibp.example.com",
        "https://api.pwnedpasswords.com/",
        "https://api.pwnedpasswords.com?x=1",
        "https://user:pw@api.pwnedpasswords.com",
        "ftp://api.pwnedpasswords.com",
    ] {
        assert!(
            !tenant_verdict(breached(json!({"rangeApi": {"baseUrl": base}}))),
            "{base}"
        );
    }
    for timeout in [0, 11] {
        assert!(!tenant_verdict(breached(
            json!({"rangeApi": {"timeoutSeconds": timeout}})
        )));
    }
    let corpus = |value: Value| breached(json!({"localCorpus": value}));
    assert!(tenant_verdict(corpus(
        json!({"persistentVolumeClaim": "hibp", "path": "pwned/corpus.bin"})
    )));
    assert!(
        !tenant_verdict(corpus(json!({"path": "corpus.bin"}))),
        "the claim is required"
    );
    assert!(!tenant_verdict(corpus(
        json!({"persistentVolumeClaim": "hibp", "path": "/corpus.bin"})
    )));
    assert!(!tenant_verdict(corpus(
        json!({"persistentVolumeClaim": "hibp", "path": "a/../../etc"})
    )));
    assert!(!tenant_verdict(corpus(
        json!({"persistentVolumeClaim": "hibp", "path": ""})
    )));
    assert!(!tenant_verdict(corpus(
        json!({"persistentVolumeClaim": "Not_A_Name", "path": "c.bin"})
    )));
}
