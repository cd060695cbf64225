//! Sign in with Apple's quirks: the client secret is a short-lived ES256 JWT signed with the
//! `.p8` key, and the customer's name comes only once, in the callback's `user` form field.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{ProviderError, UpstreamError};
use crate::ids::UnixTime;

/// How long a client secret JWT is valid; Apple allows up to six months, a minute suffices.
const SECRET_LIFETIME: i64 = 300;

/// The identifiers Apple issues with a `.p8` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppleSigning {
    /// The Apple developer team id (the JWT's `iss`).
    pub team_id: String,
    /// The id of the `.p8` key (the JWT's `kid`).
    pub key_id: String,
}

/// A `.p8` key ready to sign client secrets.
pub(crate) struct AppleKey {
    ids: AppleSigning,
    key: EncodingKey,
}

impl std::fmt::Debug for AppleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppleKey")
            .field("ids", &self.ids)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[derive(Serialize)]
struct SecretClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl AppleKey {
    /// Reads the PKCS#8 PEM of the `.p8` file.
    pub fn new(ids: AppleSigning, p8_pem: &str) -> Result<Self, ProviderError> {
        if ids.team_id.trim().is_empty() || ids.key_id.trim().is_empty() {
            return Err(ProviderError::AppleKey {
                reason: "the team id and the key id are required".into(),
            });
        }
        let malformed = |detail: String| ProviderError::AppleKey {
            reason: format!("the .p8 key is not a P-256 PKCS#8 PEM key ({detail})"),
        };
        let body: String = p8_pem
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("-----"))
            .collect();
        let der = STANDARD.decode(body).map_err(|error| malformed(error.to_string()))?;
        let apple = Self {
            ids,
            key: EncodingKey::from_ec_der(&der),
        };
        // Sign once now, so a broken key is refused with the configuration, not at a sign-in.
        apple
            .client_secret("check", "check", UnixTime::from_seconds(0))
            .map_err(|error| malformed(error.to_string()))?;
        Ok(apple)
    }

    /// The client secret for one token request: `iss` the team, `sub` the client, `aud` Apple.
    pub fn client_secret(&self, client_id: &str, audience: &str, now: UnixTime) -> Result<String, UpstreamError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.ids.key_id.clone());
        let claims = SecretClaims {
            iss: &self.ids.team_id,
            sub: client_id,
            aud: audience,
            iat: now.seconds(),
            exp: now.plus_seconds(SECRET_LIFETIME).seconds(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(UpstreamError::ClientSecret)
    }
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    name: Option<UserName>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserName {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

/// The name claims from Apple's `user` field. The field is not signed, so only the name is
/// taken from it; the email always comes from the ID token.
pub(crate) fn name_claims(user_field: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    let Some(name) = serde_json::from_str::<User>(user_field).ok().and_then(|user| user.name) else {
        return claims;
    };
    let given = name.first_name.filter(|name| !name.trim().is_empty());
    let family = name.last_name.filter(|name| !name.trim().is_empty());
    let full: Vec<&str> = [given.as_deref(), family.as_deref()].into_iter().flatten().collect();
    if !full.is_empty() {
        claims.insert("name".into(), Value::String(full.join(" ")));
    }
    if let Some(given) = given {
        claims.insert("given_name".into(), Value::String(given));
    }
    if let Some(family) = family {
        claims.insert("family_name".into(), Value::String(family));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_field_yields_only_the_name() {
        let claims = name_claims(r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"x@evil.example"}"#);
        assert_eq!(claims.get("name").and_then(Value::as_str), Some("Ada Lovelace"));
        assert_eq!(claims.get("family_name").and_then(Value::as_str), Some("Lovelace"));
        assert!(!claims.contains_key("email"));
        assert!(name_claims("not json").is_empty());
    }

    #[test]
    fn a_missing_or_malformed_key_is_refused() {
        let ids = AppleSigning {
            team_id: "TEAM".into(),
            key_id: "KEY".into(),
        };
        assert!(
            AppleKey::new(
                ids.clone(),
                "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
        let no_team = AppleSigning {
            team_id: String::new(),
            ..ids
        };
        assert!(AppleKey::new(no_team, "").is_err());
    }
}
