//! Token signing and verification with the tenant's keys: the active key per algorithm signs,
//! every published key (next, active, retired) verifies, and the public JWKS is pre-rendered.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use vestibule_crds::keys::{KeyError, KeyState, SigningKeySet};
use vestibule_crds::v1alpha1::SigningAlgorithm;

use crate::ids::UnixTime;

/// Why a key set cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A key's parameters are malformed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The configuration needs an algorithm for which no key is active.
    #[error("no active {0} key: the key file must hold an active key for every configured algorithm")]
    MissingActiveKey(&'static str),
    /// Two active keys for one algorithm.
    #[error("more than one active {0} key")]
    DuplicateActiveKey(&'static str),
    /// Signing failed.
    #[error("signing a token failed: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
    /// An RSA key that `ring` refuses (it needs 2048 bits or more).
    #[error("RSA key {kid} cannot sign: {reason}")]
    RsaKey {
        /// The key.
        kid: String,
        /// What `ring` said.
        reason: String,
    },
    /// The header or claims could not be serialized.
    #[error("serializing a token failed: {0}")]
    Encode(#[source] serde_json::Error),
    /// The RSA signature could not be made.
    #[error("signing a token with RSA failed")]
    RsaSign,
}

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not a JWT, or its header is unreadable.
    #[error("malformed token")]
    Malformed,
    /// Signed by a key we do not publish.
    #[error("unknown signing key")]
    UnknownKey,
    /// The `typ` header is not the expected one.
    #[error("wrong token type")]
    WrongType,
    /// Past its `exp`.
    #[error("expired token")]
    Expired,
    /// Bad signature, wrong issuer or a missing claim.
    #[error("invalid token: {0}")]
    Invalid(#[source] jsonwebtoken::errors::Error),
}

/// The private half of an active key.
enum PrivateKey {
    /// ES256 and EdDSA, through `jsonwebtoken`.
    Jwt(EncodingKey),
    /// RS256 through `ring`: its RSA signs four times faster than the pure-Rust `rsa` crate, and
    /// an RS256 signature is the dearest step of a sign-in or a refresh (see bench/report.md).
    Rsa(Box<ring::signature::RsaKeyPair>),
}

struct ActiveKey {
    kid: String,
    key: PrivateKey,
}

/// The keys of one tenant, ready to sign and verify.
pub struct Signer {
    active: HashMap<SigningAlgorithm, ActiveKey>,
    published: HashMap<String, (Algorithm, DecodingKey)>,
    jwks: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kids", &self.published.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The `jsonwebtoken` algorithm for a JOSE algorithm.
pub fn jwt_algorithm(alg: SigningAlgorithm) -> Algorithm {
    match alg {
        SigningAlgorithm::Rs256 => Algorithm::RS256,
        SigningAlgorithm::Es256 => Algorithm::ES256,
        SigningAlgorithm::EdDsa => Algorithm::EdDSA,
    }
}

impl Signer {
    /// Prepares `set`, insisting on an active key for each of `required` algorithms.
    pub fn new(set: &SigningKeySet, required: &[SigningAlgorithm]) -> Result<Self, SigningError> {
        let mut active = HashMap::new();
        let mut published = HashMap::new();
        for key in &set.keys {
            let public: Jwk = serde_json::from_value(key.public_jwk()).map_err(|error| KeyError::Malformed {
                kid: key.kid.clone(),
                reason: error.to_string(),
            })?;
            let decoding = DecodingKey::from_jwk(&public).map_err(|error| KeyError::Malformed {
                kid: key.kid.clone(),
                reason: error.to_string(),
            })?;
            published.insert(key.kid.clone(), (jwt_algorithm(key.alg), decoding));
            if key.state == KeyState::Active {
                let der = key.private_der()?;
                let encoding = match key.alg {
                    SigningAlgorithm::Rs256 => {
                        let pair =
                            ring::signature::RsaKeyPair::from_der(&der).map_err(|error| SigningError::RsaKey {
                                kid: key.kid.clone(),
                                reason: error.to_string(),
                            })?;
                        PrivateKey::Rsa(Box::new(pair))
                    }
                    SigningAlgorithm::Es256 => PrivateKey::Jwt(EncodingKey::from_ec_der(&der)),
                    SigningAlgorithm::EdDsa => PrivateKey::Jwt(EncodingKey::from_ed_der(&der)),
                };
                let previous = active.insert(
                    key.alg,
                    ActiveKey {
                        kid: key.kid.clone(),
                        key: encoding,
                    },
                );
                if previous.is_some() {
                    return Err(SigningError::DuplicateActiveKey(key.alg.as_str()));
                }
            }
        }
        if let Some(missing) = required.iter().find(|alg| !active.contains_key(alg)) {
            return Err(SigningError::MissingActiveKey(missing.as_str()));
        }
        let jwks = set.public_jwks().to_string();
        Ok(Self {
            active,
            published,
            jwks,
        })
    }

    /// The public JWKS document.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// Signs `claims` with the active key for `alg`, with header `typ`.
    pub fn sign<T: Serialize>(&self, alg: SigningAlgorithm, typ: &str, claims: &T) -> Result<String, SigningError> {
        let active = self
            .active
            .get(&alg)
            .ok_or(SigningError::MissingActiveKey(alg.as_str()))?;
        let mut header = Header::new(jwt_algorithm(alg));
        header.typ = Some(typ.to_owned());
        header.kid = Some(active.kid.clone());
        match &active.key {
            PrivateKey::Jwt(key) => jsonwebtoken::encode(&header, claims, key).map_err(SigningError::Sign),
            PrivateKey::Rsa(key) => sign_rs256(key, &header, claims),
        }
    }

    /// Verifies a token we issued: known `kid`, `typ` as expected, signature, `iss`, and `exp`
    /// against `now` (`None` skips expiry: an `id_token_hint` may have expired, OIDC
    /// RP-Initiated Logout 2).
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: &str,
        issuer: &str,
        now: Option<UnixTime>,
    ) -> Result<T, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let (algorithm, key) = self.published.get(&kid).ok_or(VerifyError::UnknownKey)?;
        // The key decides the algorithm, never the token: no alg confusion (RFC 8725 3.1).
        if header.alg != *algorithm {
            return Err(VerifyError::UnknownKey);
        }
        if !header.typ.is_some_and(|found| found.eq_ignore_ascii_case(typ)) {
            return Err(VerifyError::WrongType);
        }
        let mut validation = Validation::new(*algorithm);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        // Expiry is checked below against the IdP's clock, not the library's.
        validation.validate_exp = false;
        validation.required_spec_claims = ["iss", "exp", "sub"].map(String::from).into();
        let data = jsonwebtoken::decode::<serde_json::Value>(token, key, &validation).map_err(VerifyError::Invalid)?;
        let expires = UnixTime::from_seconds(data.claims.get("exp").and_then(serde_json::Value::as_i64).unwrap_or(0));
        if now.is_some_and(|now| now >= expires) {
            return Err(VerifyError::Expired);
        }
        serde_json::from_value(data.claims).map_err(|_| VerifyError::Malformed)
    }
}

/// A compact JWS (RFC 7515 7.1) signed RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 3.3).
fn sign_rs256<T: Serialize>(
    key: &ring::signature::RsaKeyPair,
    header: &Header,
    claims: &T,
) -> Result<String, SigningError> {
    let encode = |value: Vec<u8>| URL_SAFE_NO_PAD.encode(value);
    let mut token = encode(serde_json::to_vec(header).map_err(SigningError::Encode)?);
    token.push('.');
    token.push_str(&encode(serde_json::to_vec(claims).map_err(SigningError::Encode)?));
    let mut signature = vec![0; key.public().modulus_len()];
    // PKCS#1 v1.5 is deterministic; ring uses the generator only to blind the private operation.
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        token.as_bytes(),
        &mut signature,
    )
    .map_err(|_| SigningError::RsaSign)?;
    token.push('.');
    token.push_str(&encode(signature));
    Ok(token)
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use serde_json::json;
    use vestibule_crds::keys::SigningKey;

    use super::*;

    #[test]
    fn tokens_of_every_algorithm_verify_and_tampered_ones_do_not() {
        let now = Timestamp::now();
        let algorithms = [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ];
        let keys = algorithms
            .iter()
            .map(|alg| SigningKey::generate(*alg, KeyState::Active, now).unwrap())
            .collect();
        let signer = Signer::new(&SigningKeySet::of(keys), &algorithms).unwrap();
        let claims = json!({ "iss": "https://id.example.com", "sub": "u1", "exp": now.as_second() + 60 });
        for alg in algorithms {
            let token = signer.sign(alg, "JWT", &claims).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, jwt_algorithm(alg));
            let verified: serde_json::Value = signer
                .verify(
                    &token,
                    "JWT",
                    "https://id.example.com",
                    Some(UnixTime::from_seconds(now.as_second())),
                )
                .unwrap();
            assert_eq!(verified, claims);
            let (signed, signature) = token.rsplit_once('.').unwrap();
            let forged = format!("{signed}x.{signature}");
            assert!(
                signer
                    .verify::<serde_json::Value>(&forged, "JWT", "https://id.example.com", None)
                    .is_err()
            );
        }
    }
}
