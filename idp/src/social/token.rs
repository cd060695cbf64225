//! The token endpoint: the code exchange with PKCE, and answers in JSON or form encoding
//! (GitHub answers `application/x-www-form-urlencoded` unless asked for JSON, with errors in a 200).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::UpstreamError;
use super::http::{Answer, Call, UpstreamHttp};

const OPERATION: &str = "token exchange";

/// Tokens from the provider: used once to learn who signed in, never forwarded to our clients.
pub(crate) struct Tokens {
    pub access_token: String,
    pub id_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(<redacted>)")
    }
}

/// The form of a code exchange, and how the client authenticates.
pub(crate) struct Exchange<'a> {
    pub url: url::Url,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
    pub client_id: &'a str,
    pub client_secret: String,
    pub basic_auth: bool,
}

/// Exchanges the authorization code for tokens.
pub(crate) async fn exchange(http: &UpstreamHttp, exchange: Exchange<'_>) -> Result<Tokens, UpstreamError> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", exchange.code),
        ("redirect_uri", exchange.redirect_uri),
        ("code_verifier", exchange.verifier),
    ];
    if !exchange.basic_auth {
        form.push(("client_id", exchange.client_id));
        form.push(("client_secret", &exchange.client_secret));
    }
    // GitHub answers form-encoded unless asked for JSON (the default Accept of a call).
    let mut call = Call::post_form(exchange.url.clone(), &form);
    if exchange.basic_auth {
        // RFC 6749 2.3.1: id and secret are form-encoded before they are joined for Basic.
        let encode = |value: &str| form_urlencoded_component(value);
        call = call.basic(&encode(exchange.client_id), &encode(&exchange.client_secret));
    }
    let answer = http.send(OPERATION, call).await?;
    parse(&answer)
}

fn form_urlencoded_component(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Reads a token answer in JSON or form encoding; an `error` member fails whatever the status.
pub(crate) fn parse(answer: &Answer) -> Result<Tokens, UpstreamError> {
    let fields = fields(answer)?;
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    if let Some(error) = text("error") {
        return Err(UpstreamError::TokenExchange { reason: error });
    }
    if !answer.status.is_success() {
        return Err(UpstreamError::TokenExchange {
            reason: format!("HTTP {}", answer.status.as_u16()),
        });
    }
    let access_token = text("access_token")
        .filter(|token| !token.is_empty())
        .ok_or(UpstreamError::TokenExchange {
            reason: "the answer has no access_token".into(),
        })?;
    Ok(Tokens {
        access_token,
        id_token: text("id_token"),
    })
}

fn fields(answer: &Answer) -> Result<Map<String, Value>, UpstreamError> {
    let malformed = |reason: String| UpstreamError::TokenExchange { reason };
    let looks_json = answer.content_type.starts_with("application/json") || answer.body.first() == Some(&b'{');
    if looks_json {
        return serde_json::from_slice(&answer.body).map_err(|error| malformed(format!("malformed JSON: {error}")));
    }
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&answer.body).into_owned().collect();
    if form.is_empty() {
        return Err(malformed("neither JSON nor a form".into()));
    }
    Ok(form
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        Answer {
            status: http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK),
            content_type: content_type.into(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn json_and_form_answers_are_both_read() {
        let json = parse(&answer(
            200,
            "application/json",
            r#"{"access_token":"a","id_token":"i"}"#,
        ));
        assert_eq!(json.ok().and_then(|tokens| tokens.id_token), Some("i".into()));
        let form = parse(&answer(
            200,
            "application/x-www-form-urlencoded",
            "access_token=gho_1&scope=user&token_type=bearer",
        ));
        assert_eq!(form.map(|tokens| tokens.access_token).ok(), Some("gho_1".into()));
    }

    #[test]
    fn errors_in_a_200_and_missing_tokens_are_refused() {
        let github = parse(&answer(
            200,
            "application/x-www-form-urlencoded",
            "error=bad_verification_code",
        ));
        assert!(matches!(github, Err(UpstreamError::TokenExchange { reason }) if reason == "bad_verification_code"));
        assert!(parse(&answer(200, "application/json", r#"{"token_type":"bearer"}"#)).is_err());
        assert!(parse(&answer(500, "text/html", "<html>")).is_err());
    }
}
