//! The authorization request (RFC 6749 4.1.1, OIDC Core 3.1.2.1) and its validation.
//!
//! Validation happens in the order the specs demand: until the client and redirect URI are
//! known to be genuine, errors are shown to the customer and never sent to the URI
//! (RFC 6749 4.1.2.1); after that, errors go back to the client with its `state`.

use serde::{Deserialize, Serialize};
use vestibule_crds::config::ClientConfig;
use vestibule_crds::v1alpha1::GrantType;

use super::params::Params;
use super::{bounds, pkce, redirect};
use crate::config::Tenant;
use crate::error::{OAuthCode, OAuthError};

/// The scopes this IdP understands; clients may add their own API scopes.
pub const OIDC_SCOPES: [&str; 5] = ["openid", "profile", "email", "phone", "offline_access"];

/// What `prompt` asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `none`: no page may be shown.
    pub none: bool,
    /// `login`: authenticate again.
    pub login: bool,
    /// `consent`: ask for consent again.
    pub consent: bool,
}

/// A validated authorization request, parked in the database while the customer signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Where the response goes.
    pub redirect_uri: String,
    /// Requested (and allowed) scopes.
    pub scopes: Vec<String>,
    /// Opaque client state, returned unchanged.
    pub state: Option<String>,
    /// Replay protection, copied into the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// Prompt.
    pub prompt: Prompt,
    /// Maximum authentication age in seconds.
    pub max_age: Option<i64>,
    /// Email to prefill.
    pub login_hint: Option<String>,
    /// Preferred languages.
    pub ui_locales: Vec<String>,
    /// When the request arrived.
    pub created_at: i64,
    /// The session a sign-in on the way created: it satisfies `prompt=login` and `max_age`.
    #[serde(default)]
    pub fresh_session: Option<String>,
    /// Whether the customer consented on the way: it satisfies `prompt=consent`.
    #[serde(default)]
    pub consented: bool,
}

/// A refused authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Shown to the customer: the client or redirect URI cannot be trusted.
    Page(String),
    /// Sent back to the client's redirect URI.
    Redirect {
        /// The verified redirect URI.
        redirect_uri: String,
        /// The client's state.
        state: Option<String>,
        /// The error.
        error: OAuthError,
    },
}

impl PartialEq for OAuthError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.description == other.description
    }
}

impl Eq for OAuthError {}

/// Validates request `params` against the tenant's clients.
pub fn validate(tenant: &Tenant, params: &Params, now: i64) -> Result<AuthorizationRequest, Rejection> {
    if !bounds::identifiers_fit(params) {
        return Err(Rejection::Page(
            "The request's client_id or redirect_uri is too long.".into(),
        ));
    }
    let client = trusted_client(tenant, params)?;
    let redirect_uri = trusted_redirect(client, params)?;
    // An oversized state is refused below, and not echoed back with the refusal.
    let state = params
        .get("state")
        .filter(|state| bounds::state_fits(state))
        .map(str::to_owned);
    let redirect = |error: OAuthError| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
    };
    bounds::check(params).map_err(&redirect)?;
    check_protocol(client, params).map_err(&redirect)?;
    let scopes = allowed_scopes(client, params.get("scope")).map_err(&redirect)?;
    let code_challenge = check_pkce(client, params).map_err(&redirect)?;
    let prompt = parse_prompt(params.get("prompt")).map_err(&redirect)?;
    let max_age = match params.get("max_age") {
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|age| *age >= 0)
                .ok_or_else(|| redirect(OAuthError::invalid_request("max_age must be a non-negative integer")))?,
        ),
        None => None,
    };
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes,
        state,
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        ui_locales: params
            .get("ui_locales")
            .map(|value| value.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
        created_at: now,
        fresh_session: None,
        consented: false,
    })
}

fn trusted_client<'a>(tenant: &'a Tenant, params: &Params) -> Result<&'a ClientConfig, Rejection> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| Rejection::Page("The request names no client (client_id is missing).".into()))?;
    let client = tenant
        .config
        .client(client_id)
        .ok_or_else(|| Rejection::Page(format!("The application {client_id:?} is not registered here.")))?;
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(Rejection::Page(
            "This application may not sign customers in here.".into(),
        ));
    }
    Ok(client)
}

fn trusted_redirect(client: &ClientConfig, params: &Params) -> Result<String, Rejection> {
    // OIDC Core 3.1.2.1 makes redirect_uri required; requiring it always removes ambiguity.
    let requested = params
        .get("redirect_uri")
        .ok_or_else(|| Rejection::Page("The request has no redirect_uri.".into()))?;
    if redirect::matches(&client.redirect_uris, requested) {
        Ok(requested.to_owned())
    } else {
        Err(Rejection::Page(
            "The redirect_uri is not registered for this application.".into(),
        ))
    }
}

fn check_protocol(client: &ClientConfig, params: &Params) -> Result<(), OAuthError> {
    if params.get("request").is_some() {
        return Err(OAuthError::new(
            OAuthCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(OAuthError::new(
            OAuthCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::new(
                OAuthCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
        None => return Err(OAuthError::invalid_request("missing parameter response_type")),
    }
    if params.get("response_mode").is_some_and(|mode| mode != "query") {
        return Err(OAuthError::invalid_request("only response_mode=query is supported"));
    }
    if client.client_id.is_empty() {
        return Err(OAuthError::invalid_request("client_id is empty"));
    }
    Ok(())
}

/// The requested scopes, each of which the client must be allowed.
fn allowed_scopes(client: &ClientConfig, requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let requested = requested.ok_or_else(|| OAuthError::invalid_request("missing parameter scope"))?;
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|scope| !scope.is_empty()) {
        if !client.scopes.iter().any(|allowed| allowed == scope) {
            return Err(OAuthError::new(
                OAuthCode::InvalidScope,
                format!("scope {scope} is not allowed for this client"),
            ));
        }
        if !scopes.iter().any(|seen| seen == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(OAuthError::invalid_request("scope is empty"));
    }
    Ok(scopes)
}

fn check_pkce(client: &ClientConfig, params: &Params) -> Result<Option<String>, OAuthError> {
    let challenge = params.get("code_challenge");
    match (challenge, params.get("code_challenge_method")) {
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method without code_challenge",
        )),
        (None, None) if client.require_pkce => Err(OAuthError::invalid_request(
            "code_challenge is required (PKCE, RFC 7636)",
        )),
        (None, None) => Ok(None),
        // RFC 9700 2.1.1: S256 only; "plain" would expose the verifier.
        (Some(_), method) if method != Some("S256") => {
            Err(OAuthError::invalid_request("code_challenge_method must be S256"))
        }
        (Some(challenge), _) if !pkce::is_valid_challenge(challenge) => Err(OAuthError::invalid_request(
            "code_challenge is not a valid S256 challenge",
        )),
        (Some(challenge), _) => Ok(Some(challenge.to_owned())),
    }
}

fn parse_prompt(value: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    for word in value.unwrap_or_default().split(' ').filter(|word| !word.is_empty()) {
        match word {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => return Err(OAuthError::invalid_request(format!("unsupported prompt value {other}"))),
        }
    }
    // OIDC Core 3.1.2.1: none with any other value is an error.
    if prompt.none && (prompt.login || prompt.consent) {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

impl AuthorizationRequest {
    /// Whether `openid` was requested (an OpenID Connect request).
    pub fn is_openid(&self) -> bool {
        self.has_scope("openid")
    }

    /// Whether a scope was requested.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|requested| requested == scope)
    }

    /// The scopes as one string.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}
