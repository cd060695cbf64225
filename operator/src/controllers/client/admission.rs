//! The rules a Client must follow to be served, beyond those of every attachment: its spec,
//! its immutable fields against what was recorded when it was accepted (older API servers drop
//! the CEL rules), an ID token algorithm its Tenant signs with, and a client id its namespace
//! may use. Pure.

use kube::ResourceExt;
use vestibule_crds::ValidationErrors;
use vestibule_crds::v1alpha1::{Client, ClientSpec, Tenant, TenantRef};
use vestibule_crds::validation::Checker;

use crate::controllers::attachment::{Recorded, permitted};

/// Every rule `client` in `namespace` breaks as an attachment of `tenant`.
pub fn validate(
    client: &Client,
    namespace: &str,
    tenant: &Tenant,
    recorded: &Recorded,
) -> Result<(), ValidationErrors> {
    let spec = &client.spec;
    let mut checker = Checker::default();
    checker.merge(spec.validate());
    checker.merge(immutable(client, namespace, recorded));
    let algorithms = &tenant.spec.signing_keys.algorithms;
    checker.require(
        algorithms.contains(&spec.id_token_signed_response_alg),
        "spec.idTokenSignedResponseAlg",
        format!(
            "{} is not one of the Tenant's signingKeys.algorithms",
            spec.id_token_signed_response_alg.as_str()
        ),
    );
    let tenant_namespace = spec.tenant_ref.namespace_or(namespace);
    let client_id = spec.effective_client_id(namespace, &client.name_any());
    // The Tenant's namespace cannot be seen by CEL, so this is the operator's check alone.
    checker.require(
        permitted(&client_id, namespace, tenant_namespace),
        "spec.clientId",
        format!("{client_id}: a Client in another namespace than its Tenant may only use client ids that start with {namespace}."),
    );
    checker.finish()
}

/// `tenantRef` and `clientId` as they were when the Client was accepted.
fn immutable(client: &Client, namespace: &str, recorded: &Recorded) -> Result<(), ValidationErrors> {
    let spec = &client.spec;
    let name = client.name_any();
    let old = ClientSpec {
        tenant_ref: match recorded.tenant.as_deref().and_then(|t| t.split_once('/')) {
            Some((tenant_namespace, tenant_name)) => TenantRef {
                name: tenant_name.to_owned(),
                namespace: Some(tenant_namespace.to_owned()),
            },
            None => resolved_ref(spec, namespace),
        },
        client_id: Some(
            recorded
                .id
                .clone()
                .unwrap_or_else(|| spec.effective_client_id(namespace, &name)),
        ),
        ..spec.clone()
    };
    let new = ClientSpec {
        tenant_ref: resolved_ref(spec, namespace),
        client_id: Some(spec.effective_client_id(namespace, &name)),
        ..spec.clone()
    };
    new.validate_update(&old)
}

fn resolved_ref(spec: &ClientSpec, namespace: &str) -> TenantRef {
    TenantRef {
        name: spec.tenant_ref.name.clone(),
        namespace: Some(spec.tenant_ref.namespace_or(namespace).to_owned()),
    }
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
        let mut tenant = Tenant::new("demo", serde_yaml::from_str(yaml).unwrap());
        tenant.metadata.namespace = Some("shop".into());
        tenant
    }

    fn recorded(tenant: &str, id: &str) -> Recorded {
        Recorded {
            tenant: Some(tenant.into()),
            id: Some(id.into()),
            ..Recorded::default()
        }
    }

    const CLIENT: &str = "tenantRef: {name: demo}\nredirectUris: [https://app.example.com/cb]";

    #[test]
    fn a_valid_client_in_the_tenants_namespace_is_admitted() {
        let tenant = tenant("issuer: https://id.example.com");
        assert_eq!(validate(&client(CLIENT), "shop", &tenant, &Recorded::default()), Ok(()));
        assert_eq!(
            validate(&client(CLIENT), "shop", &tenant, &recorded("shop/demo", "shop.web")),
            Ok(())
        );
    }

    #[test]
    fn an_invalid_spec_is_refused_naming_the_field() {
        let bad = client("tenantRef: {name: demo}\nredirectUris: [http://app.example.com/cb]");
        let errors = validate(
            &bad,
            "shop",
            &tenant("issuer: https://id.example.com"),
            &Recorded::default(),
        )
        .unwrap_err();
        assert!(errors.mentions("spec.redirectUris[0]"), "{errors}");
    }

    #[test]
    fn a_changed_tenant_ref_or_client_id_is_refused() {
        let tenant = tenant("issuer: https://id.example.com");
        let moved = validate(&client(CLIENT), "shop", &tenant, &recorded("other/demo", "shop.web")).unwrap_err();
        assert!(moved.mentions("spec.tenantRef"), "{moved}");
        let renamed = client(&format!("{CLIENT}\nclientId: new-id"));
        let refusal = validate(&renamed, "shop", &tenant, &recorded("shop/demo", "shop.web")).unwrap_err();
        assert!(refusal.mentions("spec.clientId"), "{refusal}");
    }

    #[test]
    fn a_client_in_another_namespace_uses_only_ids_of_its_namespace() {
        let tenant = tenant("issuer: https://id.example.com\nallowedNamespaces: [shop]");
        let remote = |extra: &str| {
            let mut client = client(&format!(
                "tenantRef: {{name: demo, namespace: idp}}\nredirectUris: [https://a.example.com/cb]{extra}"
            ));
            client.metadata.namespace = Some("shop".into());
            client
        };
        let mut tenant_elsewhere = tenant.clone();
        tenant_elsewhere.metadata.namespace = Some("idp".into());
        assert_eq!(
            validate(&remote(""), "shop", &tenant_elsewhere, &Recorded::default()),
            Ok(())
        );
        assert_eq!(
            validate(
                &remote("\nclientId: shop.app"),
                "shop",
                &tenant_elsewhere,
                &Recorded::default()
            ),
            Ok(())
        );
        for taken in ["web", "idp.web", "shopping.web"] {
            let errors = validate(
                &remote(&format!("\nclientId: {taken}")),
                "shop",
                &tenant_elsewhere,
                &Recorded::default(),
            )
            .unwrap_err();
            assert!(errors.mentions("spec.clientId"), "{taken}: {errors}");
        }
        // In the Tenant's own namespace any id may be used.
        assert_eq!(
            validate(
                &client(&format!("{CLIENT}\nclientId: web")),
                "shop",
                &tenant,
                &Recorded::default()
            ),
            Ok(())
        );
    }

    #[test]
    fn the_id_token_algorithm_must_be_one_the_tenant_signs_with() {
        let es = client(&format!("{CLIENT}\nidTokenSignedResponseAlg: ES256"));
        let errors = validate(
            &es,
            "shop",
            &tenant("issuer: https://id.example.com"),
            &Recorded::default(),
        )
        .unwrap_err();
        assert!(errors.mentions("spec.idTokenSignedResponseAlg"));
    }
}
