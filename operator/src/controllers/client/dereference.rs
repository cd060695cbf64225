//! Reads what a Client refers to: its Tenant, its credentials Secret, the Tenant's config.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, ResourceExt};
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::context::Context;
use crate::controllers::attach;
use crate::controllers::client::served::ServedConfigs;
use crate::error::Error;
use crate::names::{CONFIG_KEY, TENANT_ANNOTATION};

/// What a Client's reconcile works from.
pub struct Observed {
    /// The Tenant, if it exists in a watched namespace.
    pub tenant: Option<Tenant>,
    /// The credentials Secret as it is now (under the name the status records, if any).
    pub credentials: Option<Secret>,
    /// The config the Tenant's pods are given.
    pub served_config: Option<Arc<TenantConfig>>,
}

impl Observed {
    /// The Tenant (`namespace/name`) the credentials Secret records.
    pub fn recorded_tenant(&self) -> Option<&str> {
        let secret = self.credentials.as_ref()?;
        secret.annotations().get(TENANT_ANNOTATION).map(String::as_str)
    }
}

/// Reads the Tenant, the credentials Secret and the Tenant's rendered config.
pub async fn observe(
    ctx: &Context,
    client: &Client,
    namespace: &str,
    configs: &ServedConfigs,
) -> Result<Observed, Error> {
    let tenant = attach::tenant(ctx, &client.spec.tenant_ref, namespace).await?;
    let name = client.name_any();
    let secret_name = client
        .status
        .as_ref()
        .and_then(|status| status.secret_name.clone())
        .unwrap_or_else(|| client.spec.effective_secret_name(&name));
    let credentials = read_secret(ctx, namespace, &secret_name).await?;
    let served_config = match &tenant {
        Some(tenant) => {
            configs
                .get(&tenant.namespace().unwrap_or_default(), &tenant.name_any())
                .await
        }
        None => None,
    };
    Ok(Observed {
        tenant,
        credentials,
        served_config,
    })
}

/// Reads a Secret, `None` if it does not exist.
pub async fn read_secret(ctx: &Context, namespace: &str, name: &str) -> Result<Option<Secret>, Error> {
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
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
