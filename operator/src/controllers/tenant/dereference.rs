//! Reads what a Tenant's reconcile needs: the Clients that refer to it with their credentials,
//! the Secrets its spec refers to, and the config and keys it served so far.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use vestibule_crds::config::TenantConfig;
use vestibule_crds::keys::SigningKeySet;
use vestibule_crds::v1alpha1::{Client, DatabaseChoice, SecretKeyRef, Tenant};

use super::error::DereferenceError;
use super::keys::StoredKeys;
use crate::context::Context;
use crate::controllers::client::dereference::parse_config;
use crate::controllers::{attach, lenient};
use crate::listing;
use crate::names::{CLIENT_LABEL, KEYS_KEY, config_secret, keys_secret};

/// A Client that refers to the Tenant, with its credentials Secret if it exists.
#[derive(Clone, Debug)]
pub struct ClientEntry {
    /// The Client.
    pub client: Client,
    /// Its credentials Secret.
    pub credentials: Option<Secret>,
}

/// A referenced Secret key: its value, or why it is unavailable.
pub type SecretValue = Result<String, String>;

/// Everything a Tenant's reconcile reads from the API.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Every Client in scope whose `tenantRef` points here, admitted or not.
    pub clients: Vec<ClientEntry>,
    /// The PostgreSQL URL (postgres only).
    pub database_url: Option<SecretValue>,
    /// The SMTP password (when `email.smtp.passwordSecretRef` is set).
    pub smtp_password: Option<SecretValue>,
    /// The config served so far, and its generation (read even if the config no longer parses).
    pub previous_config: Option<TenantConfig>,
    /// The generation of the config served so far.
    pub previous_generation: Option<i64>,
    /// The signing keys Secret as read.
    pub keys: StoredKeys,
    /// The keys Secret's resourceVersion: a key write is made only if it is still this one.
    pub keys_version: Option<String>,
}

/// Reads what one Tenant's reconcile needs, naming the Tenant in every failure.
struct Reader<'a> {
    ctx: &'a Arc<Context>,
    tenant: String,
    namespace: &'a str,
}

/// Reads it all.
pub async fn observe(ctx: &Arc<Context>, tenant: &Tenant, namespace: &str) -> Result<Observed, DereferenceError> {
    let name = tenant.name_any();
    let reader = Reader {
        ctx,
        tenant: format!("{namespace}/{name}"),
        namespace,
    };
    let database_url = match tenant.spec.database.choice() {
        DatabaseChoice::Postgres(postgres) => Some(reader.secret_value(&postgres.url_secret_ref).await?),
        DatabaseChoice::Embedded(_) => None,
    };
    let smtp_password = match tenant
        .spec
        .email
        .as_ref()
        .and_then(|e| e.smtp.password_secret_ref.as_ref())
    {
        Some(reference) => Some(reader.secret_value(reference).await?),
        None => None,
    };
    let config = reader.secret(&config_secret(&name)).await?;
    let keys = reader.secret(&keys_secret(&name)).await?;
    Ok(Observed {
        clients: reader.clients(&name).await?,
        database_url,
        smtp_password,
        previous_config: config.as_ref().and_then(parse_config),
        previous_generation: config.as_ref().and_then(raw_generation),
        keys_version: keys.as_ref().and_then(|secret| secret.resource_version()),
        keys: stored_keys(keys.as_ref()),
    })
}

impl Reader<'_> {
    fn failed(&self, what: String) -> impl FnOnce(kube::Error) -> DereferenceError {
        let tenant = self.tenant.clone();
        move |source| DereferenceError { tenant, what, source }
    }

    async fn secret(&self, name: &str) -> Result<Option<Secret>, DereferenceError> {
        let api: Api<Secret> = Api::namespaced(self.ctx.client.clone(), self.namespace);
        let what = format!("Secret {}/{name}", self.namespace);
        api.get_opt(name).await.map_err(self.failed(what))
    }

    async fn secret_value(&self, reference: &SecretKeyRef) -> Result<SecretValue, DereferenceError> {
        let namespace = self.namespace;
        let Some(secret) = self.secret(&reference.name).await? else {
            return Ok(Err(format!("Secret {namespace}/{} does not exist", reference.name)));
        };
        let value = secret
            .data
            .as_ref()
            .and_then(|data| data.get(&reference.key))
            .and_then(|bytes| String::from_utf8(bytes.0.clone()).ok());
        Ok(value.ok_or_else(|| format!("Secret {namespace}/{} has no key {}", reference.name, reference.key)))
    }

    async fn clients(&self, name: &str) -> Result<Vec<ClientEntry>, DereferenceError> {
        let mut entries = Vec::new();
        for scope in self.ctx.scope.namespaces() {
            let api = lenient::raw_api::<Client>(&self.ctx.client, scope.as_deref());
            let list: Vec<Client> = lenient::list(self.ctx, &api)
                .await
                .map_err(self.failed("Clients".into()))?;
            // One list of every credentials Secret in scope, not one read per Client.
            let mut credentials = credentials_secrets(self.ctx, scope.as_deref())
                .await
                .map_err(self.failed("Client credentials Secrets".into()))?;
            for client in list {
                let own = client.namespace().unwrap_or_default();
                if !attach::refers_to(&client.spec.tenant_ref, &own, self.namespace, name) {
                    continue;
                }
                let secret_name = client.spec.effective_secret_name(&client.name_any());
                let credentials = credentials.remove(&(own, secret_name));
                entries.push(ClientEntry { client, credentials });
            }
        }
        Ok(entries)
    }
}

/// The Client credentials Secrets (the operator labels each) of one namespace, or of all, by
/// namespace and name.
async fn credentials_secrets(
    ctx: &Context,
    namespace: Option<&str>,
) -> Result<HashMap<(String, String), Secret>, kube::Error> {
    let api: Api<Secret> = match namespace {
        Some(namespace) => Api::namespaced(ctx.client.clone(), namespace),
        None => Api::all(ctx.client.clone()),
    };
    let secrets = listing::paged(&api, ListParams::default().labels(CLIENT_LABEL), |mut secret| {
        listing::slim(&mut secret);
        Some(((secret.namespace().unwrap_or_default(), secret.name_any()), secret))
    })
    .await?;
    Ok(secrets.into_iter().collect())
}

/// The `generation` of a config Secret, even if the rest no longer parses. Read from its
/// top-level line (only top-level keys start a line of the document), not by parsing: the
/// document lists every Client, and a parse for one number held it all in memory twice over.
pub(crate) fn raw_generation(secret: &Secret) -> Option<i64> {
    let bytes = &secret.data.as_ref()?.get(crate::names::CONFIG_KEY)?.0;
    top_level_generation(std::str::from_utf8(bytes).ok()?)
}

fn top_level_generation(document: &str) -> Option<i64> {
    let value = document.lines().find_map(|line| line.strip_prefix("generation:"))?;
    value.trim().parse().ok()
}

/// What the keys Secret holds: its keys, or why there are none.
fn stored_keys(secret: Option<&Secret>) -> StoredKeys {
    let Some(secret) = secret else {
        return StoredKeys::Missing;
    };
    let Some(bytes) = secret.data.as_ref().and_then(|data| data.get(KEYS_KEY)) else {
        return StoredKeys::Unreadable(format!("it has no key {KEYS_KEY}"));
    };
    match serde_json::from_slice::<SigningKeySet>(&bytes.0) {
        Ok(set) => StoredKeys::Found(set.keys),
        Err(error) => StoredKeys::Unreadable(format!("{KEYS_KEY} does not parse: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::top_level_generation;

    #[test]
    fn the_generation_is_the_top_level_key_only() {
        let document =
            "issuer: https://id.example\nbranding:\n  footer: |\n    generation: 9\ngeneration: 4\nclients: []\n";
        assert_eq!(top_level_generation(document), Some(4));
        assert_eq!(top_level_generation("generation: 7\nclients: [oops"), Some(7));
        assert_eq!(top_level_generation("clients: []\n"), None);
        assert_eq!(top_level_generation("generation: seven\n"), None);
    }
}
