//! A Client as the IdP sees it: resolved defaults, and secrets only as hashes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::duration::Duration;
use crate::rules;
use crate::v1alpha1::{ClientSpec, ClientType, GrantType, SigningAlgorithm, TokenEndpointAuthMethod};
use crate::validation::{Checker, ValidationErrors};

/// A relying party with every default resolved.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientConfig {
    /// OAuth `client_id`.
    pub client_id: String,
    /// Name shown on the consent page.
    pub display_name: String,
    /// Confidential or public.
    #[serde(rename = "type")]
    pub client_type: ClientType,
    /// Exact redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Origins allowed to call the token, userinfo and revocation endpoints.
    #[serde(default)]
    pub allowed_cors_origins: Vec<String>,
    /// Allowed grants.
    pub grant_types: Vec<GrantType>,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// Token endpoint authentication.
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// ID token algorithm.
    pub id_token_signed_response_alg: SigningAlgorithm,
    /// Whether PKCE S256 is required.
    pub require_pkce: bool,
    /// Whether the consent page is skipped (first-party).
    pub skip_consent: bool,
    /// Hashes of the secrets that authenticate this client; during a rotation two are valid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ClientSecretHash>,
    /// Access token lifetime override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime: Option<Duration>,
    /// ID token lifetime override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_lifetime: Option<Duration>,
    /// Refresh token lifetime override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime: Option<Duration>,
    /// The oldest authentication, in seconds, that signs in to this client when a request has
    /// no `max_age`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_max_age: Option<i64>,
    /// The classes asked for, in order of preference, when a request has no `acr_values`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_acr_values: Vec<String>,
    /// The least class every sign-in to this client reaches, whatever the request asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_acr: Option<String>,
}

/// A client secret at rest: its SHA-256 (the secret has 256 bits of entropy, so a fast hash
/// suffices) and, for a secret being rotated out, when it stops working.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientSecretHash {
    /// Lowercase hex SHA-256 of the secret's UTF-8 bytes.
    pub sha256: String,
    /// After this instant the secret is refused. Absent for the current secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
}

impl ClientSecretHash {
    /// The hash of `secret`, valid until `expires`.
    pub fn of(secret: &str, expires: Option<Timestamp>) -> Self {
        Self {
            sha256: hex::encode(Sha256::digest(secret.as_bytes())),
            expires,
        }
    }
}

impl ClientConfig {
    /// The config entry for a Client resource, with every default resolved.
    pub fn from_spec(spec: &ClientSpec, namespace: &str, name: &str, secrets: Vec<ClientSecretHash>) -> Self {
        let tokens = spec.tokens.clone().unwrap_or_default();
        Self {
            client_id: spec.effective_client_id(namespace, name),
            display_name: spec.display_name.clone().unwrap_or_else(|| name.to_owned()),
            client_type: spec.client_type,
            redirect_uris: spec.redirect_uris.clone(),
            post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
            allowed_cors_origins: spec.allowed_cors_origins.clone(),
            grant_types: spec.grant_types.clone(),
            scopes: spec.scopes.clone(),
            token_endpoint_auth_method: spec.effective_auth_method(),
            id_token_signed_response_alg: spec.id_token_signed_response_alg,
            require_pkce: spec.require_pkce || spec.client_type == ClientType::Public,
            skip_consent: spec.skip_consent,
            secrets,
            access_token_lifetime: tokens.access_token_lifetime,
            id_token_lifetime: tokens.id_token_lifetime,
            refresh_token_lifetime: tokens.refresh_token_lifetime,
            default_max_age: spec.default_max_age,
            default_acr_values: spec.default_acr_values.clone(),
            required_acr: spec.required_acr.clone(),
        }
    }

    /// Checks the same rules as the Client resource, plus the secret hashes.
    pub fn validate(&self, path: &str) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.merge_reason(rules::client_id(&self.client_id), format!("{path}.clientId"));
        super::attached::rebase(&mut checker, self.as_spec().validate(), path);
        for (index, secret) in self.secrets.iter().enumerate() {
            let valid = secret.sha256.len() == 64
                && secret
                    .sha256
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
            checker.require(
                valid,
                format!("{path}.secrets[{index}].sha256"),
                "must be 64 lowercase hex digits",
            );
        }
        let confidential = self.client_type == ClientType::Confidential;
        checker.require(
            !confidential || !self.secrets.is_empty(),
            format!("{path}.secrets"),
            "a confidential client needs a secret hash",
        );
        checker.require(
            confidential || self.secrets.is_empty(),
            format!("{path}.secrets"),
            "a public client has no secret",
        );
        checker.finish()
    }

    fn as_spec(&self) -> ClientSpec {
        ClientSpec {
            tenant_ref: crate::v1alpha1::TenantRef {
                name: "config".into(),
                namespace: None,
            },
            client_id: Some(self.client_id.clone()),
            display_name: Some(self.display_name.clone()),
            client_type: self.client_type,
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            allowed_cors_origins: self.allowed_cors_origins.clone(),
            grant_types: self.grant_types.clone(),
            scopes: self.scopes.clone(),
            token_endpoint_auth_method: Some(self.token_endpoint_auth_method),
            id_token_signed_response_alg: self.id_token_signed_response_alg,
            require_pkce: self.require_pkce,
            skip_consent: self.skip_consent,
            secret_name: None,
            secret_rotation_grace_period: Duration::from_hours(24),
            tokens: Some(crate::v1alpha1::ClientTokenLifetimes {
                access_token_lifetime: self.access_token_lifetime,
                id_token_lifetime: self.id_token_lifetime,
                refresh_token_lifetime: self.refresh_token_lifetime,
            }),
            default_max_age: self.default_max_age,
            default_acr_values: self.default_acr_values.clone(),
            required_acr: self.required_acr.clone(),
        }
    }

    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}
