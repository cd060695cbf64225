//! The configuration being served: one validated [`TenantConfig`] with its signing keys,
//! swapped atomically when the mounted files change (see [`watch`]).

pub mod watch;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use url::Url;
use vestibule_crds::SecretString;
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
    /// A social provider entry cannot be served.
    #[error(transparent)]
    Social(#[from] crate::social::EntryError),
    /// A config asks for something this IdP does not do yet.
    #[error("{0}")]
    Unsupported(String),
    /// Keeping standalone keys in the database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The shipped texts are broken (a defect of the build).
    #[error(transparent)]
    Languages(#[from] I18nError),
    /// The database belongs to another issuer.
    #[error(
        "issuer: the database belongs to issuer {recorded}, not {configured}; one issuer's customers, \
         sessions and grants are never served under another. Point --database at this issuer's database, \
         or, to move the issuer to a new URL on purpose, update the record first: \
         UPDATE settings SET value = '<new issuer>' WHERE key = 'issuer'"
    )]
    ForeignDatabase {
        /// The issuer recorded in the database.
        recorded: String,
        /// The issuer of the config.
        configured: String,
    },
    /// Building the tenant off the runtime failed (the blocking task panicked or was cancelled).
    #[error("building the tenant: {0}")]
    Task(String),
    /// The breached-password corpus or client cannot be set up.
    #[error(transparent)]
    Breached(#[from] crate::breached::BreachedError),
    /// The CAPTCHA cannot be set up.
    #[error(transparent)]
    Captcha(#[from] crate::risk::captcha::CaptchaError),
    /// No SMTP server, outside development: emails could be neither sent nor safely logged.
    #[error(
        "email: no SMTP server is configured for issuer {0}, so verification and reset emails cannot be sent \
         (and logging them would expose their links); configure email (spec.email of the Tenant), or, \
         for development only, use an http:// issuer on loopback or start the IdP with --dev"
    )]
    NoSmtp(String),
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
    /// The upstream providers customers may sign in with, in declared order.
    pub social: crate::social::Providers,
    /// With no SMTP server, whether emails are written to the log instead (development: an
    /// `http://` issuer on loopback, or `--dev`). Never otherwise: they carry live links.
    pub mail_to_log: bool,
    /// The key that seals customers' secrets at rest, when the keys file carries one.
    pub data_key: Option<SecretString>,
    /// The breached-password sources (corpus loaded, range API client ready).
    pub breached: crate::breached::BreachCheck,
    /// The CAPTCHA challenged sign-ins solve instead of the proof of work, when configured.
    pub captcha: Option<crate::risk::captcha::CaptchaCheck>,
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
    /// The device: a random token adaptive MFA knows a browser by.
    pub device: String,
    /// A trusted device's token: the second factor is skipped while its row lives.
    pub trusted_device: String,
}

impl Tenant {
    /// Validates the pair and prepares it for serving.
    pub fn new(config: TenantConfig, keys: &SigningKeySet) -> Result<Self, LoadError> {
        Self::after(config, keys, None)
    }

    /// Like [`Self::new`], replacing `previous`: what is unchanged and costly to load (the
    /// breached-password corpus) is kept from it.
    pub fn after(config: TenantConfig, keys: &SigningKeySet, previous: Option<&Self>) -> Result<Self, LoadError> {
        refuse_unsupported_mfa(&config)?;
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
        let social = crate::social::Providers::build(&config.social_providers)?;
        let languages = Languages::offered(&config.branding.locales)?;
        let breached = crate::breached::BreachCheck::reload(
            &config.attack_protection.breached_passwords,
            previous.map(|previous| &previous.breached),
        )?;
        let captcha = crate::risk::captcha::CaptchaCheck::build(config.attack_protection.challenge.captcha.as_ref())?;
        let base_path = issuer.path().trim_end_matches('/').to_owned();
        let mail_to_log = config.email.is_none() && is_loopback_http(&issuer);
        let tag = &crate::random::hash(&config.issuer)[..8];
        let cookies = CookieNames {
            session: format!("__Host-vestibule-{tag}-session"),
            csrf: format!("__Host-vestibule-{tag}-csrf"),
            sign_in: format!("__Host-vestibule-{tag}-signin"),
            device: format!("__Host-vestibule-{tag}-device"),
            trusted_device: format!("__Host-vestibule-{tag}-trusted"),
        };
        Ok(Self {
            config,
            issuer,
            base_path,
            signer,
            cookies,
            languages,
            social,
            mail_to_log,
            data_key: keys.data_key.clone(),
            breached,
            captcha,
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

/// Whether `issuer` is `http://` on this machine (`localhost`, `127.0.0.0/8`, `::1`): a
/// developer's own IdP, which no one else can reach.
pub fn is_loopback_http(issuer: &Url) -> bool {
    issuer.scheme() == "http"
        && match issuer.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(address)) => address.is_loopback(),
            Some(url::Host::Ipv6(address)) => address.is_loopback(),
            None => false,
        }
}

/// Refuses the parts of `mfaPolicies` this IdP does not serve yet, naming the policy's field.
fn refuse_unsupported_mfa(config: &TenantConfig) -> Result<(), LoadError> {
    use vestibule_crds::v1alpha1::{Factor, UserVerification};
    // WebAuthn takes a domain as relying party id, never an IP address.
    let domain_issuer = Url::parse(&config.issuer).is_ok_and(|issuer| issuer.domain().is_some());
    for (index, policy) in config.mfa_policies.iter().enumerate() {
        let passkeys = policy.factors.contains(&Factor::Webauthn);
        let unsupported = [
            (
                "factors",
                passkeys && !domain_issuer,
                "passkeys (webauthn) under an issuer whose host is an IP address (WebAuthn needs a domain name)",
            ),
            // `preferred` is served as `required`: webauthn-rs's passkeys always verify the user,
            // which is stricter; only `discouraged` cannot be served.
            (
                "passkeys.userVerification",
                passkeys && policy.passkeys.user_verification == UserVerification::Discouraged,
                "passkeys without user verification (discouraged): passkeys always verify the user",
            ),
        ];
        if let Some((field, _, feature)) = unsupported.iter().find(|(_, asked, _)| *asked) {
            return Err(LoadError::Unsupported(format!(
                "mfaPolicies[{index}].{field}: this IdP version does not serve {feature} yet; remove it"
            )));
        }
    }
    Ok(())
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
    fn a_consent_policy_is_served() {
        let policy = "{id: default.terms, version: '1', jurisdiction: ccpa, reconsent: {after: 8760h}}";
        let served = config_with(&format!("consentPolicies:\n  - {policy}\n"));
        let tenant = Tenant::new(served, &rs256_keys()).unwrap();
        assert_eq!(tenant.config.consent_policies[0].version, "1");
    }

    #[test]
    fn recovery_and_email_codes_are_served() {
        let config = config_with("mfaPolicies:\n  - {id: default.mfa, factors: [totp, recoveryCodes, emailOtp]}\n");
        let tenant = Tenant::new(config, &rs256_keys()).unwrap();
        assert_eq!(tenant.config.mfa_policies[0].factors.len(), 3);
    }

    #[test]
    fn passkeys_need_a_domain_issuer_and_user_verification() {
        let passkeys = "mfaPolicies:\n  - {id: default.mfa, factors: [webauthn], passkeys: {passwordless: true}}\n";
        assert!(Tenant::new(config_with(passkeys), &rs256_keys()).is_ok());
        let required = "mfaPolicies:\n  - {id: default.mfa, factors: [webauthn], enforcement: required}\n";
        assert!(
            Tenant::new(config_with(required), &rs256_keys()).is_ok(),
            "a customer with nothing set up creates a passkey within the sign-in"
        );
        let text = format!("generation: 1\nissuer: http://127.0.0.1:8080\ndisplayName: Shop\n{passkeys}");
        let error = Tenant::new(TenantConfig::from_yaml(&text).unwrap(), &rs256_keys())
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("mfaPolicies[0].factors:") && error.contains("domain name"),
            "{error}"
        );
        let discouraged = config_with(
            "mfaPolicies:\n  - {id: default.mfa, factors: [webauthn], passkeys: {userVerification: discouraged}}\n",
        );
        let error = Tenant::new(discouraged, &rs256_keys()).unwrap_err().to_string();
        assert!(
            error.starts_with("mfaPolicies[0].passkeys.userVerification:"),
            "{error}"
        );
    }

    #[test]
    fn a_totp_policy_is_served() {
        let config = config_with("mfaPolicies:\n  - {id: default.mfa, factors: [totp]}\n");
        let tenant = Tenant::new(config, &rs256_keys()).unwrap();
        assert_eq!(tenant.config.mfa_policies.len(), 1);
    }

    fn rs256_keys() -> SigningKeySet {
        let now = jiff::Timestamp::now();
        SigningKeySet::of(vec![
            SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Active, now).unwrap(),
        ])
    }

    const PROVIDERS: &str = "socialProviders:\n\
        - {id: shop.corp, type: oidc, clientId: c, clientSecret: s, issuer: 'https://sso.example.com', \
           linking: verifiedEmail, displayName: Corp, enabled: true}\n\
        - {id: shop.off, type: oidc, clientId: c, clientSecret: s, issuer: 'https://off.example.com', \
           linking: never, displayName: Off, enabled: false}\n\
        - {id: shop.gh, type: github, clientId: c, clientSecret: s, linking: prompt, displayName: GitHub, enabled: true}\n";

    #[test]
    fn enabled_social_providers_are_served_in_declared_order() {
        let tenant = Tenant::new(config_with(PROVIDERS), &rs256_keys()).unwrap();
        let ids: Vec<&str> = tenant.social.iter().map(|served| served.id.as_str()).collect();
        assert_eq!(ids, ["shop.corp", "shop.gh"]);
        assert!(
            tenant.social.get("shop.off").is_none(),
            "a disabled provider is not served"
        );
    }

    #[test]
    fn an_apple_provider_without_a_usable_key_is_refused_by_id() {
        let apple = "socialProviders:\n\
            - {id: shop.apple, type: apple, clientId: c, clientSecret: not-a-key, linking: prompt, \
               displayName: Apple, enabled: true, apple: {teamId: TEAM1, keyId: KEY1}}\n";
        let error = Tenant::new(config_with(apple), &rs256_keys()).unwrap_err().to_string();
        assert!(error.starts_with("socialProviders[shop.apple]:"), "{error}");
    }

    #[test]
    fn keys_must_cover_every_configured_algorithm() {
        let config = config_with("signingAlgorithms: [RS256, ES256]\n");
        let now = jiff::Timestamp::now();
        let keys = SigningKeySet::of(vec![
            SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Active, now).unwrap(),
        ]);
        let error = Tenant::new(config, &keys).unwrap_err().to_string();
        assert!(error.contains("no active ES256 key"), "{error}");
    }

    #[test]
    fn only_http_on_loopback_counts_as_a_developers_issuer() {
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost/acme",
            "http://[::1]:9000",
            "http://127.9.9.9",
        ] {
            assert!(is_loopback_http(&Url::parse(local).unwrap()), "{local}");
        }
        for remote in [
            "https://127.0.0.1",
            "https://localhost",
            "http://192.168.1.5",
            "http://id.example.com",
            "http://localhost.example.com",
        ] {
            assert!(!is_loopback_http(&Url::parse(remote).unwrap()), "{remote}");
        }
    }

    #[test]
    fn cookie_names_differ_per_issuer() {
        let now = jiff::Timestamp::now();
        let keys = SigningKeySet::of(vec![
            SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Active, now).unwrap(),
        ]);
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
