//! Tenant settings that the IdP reads verbatim from its `TenantConfig`: branding,
//! registration, passwords, sessions, tokens and attack protection.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::rules;
use crate::validation::{Checker, ValidationErrors};

/// A JWS algorithm the IdP signs with.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key: what OIDC requires every RP to accept.
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA with P-256 and SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// EdDSA with Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl SigningAlgorithm {
    /// The JOSE name (`RS256`, `ES256`, `EdDSA`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// A language of the hosted pages and emails.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English.
    En,
    /// German.
    De,
}

impl Locale {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
        }
    }
}

/// Look of the hosted pages and emails.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    /// URL of the logo shown above the forms (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Colour of buttons and links, `#rrggbb`. Default `#1f6feb`.
    #[serde(default = "default_primary_colour")]
    pub primary_color: String,
    /// Page background colour, `#rrggbb`. Default `#f6f8fa`.
    #[serde(default = "default_background_colour")]
    pub background_color: String,
    /// Support address shown on the pages and in emails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    /// Link to the privacy policy, shown in the footer and at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_policy_url: Option<String>,
    /// Link to the terms of service, shown in the footer and at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_url: Option<String>,
    /// Languages offered, the first being the fallback. The page language follows `ui_locales`,
    /// then the browser's `Accept-Language`. Default `[en, de]`.
    #[serde(default = "default_locales")]
    pub locales: Vec<Locale>,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            logo_url: None,
            primary_color: default_primary_colour(),
            background_color: default_background_colour(),
            support_email: None,
            privacy_policy_url: None,
            terms_url: None,
            locales: default_locales(),
        }
    }
}

fn default_primary_colour() -> String {
    "#1f6feb".into()
}

fn default_background_colour() -> String {
    "#f6f8fa".into()
}

fn default_locales() -> Vec<Locale> {
    vec![Locale::En, Locale::De]
}

impl Branding {
    /// Checks URLs, colours and locales; `path` is where this value sits in its document.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.merge_reason(rules::colour(&self.primary_color), format!("{path}.primaryColor"));
        checker.merge_reason(rules::colour(&self.background_color), format!("{path}.backgroundColor"));
        let urls = [
            ("logoUrl", &self.logo_url),
            ("privacyPolicyUrl", &self.privacy_policy_url),
            ("termsUrl", &self.terms_url),
        ];
        for (field, url) in urls {
            if let Some(url) = url {
                checker.merge_reason(rules::web_url(url), format!("{path}.{field}"));
            }
        }
        if let Some(email) = &self.support_email {
            checker.merge_reason(rules::email_address(email), format!("{path}.supportEmail"));
        }
        checker.require(
            !self.locales.is_empty(),
            format!("{path}.locales"),
            "must list at least one language",
        );
        checker.require(
            !has_duplicates(&self.locales),
            format!("{path}.locales"),
            "must not repeat a language",
        );
        checker.finish()
    }

    /// The fallback language.
    pub fn default_locale(&self) -> Locale {
        self.locales.first().copied().unwrap_or(Locale::En)
    }
}

/// A profile attribute the IdP can ask a customer for, released as the OIDC claim of the same
/// meaning under the `profile` (or `phone`) scope.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ProfileAttribute {
    /// First name (`given_name`).
    GivenName,
    /// Last name (`family_name`).
    FamilyName,
    /// Casual name (`nickname`).
    Nickname,
    /// Telephone number in E.164 form (`phone_number`).
    PhoneNumber,
    /// Date of birth, `YYYY-MM-DD` (`birthdate`).
    Birthdate,
}

impl ProfileAttribute {
    /// Every attribute, in form order.
    pub const ALL: [Self; 5] = [
        Self::GivenName,
        Self::FamilyName,
        Self::Nickname,
        Self::PhoneNumber,
        Self::Birthdate,
    ];

    /// The OIDC claim name (OIDC Core 5.1).
    pub fn claim(self) -> &'static str {
        match self {
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::Nickname => "nickname",
            Self::PhoneNumber => "phone_number",
            Self::Birthdate => "birthdate",
        }
    }
}

/// Self-service registration.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// Whether customers may create accounts on the hosted page. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether a customer must confirm their email address, by a link sent to it, before they
    /// can sign in. Default true.
    #[serde(default = "yes")]
    pub require_email_verification: bool,
    /// Attributes the registration form asks for, besides email and password.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_attributes: Vec<ProfileAttribute>,
    /// Attributes asked for later, one step at a time, so registration stays short.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progressive_profiling: Vec<ProfilingStep>,
}

impl Default for Registration {
    fn default() -> Self {
        Self {
            enabled: true,
            require_email_verification: true,
            required_attributes: Vec::new(),
            progressive_profiling: Vec::new(),
        }
    }
}

/// A progressive-profiling step: after some sign-ins, ask for more attributes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfilingStep {
    /// Ask at the sign-in that follows this many completed sign-ins (1 = the second sign-in).
    #[schemars(range(min = 1))]
    pub after_logins: u32,
    /// Attributes to ask for; those the customer already gave are not asked again.
    pub attributes: Vec<ProfileAttribute>,
    /// Whether the customer may skip this step. Default true.
    #[serde(default = "yes")]
    pub skippable: bool,
}

impl Registration {
    /// Checks attribute lists and profiling steps.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.require(
            !has_duplicates(&self.required_attributes),
            format!("{path}.requiredAttributes"),
            "must not repeat an attribute",
        );
        for (index, step) in self.progressive_profiling.iter().enumerate() {
            let step_path = format!("{path}.progressiveProfiling[{index}]");
            checker.require(
                step.after_logins >= 1,
                format!("{step_path}.afterLogins"),
                "must be at least 1",
            );
            checker.require(
                !step.attributes.is_empty(),
                format!("{step_path}.attributes"),
                "must list an attribute",
            );
            for attribute in &step.attributes {
                checker.require(
                    !self.required_attributes.contains(attribute),
                    format!("{step_path}.attributes"),
                    format!("{} is already asked at registration", attribute.claim()),
                );
            }
        }
        checker.finish()
    }
}

/// Rules for new passwords. Length matters most (NIST SP 800-63B 5.1.1.2); composition rules
/// are available for compliance regimes that demand them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    /// Minimum length in characters, 8 to 64. Default 10.
    #[serde(default = "default_min_length")]
    #[schemars(range(min = 8, max = 64))]
    pub min_length: u32,
    /// Maximum length in characters, up to 256 (bounds hashing cost). Default 128.
    #[serde(default = "default_max_length")]
    #[schemars(range(min = 8, max = 256))]
    pub max_length: u32,
    /// Require a lowercase letter. Default false.
    #[serde(default)]
    pub require_lowercase: bool,
    /// Require an uppercase letter. Default false.
    #[serde(default)]
    pub require_uppercase: bool,
    /// Require a digit. Default false.
    #[serde(default)]
    pub require_digit: bool,
    /// Require a character that is neither a letter nor a digit. Default false.
    #[serde(default)]
    pub require_symbol: bool,
    /// Refuse the most common passwords (a list shipped with the IdP). Default true.
    #[serde(default = "yes")]
    pub reject_common: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: default_min_length(),
            max_length: default_max_length(),
            require_lowercase: false,
            require_uppercase: false,
            require_digit: false,
            require_symbol: false,
            reject_common: true,
        }
    }
}

fn default_min_length() -> u32 {
    10
}

fn default_max_length() -> u32 {
    128
}

impl PasswordPolicy {
    /// Checks the length bounds.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.require(
            (8..=64).contains(&self.min_length),
            format!("{path}.minLength"),
            "must be between 8 and 64",
        );
        checker.require(
            (8..=256).contains(&self.max_length),
            format!("{path}.maxLength"),
            "must be between 8 and 256",
        );
        checker.require(
            self.max_length >= self.min_length,
            format!("{path}.maxLength"),
            "must not be less than minLength",
        );
        checker.finish()
    }
}

/// Lifetimes of customers' sign-in sessions at the IdP.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionSettings {
    /// A session unused for this long ends. Default `24h`.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however active. Default `168h` (7 days).
    #[serde(default = "default_absolute_timeout")]
    pub absolute_timeout: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_timeout: default_idle_timeout(),
            absolute_timeout: default_absolute_timeout(),
        }
    }
}

fn default_idle_timeout() -> Duration {
    Duration::from_hours(24)
}

fn default_absolute_timeout() -> Duration {
    Duration::from_hours(168)
}

impl SessionSettings {
    /// Checks that both timeouts are positive and the idle one is not longer.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.require(
            self.idle_timeout >= Duration::from_mins(1),
            format!("{path}.idleTimeout"),
            "must be at least 1m",
        );
        checker.require(
            self.absolute_timeout >= self.idle_timeout,
            format!("{path}.absoluteTimeout"),
            "must not be shorter than idleTimeout",
        );
        checker.finish()
    }
}

/// Lifetimes of codes and tokens.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenSettings {
    /// Lifetime of an authorization code, at most `10m` (RFC 6749 4.1.2). Default `1m`.
    #[serde(default = "default_code_lifetime")]
    pub authorization_code_lifetime: Duration,
    /// Lifetime of an access token (a JWT, RFC 9068). Default `10m`.
    #[serde(default = "default_access_token_lifetime")]
    pub access_token_lifetime: Duration,
    /// Lifetime of an ID token. Default `1h`.
    #[serde(default = "default_id_token_lifetime")]
    pub id_token_lifetime: Duration,
    /// Lifetime of a refresh token family from the first grant. Default `720h`.
    #[serde(default = "default_refresh_token_lifetime")]
    pub refresh_token_lifetime: Duration,
    /// Issue a new refresh token on every use and treat reuse of an old one as theft, revoking
    /// the family (RFC 9700 4.14.2). Default true.
    #[serde(default = "yes")]
    pub refresh_token_rotation: bool,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            authorization_code_lifetime: default_code_lifetime(),
            access_token_lifetime: default_access_token_lifetime(),
            id_token_lifetime: default_id_token_lifetime(),
            refresh_token_lifetime: default_refresh_token_lifetime(),
            refresh_token_rotation: true,
        }
    }
}

fn default_code_lifetime() -> Duration {
    Duration::from_mins(1)
}

fn default_access_token_lifetime() -> Duration {
    Duration::from_mins(10)
}

fn default_id_token_lifetime() -> Duration {
    Duration::from_hours(1)
}

fn default_refresh_token_lifetime() -> Duration {
    Duration::from_hours(720)
}

impl TokenSettings {
    /// Checks every lifetime's bounds.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        let code = self.authorization_code_lifetime;
        checker.require(
            code >= Duration::from_secs(10) && code <= Duration::from_mins(10),
            format!("{path}.authorizationCodeLifetime"),
            "must be between 10s and 10m (RFC 6749 4.1.2)",
        );
        let bounded = [
            (
                "accessTokenLifetime",
                self.access_token_lifetime,
                Duration::from_hours(24),
            ),
            ("idTokenLifetime", self.id_token_lifetime, Duration::from_hours(24)),
            (
                "refreshTokenLifetime",
                self.refresh_token_lifetime,
                Duration::from_hours(24 * 400),
            ),
        ];
        for (field, lifetime, max) in bounded {
            checker.require(
                lifetime >= Duration::from_secs(10) && lifetime <= max,
                format!("{path}.{field}"),
                format!("must be between 10s and {max}"),
            );
        }
        checker.finish()
    }
}

/// Defences against credential stuffing and brute force.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttackProtection {
    /// Lock an account after repeated wrong passwords.
    #[serde(default)]
    pub lockout: Lockout,
    /// Limit attempts per client IP address (shared by all replicas on PostgreSQL).
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Refuse passwords known from data breaches.
    #[serde(default)]
    pub breached_passwords: super::BreachedPasswords,
    /// Emails that tell customers about their account's security.
    #[serde(default)]
    pub notifications: Notifications,
    /// A proof-of-work challenge (or a CAPTCHA) before any password is checked, for addresses
    /// that fail to sign in too often or try too many accounts (credential stuffing, password
    /// spraying).
    #[serde(default)]
    pub challenge: super::Challenge,
}

/// Emails to customers about their account's security.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notifications {
    /// A sign-in from a device or network the account never signed in from (not the first
    /// sign-in ever), with a "this was not me" link that ends every session and starts a password
    /// reset. Default true.
    #[serde(default = "yes")]
    pub new_sign_in: bool,
    /// A password changed from the account page, to the account's address, with a link to
    /// reset it. Default true.
    #[serde(default = "yes")]
    pub password_changed: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            new_sign_in: true,
            password_changed: true,
        }
    }
}

/// Temporary account lockout.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lockout {
    /// Whether accounts are locked. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Failed sign-ins within `duration` that lock an account; a client address is blocked
    /// after one fewer, so a single address cannot lock anyone out. Default 10.
    #[serde(default = "default_max_failures")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_failures: u32,
    /// How long failures are remembered and a first lock (or address block) lasts; further
    /// locks in a row double, up to a day. A password reset unlocks at once. Default `15m`.
    #[serde(default = "default_lockout_duration")]
    pub duration: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            enabled: true,
            max_failures: default_max_failures(),
            duration: default_lockout_duration(),
        }
    }
}

fn default_max_failures() -> u32 {
    10
}

fn default_lockout_duration() -> Duration {
    Duration::from_mins(15)
}

/// Attempts allowed per minute: per client IP address (IPv6: per /64), per account and per
/// tenant, shared by all replicas on PostgreSQL. 0 disables a limit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RateLimits {
    /// Password sign-in attempts per address. Default 30.
    #[serde(default = "default_login_rate")]
    pub logins_per_minute: u32,
    /// Registrations and password-reset requests per address (each sends an email). Default 10.
    #[serde(default = "default_email_rate")]
    pub emails_per_minute: u32,
    /// Password sign-in attempts per account (the email address tried, known or not), from any
    /// number of addresses: slows an attack spread over many addresses without locking the
    /// customer out. Default 10.
    #[serde(default = "default_account_login_rate")]
    pub logins_per_account_per_minute: u32,
    /// Password sign-in attempts across the whole tenant. Default 0 (no cap): a tenant-wide cap
    /// turns an attack into an outage for every customer, so set one only as a last resort.
    #[serde(default)]
    pub logins_per_tenant_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            logins_per_minute: default_login_rate(),
            emails_per_minute: default_email_rate(),
            logins_per_account_per_minute: default_account_login_rate(),
            logins_per_tenant_per_minute: 0,
        }
    }
}

fn default_account_login_rate() -> u32 {
    10
}

fn default_login_rate() -> u32 {
    30
}

fn default_email_rate() -> u32 {
    10
}

impl AttackProtection {
    /// Checks the lockout bounds.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.require(
            (1..=1000).contains(&self.lockout.max_failures),
            format!("{path}.lockout.maxFailures"),
            "must be between 1 and 1000",
        );
        checker.require(
            self.lockout.duration >= Duration::from_secs(1),
            format!("{path}.lockout.duration"),
            "must be at least 1s",
        );
        self.breached_passwords
            .check(&mut checker, &format!("{path}.breachedPasswords"));
        self.challenge.check(&mut checker, &format!("{path}.challenge"));
        checker.finish()
    }
}

/// Localised text: a language tag (`en`, `de`) to the text in that language.
pub type LocalizedText = BTreeMap<String, String>;

pub(crate) fn yes() -> bool {
    true
}

pub(crate) fn has_duplicates<T: Ord + Clone>(items: &[T]) -> bool {
    let mut sorted = items.to_vec();
    sorted.sort();
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}
