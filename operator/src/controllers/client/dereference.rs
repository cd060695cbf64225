//! Reads what the operator recorded about a Client (its credentials Secret) and the configs
//! Tenants serve.

use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;
use kube::{Api, Resource, ResourceExt};
use vestibule_crds::config::TenantConfig;

use super::credentials;
use crate::controllers::attachment::Recorded;
use crate::controllers::shared::Shared;
use crate::error::Error;
use crate::names::{CLIENT_LABEL, CONFIG_KEY, TENANT_ANNOTATION};
use crate::ssa;

/// Key of the client id in the credentials Secret.
pub const CLIENT_ID_KEY: &str = "clientId";

/// What a credentials Secret records: the Tenant, the client id, the credentials.
pub fn recorded(secret: &Secret) -> Recorded {
    let client_id = secret
        .data
        .as_ref()
        .and_then(|data| data.get(CLIENT_ID_KEY))
        .and_then(|bytes| String::from_utf8(bytes.0.clone()).ok());
    Recorded {
        tenant: secret.annotations().get(TENANT_ANNOTATION).cloned(),
        id: client_id,
        secret_name: Some(secret.name_any()),
        credentials: credentials::read(secret),
    }
}

/// The record of the Client `meta` describes, from the shared store: its credentials Secret
/// (the newest, while a renamed one is replaced), only if the Client owns it.
pub fn recorded_in_store(shared: &Shared, meta: &ObjectMeta) -> Recorded {
    let (Some(namespace), Some(name), Some(uid)) = (&meta.namespace, &meta.name, &meta.uid) else {
        return Recorded::default();
    };
    shared
        .credentials
        .in_namespace(namespace)
        .into_iter()
        // Only the operator's own Secret for this very Client is a record: anyone else's is not.
        .filter(|secret| secret.labels().get(CLIENT_LABEL) == Some(name) && ssa::owned_by(&**secret, uid))
        .max_by_key(|secret| secret.meta().creation_timestamp.clone())
        .map(|secret| recorded(&secret))
        .unwrap_or_default()
}

/// The Secret `namespace/name`, read now; `None` if it does not exist.
pub async fn read_secret(client: &kube::Client, namespace: &str, name: &str) -> Result<Option<Secret>, Error> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    api.get_opt(name).await.map_err(|source| Error::Read {
        what: format!("Secret {namespace}/{name}"),
        source,
    })
}

/// The `TenantConfig` in a config Secret, without validation (it was validated when rendered).
pub fn parse_config(secret: &Secret) -> Option<TenantConfig> {
    let bytes = &secret.data.as_ref()?.get(CONFIG_KEY)?.0;
    serde_yaml::from_slice(bytes).ok()
}
