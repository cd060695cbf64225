//! ConsentPolicy served through the attachment path: put into its Tenant's config with its version
//! and purposes and Ready once the pods serve it; a Tenant serves one, the first created, and a
//! second is `Conflict` (condition and Event naming the first) until the first is deleted; an
//! invalid spec names its field; a new version is a new config generation.

use kube::Api;
use kube::api::DeleteParams;
use serde_json::json;
use vestibule_crds::config::{ConsentPolicyConfig, TenantConfig};
use vestibule_crds::v1alpha1::{ConsentPolicy, Jurisdiction, LegalBasis, Tenant};

use crate::support::*;

/// A ConsentPolicy `name` of Tenant `demo` (in `tenant_namespace` when given) at `version`, with
/// a required contract purpose and an optional marketing one.
fn policy_yaml(name: &str, tenant_namespace: Option<&str>, version: &str) -> String {
    let namespace = tenant_namespace
        .map(|n| format!(", namespace: {n}"))
        .unwrap_or_default();
    format!(
        "apiVersion: vestibule.dev/v1alpha1
kind: ConsentPolicy
metadata: {{name: {name}}}
spec:
  tenantRef: {{name: demo{namespace}}}
  version: '{version}'
  documents: {{privacy: https://demo.example.com/privacy}}
  purposes:
    - {{id: account, title: {{en: Your account, de: Ihr Konto}}, required: true, legalBasis: contract}}
    - {{id: newsletter, title: {{en: Newsletter}}, legalBasis: consent, retention: 720h}}
"
    )
}

/// Waits until ConsentPolicy `name` reports `Ready` with `status` and `reason` for its current
/// generation, and returns the message.
async fn ready_as(client: &kube::Client, ns: &str, name: &str, status: &str, reason: &str) -> String {
    let api = Api::<ConsentPolicy>::namespaced(client.clone(), ns);
    eventually(&format!("{name} Ready={status} {reason}"), || async {
        let policy = api.get_opt(name).await.ok()??;
        let current = policy.status.as_ref()?;
        let fresh = current.observed_generation == policy.metadata.generation;
        let (found, why, message) = ready(&current.conditions)?;
        (fresh && found == status && why == reason).then(|| message.to_owned())
    })
    .await
}

/// Waits until the config of Tenant `demo` serves exactly the consent policy `id`, and returns
/// the config.
async fn config_serving(client: &kube::Client, ns: &str, id: &str, version: &str) -> TenantConfig {
    eventually(&format!("{id} version {version} in the config"), || async {
        let config = served_config(client, ns, "demo").await?;
        let only = match config.consent_policies.as_slice() {
            [only] => only,
            _ => return None,
        };
        (only.id == id && only.version == version).then_some(config)
    })
    .await
}

/// Waits until no second has passed since `policy` was created, so that the next object is
/// created later by the API server's clock (creation times have whole seconds).
async fn after_creation_of(policy: &ConsentPolicy) {
    let created = policy.metadata.creation_timestamp.as_ref().unwrap().0;
    eventually("the next second", || async {
        (k8s_openapi::jiff::Timestamp::now().as_second() > created.as_second()).then_some(())
    })
    .await;
}

fn assert_entry(entry: &ConsentPolicyConfig) {
    assert_eq!(
        entry.documents.privacy.as_deref(),
        Some("https://demo.example.com/privacy")
    );
    assert_eq!(entry.jurisdiction, Jurisdiction::Gdpr, "the default");
    let purposes: Vec<(&str, bool, LegalBasis)> = entry
        .purposes
        .iter()
        .map(|purpose| (purpose.id.as_str(), purpose.required, purpose.legal_basis))
        .collect();
    assert_eq!(
        purposes,
        [
            ("account", true, LegalBasis::Contract),
            ("newsletter", false, LegalBasis::Consent)
        ]
    );
    assert_eq!(entry.purposes[0].title["de"], "Ihr Konto");
}

#[tokio::test]
async fn a_tenant_serves_the_first_consent_policy_and_the_next_once_it_is_deleted() {
    let (client, ns) = namespace().await;
    let (_, other) = namespace().await;
    let settings = config(&[&ns, &other]);
    let port = settings.idp_admin_port;
    let operator = start(settings).await;
    create::<ConsentPolicy>(&client, &ns, &policy_yaml("terms", None, "1")).await;
    ready_as(&client, &ns, "terms", "False", "TenantNotFound").await;
    // Created before the policies of the Tenant's own namespace, but from a namespace the Tenant
    // does not admit: it cannot take their place.
    create::<ConsentPolicy>(&client, &other, &policy_yaml("foreign", Some(&ns), "1")).await;

    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let served = fake_idp_pod(&client, &ns, "demo", port).await;
    let follower = follow_config(&client, &ns, "demo", served);
    let config = config_serving(&client, &ns, &format!("{ns}.terms"), "1").await;
    config.validate().unwrap();
    assert_entry(&config.consent_policies[0]);
    let message = ready_as(&client, &ns, "terms", "True", "Available").await;
    assert!(message.contains(&format!("{ns}.terms")), "{message}");
    ready_as(&client, &other, "foreign", "False", "NamespaceNotAllowed").await;

    // Created a second later, with a name that sorts first: creation order decides.
    let terms = Api::<ConsentPolicy>::namespaced(client.clone(), &ns)
        .get("terms")
        .await
        .unwrap();
    after_creation_of(&terms).await;
    create::<ConsentPolicy>(&client, &ns, &policy_yaml("privacy", None, "7")).await;
    let conflict = ready_as(&client, &ns, "privacy", "False", "Conflict").await;
    assert!(
        conflict.contains(&format!("ConsentPolicy {ns}/terms was created first")),
        "{conflict}"
    );
    let event = wait_event(&client, &ns, "privacy", "Conflict").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    ready_as(&client, &ns, "terms", "True", "Available").await;
    config_serving(&client, &ns, &format!("{ns}.terms"), "1").await;

    Api::<ConsentPolicy>::namespaced(client.clone(), &ns)
        .delete("terms", &DeleteParams::default())
        .await
        .unwrap();
    config_serving(&client, &ns, &format!("{ns}.privacy"), "7").await;
    let message = ready_as(&client, &ns, "privacy", "True", "Available").await;
    assert!(message.contains(&format!("{ns}.privacy")), "{message}");
    follower.abort();
    operator.stop().await;
}

#[tokio::test]
async fn an_invalid_consent_policy_names_its_field_and_a_new_version_is_a_new_generation() {
    let (client, ns) = namespace().await;
    let settings = config(&[&ns]);
    let port = settings.idp_admin_port;
    let operator = start(settings).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let served = fake_idp_pod(&client, &ns, "demo", port).await;
    let follower = follow_config(&client, &ns, "demo", served);
    let invalid = policy_yaml("terms", None, "1").replace("https://demo.example.com/privacy", "ftp://demo.example.com");
    create::<ConsentPolicy>(&client, &ns, &invalid).await;
    let message = ready_as(&client, &ns, "terms", "False", "InvalidSpec").await;
    assert!(message.contains("spec.documents.privacy"), "{message}");
    let event = wait_event(&client, &ns, "terms", "InvalidSpec").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    let config = eventually("the config of demo", || served_config(&client, &ns, "demo")).await;
    assert!(config.consent_policies.is_empty(), "nothing invalid reaches the IdP");

    let privacy = json!({"spec": {"documents": {"privacy": "https://demo.example.com/privacy"}}});
    merge::<ConsentPolicy>(&client, &ns, "terms", privacy).await;
    let id = format!("{ns}.terms");
    let first = config_serving(&client, &ns, &id, "1").await;
    ready_as(&client, &ns, "terms", "True", "Available").await;

    merge::<ConsentPolicy>(&client, &ns, "terms", json!({"spec": {"version": "2"}})).await;
    let second = config_serving(&client, &ns, &id, "2").await;
    assert!(
        second.generation > first.generation,
        "generation {} after {}",
        second.generation,
        first.generation
    );
    assert_entry(&second.consent_policies[0]);
    ready_as(&client, &ns, "terms", "True", "Available").await;
    eventually("the Tenant to serve the new generation", || async {
        let tenant = Api::<Tenant>::namespaced(client.clone(), &ns).get("demo").await.ok()?;
        (tenant.status?.config_generation? >= second.generation).then_some(())
    })
    .await;

    // A refused edit keeps the version customers agreed to.
    merge::<ConsentPolicy>(
        &client,
        &ns,
        "terms",
        json!({"spec": {"documents": {"terms": "http://x.example.com"}}}),
    )
    .await;
    let message = ready_as(&client, &ns, "terms", "False", "InvalidSpec").await;
    assert!(
        message.contains("spec.documents.terms") && message.contains("keeps serving the last accepted version"),
        "{message}"
    );
    config_serving(&client, &ns, &id, "2").await;
    follower.abort();
    operator.stop().await;
}
