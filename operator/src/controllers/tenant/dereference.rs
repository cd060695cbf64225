//! Reads what a Tenant's reconcile needs: the objects attached to it (from the shared stores)
//! with the Secrets they refer to, the Secrets its spec refers to, and the config and keys it
//! served so far.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, ResourceExt};
use vestibule_crds::SecretString;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::keys::SigningKeySet;
use vestibule_crds::v1alpha1::{
    Client, ConsentPolicy, DatabaseChoice, MfaPolicy, SecretKeyRef, SocialProvider, Tenant,
};

use super::error::DereferenceError;
use super::keys::StoredKeys;
use crate::context::Context;
use crate::controllers::attachment::judge::SecretValues;
use crate::controllers::attachment::{Attachment, Candidate, candidates, controller};
use crate::controllers::client::dereference::parse_config;
use crate::controllers::shared::Shared;
use crate::names::{KEYS_KEY, config_secret, keys_secret};

/// The objects of one kind attached to a Tenant, and the values of the Secrets each refers to
/// (by uid; read only for kinds the IdP serves).
pub struct Attached<K: Attachment> {
    /// The objects, parsed or not, with what was recorded about each.
    pub candidates: Vec<Candidate<K>>,
    /// Referenced Secret values by uid.
    pub secrets: HashMap<String, SecretValues>,
}

/// Every object attached to a Tenant.
pub struct Attachments {
    /// Clients.
    pub clients: Attached<Client>,
    /// SocialProviders.
    pub social_providers: Attached<SocialProvider>,
    /// ConsentPolicies.
    pub consent_policies: Attached<ConsentPolicy>,
    /// MfaPolicies.
    pub mfa_policies: Attached<MfaPolicy>,
}

/// A referenced Secret key: its value, or why it is unavailable.
pub type SecretValue = Result<String, String>;

/// Everything a Tenant's reconcile reads from the API.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// The PostgreSQL URL (postgres only).
    pub database_url: Option<SecretValue>,
    /// The SMTP password (when `email.smtp.passwordSecretRef` is set).
    pub smtp_password: Option<SecretValue>,
    /// The CAPTCHA secret (when `attackProtection.challenge.captcha.secretRef` is set).
    pub captcha_secret: Option<SecretValue>,
    /// The config served so far, and its generation (read even if the config no longer parses).
    pub previous_config: Option<TenantConfig>,
    /// The generation of the config served so far.
    pub previous_generation: Option<i64>,
    /// The signing keys Secret as read.
    pub keys: StoredKeys,
    /// The keys Secret's resourceVersion: a key write is made only if it is still this one.
    pub keys_version: Option<String>,
    /// The data key the keys Secret holds, if it holds one.
    pub data_key: Option<SecretString>,
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
    let captcha_secret = match captcha_secret_ref(tenant) {
        Some(reference) => Some(reader.secret_value(reference).await?),
        None => None,
    };
    let config = reader.secret(&config_secret(&name)).await?;
    let keys = reader.secret(&keys_secret(&name)).await?;
    Ok(Observed {
        database_url,
        smtp_password,
        captcha_secret,
        previous_config: config.as_ref().and_then(parse_config),
        previous_generation: config.as_ref().and_then(raw_generation),
        keys_version: keys.as_ref().and_then(|secret| secret.resource_version()),
        keys: stored_keys(keys.as_ref()),
        data_key: keys.as_ref().and_then(stored_data_key),
    })
}

/// The Secret key the Tenant's CAPTCHA secret is in, if it has a CAPTCHA.
pub fn captcha_secret_ref(tenant: &Tenant) -> Option<&SecretKeyRef> {
    let captcha = tenant.spec.attack_protection.challenge.captcha.as_ref()?;
    captcha.secret_ref.as_ref()
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
            return Ok(Err(format!(
                "Secret {namespace}/{} (key {}) does not exist",
                reference.name, reference.key
            )));
        };
        let value = secret
            .data
            .as_ref()
            .and_then(|data| data.get(&reference.key))
            .and_then(|bytes| String::from_utf8(bytes.0.clone()).ok());
        Ok(value.ok_or_else(|| format!("Secret {namespace}/{} has no key {}", reference.name, reference.key)))
    }
}

/// The objects of every kind attached to the Tenant `namespace/name`, from `shared`.
pub async fn attachments(
    ctx: &Context,
    shared: &Shared,
    namespace: &str,
    name: &str,
) -> Result<Attachments, DereferenceError> {
    Ok(Attachments {
        clients: attached(ctx, shared, namespace, name).await?,
        social_providers: attached(ctx, shared, namespace, name).await?,
        consent_policies: attached(ctx, shared, namespace, name).await?,
        mfa_policies: attached(ctx, shared, namespace, name).await?,
    })
}

async fn attached<K: Attachment>(
    ctx: &Context,
    shared: &Shared,
    namespace: &str,
    name: &str,
) -> Result<Attached<K>, DereferenceError> {
    let candidates = candidates::<K>(shared, namespace, name);
    let mut secrets = HashMap::new();
    for candidate in &candidates {
        let Ok(object) = candidate.parsed() else { continue };
        let references = object.secret_refs();
        if references.is_empty() {
            continue;
        }
        let values = controller::resolve_secrets(ctx, &candidate.source.namespace, &references)
            .await
            .map_err(|error| DereferenceError {
                tenant: format!("{namespace}/{name}"),
                what: format!("Secret {}/{}", error.namespace, error.name),
                source: error.source,
            })?;
        secrets.insert(candidate.source.uid.clone(), values);
    }
    Ok(Attached { candidates, secrets })
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

/// The data key in the keys Secret, if it holds a readable one.
fn stored_data_key(secret: &Secret) -> Option<SecretString> {
    let bytes = secret.data.as_ref()?.get(KEYS_KEY)?;
    serde_json::from_slice::<SigningKeySet>(&bytes.0).ok()?.data_key
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
