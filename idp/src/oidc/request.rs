//! The authorization request (RFC 6749 4.1.1, OIDC Core 3.1.2.1) and its validation.
//!
//! Validation happens in the order the specs demand: until the client and redirect URI are
//! known to be genuine, errors are shown to the customer and never sent to the URI
//! (RFC 6749 4.1.2.1); after that, errors go back to the client with its `state`.

use serde::{Deserialize, Serialize};
use vestibule_crds::config::ClientConfig;
use vestibule_crds::v1alpha1::GrantType;

use super::mint::ID_TOKEN_TYPE;
use super::{bounds, pkce, redirect};
use crate::authn::{Acr, Assurance};
use crate::config::Tenant;
use crate::error::{OAuthCode, OAuthError};
use crate::http::params::Params;
use crate::i18n::Messages;
use crate::ids::{Scopes, UnixTime, UserId};

/// The scopes this IdP understands (`consents`: the customer's privacy choices, see
/// [`crate::privacy::claims`]); clients may add their own API scopes.
pub const OIDC_SCOPES: [&str; 6] = ["openid", "profile", "email", "phone", "offline_access", "consents"];

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
    pub scopes: Scopes,
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
    /// Classes asked for in order of preference (`acr_values`), the ones this IdP knows.
    #[serde(default)]
    pub acr_values: Vec<Acr>,
    /// Classes of which one must be met (an essential `acr` in `claims`, OIDC Core 5.5.1.1).
    #[serde(default)]
    pub essential_acr: Vec<Acr>,
    /// The customer the client expects: the `sub` of a valid `id_token_hint`.
    #[serde(default)]
    pub hint_subject: Option<UserId>,
    /// When the request arrived.
    pub created_at: UnixTime,
}

/// Why a request cannot be answered at the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrusted {
    /// No `client_id`.
    NoClient,
    /// The `client_id` names no registered client.
    UnknownClient(String),
    /// The client may not use the authorization code grant.
    ClientNotAllowed,
    /// No `redirect_uri`.
    NoRedirectUri,
    /// The `redirect_uri` is not registered for the client.
    RedirectUriUnregistered,
    /// The client of a request in progress was removed.
    ClientGone,
    /// The `client_id` or `redirect_uri` exceeds its bound.
    TooLong,
}

impl Untrusted {
    /// What to tell the customer, in their language.
    pub fn message(&self, t: &Messages) -> String {
        match self {
            Self::NoClient => t.request_no_client.to_owned(),
            Self::UnknownClient(client) => t.unknown_client(client),
            Self::ClientNotAllowed => t.client_not_allowed.to_owned(),
            Self::NoRedirectUri => t.request_no_redirect_uri.to_owned(),
            Self::RedirectUriUnregistered => t.redirect_uri_unregistered.to_owned(),
            Self::ClientGone => t.client_gone.to_owned(),
            Self::TooLong => t.request_too_long.to_owned(),
        }
    }
}

/// A refused authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Shown to the customer: the client or redirect URI cannot be trusted.
    Page(Untrusted),
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
pub fn validate(tenant: &Tenant, params: &Params, now: UnixTime) -> Result<AuthorizationRequest, Rejection> {
    if !bounds::identifiers_fit(params) {
        return Err(Rejection::Page(Untrusted::TooLong));
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
    let essential_acr = essential_acr(tenant, params).map_err(&redirect)?;
    let hint_subject = hint_subject(tenant, params).map_err(&redirect)?;
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
        acr_values: params
            .get("acr_values")
            .map(|value| value.split(' ').filter_map(Acr::parse).collect())
            .unwrap_or_default(),
        essential_acr,
        hint_subject,
        created_at: now,
    })
}

/// Checks a request parked earlier against the config being served now: a client or redirect
/// URI removed since stops working at once, and so do scopes taken away.
pub fn recheck(tenant: &Tenant, request: &AuthorizationRequest) -> Result<(), Rejection> {
    let client = tenant
        .config
        .client(&request.client_id)
        .filter(|client| client.allows_grant(GrantType::AuthorizationCode))
        .ok_or(Rejection::Page(Untrusted::ClientGone))?;
    if !redirect::matches(&client.redirect_uris, &request.redirect_uri) {
        return Err(Rejection::Page(Untrusted::RedirectUriUnregistered));
    }
    let refuse = |error: OAuthError| Rejection::Redirect {
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        error,
    };
    allowed_scopes(client, Some(&request.scopes.to_string())).map_err(refuse)?;
    if client.require_pkce && request.code_challenge.is_none() {
        return Err(refuse(OAuthError::invalid_request(
            "code_challenge is required (PKCE, RFC 7636)",
        )));
    }
    Ok(())
}

/// The essential `acr` of a `claims` request (OIDC Core 5.5.1.1), which must be one this IdP
/// can meet; the rest of `claims` asks for nothing that must be refused, and is ignored.
fn essential_acr(tenant: &Tenant, params: &Params) -> Result<Vec<Acr>, OAuthError> {
    let Some(text) = params.get("claims") else {
        return Ok(Vec::new());
    };
    let claims: serde_json::Value =
        serde_json::from_str(text).map_err(|_| OAuthError::invalid_request("claims is not a JSON object"))?;
    if !claims.is_object() {
        return Err(OAuthError::invalid_request("claims is not a JSON object"));
    }
    let Some(acr) = claims.pointer("/id_token/acr").filter(|acr| acr["essential"] == true) else {
        return Ok(Vec::new());
    };
    let values: Vec<&str> = match (acr.get("value"), acr.get("values")) {
        (Some(value), _) => value.as_str().into_iter().collect(),
        (None, Some(values)) => values
            .as_array()
            .map(|values| values.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default(),
        (None, None) => return Ok(Vec::new()),
    };
    let essential: Vec<Acr> = values.into_iter().filter_map(Acr::parse).collect();
    let assurance = Assurance {
        essential: essential.clone(),
        ..Assurance::default()
    };
    // An essential class that cannot be met fails the request before any page is shown.
    if essential.is_empty() || !assurance.is_satisfiable(&Acr::offered(&tenant.config)) {
        return Err(OAuthError::new(
            OAuthCode::UnmetAuthenticationRequirements,
            "the essential acr cannot be met here",
        ));
    }
    Ok(essential)
}

/// The `sub` of `id_token_hint`, which must be an ID token this issuer signed (expired ones are
/// fine: OIDC Core 3.1.2.1 only names the customer with it).
fn hint_subject(tenant: &Tenant, params: &Params) -> Result<Option<UserId>, OAuthError> {
    #[derive(Deserialize)]
    struct Hint {
        sub: UserId,
    }
    let Some(token) = params.get("id_token_hint") else {
        return Ok(None);
    };
    let hint: Hint = tenant
        .signer
        .verify(token, ID_TOKEN_TYPE, &tenant.config.issuer, None)
        .map_err(|_| OAuthError::invalid_request("id_token_hint is not an ID token issued here"))?;
    Ok(Some(hint.sub))
}

fn trusted_client<'a>(tenant: &'a Tenant, params: &Params) -> Result<&'a ClientConfig, Rejection> {
    let client_id = params.get("client_id").ok_or(Rejection::Page(Untrusted::NoClient))?;
    let client = tenant
        .config
        .client(client_id)
        .ok_or_else(|| Rejection::Page(Untrusted::UnknownClient(client_id.to_owned())))?;
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(Rejection::Page(Untrusted::ClientNotAllowed));
    }
    Ok(client)
}

fn trusted_redirect(client: &ClientConfig, params: &Params) -> Result<String, Rejection> {
    // OIDC Core 3.1.2.1 makes redirect_uri required; requiring it always removes ambiguity.
    let requested = params
        .get("redirect_uri")
        .ok_or(Rejection::Page(Untrusted::NoRedirectUri))?;
    if redirect::matches(&client.redirect_uris, requested) {
        Ok(requested.to_owned())
    } else {
        Err(Rejection::Page(Untrusted::RedirectUriUnregistered))
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
fn allowed_scopes(client: &ClientConfig, requested: Option<&str>) -> Result<Scopes, OAuthError> {
    let requested = requested.ok_or_else(|| OAuthError::invalid_request("missing parameter scope"))?;
    let scopes = Scopes::parse(requested);
    if let Some(scope) = scopes
        .iter()
        .find(|scope| !client.scopes.iter().any(|allowed| allowed == scope))
    {
        return Err(OAuthError::new(
            OAuthCode::InvalidScope,
            format!("scope {scope} is not allowed for this client"),
        ));
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
        self.scopes.contains(scope)
    }

    /// The scopes as one string.
    pub fn scope(&self) -> String {
        self.scopes.to_string()
    }

    /// The assurance a sign-in for this request must reach.
    pub fn assurance(&self) -> Assurance {
        Assurance {
            fresh: self.prompt.login,
            max_age: self.max_age,
            essential: self.essential_acr.clone(),
            preferred: self.acr_values.clone(),
            subject: self.hint_subject.clone(),
            floor: None,
        }
    }
}
