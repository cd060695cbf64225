//! The authorization code flow against a provider: [`start`] builds the redirect, [`finish`]
//! checks the callback, exchanges the code and returns who signed in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;
use vestibule_crds::v1alpha1::SocialProviderType;

use super::discovery::Metadata;
use super::error::UpstreamError;
use super::http::Call;
use super::identity::{Mapping, UpstreamIdentity, fill_missing};
use super::provider::{Provider, Upstream};
use super::token::{Exchange, Tokens, exchange};
use super::{apple, github, id_token};
use crate::ids::UnixTime;
use crate::random;

/// What the sign-in transaction keeps between [`start`] and [`finish`]: the values that bind
/// the provider's answer to this browser's sign-in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The `state` sent to the provider.
    pub state: String,
    /// The `nonce` sent to an OpenID provider.
    pub nonce: String,
    /// The PKCE code verifier (RFC 7636) whose S256 challenge was sent.
    pub pkce_verifier: String,
    /// The callback URL sent, which the token request must repeat.
    pub redirect_uri: String,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Where to send the browser, and what to keep until it comes back.
#[derive(Debug)]
pub struct Redirect {
    /// The provider's authorization URL with our request.
    pub url: Url,
    /// Keep in the sign-in transaction; pass to [`finish`].
    pub pending: Pending,
}

/// The parameters of the callback, from the query or (Apple, `form_post`) the form body.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Callback {
    /// The authorization code.
    #[serde(default)]
    pub code: Option<String>,
    /// The state we sent.
    #[serde(default)]
    pub state: Option<String>,
    /// An OAuth error code instead of a code.
    #[serde(default)]
    pub error: Option<String>,
    /// The error's description.
    #[serde(default)]
    pub error_description: Option<String>,
    /// The issuer of the response (RFC 9207), when the provider sends it.
    #[serde(default)]
    pub iss: Option<String>,
    /// Apple: the customer's name, JSON, on the first sign-in only.
    #[serde(default)]
    pub user: Option<String>,
}

/// Builds the authorization request: code flow, PKCE S256, fresh `state` and `nonce`.
pub async fn start(provider: &Provider, redirect_uri: &str) -> Result<Redirect, UpstreamError> {
    let (mut url, oidc) = match &provider.upstream {
        Upstream::Oidc(discovery) => (
            discovery.metadata(&provider.http).await?.authorization_endpoint.clone(),
            true,
        ),
        Upstream::OAuth2 { authorization, .. } => (authorization.clone(), false),
    };
    let pending = Pending {
        state: random::token(),
        nonce: random::token(),
        pkce_verifier: random::token(),
        redirect_uri: redirect_uri.to_owned(),
    };
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &pending.state)
            .append_pair("code_challenge", &challenge(&pending.pkce_verifier))
            .append_pair("code_challenge_method", "S256");
        if !provider.scopes.is_empty() {
            query.append_pair("scope", &provider.scopes.join(" "));
        }
        if oidc {
            query.append_pair("nonce", &pending.nonce);
        }
        if provider.preset.form_post {
            query.append_pair("response_mode", "form_post");
        }
    }
    Ok(Redirect { url, pending })
}

/// The PKCE S256 challenge of a verifier (RFC 7636 4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Checks the callback against `pending`, exchanges the code and returns the identity.
/// `now` judges the ID token's times and dates Apple's client secret.
pub async fn finish(
    provider: &Provider,
    callback: &Callback,
    pending: &Pending,
    now: UnixTime,
) -> Result<UpstreamIdentity, UpstreamError> {
    let state = callback.state.as_deref().unwrap_or_default();
    // The state ties the answer to the browser that started this sign-in (CSRF, RFC 6749 10.12);
    // it is checked before anything else, errors included.
    if state.is_empty() || !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())) {
        return Err(UpstreamError::StateMismatch);
    }
    if let Some(error) = &callback.error {
        let description = callback.error_description.clone();
        return Err(match error.as_str() {
            "access_denied" => UpstreamError::AccessDenied { description },
            _ => UpstreamError::ProviderRefused {
                error: error.clone(),
                description,
            },
        });
    }
    let code = callback
        .code
        .as_deref()
        .filter(|code| !code.is_empty())
        .ok_or(UpstreamError::MissingCode)?;
    let claims = match &provider.upstream {
        Upstream::Oidc(discovery) => {
            let metadata = discovery.metadata(&provider.http).await?;
            oidc_claims(provider, &metadata, callback, code, pending, now).await?
        }
        Upstream::OAuth2 { token, userinfo, .. } => {
            let tokens = exchange(
                &provider.http,
                exchange_form(provider, token.clone(), code, pending, None, now)?,
            )
            .await?;
            oauth2_claims(provider, userinfo, &tokens).await?
        }
    };
    let mapping = Mapping {
        preset: provider.preset.claims,
        configured: &provider.claim_mappings,
        trusts_email_verified: provider.preset.trusts_email_verified,
    };
    mapping.identity(&provider.id, claims)
}

fn exchange_form<'a>(
    provider: &'a Provider,
    url: Url,
    code: &'a str,
    pending: &'a Pending,
    metadata: Option<&Metadata>,
    now: UnixTime,
) -> Result<Exchange<'a>, UpstreamError> {
    let audience = metadata.map_or("", |metadata| metadata.issuer.as_str());
    let announced_basic = metadata.and_then(|metadata| metadata.basic_auth).unwrap_or(true);
    Ok(Exchange {
        url,
        code,
        redirect_uri: &pending.redirect_uri,
        verifier: &pending.pkce_verifier,
        client_id: &provider.client_id,
        client_secret: provider.client_secret(audience, now)?,
        basic_auth: provider.preset.basic_auth && announced_basic,
    })
}

async fn oidc_claims(
    provider: &Provider,
    metadata: &Metadata,
    callback: &Callback,
    code: &str,
    pending: &Pending,
    now: UnixTime,
) -> Result<Map<String, Value>, UpstreamError> {
    // RFC 9207: an answer naming another issuer is a mix-up attack.
    if callback
        .iss
        .as_deref()
        .is_some_and(|iss| iss != metadata.issuer && !provider.preset.tenant_template)
    {
        return Err(UpstreamError::id_token("the callback's iss is another issuer"));
    }
    let form = exchange_form(
        provider,
        metadata.token_endpoint.clone(),
        code,
        pending,
        Some(metadata),
        now,
    )?;
    let tokens = exchange(&provider.http, form).await?;
    let token = tokens
        .id_token
        .as_deref()
        .ok_or_else(|| UpstreamError::id_token("the token answer has no id_token"))?;
    let expected = id_token::Expected {
        client_id: &provider.client_id,
        nonce: &pending.nonce,
        tenant_template: provider.preset.tenant_template,
        now,
    };
    let mut claims = id_token::validate(token, metadata, &provider.keys, &provider.http, &expected).await?;
    if provider.provider_type == SocialProviderType::Apple
        && let Some(user) = &callback.user
    {
        fill_missing(&mut claims, apple::name_claims(user));
    }
    let lacking = !claims.contains_key("email") || !(claims.contains_key("name") || claims.contains_key("given_name"));
    if lacking && let Some(userinfo) = &metadata.userinfo_endpoint {
        let extra = userinfo_claims(provider, userinfo, &tokens).await?;
        // OIDC Core 5.3.2: userinfo about another subject must not be mixed in.
        if extra.get("sub") != claims.get("sub") {
            return Err(UpstreamError::Malformed {
                operation: "userinfo",
                reason: "the subject differs from the ID token's".into(),
            });
        }
        fill_missing(&mut claims, extra);
    }
    Ok(claims)
}

async fn oauth2_claims(
    provider: &Provider,
    userinfo: &Url,
    tokens: &Tokens,
) -> Result<Map<String, Value>, UpstreamError> {
    let mut claims = userinfo_claims(provider, userinfo, tokens).await?;
    if provider.provider_type == SocialProviderType::Github {
        github::add_email(&provider.http, userinfo, &tokens.access_token, &mut claims).await?;
    }
    Ok(claims)
}

async fn userinfo_claims(provider: &Provider, url: &Url, tokens: &Tokens) -> Result<Map<String, Value>, UpstreamError> {
    let request = Call::get(url.clone()).bearer(&tokens.access_token);
    provider.http.json("userinfo", request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_the_rfc_7636_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
