//! Renders the `TenantConfig` the IdP serves, from the Tenant and every admitted Client. Pure.
//!
//! The generation increases only when the rendered content changes, and is derived from the
//! config already served, so it is stable across operator restarts.

use jiff::Timestamp;
use kube::ResourceExt;
use vestibule_crds::Duration;
use vestibule_crds::config::{ClientConfig, EmailConfig, TenantConfig};
use vestibule_crds::v1alpha1::{ClientType, Tenant};

use super::dereference::ClientEntry;
use super::error::RenderError;
use super::validate::Valid;
use crate::conditions::{Decided, Reason};
use crate::controllers::client::{admission, credentials};
use crate::names::TENANT_ANNOTATION;

/// The admitted Clients' config entries, sorted by client id; a duplicate id keeps the first
/// Client by namespace and name. A confidential Client waits for its credentials Secret.
pub fn admitted_clients(tenant: &Tenant, entries: &[ClientEntry], now: Timestamp) -> Vec<ClientConfig> {
    let mut admitted: Vec<(String, ClientConfig)> = entries
        .iter()
        .filter_map(|entry| {
            let client = &entry.client;
            let namespace = client.namespace().unwrap_or_default();
            let name = client.name_any();
            let recorded = entry
                .credentials
                .as_ref()
                .and_then(|s| s.annotations().get(TENANT_ANNOTATION).cloned());
            admission::admit(client, &namespace, tenant, recorded.as_deref()).ok()?;
            let secrets = match client.spec.client_type {
                ClientType::Public => Vec::new(),
                ClientType::Confidential => credentials::hashes(&credentials::read(entry.credentials.as_ref()?)?, now),
            };
            let config = ClientConfig::from_spec(&client.spec, &namespace, &name, secrets);
            Some((format!("{namespace}/{name}"), config))
        })
        .collect();
    admitted.sort_by(|(a_key, a), (b_key, b)| (&a.client_id, a_key).cmp(&(&b.client_id, b_key)));
    admitted.dedup_by(|(_, later), (_, first)| later.client_id == first.client_id);
    admitted.into_iter().map(|(_, config)| config).collect()
}

/// The config for `tenant` with `clients`, at the generation `previous` implies.
pub fn render(
    tenant: &Tenant,
    valid: &Valid,
    clients: Vec<ClientConfig>,
    previous: Option<&TenantConfig>,
    previous_generation: Option<i64>,
) -> TenantConfig {
    let spec = &tenant.spec;
    let config = TenantConfig {
        generation: 0,
        issuer: spec.issuer.clone(),
        display_name: spec.display_name.clone().unwrap_or_else(|| tenant.name_any()),
        branding: spec.branding.clone(),
        registration: spec.registration.clone(),
        password_policy: spec.password_policy.clone(),
        sessions: spec.sessions.clone(),
        tokens: spec.tokens.clone(),
        signing_algorithms: spec.signing_keys.algorithms.clone(),
        clients,
        social_providers: Vec::new(),
        consent_policies: Vec::new(),
        mfa_policies: Vec::new(),
        email: spec.email.as_ref().map(|email| EmailConfig {
            from: email.from.clone(),
            reply_to: email.reply_to.clone(),
            host: email.smtp.host.clone(),
            port: email.smtp.port,
            security: email.smtp.security,
            username: email.smtp.username.clone(),
            password: valid.smtp_password.clone(),
        }),
        attack_protection: spec.attack_protection.clone(),
    };
    with_generation(config, previous, previous_generation)
}

/// Keeps the previous generation when nothing but the generation differs, else the next one.
pub fn with_generation(
    mut config: TenantConfig,
    previous: Option<&TenantConfig>,
    previous_generation: Option<i64>,
) -> TenantConfig {
    let base = previous_generation.unwrap_or(0);
    config.generation = base;
    let unchanged = previous.is_some_and(|previous| {
        let mut previous = previous.clone();
        previous.generation = base;
        previous == config
    });
    if !unchanged {
        config.generation = base + 1;
    }
    config
}

/// The longest lifetime of a token a signing key may have signed: access and ID tokens of the
/// Tenant and of every Client's overrides.
pub fn max_token_lifetime(config: &TenantConfig) -> Duration {
    let tenant = [config.tokens.access_token_lifetime, config.tokens.id_token_lifetime];
    let clients = config
        .clients
        .iter()
        .flat_map(|client| [client.access_token_lifetime, client.id_token_lifetime])
        .flatten();
    tenant.into_iter().chain(clients).max().unwrap_or_default()
}

/// The most data a Secret may hold: Kubernetes' `MaxSecretSize`, 1 MiB.
pub const MAX_SECRET_BYTES: usize = 1024 * 1024;

/// `config` as the YAML the IdP reads; `tenant` (`namespace/name`) names it in errors.
pub fn to_yaml(config: &TenantConfig, tenant: &str) -> Result<String, RenderError> {
    serde_yaml::to_string(config).map_err(|error| RenderError {
        tenant: tenant.to_owned(),
        what: "the config",
        reason: error.to_string(),
    })
}

/// `ConfigTooLarge` unless `yaml` fits in the config Secret: checked before writing, since the
/// API server would refuse the whole Secret and the IdP would keep an ever older config.
pub fn check_size(yaml: &str) -> Result<(), Decided> {
    if yaml.len() <= MAX_SECRET_BYTES {
        return Ok(());
    }
    Err(Decided::ready(
        false,
        Reason::ConfigTooLarge,
        format!(
            "the rendered config is {} bytes, over the {MAX_SECRET_BYTES} bytes a Secret can hold: attach fewer or smaller Clients to this Tenant",
            yaml.len()
        ),
    ))
}

/// How long a retired signing key stays published: until every token it may have signed has
/// expired, plus `margin` (config propagation to the pods and the JWKS cache lifetime).
pub fn key_retention(config: &TenantConfig, margin: std::time::Duration) -> Duration {
    Duration::from_secs(max_token_lifetime(config).as_secs().saturating_add(margin.as_secs()))
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
