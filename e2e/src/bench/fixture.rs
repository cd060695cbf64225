//! What both identity providers are given, identically: the signing keys, the two clients, and
//! the customers with one argon2id hash of one password (OWASP parameters, as the IdP uses).

use std::path::{Path, PathBuf};

use argon2_rust::params::Memory;
use argon2_rust::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use rand::RngExt;
use serde_json::{Value, json};
use vestibule_crds::config::TenantConfig;
use vestibule_crds::keys::{KeyState, SigningKey, SigningKeySet};
use vestibule_crds::v1alpha1::SigningAlgorithm;

use super::BenchError;

/// Where the authorization code goes; the driver reads the code from the redirect and never
/// follows it.
pub const REDIRECT: &str = "https://app.example.com/callback";
/// The API that client-credentials (and, at the peer, login) access tokens are for.
pub const RESOURCE: &str = "urn:vestibule-bench:api";
/// The API's scopes.
pub const API_SCOPES: &str = "orders:read orders:write";
/// The algorithm that signs access tokens on both servers (ID tokens stay RS256, the default).
pub const ACCESS_TOKEN_ALG: SigningAlgorithm = SigningAlgorithm::EdDsa;
/// argon2id memory (KiB), passes and lanes: the IdP's `password.rs` parameters.
pub const ARGON2_PARAMS: (u32, u32, u32) = (19 * 1024, 2, 1);

/// How Vestibule's attack protection is configured for a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// For the throughput workloads, whose every request comes from 127.0.0.1 and every sign-in
    /// from a fresh browser: the per-address sign-in limit and challenged mode are off (hundreds
    /// of accounts from one address would be challenged, as an attack should be) and so is the
    /// new-device email (each sign-in would send one, which oidc-provider does not); everything
    /// else as by default.
    OneAddress,
    /// For the attack workload: the tenant's defaults (lockout, the limits per address, account
    /// and tenant, challenged mode), as a tenant gets them without configuring anything.
    Defaults,
}

/// The shared inputs of one run.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Where the generated files go.
    pub dir: PathBuf,
    /// Signing keys: EdDSA (access tokens) and RS256 (ID tokens), both active.
    pub keys: SigningKeySet,
    /// Secret of the confidential login client `web`.
    pub web_secret: String,
    /// Secret of the client-credentials client `service`.
    pub service_secret: String,
    /// Every customer's password.
    pub password: String,
    /// Its argon2id PHC string (one hash for all customers: same cost per verification).
    pub password_hash: String,
    /// Customers' email addresses.
    pub emails: Vec<String>,
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The argon2id instance with the IdP's parameters (and its crate, `argon2-rust`).
pub fn argon2() -> Result<Argon2, BenchError> {
    let (memory, passes, lanes) = ARGON2_PARAMS;
    let params = Params::builder()
        .memory(Memory::kib(u64::from(memory)))
        .passes(passes)
        .lanes(lanes)
        .build()
        .map_err(|e| BenchError::setup("argon2 parameters", e))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

impl Fixture {
    /// Generates keys, secrets, `users` customers and the password hash, in `dir`.
    pub fn generate(dir: &Path, users: usize) -> Result<Self, BenchError> {
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir, e))?;
        let now = Timestamp::now();
        let mut keys = Vec::new();
        for alg in [ACCESS_TOKEN_ALG, SigningAlgorithm::Rs256] {
            keys.push(SigningKey::generate(alg, KeyState::Active, now).map_err(|e| BenchError::setup("a key", e))?);
        }
        let password = format!("bench {}", random_secret());
        let salt: [u8; 16] = rand::rng().random();
        let password_hash = argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| BenchError::setup("the password hash", e))?;
        Ok(Self {
            dir: dir.to_owned(),
            keys: SigningKeySet::of(keys),
            web_secret: random_secret(),
            service_secret: random_secret(),
            password,
            password_hash,
            emails: (0..users)
                .map(|i| format!("customer{i:04}@bench.example.com"))
                .collect(),
        })
    }

    /// Vestibule's TenantConfig for `issuer` with `protection`, validated, as YAML.
    pub fn tenant_config(&self, issuer: &str, protection: Protection) -> Result<String, BenchError> {
        let hash = |secret: &str| vestibule_crds::config::ClientSecretHash::of(secret, None).sha256;
        let rate_limits = match protection {
            // Every request comes from 127.0.0.1: see [`Protection::OneAddress`].
            Protection::OneAddress => {
                "rateLimits: {loginsPerMinute: 0}\n  challenge: {enabled: false}\n  notifications: {newSignIn: false}"
            }
            Protection::Defaults => "rateLimits: {}",
        };
        let yaml = format!(
            r#"generation: 1
issuer: {issuer}
displayName: Bench Shop
signingAlgorithms: [{access}, RS256]
attackProtection:
  {rate_limits}
  # oidc-provider, the baseline, checks no breach list, and the bench must not load a public
  # service: the sign-ins measured are the same work on both sides.
  breachedPasswords: {{enabled: false}}
clients:
  - clientId: web
    displayName: Web shop
    type: confidential
    redirectUris: [{REDIRECT}]
    grantTypes: [authorization_code, refresh_token]
    scopes: [openid, profile, email, offline_access, orders:read]
    tokenEndpointAuthMethod: client_secret_basic
    idTokenSignedResponseAlg: RS256
    requirePkce: true
    skipConsent: true
    secrets: [{{sha256: {web}}}]
  - clientId: service
    displayName: Order service
    type: confidential
    grantTypes: [client_credentials]
    scopes: [orders:read, orders:write]
    tokenEndpointAuthMethod: client_secret_basic
    idTokenSignedResponseAlg: RS256
    requirePkce: true
    skipConsent: true
    secrets: [{{sha256: {service}}}]
"#,
            access = ACCESS_TOKEN_ALG.as_str(),
            web = hash(&self.web_secret),
            service = hash(&self.service_secret),
        );
        TenantConfig::from_yaml(&yaml).map_err(|e| BenchError::setup("the tenant config", e))?;
        Ok(yaml)
    }

    /// Writes Vestibule's config (with `protection`) and key files for `issuer`; returns their
    /// paths.
    pub fn write_vestibule(
        &self,
        name: &str,
        issuer: &str,
        protection: Protection,
    ) -> Result<(PathBuf, PathBuf), BenchError> {
        let config = self.dir.join(format!("{name}.tenant.yaml"));
        let keys = self.dir.join(format!("{name}.keys.json"));
        write(&config, &self.tenant_config(issuer, protection)?)?;
        let json = serde_json::to_string_pretty(&self.keys).map_err(|e| BenchError::setup("the key file", e))?;
        write(&keys, &json)?;
        Ok((config, keys))
    }

    /// Writes the peer's setup file (same keys, clients, customers and hash); returns its path.
    pub fn write_peer(&self) -> Result<PathBuf, BenchError> {
        let keys: Vec<Value> = self.keys.keys.iter().map(private_jwk).collect::<Result<_, _>>()?;
        let users: Vec<Value> = self
            .emails
            .iter()
            .enumerate()
            .map(|(i, email)| json!({ "id": format!("u{i:04}"), "email": email, "givenName": "Ada", "familyName": "Lovelace" }))
            .collect();
        let setup = json!({
            "jwks": { "keys": keys },
            "resource": RESOURCE,
            "resourceScope": API_SCOPES,
            "accessTokenAlg": ACCESS_TOKEN_ALG.as_str(),
            "passwordHash": self.password_hash,
            "users": users,
            "clients": [
                {
                    "client_id": "web", "client_secret": self.web_secret,
                    "redirect_uris": [REDIRECT], "response_types": ["code"],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "token_endpoint_auth_method": "client_secret_basic",
                    "id_token_signed_response_alg": "RS256",
                    "scope": "openid profile email offline_access orders:read",
                },
                {
                    "client_id": "service", "client_secret": self.service_secret,
                    "redirect_uris": [], "response_types": [], "grant_types": ["client_credentials"],
                    "token_endpoint_auth_method": "client_secret_basic",
                    "scope": API_SCOPES,
                },
            ],
        });
        let path = self.dir.join("peer-setup.json");
        write(&path, &setup.to_string())?;
        Ok(path)
    }
}

/// A private JWK for JOSE libraries: the key's JWK members without the rotation bookkeeping.
fn private_jwk(key: &SigningKey) -> Result<Value, BenchError> {
    let mut value = serde_json::to_value(key).map_err(|e| BenchError::setup("a private JWK", e))?;
    if let Some(object) = value.as_object_mut() {
        for bookkeeping in ["state", "created", "activated", "retired"] {
            object.remove(bookkeeping);
        }
        object.insert("use".into(), "sig".into());
    }
    Ok(value)
}

fn write(path: &Path, text: &str) -> Result<(), BenchError> {
    std::fs::write(path, text).map_err(|e| BenchError::io(path, e))
}
