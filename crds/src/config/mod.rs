//! The operator-to-IdP contract: everything one IdP needs to serve one tenant.
//!
//! The operator renders a [`TenantConfig`] from a Tenant and every object attached to it and
//! mounts it as a file; the IdP (or a person running it standalone) loads it with
//! [`TenantConfig::from_yaml`] or [`TenantConfig::from_json`], which refuse unknown fields and
//! invalid values with the offending field's path, and formats other than [`CONFIG_FORMAT`] and
//! the one before it (an operator and its IdPs are upgraded one after the other, never at once).

mod attached;
mod client;

pub use attached::*;
pub use client::*;
use serde::{Deserialize, Serialize};

use crate::rules;
use crate::secret::SecretString;
use crate::v1alpha1::{
    AttackProtection, Branding, PasswordPolicy, Registration, SessionSettings, SigningAlgorithm, SmtpSecurity,
    TokenSettings,
};
use crate::validation::{Checker, FieldError, ValidationErrors};

/// The complete configuration of one tenant's IdP.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantConfig {
    /// The format of this file: [`CONFIG_FORMAT`], or the one before it, which an older operator
    /// writes. Format 1 had no such field.
    #[serde(default = "first_format")]
    pub format_version: u32,
    /// Increases with every change; `/readyz` reports the generation being served.
    pub generation: i64,
    /// Public issuer URL, exactly as tokens carry it.
    pub issuer: String,
    /// Name shown to customers.
    pub display_name: String,
    /// Look of the pages.
    #[serde(default)]
    pub branding: Branding,
    /// Self-service registration.
    #[serde(default)]
    pub registration: Registration,
    /// Rules for new passwords.
    #[serde(default)]
    pub password_policy: PasswordPolicy,
    /// Session lifetimes.
    #[serde(default)]
    pub sessions: SessionSettings,
    /// Code and token lifetimes.
    #[serde(default)]
    pub tokens: TokenSettings,
    /// Algorithms the IdP signs with; the first signs access tokens. Must include RS256.
    #[serde(default = "default_algorithms")]
    pub signing_algorithms: Vec<SigningAlgorithm>,
    /// The applications that may sign customers in.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// Upstream identity providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub social_providers: Vec<SocialProviderConfig>,
    /// Consent policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_policies: Vec<ConsentPolicyConfig>,
    /// Multi-factor authentication policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mfa_policies: Vec<MfaPolicyConfig>,
    /// Outgoing email; absent means emails go to the log (development only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailConfig>,
    /// Lockout and rate limits.
    #[serde(default)]
    pub attack_protection: AttackProtection,
}

/// The format the operator writes; the IdP serves it and the one before it.
pub const CONFIG_FORMAT: u32 = 2;

fn first_format() -> u32 {
    1
}

fn default_algorithms() -> Vec<SigningAlgorithm> {
    vec![SigningAlgorithm::Rs256]
}

/// Outgoing email with its credentials resolved.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailConfig {
    /// Sender address.
    pub from: String,
    /// Reply-To address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// Transport security.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// SMTP user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretString>,
}

/// Why a config file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not YAML or JSON of the right shape (including unknown fields).
    #[error("config does not parse: {0}")]
    Parse(String),
    /// A value breaks a rule.
    #[error("config is invalid: {0}")]
    Invalid(#[from] ValidationErrors),
}

impl TenantConfig {
    /// Parses and validates YAML (JSON is YAML too).
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        Self::strictly(serde_yaml::Deserializer::from_str(text))
    }

    /// Parses and validates JSON.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        Self::strictly(&mut serde_json::Deserializer::from_str(text))
    }

    /// Deserializes, refusing every field it does not know: the API types tolerate unknown fields
    /// (a newer CRD must not make an older operator drop objects), but a config field that would
    /// be accepted and ignored is a typo or a feature this IdP lacks, and both must be said.
    fn strictly<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, ConfigError>
    where
        D::Error: std::fmt::Display,
    {
        let mut unknown = Vec::new();
        let config: Self = serde_ignored::deserialize(deserializer, |path| unknown.push(path.to_string()))
            .map_err(|error| ConfigError::Parse(error.to_string()))?;
        if !unknown.is_empty() {
            return Err(ConfigError::Parse(format!("unknown field(s): {}", unknown.join(", "))));
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; errors carry paths such as `clients[1].redirectUris[0]`.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.require(
            (CONFIG_FORMAT - 1..=CONFIG_FORMAT).contains(&self.format_version),
            "formatVersion",
            "must be 1 or 2: this IdP serves config format 2 and the one before it (upgrade the IdP image or the operator)",
        );
        checker.require(self.generation >= 0, "generation", "must not be negative");
        checker.merge_reason(rules::issuer(&self.issuer), "issuer");
        checker.require(!self.display_name.trim().is_empty(), "displayName", "must not be blank");
        checker.merge(self.branding.validate("branding"));
        checker.merge(self.registration.validate("registration"));
        checker.merge(self.password_policy.validate("passwordPolicy"));
        checker.merge(self.sessions.validate("sessions"));
        checker.merge(self.tokens.validate("tokens"));
        checker.merge(self.attack_protection.validate("attackProtection"));
        self.attack_protection
            .breached_passwords
            .check_in_config(&mut checker, "attackProtection.breachedPasswords");
        if let Some(captcha) = &self.attack_protection.challenge.captcha {
            captcha.check_in_config(&mut checker, "attackProtection.challenge.captcha");
        }
        checker.require(
            self.signing_algorithms.contains(&SigningAlgorithm::Rs256),
            "signingAlgorithms",
            "must include RS256 (OIDC Core 15.1)",
        );
        self.check_clients(&mut checker);
        if let Some(email) = &self.email {
            email.check(&mut checker);
        }
        for (index, provider) in self.social_providers.iter().enumerate() {
            checker.merge(provider.validate(&format!("socialProviders[{index}]")));
        }
        checker.require(
            self.consent_policies.len() <= 1,
            "consentPolicies",
            "must list at most one consent policy: customers of a Tenant agree to one policy",
        );
        for (index, policy) in self.consent_policies.iter().enumerate() {
            checker.merge(policy.validate(&format!("consentPolicies[{index}]")));
        }
        for (index, policy) in self.mfa_policies.iter().enumerate() {
            checker.merge(policy.validate(&format!("mfaPolicies[{index}]")));
        }
        checker.finish()
    }

    fn check_clients(&self, checker: &mut Checker) {
        let mut seen: Vec<&str> = Vec::new();
        for (index, client) in self.clients.iter().enumerate() {
            let path = format!("clients[{index}]");
            checker.merge(client.validate(&path));
            if seen.contains(&client.client_id.as_str()) {
                checker.fail(
                    format!("{path}.clientId"),
                    format!("{} appears twice", client.client_id),
                );
            }
            seen.push(&client.client_id);
            checker.require(
                self.signing_algorithms.contains(&client.id_token_signed_response_alg),
                format!("{path}.idTokenSignedResponseAlg"),
                "must be one of signingAlgorithms",
            );
        }
    }

    /// The client with this `client_id`.
    pub fn client(&self, client_id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|client| client.client_id == client_id)
    }

    /// The algorithm that signs access tokens.
    pub fn access_token_algorithm(&self) -> SigningAlgorithm {
        self.signing_algorithms
            .first()
            .copied()
            .unwrap_or(SigningAlgorithm::Rs256)
    }
}

impl EmailConfig {
    fn check(&self, checker: &mut Checker) {
        checker.merge_reason(rules::email_address(&self.from), "email.from");
        if let Some(reply_to) = &self.reply_to {
            checker.merge_reason(rules::email_address(reply_to), "email.replyTo");
        }
        checker.require(!self.host.trim().is_empty(), "email.host", "must not be empty");
        checker.require(self.port > 0, "email.port", "must be between 1 and 65535");
        checker.require(
            self.username.is_some() == self.password.is_some(),
            "email.password",
            "username and password go together",
        );
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

#[cfg(test)]
mod tests;
