//! Social providers, consent policies and MFA policies as the IdP sees them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::secret::SecretString;
use crate::v1alpha1::{
    AccountLinking, AdaptiveSettings, AppleKeyIds, AppliesTo, ConsentDocuments, ConsentPolicySpec, DataRetention,
    Enforcement, Factor, Jurisdiction, MfaPolicySpec, Passkeys, Purpose, Reconsent, RememberDevice, SecretKeyRef,
    SocialProviderSpec, SocialProviderType, TenantRef,
};
use crate::validation::{Checker, ValidationErrors};

/// An upstream identity provider with its client secret resolved.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SocialProviderConfig {
    /// Identifier in callback URLs, unique in the tenant (`<namespace>.<name>`).
    pub id: String,
    /// Kind of provider.
    #[serde(rename = "type")]
    pub provider_type: SocialProviderType,
    /// Client id at the provider.
    pub client_id: String,
    /// Client secret at the provider.
    pub client_secret: SecretString,
    /// Issuer (oidc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Authorization endpoint (oauth2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// Token endpoint (oauth2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Userinfo endpoint (oauth2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
    /// Scopes to request.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Claim mappings.
    #[serde(default)]
    pub claim_mappings: BTreeMap<String, String>,
    /// Account linking.
    pub linking: AccountLinking,
    /// Button label.
    pub display_name: String,
    /// Whether the login page offers it.
    pub enabled: bool,
    /// Sign in with Apple: the ids of the `.p8` key that `client_secret` holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apple: Option<AppleKeyIds>,
}

impl SocialProviderConfig {
    /// Checks the same rules as the SocialProvider resource.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let spec = SocialProviderSpec {
            tenant_ref: TenantRef {
                name: "config".into(),
                namespace: None,
            },
            provider_type: self.provider_type,
            client_id: self.client_id.clone(),
            client_secret_ref: SecretKeyRef {
                name: "config".into(),
                key: "config".into(),
            },
            issuer: self.issuer.clone(),
            authorization_url: self.authorization_url.clone(),
            token_url: self.token_url.clone(),
            userinfo_url: self.userinfo_url.clone(),
            scopes: self.scopes.clone(),
            claim_mappings: self.claim_mappings.clone(),
            linking: self.linking,
            display_name: Some(self.display_name.clone()),
            enabled: self.enabled,
            apple: self.apple.clone(),
        };
        let mut checker = Checker::default();
        checker.require(!self.id.is_empty(), format!("{path}.id"), "must not be empty");
        rebase(&mut checker, spec.validate(), path);
        checker.finish()
    }
}

/// A consent policy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentPolicyConfig {
    /// Identifier (`<namespace>.<name>`).
    pub id: String,
    /// Policy version.
    pub version: String,
    /// Documents.
    #[serde(default)]
    pub documents: ConsentDocuments,
    /// Purposes.
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    /// Jurisdiction.
    #[serde(default)]
    pub jurisdiction: Jurisdiction,
    /// Reconsent rule.
    #[serde(default)]
    pub reconsent: Reconsent,
    /// Data retention.
    #[serde(default)]
    pub data_retention: DataRetention,
}

impl ConsentPolicyConfig {
    /// Checks the same rules as the ConsentPolicy resource.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let spec = ConsentPolicySpec {
            tenant_ref: TenantRef {
                name: "config".into(),
                namespace: None,
            },
            version: self.version.clone(),
            documents: self.documents.clone(),
            purposes: self.purposes.clone(),
            jurisdiction: self.jurisdiction,
            reconsent: self.reconsent.clone(),
            data_retention: self.data_retention.clone(),
        };
        let mut checker = Checker::default();
        rebase(&mut checker, spec.validate(), path);
        checker.finish()
    }
}

/// An MFA policy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MfaPolicyConfig {
    /// Identifier (`<namespace>.<name>`).
    pub id: String,
    /// Factors.
    pub factors: Vec<Factor>,
    /// Enforcement.
    #[serde(default)]
    pub enforcement: Enforcement,
    /// Adaptive scoring.
    #[serde(default)]
    pub adaptive: AdaptiveSettings,
    /// Trusted devices.
    #[serde(default)]
    pub remember_device: RememberDevice,
    /// Passkeys.
    #[serde(default)]
    pub passkeys: Passkeys,
    /// Scope.
    #[serde(default)]
    pub applies_to: AppliesTo,
}

impl MfaPolicyConfig {
    /// Checks the same rules as the MfaPolicy resource.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let spec = MfaPolicySpec {
            tenant_ref: TenantRef {
                name: "config".into(),
                namespace: None,
            },
            factors: self.factors.clone(),
            enforcement: self.enforcement,
            adaptive: self.adaptive.clone(),
            remember_device: self.remember_device.clone(),
            passkeys: self.passkeys.clone(),
            applies_to: self.applies_to.clone(),
        };
        let mut checker = Checker::default();
        rebase(&mut checker, spec.validate(), path);
        checker.finish()
    }
}

/// Moves a resource's `spec.*` error paths under `path` in the config.
pub(super) fn rebase(checker: &mut Checker, result: Result<(), ValidationErrors>, path: &str) {
    if let Err(errors) = result {
        for error in errors.0 {
            let field = error.path.trim_start_matches("spec.");
            checker.fail(format!("{path}.{field}"), error.reason);
        }
    }
}
