//! Audit events of the OAuth endpoints that need more than one line to record.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::params::Params;
use crate::app::AppState;
use crate::error::{OAuthCode, OAuthError};
use crate::request_info::RequestInfo;
use crate::store::AuditEvent;

/// Client ids longer than this are cut in the log: the text comes from anyone.
const MAX_CLIENT_ID: usize = 128;

/// Records a failed client authentication (a wrong or expired secret, an unknown client, the
/// wrong method), naming the client it claimed to be. Other refusals are not audited.
pub async fn client_authentication_failed(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    info: &RequestInfo,
    error: &OAuthError,
) {
    if error.code != OAuthCode::InvalidClient {
        return;
    }
    let claimed = params
        .get("client_id")
        .map(str::to_owned)
        .or_else(|| basic_client_id(headers))
        .map(|id| id.chars().take(MAX_CLIENT_ID).collect::<String>());
    crate::audit::record_detail(
        state,
        AuditEvent::ClientAuthenticationFailed,
        None,
        claimed.as_deref(),
        info,
        Some(error.description.to_string()),
    )
    .await;
}

/// The client id of `Authorization: Basic` credentials (RFC 6749 2.3.1), never the secret.
fn basic_client_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, _) = decoded.split_once(':')?;
    url::form_urlencoded::parse(format!("x={id}").as_bytes())
        .next()
        .map(|(_, id)| id.into_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_basic_client_id_is_read_without_the_secret() {
        let mut headers = HeaderMap::new();
        let credentials = STANDARD.encode("my%3Aapp:s3cret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {credentials}")).unwrap(),
        );
        assert_eq!(basic_client_id(&headers).as_deref(), Some("my:app"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_client_id(&headers), None);
    }
}
