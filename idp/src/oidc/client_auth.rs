//! Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 2.3, OIDC Core 9): `client_secret_basic`, `client_secret_post`, `none`.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use vestibule_crds::config::ClientConfig;
use vestibule_crds::v1alpha1::TokenEndpointAuthMethod;

use super::params::Params;
use crate::config::Tenant;
use crate::error::OAuthError;
use crate::ids::UnixTime;

/// What the client presented.
#[derive(Debug)]
enum Presented {
    Basic { client_id: String, secret: String },
    Post { client_id: String, secret: String },
    None { client_id: String },
}

/// Authenticates the client of a token-endpoint-style request.
pub fn authenticate<'a>(
    tenant: &'a Tenant,
    headers: &HeaderMap,
    params: &Params,
    now: UnixTime,
) -> Result<&'a ClientConfig, OAuthError> {
    let presented = presented(headers, params)?;
    let basic = matches!(presented, Presented::Basic { .. });
    let fail = |reason: &'static str| OAuthError::invalid_client(reason, basic);
    let (client_id, method, secret) = match &presented {
        Presented::Basic { client_id, secret } => (client_id, TokenEndpointAuthMethod::ClientSecretBasic, Some(secret)),
        Presented::Post { client_id, secret } => (client_id, TokenEndpointAuthMethod::ClientSecretPost, Some(secret)),
        Presented::None { client_id } => (client_id, TokenEndpointAuthMethod::None, None),
    };
    let client = tenant
        .config
        .client(client_id)
        .ok_or_else(|| fail("client authentication failed"))?;
    // A client authenticates only the way it registered (OIDC Core 9), so a confidential
    // client can never be used as a public one.
    if client.token_endpoint_auth_method != method {
        return Err(fail("client authentication failed"));
    }
    if let Some(secret) = secret
        && !secret_matches(client, secret, now)
    {
        return Err(fail("client authentication failed"));
    }
    Ok(client)
}

fn presented(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let basic = basic_credentials(headers)?;
    let posted_secret = params.get("client_secret");
    match (basic, posted_secret) {
        // RFC 6749 2.3: a client MUST NOT use more than one authentication method per request.
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not two",
        )),
        (Some((client_id, secret)), None) => {
            if params.get("client_id").is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the authenticated client",
                ));
            }
            Ok(Presented::Basic { client_id, secret })
        }
        (None, Some(secret)) => {
            let client_id = params.require("client_id")?.to_owned();
            Ok(Presented::Post {
                client_id,
                secret: secret.to_owned(),
            })
        }
        (None, None) => {
            let client_id = params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("client authentication is missing", false))?;
            Ok(Presented::None {
                client_id: client_id.to_owned(),
            })
        }
    }
}

/// `Authorization: Basic` credentials, form-urlencoded inside as RFC 6749 2.3.1 requires.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed Basic credentials", true);
    let value = value.to_str().map_err(|_| malformed())?;
    let Some(encoded) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")) else {
        return Err(malformed());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    match (unescape(id), unescape(secret)) {
        (Some(id), Some(secret)) if !id.is_empty() => Ok(Some((id, secret))),
        _ => Err(malformed()),
    }
}

/// Whether `secret` is one of the client's unexpired secrets, compared in constant time.
fn secret_matches(client: &ClientConfig, secret: &str, now: UnixTime) -> bool {
    let presented = crate::random::hash(secret);
    let mut matched = subtle::Choice::from(0);
    for stored in &client.secrets {
        let live = stored.expires.is_none_or(|expires| expires.as_second() > now.seconds());
        // Every stored hash is compared, so timing does not reveal which one matched.
        matched |= presented.as_bytes().ct_eq(stored.sha256.as_bytes()) & subtle::Choice::from(u8::from(live));
    }
    matched.into()
}
