//! Rendering the config: judgement of attachments, claims, last known good, hashes only,
//! generations.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::core::DeserializeGuard;
use kube::core::error_boundary::InvalidObject;
use vestibule_crds::v1alpha1::{Client, ClientSpec, ConsentPolicy};

use super::*;
use crate::controllers::attachment::{Candidate, Recorded, Source};
use crate::controllers::client::credentials::Credentials;

fn tenant(yaml: &str) -> Tenant {
    let mut tenant = Tenant::new("demo", serde_yaml::from_str(yaml).unwrap());
    tenant.metadata.namespace = Some("shop".into());
    tenant
}

/// A Client `namespace/name` created at second `created`, whose credentials hold `secret`.
fn candidate(namespace: &str, name: &str, yaml: &str, secret: Option<&str>, created: i64) -> Candidate<Client> {
    let spec: ClientSpec = serde_yaml::from_str(yaml).unwrap();
    let mut client = Client::new(name, spec);
    client.metadata.namespace = Some(namespace.into());
    client.metadata.uid = Some(format!("uid-{namespace}-{name}"));
    client.metadata.creation_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::from_second(created).unwrap()));
    let recorded = Recorded {
        secret_name: Some(client.spec.effective_secret_name(name)),
        credentials: secret.map(|value| Credentials {
            secret: value.into(),
            pending: None,
            previous: None,
            rotated_for: None,
        }),
        ..Recorded::default()
    };
    Candidate {
        source: Source::of::<Client>(&client.metadata),
        object: Arc::new(DeserializeGuard(Ok(client))),
        recorded,
    }
}

fn entry(namespace: &str, name: &str, yaml: &str, secret: Option<&str>) -> Candidate<Client> {
    candidate(namespace, name, yaml, secret, 1)
}

fn clients(tenant: &Tenant, candidates: Vec<Candidate<Client>>, previous: Option<&TenantConfig>) -> Vec<ClientConfig> {
    let attached = Attached {
        candidates,
        secrets: HashMap::new(),
    };
    judged(tenant, &attached, previous, Timestamp::UNIX_EPOCH)
}

fn with_clients(clients: Vec<ClientConfig>) -> Entries {
    Entries {
        clients,
        ..Entries::default()
    }
}

const WEB: &str = "tenantRef: {name: demo, namespace: shop}\nredirectUris: [https://a.example.com/cb]";
const SPA: &str = "tenantRef: {name: demo, namespace: shop}\ntype: public\nredirectUris: [https://a.example.com/cb]";

fn valid() -> Valid {
    Valid {
        database_hash: None,
        smtp_password: None,
        captcha_secret: None,
    }
}

#[test]
fn the_captcha_secret_is_served_resolved_and_its_reference_dropped() {
    let tenant = tenant(
        "issuer: https://id.example.com\nattackProtection: {challenge: {captcha: {provider: hcaptcha, siteKey: site, secretRef: {name: captcha, key: secret}}}}",
    );
    let valid = Valid {
        captcha_secret: Some(vestibule_crds::SecretString::new("0xs3cret")),
        ..valid()
    };
    let config = render(&tenant, &valid, Entries::default(), None, None);
    let captcha = config.attack_protection.challenge.captcha.clone().unwrap();
    assert_eq!(captcha.secret.unwrap().expose(), "0xs3cret");
    assert!(captcha.secret_ref.is_none());
    config.validate().unwrap();
}

#[test]
fn clients_are_sorted_by_id_and_carry_only_secret_hashes() {
    let tenant = tenant("issuer: https://id.example.com");
    let entries = vec![
        entry("shop", "web", WEB, Some("s3cret")),
        entry("shop", "app", SPA, None),
    ];
    let clients = clients(&tenant, entries, None);
    let ids: Vec<_> = clients.iter().map(|c| c.client_id.as_str()).collect();
    assert_eq!(ids, ["shop.app", "shop.web"]);
    let config = render(&tenant, &valid(), with_clients(clients), None, None);
    let text = serde_yaml::to_string(&config).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains(&ClientSecretHashOf::of("s3cret")));
    config.validate().unwrap();
}

struct ClientSecretHashOf;
impl ClientSecretHashOf {
    fn of(secret: &str) -> String {
        vestibule_crds::config::ClientSecretHash::of(secret, None).sha256
    }
}

#[test]
fn refused_and_secretless_clients_are_left_out() {
    let tenant = tenant("issuer: https://id.example.com");
    let entries = vec![
        entry("other", "remote", WEB, Some("x")),
        entry("shop", "waiting", WEB, None),
        entry(
            "shop",
            "bad",
            "tenantRef: {name: demo}\nredirectUris: [http://a.example.com/cb]",
            Some("x"),
        ),
    ];
    assert!(clients(&tenant, entries, None).is_empty());
}

#[test]
fn a_claimed_client_id_stays_with_the_first_claim_whatever_the_names() {
    let tenant = tenant("issuer: https://id.example.com");
    let with_id = format!("{WEB}\nclientId: shared");
    let entries = vec![
        candidate("shop", "zz-live", &with_id, Some("live"), 100),
        candidate("shop", "aa-later", &with_id, Some("later"), 200),
    ];
    let clients = clients(&tenant, entries, None);
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].secrets[0].sha256, ClientSecretHashOf::of("live"));
}

#[test]
fn a_refused_edit_keeps_the_entry_served_before() {
    let tenant = tenant("issuer: https://id.example.com");
    let served = clients(&tenant, vec![entry("shop", "web", WEB, Some("s"))], None);
    let previous = render(&tenant, &valid(), with_clients(served.clone()), None, None);
    let mut bad = entry(
        "shop",
        "web",
        "tenantRef: {name: demo}\nredirectUris: [http://a.example.com/cb]",
        Some("s"),
    );
    bad.recorded.id = Some("shop.web".into());
    assert_eq!(clients(&tenant, vec![bad], Some(&previous)), served);

    // Not even parseable: its record says which entry was its own.
    let mut broken = entry("shop", "web", WEB, Some("s"));
    broken.recorded.id = Some("shop.web".into());
    let meta = broken.object.0.as_ref().unwrap().metadata.clone();
    broken.object = Arc::new(DeserializeGuard(Err(InvalidObject {
        error: "invalid duration".into(),
        metadata: meta,
    })));
    assert_eq!(clients(&tenant, vec![broken], Some(&previous)), served);

    // A Client that was never served has nothing to keep.
    let fresh_bad = entry(
        "shop",
        "new",
        "tenantRef: {name: demo}\nredirectUris: [http://a.example.com/cb]",
        Some("s"),
    );
    assert!(clients(&tenant, vec![fresh_bad], Some(&previous)).is_empty());
}

#[test]
fn the_generation_moves_only_when_the_content_changes() {
    let base = tenant("issuer: https://id.example.com");
    let first = render(&base, &valid(), Entries::default(), None, None);
    assert_eq!(first.generation, 1);
    let same = render(&base, &valid(), Entries::default(), Some(&first), Some(1));
    assert_eq!(same.generation, 1);
    let changed = render(
        &tenant("issuer: https://id.example.com\ndisplayName: New"),
        &valid(),
        Entries::default(),
        Some(&first),
        Some(1),
    );
    assert_eq!(changed.generation, 2);
    // An unreadable previous config still moves the generation forward, never back.
    let unreadable = render(&base, &valid(), Entries::default(), None, Some(7));
    assert_eq!(unreadable.generation, 8);
}

#[test]
fn the_longest_token_lifetime_includes_client_overrides() {
    let tenant = tenant("issuer: https://id.example.com");
    let long = format!("{WEB}\ntokens: {{idTokenLifetime: 20h}}");
    let clients = clients(&tenant, vec![entry("shop", "web", &long, Some("x"))], None);
    let config = render(&tenant, &valid(), with_clients(clients), None, None);
    assert_eq!(max_token_lifetime(&config), Duration::from_hours(20));
}

#[test]
fn the_served_generation_is_read_back_from_the_written_config() {
    let tenant = tenant("issuer: https://id.example.com\ndisplayName: 'generation: 9'");
    let clients = clients(&tenant, vec![entry("shop", "web", WEB, Some("s3cret"))], None);
    let previous = render(&tenant, &valid(), with_clients(clients), None, Some(6));
    let config = render(
        &tenant,
        &valid(),
        Entries::default(),
        Some(&previous),
        Some(previous.generation),
    );
    assert_eq!(config.generation, 8);
    let secret = Secret {
        data: Some(
            [(
                crate::names::CONFIG_KEY.to_owned(),
                ByteString(serde_yaml::to_string(&config).unwrap().into_bytes()),
            )]
            .into(),
        ),
        ..Secret::default()
    };
    assert_eq!(super::super::dereference::raw_generation(&secret), Some(8));
}

#[test]
fn a_config_over_the_secret_limit_is_refused_with_its_size_and_the_limit() {
    assert!(check_size(&"x".repeat(MAX_SECRET_BYTES)).is_ok());
    let refusal = check_size(&"x".repeat(MAX_SECRET_BYTES + 1)).unwrap_err();
    assert_eq!(refusal.reason, crate::conditions::Reason::ConfigTooLarge);
    assert!(refusal.message.contains("1048577 bytes"), "{}", refusal.message);
    assert!(refusal.message.contains("1048576"), "{}", refusal.message);
}

#[test]
fn a_corpus_on_a_claim_is_rendered_as_the_file_where_it_is_mounted() {
    let tenant = tenant(
        "issuer: https://id.example.com\nattackProtection: {breachedPasswords: {localCorpus: {persistentVolumeClaim: hibp, path: pwned/corpus.bin}}}",
    );
    let config = render(&tenant, &valid(), Entries::default(), None, None);
    let corpus = config
        .attack_protection
        .breached_passwords
        .local_corpus
        .clone()
        .unwrap();
    assert_eq!(corpus.path, "/var/lib/vestibule-breached/pwned/corpus.bin");
    assert!(corpus.persistent_volume_claim.is_none());
    config.validate().unwrap();
}

/// A ConsentPolicy `namespace/name` of Tenant `shop/demo` created at second `created`.
fn consent_policy(namespace: &str, name: &str, created: i64) -> Candidate<ConsentPolicy> {
    let spec = serde_yaml::from_str("tenantRef: {name: demo, namespace: shop}\nversion: '1'").unwrap();
    let mut policy = ConsentPolicy::new(name, spec);
    policy.metadata.namespace = Some(namespace.into());
    policy.metadata.uid = Some(format!("uid-{namespace}-{name}"));
    policy.metadata.creation_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::from_second(created).unwrap()));
    Candidate {
        source: Source::of::<ConsentPolicy>(&policy.metadata),
        object: Arc::new(DeserializeGuard(Ok(policy))),
        recorded: Recorded::default(),
    }
}

#[test]
fn one_consent_policy_is_rendered_the_first_created_of_an_admitted_namespace() {
    let tenant = tenant("issuer: https://id.example.com");
    let candidates = vec![
        consent_policy("elsewhere", "earliest", 50),
        consent_policy("shop", "zz-terms", 100),
        consent_policy("shop", "aa-terms", 200),
        consent_policy("shop", "mm-terms", 100),
    ];
    let attached = Attached {
        candidates,
        secrets: HashMap::new(),
    };
    let policies = judged(&tenant, &attached, None, Timestamp::UNIX_EPOCH);
    let ids: Vec<_> = policies.iter().map(|policy| policy.id.as_str()).collect();
    assert_eq!(ids, ["shop.mm-terms"], "the oldest, then by name");
    let entries = Entries {
        consent_policies: policies,
        ..Entries::default()
    };
    render(&tenant, &valid(), entries, None, None).validate().unwrap();
}
