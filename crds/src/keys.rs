//! Signing keys as the operator mounts them for the IdP: a JWKS whose keys carry their private
//! parameters (RFC 7517/7518) plus their rotation state.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use pkcs1::der::{Decode, Encode};
use pkcs1::{UintRef, der};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::SecretString;
use crate::v1alpha1::SigningAlgorithm;

/// Where a key is in its life.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KeyState {
    /// Published in the JWKS so relying parties can cache it, not signing yet.
    Next,
    /// Signing new tokens.
    Active,
    /// Published until the tokens it signed have expired; signs nothing.
    Retired,
}

/// The key file: `{"keys": [...]}`, shaped like a JWKS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SigningKeySet {
    /// Every key to publish; at most one `active` key per algorithm.
    pub keys: Vec<SigningKey>,
    /// The key that seals customers' secrets at rest (authenticator-app secrets): 256 random
    /// bits, hex. Not a signing key and never published; the operator generates it once and
    /// keeps it beside the signing keys, so a copy of the database alone opens no secret.
    #[serde(default, rename = "dataKey", skip_serializing_if = "Option::is_none")]
    pub data_key: Option<SecretString>,
}

/// One private key with its rotation state.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SigningKey {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The algorithm this key signs with.
    pub alg: SigningAlgorithm,
    /// Rotation state.
    pub state: KeyState,
    /// When the key was generated (and published).
    pub created: Timestamp,
    /// When the key started signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated: Option<Timestamp>,
    /// When the key stopped signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<Timestamp>,
    /// The JWK parameters.
    #[serde(flatten)]
    pub material: KeyMaterial,
}

/// JWK key parameters by key type. Integers and points are base64url without padding.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kty")]
pub enum KeyMaterial {
    /// An RSA key (RFC 7518 6.3).
    #[serde(rename = "RSA")]
    Rsa {
        /// Modulus.
        n: String,
        /// Public exponent.
        e: String,
        /// Private exponent.
        d: SecretString,
        /// First prime factor.
        p: SecretString,
        /// Second prime factor.
        q: SecretString,
        /// First factor CRT exponent.
        dp: SecretString,
        /// Second factor CRT exponent.
        dq: SecretString,
        /// First CRT coefficient.
        qi: SecretString,
    },
    /// A P-256 key (RFC 7518 6.2).
    #[serde(rename = "EC")]
    Ec {
        /// Curve, `P-256`.
        crv: String,
        /// X coordinate.
        x: String,
        /// Y coordinate.
        y: String,
        /// Private scalar.
        d: SecretString,
    },
    /// An Ed25519 key (RFC 8037).
    #[serde(rename = "OKP")]
    Okp {
        /// Curve, `Ed25519`.
        crv: String,
        /// Public key.
        x: String,
        /// Private seed.
        d: SecretString,
    },
}

/// Why a key could not be generated or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The random number generator or the key arithmetic failed.
    #[error("generating a {alg} key failed: {reason}")]
    Generate {
        /// Algorithm.
        alg: &'static str,
        /// Cause.
        reason: String,
    },
    /// The stored parameters do not form a valid key.
    #[error("key {kid} is malformed: {reason}")]
    Malformed {
        /// Key id.
        kid: String,
        /// Cause.
        reason: String,
    },
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn secret_b64(bytes: &[u8]) -> SecretString {
    SecretString::new(URL_SAFE_NO_PAD.encode(bytes))
}

impl SigningKey {
    /// Generates a fresh key for `alg`, in state `state`, created at `now`.
    pub fn generate(alg: SigningAlgorithm, state: KeyState, now: Timestamp) -> Result<Self, KeyError> {
        let material = match alg {
            SigningAlgorithm::Rs256 => generate_rsa()?,
            SigningAlgorithm::Es256 => generate_p256(),
            SigningAlgorithm::EdDsa => generate_ed25519(),
        };
        let activated = (state == KeyState::Active).then_some(now);
        let kid = material.thumbprint();
        Ok(Self {
            kid,
            alg,
            state,
            created: now,
            activated,
            retired: None,
            material,
        })
    }

    /// The public JWK to publish: no private parameters.
    pub fn public_jwk(&self) -> serde_json::Value {
        let mut jwk = match &self.material {
            KeyMaterial::Rsa { n, e, .. } => serde_json::json!({ "kty": "RSA", "n": n, "e": e }),
            KeyMaterial::Ec { crv, x, y, .. } => {
                serde_json::json!({ "kty": "EC", "crv": crv, "x": x, "y": y })
            }
            KeyMaterial::Okp { crv, x, .. } => {
                serde_json::json!({ "kty": "OKP", "crv": crv, "x": x })
            }
        };
        jwk["kid"] = self.kid.clone().into();
        jwk["alg"] = self.alg.as_str().into();
        jwk["use"] = "sig".into();
        jwk
    }

    /// The private key in the DER form the JWT signer takes: PKCS#1 for RSA, PKCS#8 otherwise.
    pub fn private_der(&self) -> Result<Vec<u8>, KeyError> {
        let malformed = |reason: String| KeyError::Malformed {
            kid: self.kid.clone(),
            reason,
        };
        match &self.material {
            KeyMaterial::Rsa {
                n,
                e,
                d,
                p,
                q,
                dp,
                dq,
                qi,
            } => {
                let decoded = [
                    n.as_str(),
                    e,
                    d.expose(),
                    p.expose(),
                    q.expose(),
                    dp.expose(),
                    dq.expose(),
                    qi.expose(),
                ]
                .map(|value| URL_SAFE_NO_PAD.decode(value));
                let mut bytes = Vec::with_capacity(8);
                for value in decoded {
                    bytes.push(value.map_err(|error| malformed(error.to_string()))?);
                }
                rsa_der(&bytes).map_err(|error| malformed(error.to_string()))
            }
            KeyMaterial::Ec { d, .. } => {
                let scalar = URL_SAFE_NO_PAD
                    .decode(d.expose())
                    .map_err(|error| malformed(error.to_string()))?;
                p256_der(&scalar).map_err(malformed)
            }
            KeyMaterial::Okp { d, .. } => {
                let seed = URL_SAFE_NO_PAD
                    .decode(d.expose())
                    .map_err(|error| malformed(error.to_string()))?;
                ed25519_der(&seed).map_err(malformed)
            }
        }
    }
}

impl KeyMaterial {
    /// The RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key.
    pub fn thumbprint(&self) -> String {
        // RFC 7638 3.2: required members only, lexicographic order, no whitespace.
        let canonical = match self {
            KeyMaterial::Rsa { n, e, .. } => format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
            KeyMaterial::Ec { crv, x, y, .. } => {
                format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            KeyMaterial::Okp { crv, x, .. } => {
                format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{x}"}}"#)
            }
        };
        b64(&Sha256::digest(canonical.as_bytes()))
    }
}

fn generate_rsa() -> Result<KeyMaterial, KeyError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let fail = |reason: String| KeyError::Generate { alg: "RS256", reason };
    let key = rsa::PrivateKey::new(&mut rand::rng(), 2048).map_err(|error| fail(error.to_string()))?;
    let der = key.to_pkcs1_der().map_err(|error| fail(error.to_string()))?;
    let parsed =
        pkcs1::RsaPrivateKey::<UintRef<'_>>::from_der(der.as_bytes()).map_err(|error| fail(error.to_string()))?;
    Ok(KeyMaterial::Rsa {
        n: b64(parsed.modulus.as_bytes()),
        e: b64(parsed.public_exponent.as_bytes()),
        d: secret_b64(parsed.private_exponent.as_bytes()),
        p: secret_b64(parsed.prime1.as_bytes()),
        q: secret_b64(parsed.prime2.as_bytes()),
        dp: secret_b64(parsed.exponent1.as_bytes()),
        dq: secret_b64(parsed.exponent2.as_bytes()),
        qi: secret_b64(parsed.coefficient.as_bytes()),
    })
}

fn rsa_der(parts: &[Vec<u8>]) -> der::Result<Vec<u8>> {
    let uint = |index: usize| UintRef::new(&parts[index]);
    let key = pkcs1::RsaPrivateKey {
        modulus: uint(0)?,
        public_exponent: uint(1)?,
        private_exponent: uint(2)?,
        prime1: uint(3)?,
        prime2: uint(4)?,
        exponent1: uint(5)?,
        exponent2: uint(6)?,
        coefficient: uint(7)?,
        other_prime_infos: None,
    };
    key.to_der()
}

fn generate_p256() -> KeyMaterial {
    use p256::elliptic_curve::Generate;
    let key = p256::ecdsa::SigningKey::generate_from_rng(&mut rand::rng());
    let point = key.verifying_key().to_sec1_point(false);
    KeyMaterial::Ec {
        crv: "P-256".into(),
        x: b64(point.x().map(|x| x.as_slice()).unwrap_or_default()),
        y: b64(point.y().map(|y| y.as_slice()).unwrap_or_default()),
        d: secret_b64(&key.to_bytes()),
    }
}

fn p256_der(scalar: &[u8]) -> Result<Vec<u8>, String> {
    use p256::pkcs8::EncodePrivateKey;
    let key = p256::ecdsa::SigningKey::from_slice(scalar).map_err(|error| error.to_string())?;
    Ok(key
        .to_pkcs8_der()
        .map_err(|error| error.to_string())?
        .as_bytes()
        .to_vec())
}

fn generate_ed25519() -> KeyMaterial {
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rng());
    KeyMaterial::Okp {
        crv: "Ed25519".into(),
        x: b64(key.verifying_key().as_bytes()),
        d: secret_b64(key.as_bytes()),
    }
}

fn ed25519_der(seed: &[u8]) -> Result<Vec<u8>, String> {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| "an Ed25519 seed has 32 bytes".to_string())?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    Ok(key
        .to_pkcs8_der()
        .map_err(|error| error.to_string())?
        .as_bytes()
        .to_vec())
}

impl SigningKeySet {
    /// A set of `keys` without a data key.
    pub fn of(keys: Vec<SigningKey>) -> Self {
        Self { keys, data_key: None }
    }

    /// A fresh data key: 256 bits from the operating system's generator, hex.
    pub fn generate_data_key() -> SecretString {
        let bytes: [u8; 32] = rand::random();
        SecretString::new(hex::encode(bytes))
    }

    /// The public JWKS document.
    pub fn public_jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.keys.iter().map(SigningKey::public_jwk).collect::<Vec<_>>() })
    }

    /// The key that signs for `alg`, if any.
    pub fn active(&self, alg: SigningAlgorithm) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|key| key.alg == alg && key.state == KeyState::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_generates_a_key_that_round_trips_to_der() {
        for alg in [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ] {
            let key = SigningKey::generate(alg, KeyState::Active, Timestamp::UNIX_EPOCH).unwrap();
            assert!(!key.private_der().unwrap().is_empty());
            let json = serde_json::to_string(&key).unwrap();
            let back: SigningKey = serde_json::from_str(&json).unwrap();
            assert_eq!(back, key);
            assert_eq!(key.kid, key.material.thumbprint());
        }
    }

    #[test]
    fn public_jwk_carries_no_private_parameter() {
        let key = SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Next, Timestamp::UNIX_EPOCH).unwrap();
        let jwk = key.public_jwk();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(jwk.get(private).is_none(), "{private} leaked");
        }
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["e"], "AQAB");
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 3.1's example key and thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let material = KeyMaterial::Rsa {
            n: n.into(),
            e: "AQAB".into(),
            d: SecretString::default(),
            p: SecretString::default(),
            q: SecretString::default(),
            dp: SecretString::default(),
            dq: SecretString::default(),
            qi: SecretString::default(),
        };
        assert_eq!(material.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn debug_output_redacts_private_parameters() {
        let key = SigningKey::generate(SigningAlgorithm::EdDsa, KeyState::Active, Timestamp::UNIX_EPOCH).unwrap();
        let KeyMaterial::Okp { d, .. } = &key.material else {
            unreachable!()
        };
        assert!(!format!("{key:?}").contains(d.expose()));
    }
}
