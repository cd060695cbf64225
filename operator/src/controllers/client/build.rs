//! The desired credentials Secret of a Client. Pure.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Resource;
use kube::api::ObjectMeta;
use vestibule_crds::v1alpha1::Client;

use super::credentials::{self, CLIENT_SECRET_KEY, Credentials, PENDING_SECRET_KEY};
use crate::names::{CLIENT_LABEL, MANAGED_BY, TENANT_ANNOTATION};

/// What goes into the credentials Secret.
pub struct SecretInputs<'a> {
    /// Secret name.
    pub name: String,
    /// The Client's namespace.
    pub namespace: &'a str,
    /// The served `client_id`.
    pub client_id: String,
    /// The Tenant (`namespace/name`).
    pub tenant: String,
    /// The Tenant's issuer.
    pub issuer: &'a str,
    /// The secret, for confidential clients.
    pub credentials: Option<&'a Credentials>,
}

/// The credentials Secret, owned by the Client, for the application to mount.
pub fn secret(client: &Client, inputs: SecretInputs<'_>) -> Secret {
    let issuer = inputs.issuer.trim_end_matches('/');
    let mut data = BTreeMap::from([
        ("clientId".to_owned(), bytes(&inputs.client_id)),
        ("issuer".to_owned(), bytes(issuer)),
        (
            "discoveryUrl".to_owned(),
            bytes(&format!("{issuer}/.well-known/openid-configuration")),
        ),
    ]);
    let mut annotations = BTreeMap::from([(TENANT_ANNOTATION.to_owned(), inputs.tenant)]);
    if let Some(credentials) = inputs.credentials {
        data.insert(CLIENT_SECRET_KEY.to_owned(), bytes(&credentials.secret));
        if let Some(pending) = &credentials.pending {
            data.insert(PENDING_SECRET_KEY.to_owned(), bytes(pending));
        }
        annotations.extend(credentials::annotations(credentials));
    }
    let client_name = client.metadata.name.clone().unwrap_or_default();
    Secret {
        metadata: ObjectMeta {
            name: Some(inputs.name),
            namespace: Some(inputs.namespace.to_owned()),
            labels: Some(BTreeMap::from([
                ("app.kubernetes.io/managed-by".to_owned(), MANAGED_BY.to_owned()),
                (CLIENT_LABEL.to_owned(), client_name),
            ])),
            annotations: Some(annotations),
            owner_references: client.controller_owner_ref(&()).map(|owner| vec![owner]),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(data),
        ..Secret::default()
    }
}

fn bytes(text: &str) -> ByteString {
    ByteString(text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_client_gets_no_secret_and_every_secret_is_owned() {
        let spec =
            serde_yaml::from_str("tenantRef: {name: demo}\ntype: public\nredirectUris: [https://a.example.com/cb]");
        let mut client = Client::new("spa", spec.unwrap());
        client.metadata.uid = Some("uid-1".into());
        let secret = secret(
            &client,
            SecretInputs {
                name: "spa-oidc".into(),
                namespace: "shop",
                client_id: "shop.spa".into(),
                tenant: "shop/demo".into(),
                issuer: "https://id.example.com",
                credentials: None,
            },
        );
        let data = secret.data.unwrap();
        assert!(!data.contains_key(CLIENT_SECRET_KEY));
        assert_eq!(
            data["discoveryUrl"].0,
            b"https://id.example.com/.well-known/openid-configuration"
        );
        assert_eq!(secret.metadata.owner_references.unwrap()[0].uid, "uid-1");
    }
}
