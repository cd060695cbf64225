//! Whether a Client may attach to a Tenant: the rules both the Client and the Tenant controller
//! apply, so a refused Client has no effect on the Tenant. Pure.

use std::sync::Arc;

use vestibule_crds::v1alpha1::{Client, ClientSpec, Tenant};

use crate::conditions::{Decided, Reason};
use crate::controllers::attach::refers_to;

/// Refuses `client` for `tenant` (which lives in `tenant_namespace`), or admits it.
///
/// `recorded_tenant` is the Tenant (`namespace/name`) the Client was attached to before, as its
/// credentials Secret records it: older API servers drop the CEL immutability rules, so the
/// operator enforces them.
pub fn admit(client: &Client, namespace: &str, tenant: &Tenant, recorded_tenant: Option<&str>) -> Result<(), Decided> {
    let spec = &client.spec;
    invalid_spec(client, namespace, recorded_tenant)?;
    let tenant_namespace = spec.tenant_ref.namespace_or(namespace);
    if !tenant.spec.admits_namespace(tenant_namespace, namespace) {
        return Err(Decided::ready(
            false,
            Reason::NamespaceNotAllowed,
            format!(
                "Tenant {tenant_namespace}/{} does not admit namespace {namespace} (spec.allowedNamespaces)",
                spec.tenant_ref.name
            ),
        ));
    }
    let algorithms = &tenant.spec.signing_keys.algorithms;
    if !algorithms.contains(&spec.id_token_signed_response_alg) {
        return Err(invalid(format!(
            "spec.idTokenSignedResponseAlg: {} is not one of the Tenant's signingKeys.algorithms",
            spec.id_token_signed_response_alg.as_str()
        )));
    }
    Ok(())
}

/// The spec's own rules and immutability, without the Tenant.
pub fn invalid_spec(client: &Client, namespace: &str, recorded_tenant: Option<&str>) -> Result<(), Decided> {
    let spec = &client.spec;
    spec.validate().map_err(|errors| invalid(errors.to_string()))?;
    let name = client.metadata.name.as_deref().unwrap_or_default();
    let served_id = client.status.as_ref().and_then(|status| status.client_id.clone());
    let old = ClientSpec {
        tenant_ref: match recorded_tenant.and_then(|t| t.split_once('/')) {
            Some((tenant_namespace, tenant_name)) => vestibule_crds::v1alpha1::TenantRef {
                name: tenant_name.to_owned(),
                namespace: Some(tenant_namespace.to_owned()),
            },
            None => resolved_ref(spec, namespace),
        },
        client_id: Some(served_id.unwrap_or_else(|| spec.effective_client_id(namespace, name))),
        ..spec.clone()
    };
    let new = ClientSpec {
        tenant_ref: resolved_ref(spec, namespace),
        client_id: Some(spec.effective_client_id(namespace, name)),
        ..spec.clone()
    };
    new.validate_update(&old).map_err(|errors| invalid(errors.to_string()))
}

/// Refuses `client` when another Client of the same Tenant claims its `client_id` and comes
/// first by namespace and name: the one the Tenant serves (see the Tenant's render).
pub fn unique_client_id(
    client: &Client,
    namespace: &str,
    tenant: &Tenant,
    others: &[Arc<Client>],
) -> Result<(), Decided> {
    let name = client.metadata.name.as_deref().unwrap_or_default();
    let client_id = client.spec.effective_client_id(namespace, name);
    let tenant_namespace = tenant.metadata.namespace.as_deref().unwrap_or_default();
    let tenant_name = tenant.metadata.name.as_deref().unwrap_or_default();
    let own = (namespace, name);
    let first = others
        .iter()
        .filter_map(|other| {
            let other_namespace = other.metadata.namespace.as_deref()?;
            let other_name = other.metadata.name.as_deref()?;
            let same_tenant = refers_to(&other.spec.tenant_ref, other_namespace, tenant_namespace, tenant_name);
            let same_id = other.spec.effective_client_id(other_namespace, other_name) == client_id;
            (same_tenant && same_id && other.spec.validate().is_ok() && (other_namespace, other_name) < own)
                .then_some(format!("{other_namespace}/{other_name}"))
        })
        .min();
    match first {
        Some(owner) => Err(invalid(format!(
            "spec.clientId: {client_id} is already used by Client {owner} of the same Tenant"
        ))),
        None => Ok(()),
    }
}

fn resolved_ref(spec: &ClientSpec, namespace: &str) -> vestibule_crds::v1alpha1::TenantRef {
    vestibule_crds::v1alpha1::TenantRef {
        name: spec.tenant_ref.name.clone(),
        namespace: Some(spec.tenant_ref.namespace_or(namespace).to_owned()),
    }
}

fn invalid(message: String) -> Decided {
    Decided::ready(false, Reason::InvalidSpec, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(yaml: &str) -> Client {
        let spec: ClientSpec = serde_yaml::from_str(yaml).unwrap();
        let mut client = Client::new("web", spec);
        client.metadata.namespace = Some("shop".into());
        client
    }

    fn tenant(yaml: &str) -> Tenant {
        Tenant::new("demo", serde_yaml::from_str(yaml).unwrap())
    }

    const CLIENT: &str = "tenantRef: {name: demo}\nredirectUris: [https://app.example.com/cb]";

    #[test]
    fn a_valid_client_in_the_tenants_namespace_is_admitted() {
        let tenant = tenant("issuer: https://id.example.com");
        assert_eq!(admit(&client(CLIENT), "shop", &tenant, None), Ok(()));
        assert_eq!(admit(&client(CLIENT), "shop", &tenant, Some("shop/demo")), Ok(()));
    }

    #[test]
    fn an_invalid_spec_is_refused_naming_the_field() {
        let bad = client("tenantRef: {name: demo}\nredirectUris: [http://app.example.com/cb]");
        let refusal = admit(&bad, "shop", &tenant("issuer: https://id.example.com"), None).unwrap_err();
        assert_eq!(refusal.reason, Reason::InvalidSpec);
        assert!(refusal.message.contains("spec.redirectUris[0]"), "{}", refusal.message);
    }

    #[test]
    fn another_namespace_needs_the_tenants_permission() {
        let remote = client("tenantRef: {name: demo, namespace: idp}\nredirectUris: [https://a.example.com/cb]");
        let closed = tenant("issuer: https://id.example.com");
        let refusal = admit(&remote, "shop", &closed, None).unwrap_err();
        assert_eq!(refusal.reason, Reason::NamespaceNotAllowed);
        let open = tenant("issuer: https://id.example.com\nallowedNamespaces: [shop]");
        assert_eq!(admit(&remote, "shop", &open, None), Ok(()));
    }

    #[test]
    fn a_changed_tenant_ref_or_client_id_is_refused() {
        let tenant = tenant("issuer: https://id.example.com");
        let moved = admit(&client(CLIENT), "shop", &tenant, Some("other/demo")).unwrap_err();
        assert!(moved.message.contains("spec.tenantRef"), "{}", moved.message);

        let mut renamed = client(&format!("{CLIENT}\nclientId: new-id"));
        renamed.status = Some(vestibule_crds::v1alpha1::ClientStatus {
            client_id: Some("shop.web".into()),
            ..Default::default()
        });
        let refusal = admit(&renamed, "shop", &tenant, None).unwrap_err();
        assert!(refusal.message.contains("spec.clientId"), "{}", refusal.message);
    }

    #[test]
    fn a_client_id_claimed_by_an_earlier_client_is_refused() {
        let mut tenant = tenant("issuer: https://id.example.com");
        tenant.metadata.namespace = Some("shop".into());
        let mine = client(&format!("{CLIENT}\nclientId: shared"));
        let mut earlier = client(&format!("{CLIENT}\nclientId: shared"));
        earlier.metadata.name = Some("aaa".into());
        let mut later = earlier.clone();
        later.metadata.name = Some("zzz".into());
        let refusal = unique_client_id(
            &mine,
            "shop",
            &tenant,
            &[Arc::new(earlier.clone()), Arc::new(mine.clone())],
        )
        .unwrap_err();
        assert!(
            refusal
                .message
                .contains("spec.clientId: shared is already used by Client shop/aaa"),
            "{}",
            refusal.message
        );
        assert_eq!(
            unique_client_id(&mine, "shop", &tenant, &[Arc::new(later), Arc::new(mine.clone())]),
            Ok(())
        );
    }

    #[test]
    fn the_id_token_algorithm_must_be_one_the_tenant_signs_with() {
        let es = client(&format!("{CLIENT}\nidTokenSignedResponseAlg: ES256"));
        let refusal = admit(&es, "shop", &tenant("issuer: https://id.example.com"), None).unwrap_err();
        assert!(refusal.message.contains("spec.idTokenSignedResponseAlg"));
    }
}
