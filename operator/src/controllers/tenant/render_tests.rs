//! Rendering the config: admission, ordering, hashes only, generations.

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;
use vestibule_crds::v1alpha1::{Client, ClientSpec};

use super::*;

fn tenant(yaml: &str) -> Tenant {
    let mut tenant = Tenant::new("demo", serde_yaml::from_str(yaml).unwrap());
    tenant.metadata.namespace = Some("shop".into());
    tenant
}

fn entry(namespace: &str, name: &str, yaml: &str, secret: Option<&str>) -> ClientEntry {
    let spec: ClientSpec = serde_yaml::from_str(yaml).unwrap();
    let mut client = Client::new(name, spec);
    client.metadata.namespace = Some(namespace.into());
    let credentials = secret.map(|value| Secret {
        metadata: ObjectMeta::default(),
        data: Some([("clientSecret".to_owned(), ByteString(value.as_bytes().to_vec()))].into()),
        ..Secret::default()
    });
    ClientEntry { client, credentials }
}

const WEB: &str = "tenantRef: {name: demo, namespace: shop}\nredirectUris: [https://a.example.com/cb]";
const SPA: &str = "tenantRef: {name: demo, namespace: shop}\ntype: public\nredirectUris: [https://a.example.com/cb]";

fn valid() -> Valid {
    Valid {
        database_hash: None,
        smtp_password: None,
    }
}

#[test]
fn clients_are_sorted_by_id_and_carry_only_secret_hashes() {
    let tenant = tenant("issuer: https://id.example.com");
    let entries = [
        entry("shop", "web", WEB, Some("s3cret")),
        entry("shop", "app", SPA, None),
    ];
    let clients = admitted_clients(&tenant, &entries, Timestamp::UNIX_EPOCH);
    let ids: Vec<_> = clients.iter().map(|c| c.client_id.as_str()).collect();
    assert_eq!(ids, ["shop.app", "shop.web"]);
    let config = render(&tenant, &valid(), clients, None, None);
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
    let entries = [
        entry("other", "remote", WEB, Some("x")),
        entry("shop", "waiting", WEB, None),
        entry(
            "shop",
            "bad",
            "tenantRef: {name: demo}\nredirectUris: [http://a.example.com/cb]",
            Some("x"),
        ),
    ];
    assert!(admitted_clients(&tenant, &entries, Timestamp::UNIX_EPOCH).is_empty());
}

#[test]
fn a_duplicate_client_id_keeps_the_first_client() {
    let tenant = tenant("issuer: https://id.example.com");
    let with_id = format!("{WEB}\nclientId: shared");
    let entries = [
        entry("shop", "b", &with_id, Some("b")),
        entry("shop", "a", &with_id, Some("a")),
    ];
    let clients = admitted_clients(&tenant, &entries, Timestamp::UNIX_EPOCH);
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].secrets[0].sha256, ClientSecretHashOf::of("a"));
}

#[test]
fn the_generation_moves_only_when_the_content_changes() {
    let base = tenant("issuer: https://id.example.com");
    let first = render(&base, &valid(), Vec::new(), None, None);
    assert_eq!(first.generation, 1);
    let same = render(&base, &valid(), Vec::new(), Some(&first), Some(1));
    assert_eq!(same.generation, 1);
    let changed = render(
        &tenant("issuer: https://id.example.com\ndisplayName: New"),
        &valid(),
        Vec::new(),
        Some(&first),
        Some(1),
    );
    assert_eq!(changed.generation, 2);
    // An unreadable previous config still moves the generation forward, never back.
    let unreadable = render(&base, &valid(), Vec::new(), None, Some(7));
    assert_eq!(unreadable.generation, 8);
}

#[test]
fn the_longest_token_lifetime_includes_client_overrides() {
    let tenant = tenant("issuer: https://id.example.com");
    let long = format!("{WEB}\ntokens: {{idTokenLifetime: 20h}}");
    let clients = admitted_clients(
        &tenant,
        &[entry("shop", "web", &long, Some("x"))],
        Timestamp::UNIX_EPOCH,
    );
    let config = render(&tenant, &valid(), clients, None, None);
    assert_eq!(max_token_lifetime(&config), Duration::from_hours(20));
}

#[test]
fn the_served_generation_is_read_back_from_the_written_config() {
    let tenant = tenant("issuer: https://id.example.com\ndisplayName: 'generation: 9'");
    let clients = admitted_clients(
        &tenant,
        &[entry("shop", "web", WEB, Some("s3cret"))],
        Timestamp::UNIX_EPOCH,
    );
    let previous = render(&tenant, &valid(), clients.clone(), None, Some(6));
    let config = render(
        &tenant,
        &valid(),
        Vec::new(),
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
