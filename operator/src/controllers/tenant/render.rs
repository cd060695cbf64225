//! Renders the `TenantConfig` the IdP serves, from the Tenant and what it serves of every
//! attached object ([`judge`](crate::controllers::attachment::judge)). Pure.
//!
//! The generation increases only when the rendered content changes, and is derived from the
//! config already served, so it is stable across operator restarts.

use jiff::Timestamp;
use kube::ResourceExt;
use vestibule_crds::Duration;
use vestibule_crds::config::{
    CONFIG_FORMAT, ClientConfig, ConsentPolicyConfig, EmailConfig, MfaPolicyConfig, SocialProviderConfig, TenantConfig,
};
use vestibule_crds::v1alpha1::{AttackProtection, CORPUS_MOUNT_DIR, Tenant};

use super::dereference::{Attached, Attachments};
use super::error::RenderError;
use super::validate::Valid;
use crate::conditions::{Decided, Reason};
use crate::controllers::attachment::Attachment;
use crate::controllers::attachment::claims::Claims;
use crate::controllers::attachment::judge::{Judge, SecretValues};
use crate::controllers::attachment::sole;

/// What the Tenant serves of its attachments, kind by kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entries {
    /// Clients.
    pub clients: Vec<ClientConfig>,
    /// Social providers.
    pub social_providers: Vec<SocialProviderConfig>,
    /// Consent policies.
    pub consent_policies: Vec<ConsentPolicyConfig>,
    /// MFA policies.
    pub mfa_policies: Vec<MfaPolicyConfig>,
}

/// The entries of every attachment of `tenant`, with `previous` (the config served now) for
/// the entries of refused specs.
pub fn entries(tenant: &Tenant, attachments: &Attachments, previous: Option<&TenantConfig>, now: Timestamp) -> Entries {
    Entries {
        clients: judged(tenant, &attachments.clients, previous, now),
        social_providers: judged(tenant, &attachments.social_providers, previous, now),
        consent_policies: judged(tenant, &attachments.consent_policies, previous, now),
        mfa_policies: judged(tenant, &attachments.mfa_policies, previous, now),
    }
}

/// The entries the Tenant serves of one kind, sorted by identifier (each is held by one object).
pub fn judged<K: Attachment>(
    tenant: &Tenant,
    attached: &Attached<K>,
    previous: Option<&TenantConfig>,
    now: Timestamp,
) -> Vec<K::Entry> {
    let claims = Claims::of(&attached.candidates, &tenant.namespace().unwrap_or_default());
    let sole = sole::holder(&attached.candidates, tenant);
    let judge = Judge {
        tenant,
        claims: &claims,
        sole: sole.as_ref(),
        previous,
        now,
    };
    let none = SecretValues::new();
    let mut entries: Vec<K::Entry> = attached
        .candidates
        .iter()
        .filter_map(|candidate| {
            let secrets = attached.secrets.get(&candidate.source.uid).unwrap_or(&none);
            judge.judge(candidate, secrets).into_entry()
        })
        .collect();
    entries.sort_by(|a, b| K::entry_id(a).cmp(K::entry_id(b)));
    entries
}

/// The config for `tenant` with `entries`, at the generation `previous` implies.
pub fn render(
    tenant: &Tenant,
    valid: &Valid,
    entries: Entries,
    previous: Option<&TenantConfig>,
    previous_generation: Option<i64>,
) -> TenantConfig {
    let spec = &tenant.spec;
    let config = TenantConfig {
        format_version: CONFIG_FORMAT,
        generation: 0,
        issuer: spec.issuer.clone(),
        display_name: spec.display_name.clone().unwrap_or_else(|| tenant.name_any()),
        branding: spec.branding.clone(),
        registration: spec.registration.clone(),
        password_policy: spec.password_policy.clone(),
        sessions: spec.sessions.clone(),
        tokens: spec.tokens.clone(),
        signing_algorithms: spec.signing_keys.algorithms.clone(),
        clients: entries.clients,
        social_providers: entries.social_providers,
        consent_policies: entries.consent_policies,
        mfa_policies: entries.mfa_policies,
        email: spec.email.as_ref().map(|email| EmailConfig {
            from: email.from.clone(),
            reply_to: email.reply_to.clone(),
            host: email.smtp.host.clone(),
            port: email.smtp.port,
            security: email.smtp.security,
            username: email.smtp.username.clone(),
            password: valid.smtp_password.clone(),
        }),
        attack_protection: attack_protection(&spec.attack_protection, valid),
    };
    with_generation(config, previous, previous_generation)
}

/// The Tenant's attack protection as the IdP reads it: a corpus on a claim becomes the file's
/// absolute path where [`super::workload`] mounts that claim, and the CAPTCHA's Secret reference
/// the secret it holds.
fn attack_protection(spec: &AttackProtection, valid: &Valid) -> AttackProtection {
    let mut served = spec.clone();
    if let Some(captcha) = &mut served.challenge.captcha {
        captcha.secret_ref = None;
        captcha.secret.clone_from(&valid.captcha_secret);
    }
    if let Some(corpus) = &mut served.breached_passwords.local_corpus {
        corpus.persistent_volume_claim = None;
        corpus.path = format!("{CORPUS_MOUNT_DIR}/{}", corpus.path.trim_start_matches("./"));
    }
    served
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
            "the rendered config is {} bytes, over the {MAX_SECRET_BYTES} bytes a Secret can hold: attach fewer or smaller objects to this Tenant",
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
