//! The contents of ID tokens (OIDC Core 2), access tokens (RFC 9068) and userinfo (OIDC Core 5).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};
use vestibule_crds::v1alpha1::SigningAlgorithm;

use crate::store::User;

/// Claims of an ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the user id.
    pub sub: String,
    /// Audience: the client id.
    pub aud: String,
    /// Authorized party (OIDC Core 2): the client the token was issued to.
    pub azp: String,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// When the customer authenticated.
    pub auth_time: i64,
    /// The request's nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authentication context class.
    pub acr: String,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// Access token hash (OIDC Core 3.1.3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Session id (OIDC Front-Channel Logout 3).
    pub sid: String,
    /// Profile and email claims the granted scopes release.
    #[serde(flatten)]
    pub profile: Map<String, Value>,
}

/// Claims of a JWT access token (RFC 9068 2.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the user, or the client itself for client credentials.
    pub sub: String,
    /// Audience: the resource server, by default this issuer (its userinfo endpoint).
    pub aud: String,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Unique id; for user tokens `<grant id>.<random>`, so revoking the grant revokes it.
    pub jti: String,
    /// The client.
    pub client_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// When the customer authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Authentication context class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The IdP session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AccessTokenClaims {
    /// The grant a user token belongs to; `None` for client-credentials tokens.
    pub fn grant_id(&self) -> Option<&str> {
        self.sid.as_ref()?;
        self.jti.split_once('.').map(|(grant, _)| grant)
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }
}

/// The `at_hash`: the left half of the hash of the access token, with the hash of the ID
/// token's algorithm (SHA-256 for RS256/ES256, SHA-512 for Ed25519).
pub fn at_hash(access_token: &str, alg: SigningAlgorithm) -> String {
    let digest = match alg {
        SigningAlgorithm::Rs256 | SigningAlgorithm::Es256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        SigningAlgorithm::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// The user claims released by `scopes` (OIDC Core 5.4), without `sub`.
pub fn user_claims<'a>(user: &User, scopes: impl Iterator<Item = &'a str>) -> Map<String, Value> {
    let mut claims = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            claims.insert(name.to_owned(), value);
        }
    };
    for scope in scopes {
        match scope {
            "profile" => {
                put("name", user.full_name().map(Value::from));
                put("given_name", user.given_name.clone().map(Value::from));
                put("family_name", user.family_name.clone().map(Value::from));
                put("nickname", user.nickname.clone().map(Value::from));
                put("birthdate", user.birthdate.clone().map(Value::from));
                put("locale", user.locale.clone().map(Value::from));
                put("updated_at", Some(json!(user.updated_at.seconds())));
            }
            "email" => {
                put("email", Some(Value::from(user.email.clone())));
                // True only once the address was proven (verification link, emailed reset),
                // never because the tenant does not require verification.
                put("email_verified", Some(Value::from(user.email_verified)));
            }
            "phone" => {
                put("phone_number", user.phone_number.clone().map(Value::from));
                // We store the number the customer typed; we never verified it by SMS.
                put(
                    "phone_number_verified",
                    user.phone_number.as_ref().map(|_| Value::from(false)),
                );
            }
            _ => {}
        }
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // Expected values computed independently with Python's hashlib.
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNiYDPqvEdMJ5mmA1uhzXKMS6e7YYqUK3Bvtq2l2";
        assert_eq!(at_hash(token, SigningAlgorithm::Rs256), "RzljqCgvSj_2I_pT5Yp5SQ");
        assert_eq!(
            at_hash(token, SigningAlgorithm::EdDsa),
            "H0Nv7QOljkHltQ1XkVZievNcUL159AIIAU3dhqV9qWw"
        );
    }
}
