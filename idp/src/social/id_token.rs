//! ID token validation (OIDC Core 3.1.3.7): an asymmetric signature from the provider's keys,
//! then `iss`, `aud`, `azp`, `exp`, `iat`, `nbf` and `nonce`.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::discovery::Metadata;
use super::error::UpstreamError;
use super::http::UpstreamHttp;
use super::jwks::KeyCache;
use crate::ids::UnixTime;

/// Clock skew tolerated between the provider and us, in seconds.
const LEEWAY: i64 = 60;

/// What the token must say.
pub(crate) struct Expected<'a> {
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Microsoft: the issuer is a template whose `{tenantid}` is the token's `tid`.
    pub tenant_template: bool,
    pub now: UnixTime,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// Verifies `token` and returns its claims.
pub(crate) async fn validate(
    token: &str,
    metadata: &Metadata,
    keys: &KeyCache,
    http: &UpstreamHttp,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, UpstreamError> {
    let header = header(token)?;
    let alg = allowed_algorithm(&header.alg, &metadata.id_token_algs)?;
    let key = keys.key(http, &metadata.jwks_uri, header.kid.as_deref(), alg).await?;
    let mut validation = Validation::new(alg);
    // The claims are checked below against our clock, with reasons the audit log can name.
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|error| UpstreamError::id_token(format!("signature: {error}")))?
        .claims;
    check_claims(&claims, &metadata.issuer, expected)?;
    Ok(claims)
}

fn header(token: &str) -> Result<Header, UpstreamError> {
    let encoded = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| UpstreamError::id_token("the header is not base64url"))?;
    let header: Header =
        serde_json::from_slice(&bytes).map_err(|_| UpstreamError::id_token("the header is not JSON"))?;
    // RFC 7515 4.1.11: extensions we do not understand must make the token invalid.
    if header.crit.is_some() {
        return Err(UpstreamError::id_token("the header has crit extensions"));
    }
    Ok(header)
}

/// Only asymmetric algorithms the provider announces: never `none` (no signature) and never
/// HMAC (its secret would be whatever key material we hold, such as the public key).
pub(crate) fn allowed_algorithm(alg: &str, announced: &[String]) -> Result<Algorithm, UpstreamError> {
    let algorithm = match alg {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        other => return Err(UpstreamError::id_token(format!("algorithm {other} is not accepted"))),
    };
    // OIDC Discovery 3: RS256 is the default when the provider announces nothing.
    let announced_ok = if announced.is_empty() {
        alg == "RS256"
    } else {
        announced.iter().any(|announced| announced == alg)
    };
    if !announced_ok {
        return Err(UpstreamError::id_token(format!(
            "algorithm {alg} is not announced by the provider"
        )));
    }
    Ok(algorithm)
}

fn check_claims(claims: &Map<String, Value>, issuer: &str, expected: &Expected<'_>) -> Result<(), UpstreamError> {
    check_issuer(claims, issuer, expected.tenant_template)?;
    check_audience(claims, expected.client_id)?;
    let time = |name: &str| claims.get(name).and_then(Value::as_i64).map(UnixTime::from_seconds);
    let exp = time("exp").ok_or_else(|| UpstreamError::id_token("exp is missing"))?;
    if expected.now > exp.plus_seconds(LEEWAY) {
        return Err(UpstreamError::id_token("the token has expired"));
    }
    let iat = time("iat").ok_or_else(|| UpstreamError::id_token("iat is missing"))?;
    if iat > expected.now.plus_seconds(LEEWAY) {
        return Err(UpstreamError::id_token("the token is issued in the future"));
    }
    if time("nbf").is_some_and(|nbf| nbf > expected.now.plus_seconds(LEEWAY)) {
        return Err(UpstreamError::id_token("the token is not valid yet"));
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
    // The nonce binds the token to the sign-in that asked for it (no replay into another one).
    if nonce.is_empty() || !bool::from(nonce.as_bytes().ct_eq(expected.nonce.as_bytes())) {
        return Err(UpstreamError::id_token("the nonce is not the one of this sign-in"));
    }
    if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(UpstreamError::id_token("sub is missing"));
    }
    Ok(())
}

fn check_issuer(claims: &Map<String, Value>, issuer: &str, tenant_template: bool) -> Result<(), UpstreamError> {
    let found = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let wanted = if tenant_template && issuer.contains("{tenantid}") {
        let tid = claims.get("tid").and_then(Value::as_str).unwrap_or_default();
        // The tenant id fills the template; it must not be able to change the issuer's shape.
        if tid.is_empty() || !tid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(UpstreamError::id_token("tid is missing or malformed"));
        }
        issuer.replace("{tenantid}", tid)
    } else {
        issuer.to_owned()
    };
    if found != wanted {
        return Err(UpstreamError::id_token(format!("issuer {found} is not {wanted}")));
    }
    Ok(())
}

fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), UpstreamError> {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(UpstreamError::id_token("the audience is not our client id"));
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    // OIDC Core 3.1.3.7 (3-5): with several audiences the token must name us as its authorized party.
    if (audiences.len() > 1 && azp.is_none()) || azp.is_some_and(|azp| azp != client_id) {
        return Err(UpstreamError::id_token("azp is not our client id"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            client_id: "rp",
            nonce: "n-1",
            tenant_template: false,
            now: UnixTime::from_seconds(now),
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn good() -> Value {
        json!({"iss": "https://op", "aud": "rp", "sub": "u1", "exp": 1_100, "iat": 1_000, "nonce": "n-1"})
    }

    #[test]
    fn none_and_hmac_are_refused_whatever_the_provider_announces() {
        let announced = vec!["none".to_owned(), "HS256".to_owned(), "RS256".to_owned()];
        assert!(allowed_algorithm("none", &announced).is_err());
        assert!(allowed_algorithm("HS256", &announced).is_err());
        assert!(allowed_algorithm("RS256", &announced).is_ok());
        assert!(allowed_algorithm("ES256", &announced).is_err());
        assert!(allowed_algorithm("ES256", &[]).is_err());
    }

    #[test]
    fn a_valid_token_passes_and_each_broken_claim_fails() {
        assert!(check_claims(&claims(good()), "https://op", &expected(1_050)).is_ok());
        assert!(check_claims(&claims(good()), "https://op", &expected(1_200)).is_err());
        let mut broken = good();
        broken["aud"] = json!(["rp", "other"]);
        assert!(check_claims(&claims(broken.clone()), "https://op", &expected(1_050)).is_err());
        broken["azp"] = json!("rp");
        assert!(check_claims(&claims(broken), "https://op", &expected(1_050)).is_ok());
        let mut future = good();
        future["iat"] = json!(2_000);
        assert!(check_claims(&claims(future), "https://op", &expected(1_050)).is_err());
        let mut no_nonce = good();
        no_nonce["nonce"] = json!("");
        assert!(check_claims(&claims(no_nonce), "https://op", &expected(1_050)).is_err());
    }

    #[test]
    fn the_microsoft_issuer_template_is_filled_with_the_token_tid() {
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let token = claims(json!({"iss": "https://login.microsoftonline.com/t-1/v2.0", "tid": "t-1"}));
        assert!(check_issuer(&token, template, true).is_ok());
        let other = claims(json!({"iss": "https://login.microsoftonline.com/t-2/v2.0", "tid": "t-1"}));
        assert!(check_issuer(&other, template, true).is_err());
        let sneaky = claims(json!({"iss": "https://login.microsoftonline.com/a/b/v2.0", "tid": "a/b"}));
        assert!(check_issuer(&sneaky, template, true).is_err());
    }
}
