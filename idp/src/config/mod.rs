//! The configuration being served: one validated [`TenantConfig`] with its signing keys,
//! swapped atomically when the mounted files change (see [`watch`]).

pub mod watch;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use url::Url;
use vestibule_crds::config::{ConfigError, TenantConfig};
use vestibule_crds::keys::{KeyState, SigningKey, SigningKeySet};
use vestibule_crds::v1alpha1::SigningAlgorithm;

use crate::i18n::{I18nError, Languages};
use crate::signing::{Signer, SigningError};
use crate::store::{Store, StoreError};

/// Why a config or key file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The config does not parse or is invalid (the message names the field).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key file does not parse.
    #[error("keys do not parse: {0}")]
    KeysParse(String),
    /// The keys do not fit the config.
    #[error(transparent)]
    Keys(#[from] SigningError),
    /// A config asks for something this IdP does not do yet.
    #[error("{0}")]
    Unsupported(String),
    /// Keeping standalone keys in the database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The shipped texts are broken (a defect of the build).
    #[error(transparent)]
    Languages(#[from] I18nError),
}

/// Everything one request needs to know about the tenant, immutable once built.
#[derive(Debug)]
pub struct Tenant {
    /// The configuration.
    pub config: TenantConfig,
    /// The issuer, parsed.
    pub issuer: Url,
    /// The issuer's path without a trailing slash (`""` at the host root): routes live below it.
    pub base_path: String,
    /// Keys.
    pub signer: Signer,
    /// Names of the cookies, unique per issuer so tenants sharing a host do not collide.
    pub cookies: CookieNames,
    /// The languages of `branding.locales`, that pages and emails may be in.
    pub languages: Languages,
}

/// Cookie names of one tenant. `__Host-` pins them to this exact host, over TLS, path `/`.
#[derive(Debug, Clone)]
pub struct CookieNames {
    /// The sign-in session.
    pub session: String,
    /// The CSRF double-submit token.
    pub csrf: String,
    /// Binds sign-ins in progress to the browser that started them.
    pub sign_in: String,
}

impl Tenant {
    /// Validates the pair and prepares it for serving.
    pub fn new(config: TenantConfig, keys: &SigningKeySet) -> Result<Self, LoadError> {
        refuse_unsupported(&config)?;
        let issuer = Url::parse(&config.issuer).map_err(|error| {
            LoadError::Config(ConfigError::Invalid(
                vestibule_crds::FieldError {
                    path: "issuer".into(),
                    reason: error.to_string(),
                }
                .into(),
            ))
        })?;
        let signer = Signer::new(keys, &config.signing_algorithms)?;
        let languages = Languages::offered(&config.branding.locales)?;
        let base_path = issuer.path().trim_end_matches('/').to_owned();
        let tag = &crate::random::hash(&config.issuer)[..8];
        let cookies = CookieNames {
            session: format!("__Host-vestibule-{tag}-session"),
            csrf: format!("__Host-vestibule-{tag}-csrf"),
            sign_in: format!("__Host-vestibule-{tag}-signin"),
        };
        Ok(Self {
            config,
            issuer,
            base_path,
            signer,
            cookies,
            languages,
        })
    }

    /// An absolute URL of one of our routes, for example `url("/token")`.
    pub fn url(&self, route: &str) -> String {
        format!("{}{route}", self.config.issuer)
    }

    /// A path of one of our routes, for links and redirects within the site.
    pub fn path(&self, route: &str) -> String {
        format!("{}{route}", self.base_path)
    }
}

/// Refuses configs that ask for features this IdP does not serve yet, rather than ignoring them.
fn refuse_unsupported(config: &TenantConfig) -> Result<(), LoadError> {
    let unsupported = [
        ("socialProviders", !config.social_providers.is_empty(), "social login"),
        (
            "consentPolicies",
            !config.consent_policies.is_empty(),
            "consent policies",
        ),
        (
            "mfaPolicies",
            !config.mfa_policies.is_empty(),
            "multi-factor authentication",
        ),
    ];
    match unsupported.iter().find(|(_, asked, _)| *asked) {
        Some((field, _, feature)) => Err(LoadError::Unsupported(format!(
            "{field}: this IdP version does not serve {feature} yet; remove the field"
        ))),
        None => Ok(()),
    }
}

/// The tenant being served, replaced atomically on reload.
#[derive(Debug)]
pub struct LiveTenant {
    current: ArcSwap<Tenant>,
}

impl LiveTenant {
    /// Starts serving `tenant`.
    pub fn new(tenant: Tenant) -> Self {
        Self {
            current: ArcSwap::from_pointee(tenant),
        }
    }

    /// The tenant as of now; hold it for a whole request so it never changes mid-way.
    pub fn get(&self) -> Arc<Tenant> {
        self.current.load_full()
    }

    /// Serves `tenant` from now on.
    pub fn replace(&self, tenant: Tenant) {
        self.current.store(Arc::new(tenant));
    }
}

pub(crate) fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })
}

const STANDALONE_KEYS: &str = "signing_keys";

/// Standalone keys: generated once, kept in the database, extended when the config asks for a
/// new algorithm. Every replica sharing the database agrees on the same keys.
pub async fn standalone_keys(store: &Store, algorithms: &[SigningAlgorithm]) -> Result<SigningKeySet, LoadError> {
    let stored = store.setting(STANDALONE_KEYS).await?;
    let mut set: SigningKeySet = match &stored {
        Some(text) => serde_json::from_str(text).map_err(|error| LoadError::KeysParse(error.to_string()))?,
        None => SigningKeySet::default(),
    };
    let missing: Vec<_> = algorithms
        .iter()
        .filter(|alg| set.active(**alg).is_none())
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(set);
    }
    let now = jiff::Timestamp::now();
    for alg in missing {
        let key = tokio::task::spawn_blocking(move || SigningKey::generate(alg, KeyState::Active, now))
            .await
            .map_err(|error| LoadError::KeysParse(error.to_string()))?
            .map_err(|error| LoadError::Keys(error.into()))?;
        set.keys.push(key);
    }
    let text = serde_json::to_string(&set).map_err(|error| LoadError::KeysParse(error.to_string()))?;
    if stored.is_none() {
        let winner = store.setting_or_insert(STANDALONE_KEYS, &text).await?;
        return serde_json::from_str(&winner).map_err(|error| LoadError::KeysParse(error.to_string()));
    }
    store.set_setting(STANDALONE_KEYS, &text).await?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(extra: &str) -> TenantConfig {
        let text = format!("generation: 1\nissuer: https://id.example.com\ndisplayName: Shop\n{extra}");
        TenantConfig::from_yaml(&text).unwrap()
    }

    #[test]
    fn features_not_served_yet_are_refused_by_name() {
        let config = config_with("mfaPolicies:\n  - {id: default.mfa, factors: [totp]}\n");
        let keys = SigningKeySet::default();
        let error = Tenant::new(config, &keys).unwrap_err().to_string();
        assert!(
            error.starts_with("mfaPolicies:") && error.contains("does not serve"),
            "{error}"
        );
    }

    #[test]
    fn keys_must_cover_every_configured_algorithm() {
        let config = config_with("signingAlgorithms: [RS256, ES256]\n");
        let now = jiff::Timestamp::now();
        let keys = SigningKeySet {
            keys: vec![SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Active, now).unwrap()],
        };
        let error = Tenant::new(config, &keys).unwrap_err().to_string();
        assert!(error.contains("no active ES256 key"), "{error}");
    }

    #[test]
    fn cookie_names_differ_per_issuer() {
        let now = jiff::Timestamp::now();
        let keys = SigningKeySet {
            keys: vec![SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Active, now).unwrap()],
        };
        let a = Tenant::new(config_with(""), &keys).unwrap();
        let mut other = config_with("");
        other.issuer = "https://id.example.com/other".into();
        let b = Tenant::new(other, &keys).unwrap();
        assert_ne!(a.cookies.session, b.cookies.session);
        assert!(a.cookies.session.starts_with("__Host-"));
        assert_eq!(b.base_path, "/other");
        assert_eq!(b.path("/login"), "/other/login");
    }
}
