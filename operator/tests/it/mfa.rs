//! MfaPolicy served through the attachment path: an invalid spec names its field, a valid one is
//! put into its Tenant's config and is Ready once the pods serve it, `spec.appliesTo.clients`
//! naming a Client the Tenant does not serve is a warning (condition and Event) that clears when
//! such a Client appears, and a deleted policy leaves the config.

use kube::Api;
use kube::api::DeleteParams;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Client, Enforcement, Factor, MfaPolicy, Tenant};

use crate::support::*;

const POLICY: &str = "apiVersion: vestibule.dev/v1alpha1
kind: MfaPolicy
metadata: {name: strict}
spec:
  tenantRef: {name: demo}
  factors: [totp, recoveryCodes]
  enforcement: required
  appliesTo: {clients: [web, ghost]}
";

/// Waits until MfaPolicy `name` has the condition `type_` with `status` and `reason` for its
/// current generation, and returns the message.
async fn condition(client: &kube::Client, ns: &str, name: &str, type_: &str, status: &str, reason: &str) -> String {
    condition_saying(client, ns, name, (type_, status, reason), |_| true).await
}

/// Waits until MfaPolicy `name` has the condition `(type, status, reason)` for its current
/// generation with a message that `says`, and returns the message.
async fn condition_saying(
    client: &kube::Client,
    ns: &str,
    name: &str,
    (type_, status, reason): (&str, &str, &str),
    says: impl Fn(&str) -> bool,
) -> String {
    let api = Api::<MfaPolicy>::namespaced(client.clone(), ns);
    eventually(&format!("{name} {type_}={status} {reason}"), || async {
        let policy = api.get_opt(name).await.ok()??;
        let current = policy.status.as_ref()?;
        let fresh = current.observed_generation == policy.metadata.generation;
        let found = current.conditions.iter().find(|c| c.type_ == type_)?;
        let wanted = fresh && found.status == status && found.reason == reason && says(&found.message);
        wanted.then(|| found.message.clone())
    })
    .await
}

/// Waits until the served config of Tenant `demo` satisfies `test`.
async fn config_where(
    client: &kube::Client,
    ns: &str,
    what: &str,
    test: impl Fn(&TenantConfig) -> bool,
) -> TenantConfig {
    eventually(what, || async {
        served_config(client, ns, "demo").await.filter(|config| test(config))
    })
    .await
}

#[tokio::test]
async fn an_mfa_policy_is_served_and_warns_about_clients_the_tenant_does_not_serve() {
    let (client, ns) = namespace().await;
    let settings = config(&[&ns]);
    let port = settings.idp_admin_port;
    let operator = start(settings).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "  clientId: web\n")).await;

    let invalid = "apiVersion: vestibule.dev/v1alpha1\nkind: MfaPolicy\nmetadata: {name: broken}\nspec:\n  tenantRef: {name: demo}\n  factors: [totp]\n  passkeys: {passwordless: true}\n";
    create::<MfaPolicy>(&client, &ns, invalid).await;
    let message = condition(&client, &ns, "broken", "Ready", "False", "InvalidSpec").await;
    assert!(message.contains("spec.passkeys.passwordless"), "{message}");

    create::<MfaPolicy>(&client, &ns, POLICY).await;
    let id = format!("{ns}.strict");
    let config = config_where(&client, &ns, "the policy in the config", |config| {
        config.mfa_policies.iter().any(|policy| policy.id == id)
    })
    .await;
    config.validate().unwrap();
    assert_eq!(config.mfa_policies.len(), 1, "the invalid policy is not served");
    let entry = &config.mfa_policies[0];
    assert_eq!(entry.factors, [Factor::Totp, Factor::RecoveryCodes]);
    assert_eq!(entry.enforcement, Enforcement::Required);
    assert_eq!(entry.applies_to.clients, ["web", "ghost"]);

    // Once the Tenant serves Client web, the warning names only ghost.
    let unknown = ("ClientsResolved", "False", "UnknownClients");
    let warning = condition_saying(&client, &ns, "strict", unknown, |message| !message.contains("web")).await;
    assert!(
        warning.contains("spec.appliesTo.clients") && warning.contains("client_id ghost;"),
        "{warning}"
    );
    let event = wait_event(&client, &ns, "strict", "UnknownClients").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    // In the config, not yet served by pods: not Ready.
    condition(&client, &ns, "strict", "Ready", "False", "Progressing").await;

    let served = fake_idp_pod(&client, &ns, "demo", port).await;
    let follower = follow_config(&client, &ns, "demo", served.clone());
    let message = condition(&client, &ns, "strict", "Ready", "True", "Available").await;
    assert!(message.contains(&id), "{message}");

    create::<Client>(&client, &ns, &client_yaml("ghost", "demo", None, "  clientId: ghost\n")).await;
    condition(&client, &ns, "strict", "ClientsResolved", "True", "Available").await;

    Api::<MfaPolicy>::namespaced(client.clone(), &ns)
        .delete("strict", &DeleteParams::default())
        .await
        .unwrap();
    config_where(&client, &ns, "the policy gone from the config", |config| {
        config.mfa_policies.is_empty()
    })
    .await;
    follower.abort();
    operator.stop().await;
}

#[tokio::test]
async fn passkeys_the_idp_cannot_serve_are_refused_naming_the_field() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let tenant = "apiVersion: vestibule.dev/v1alpha1\nkind: Tenant\nmetadata: {name: local}\nspec:\n  issuer: http://127.0.0.1:8080\n";
    create::<Tenant>(&client, &ns, tenant).await;
    let under_an_address = "apiVersion: vestibule.dev/v1alpha1\nkind: MfaPolicy\nmetadata: {name: keys}\nspec:\n  tenantRef: {name: local}\n  factors: [webauthn]\n";
    create::<MfaPolicy>(&client, &ns, under_an_address).await;
    let message = condition(&client, &ns, "keys", "Ready", "False", "InvalidSpec").await;
    assert!(
        message.contains("spec.factors") && message.contains("domain name"),
        "{message}"
    );

    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let unverified = "apiVersion: vestibule.dev/v1alpha1\nkind: MfaPolicy\nmetadata: {name: loose}\nspec:\n  tenantRef: {name: demo}\n  factors: [webauthn, totp]\n  passkeys: {userVerification: discouraged}\n";
    create::<MfaPolicy>(&client, &ns, unverified).await;
    let message = condition(&client, &ns, "loose", "Ready", "False", "InvalidSpec").await;
    assert!(message.contains("spec.passkeys.userVerification"), "{message}");
    let config = config_where(&client, &ns, "the config of demo", |_| true).await;
    assert!(
        config.mfa_policies.is_empty(),
        "nothing the IdP would refuse reaches its config"
    );
    operator.stop().await;
}
