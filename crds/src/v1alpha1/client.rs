//! `Client`: an application that signs customers in through a Tenant.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{CommonStatus, TenantRef};
use super::settings::{SigningAlgorithm, has_duplicates, yes};
use crate::duration::Duration;
use crate::rules;
use crate::validation::{Checker, ValidationErrors};

/// The desired state of a Client: an OAuth 2 / OpenID Connect relying party of one Tenant.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "vestibule.dev",
    version = "v1alpha1",
    kind = "Client",
    namespaced,
    status = "ClientStatus",
    shortname = "vc",
    category = "vestibule",
    doc = "An application that signs customers in through a Tenant. The operator writes its credentials to a Secret.",
    printcolumn = r#"{"name":"Tenant","type":"string","jsonPath":".spec.tenantRef.name"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Secret","type":"string","jsonPath":".status.secretName"}"#,
    printcolumn = r#"{"name":"Client ID","type":"string","priority":1,"jsonPath":".status.clientId"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new(
    "has(self.clientId) == has(oldSelf.clientId) && (!has(self.clientId) || self.clientId == oldSelf.clientId)"
).message("clientId is immutable"))]
#[x_kube(validation = Rule::new(
    "self.type != 'public' || !has(self.tokenEndpointAuthMethod) || self.tokenEndpointAuthMethod == 'none'"
).message("public clients use tokenEndpointAuthMethod: none"))]
#[x_kube(validation = Rule::new(
    "self.type == 'public' || !has(self.tokenEndpointAuthMethod) || self.tokenEndpointAuthMethod != 'none'"
).message("confidential clients must authenticate; use type: public for none"))]
#[x_kube(validation = Rule::new("self.type != 'public' || self.requirePkce")
    .message("public clients must use PKCE (RFC 9700 2.1.1)"))]
#[x_kube(validation = Rule::new(
    "!self.grantTypes.exists(g, g == 'authorization_code') || (has(self.redirectUris) && self.redirectUris.size() > 0)"
).message("redirectUris must list at least one URI for the authorization_code grant"))]
#[x_kube(validation = Rule::new(
    "!self.grantTypes.exists(g, g == 'refresh_token') || self.grantTypes.exists(g, g == 'authorization_code')"
).message("grantTypes: refresh_token needs authorization_code"))]
#[x_kube(validation = Rule::new("self.type != 'public' || !self.grantTypes.exists(g, g == 'client_credentials')")
    .message("grantTypes: public clients cannot use client_credentials"))]
#[serde(rename_all = "camelCase")]
pub struct ClientSpec {
    /// The Tenant this Client belongs to. Immutable.
    #[x_kube(validation = Rule::new("self == oldSelf").message("tenantRef is immutable"))]
    pub tenant_ref: TenantRef,

    /// OAuth `client_id`: 1 to 128 characters of a-z, A-Z, 0-9, `.`, `_`, `-`, `:`. Immutable.
    /// Default `<namespace>.<name>`. A Client in another namespace than its Tenant may only use
    /// ids that start with `<namespace>.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z0-9._:-]+$"))]
    pub client_id: Option<String>,

    /// Name shown to customers on the consent page. Default: the Client's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,

    /// `confidential` (a server that keeps a secret) or `public` (a browser or native app that
    /// cannot). Default `confidential`.
    #[serde(default, rename = "type")]
    pub client_type: ClientType,

    /// Exact redirect URIs the authorization endpoint may send codes to (loopback URIs match on
    /// any port, RFC 8252 7.3). Required for the `authorization_code` grant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_URIS), inner(length(max = MAX_URI_LENGTH)))]
    #[x_kube(validation = Rule::new(REDIRECT_URI_RULE).message(REDIRECT_URI_MESSAGE))]
    pub redirect_uris: Vec<String>,

    /// Exact URIs the logout endpoint may return customers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_URIS), inner(length(max = MAX_URI_LENGTH)))]
    #[x_kube(validation = Rule::new(REDIRECT_URI_RULE).message(REDIRECT_URI_MESSAGE))]
    pub post_logout_redirect_uris: Vec<String>,

    /// Browser origins allowed to call the token, userinfo and revocation endpoints (CORS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = MAX_URIS),
        inner(length(max = MAX_URI_LENGTH), pattern(r"^(https://[^/?#\s]+|http://(localhost|127[.]0[.]0[.]1|\[::1\])(:[0-9]+)?)$"))
    )]
    pub allowed_cors_origins: Vec<String>,

    /// Grants the Client may use. Default `[authorization_code, refresh_token]`.
    #[serde(default = "default_grant_types")]
    #[schemars(length(min = 1, max = 3))]
    #[x_kube(validation = Rule::new("self.all(g, self.exists_one(h, h == g))").message("must not repeat a grant type"))]
    pub grant_types: Vec<GrantType>,

    /// Scopes the Client may request. Default `[openid, profile, email, offline_access]`.
    #[serde(default = "default_scopes")]
    #[schemars(length(max = MAX_SCOPES), inner(length(min = 1, max = MAX_SCOPE_LENGTH), pattern(SCOPE_PATTERN)))]
    #[x_kube(validation = Rule::new("self.all(s, self.exists_one(t, t == s))").message("must not repeat a scope"))]
    pub scopes: Vec<String>,

    /// How the Client authenticates at the token endpoint. Default `client_secret_basic` for
    /// confidential clients, `none` for public ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,

    /// Algorithm of the ID tokens issued to this Client. Must be one of the Tenant's
    /// `signingKeys.algorithms`. Default `RS256`.
    #[serde(default = "default_id_token_alg")]
    pub id_token_signed_response_alg: SigningAlgorithm,

    /// Require PKCE with S256 (RFC 7636) on every authorization request. Always on for public
    /// clients. Default true.
    #[serde(default = "yes")]
    pub require_pkce: bool,

    /// Skip the consent page: for first-party applications only. Default false.
    #[serde(default)]
    pub skip_consent: bool,

    /// Secret, in this namespace, where the operator writes `clientId`, `clientSecret`
    /// (confidential clients), `issuer` and `discoveryUrl`. Default `<name>-oidc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), pattern(crate::rules::DNS_SUBDOMAIN_PATTERN))]
    pub secret_name: Option<String>,

    /// After a rotation (annotation `vestibule.dev/rotate-secret` set to a new value), how long
    /// the previous secret keeps working. Default `24h`.
    #[serde(default = "default_grace_period")]
    pub secret_rotation_grace_period: Duration,

    /// Token lifetimes for this Client, overriding the Tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<ClientTokenLifetimes>,

    /// Seconds after which a customer must authenticate again to sign in to this Client, for
    /// requests without `max_age` (OIDC Dynamic Client Registration 2 `default_max_age`); 0 asks
    /// every time. At most a year. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new(DEFAULT_MAX_AGE_RULE).message(DEFAULT_MAX_AGE_MESSAGE))]
    pub default_max_age: Option<i64>,

    /// Authentication context classes this Client asks for, in order of preference, for
    /// requests without `acr_values` (OIDC Dynamic Client Registration 2
    /// `default_acr_values`): `urn:vestibule:acr:password`, `urn:vestibule:acr:mfa`,
    /// `urn:vestibule:acr:phr` (phishing-resistant: a passkey). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 3))]
    #[x_kube(validation = Rule::new(ACR_VALUES_RULE).message(ACR_VALUES_MESSAGE))]
    pub default_acr_values: Vec<String>,

    /// The least authentication context class every sign-in to this Client reaches, whatever
    /// the request asks: treated as an essential `acr` (OIDC Core 5.5.1.1). A customer who
    /// cannot reach it sets up a factor when the MFA policy lets them (an authenticator app or
    /// a passkey), else the sign-in ends with `unmet_authentication_requirements`. One of
    /// `urn:vestibule:acr:password`, `urn:vestibule:acr:mfa`, `urn:vestibule:acr:phr`.
    /// Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new(REQUIRED_ACR_RULE).message(REQUIRED_ACR_MESSAGE))]
    pub required_acr: Option<String>,
}

/// The authentication context classes (`acr`) the IdP knows, weakest first.
pub const ACR_VALUES: [&str; 3] = [
    "urn:vestibule:acr:password",
    "urn:vestibule:acr:mfa",
    "urn:vestibule:acr:phr",
];
/// The longest `defaultMaxAge`: a year, in seconds.
pub const MAX_DEFAULT_MAX_AGE: i64 = 365 * 24 * 3600;

const DEFAULT_MAX_AGE_RULE: &str = "self >= 0 && self <= 31536000";
const DEFAULT_MAX_AGE_MESSAGE: &str = "must be between 0 and 31536000 seconds (a year)";
const ACR_VALUES_RULE: &str = "self.all(v, v in ['urn:vestibule:acr:password', 'urn:vestibule:acr:mfa', 'urn:vestibule:acr:phr']) && self.all(v, self.exists_one(w, w == v))";
const REQUIRED_ACR_RULE: &str =
    "self in ['urn:vestibule:acr:password', 'urn:vestibule:acr:mfa', 'urn:vestibule:acr:phr']";
const REQUIRED_ACR_MESSAGE: &str = "must be urn:vestibule:acr:password, urn:vestibule:acr:mfa or urn:vestibule:acr:phr";
const ACR_VALUES_MESSAGE: &str =
    "must list urn:vestibule:acr:password, urn:vestibule:acr:mfa or urn:vestibule:acr:phr, each at most once";

/// The most URIs a Client lists in each of `redirectUris`, `postLogoutRedirectUris` and
/// `allowedCorsOrigins`.
pub const MAX_URIS: usize = 50;
/// The longest URI a Client lists.
pub const MAX_URI_LENGTH: usize = 1024;
/// The most scopes a Client lists.
pub const MAX_SCOPES: usize = 50;
/// The longest scope.
pub const MAX_SCOPE_LENGTH: usize = 128;
/// An OAuth scope token (RFC 6749 3.3), as a schema pattern.
pub const SCOPE_PATTERN: &str = r"^[\x21\x23-\x5B\x5D-\x7E]+$";

/// [`crate::rules::redirect_uri`] as CEL: https with a host, loopback http, or a reverse-domain
/// private-use scheme (RFC 8252 7.1); never a fragment.
const REDIRECT_URI_RULE: &str = r"self.all(u, !u.contains('#') && (u.matches('^https://[^/?#]+') || u.matches('^http://(localhost|127[.]0[.]0[.]1|\\[::1\\])([:/?]|$)') || u.matches('^[A-Za-z][A-Za-z0-9+.-]*[.][A-Za-z0-9+.-]*:')))";
const REDIRECT_URI_MESSAGE: &str =
    "URIs must be https, loopback http, or a reverse-domain scheme (RFC 8252), without a fragment";

/// Whether a Client can keep a secret.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ClientType {
    /// A server-side application that authenticates with a secret.
    #[default]
    Confidential,
    /// A browser or native application; it proves possession with PKCE instead of a secret.
    Public,
}

/// An OAuth 2 grant type.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// Authorization code with PKCE (RFC 6749 4.1, RFC 7636).
    AuthorizationCode,
    /// Refresh token (RFC 6749 6).
    RefreshToken,
    /// Client credentials, for service-to-service calls (RFC 6749 4.4).
    ClientCredentials,
}

impl GrantType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// Client authentication at the token endpoint (OIDC Core 9).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// No authentication: public clients.
    None,
}

impl TokenEndpointAuthMethod {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
        }
    }
}

/// Per-client token lifetimes; unset ones follow the Tenant.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientTokenLifetimes {
    /// Lifetime of access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime: Option<Duration>,
    /// Lifetime of ID tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_lifetime: Option<Duration>,
    /// Lifetime of refresh token families.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime: Option<Duration>,
}

fn default_grant_types() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline_access"]
        .map(String::from)
        .to_vec()
}

fn default_id_token_alg() -> SigningAlgorithm {
    SigningAlgorithm::Rs256
}

fn default_grace_period() -> Duration {
    Duration::from_hours(24)
}

/// What the operator observed of a Client.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientStatus {
    /// Conditions and the generation they describe.
    #[serde(flatten)]
    pub common: CommonStatus,
    /// The `client_id` being served; the operator refuses a later change of `spec.clientId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The Secret holding the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), pattern(crate::rules::DNS_SUBDOMAIN_PATTERN))]
    pub secret_name: Option<String>,
}

/// The annotation whose new value rotates a Client's secret.
pub const ROTATE_SECRET_ANNOTATION: &str = "vestibule.dev/rotate-secret";

impl ClientSpec {
    /// The `client_id`: the explicit one, or `<namespace>.<name>`.
    pub fn effective_client_id(&self, namespace: &str, name: &str) -> String {
        self.client_id.clone().unwrap_or_else(|| format!("{namespace}.{name}"))
    }

    /// The credentials Secret's name: the explicit one, or `<name>-oidc`.
    pub fn effective_secret_name(&self, name: &str) -> String {
        self.secret_name.clone().unwrap_or_else(|| format!("{name}-oidc"))
    }

    /// The token endpoint authentication, resolving the default from the client type.
    pub fn effective_auth_method(&self) -> TokenEndpointAuthMethod {
        self.token_endpoint_auth_method.unwrap_or(match self.client_type {
            ClientType::Confidential => TokenEndpointAuthMethod::ClientSecretBasic,
            ClientType::Public => TokenEndpointAuthMethod::None,
        })
    }

    /// Checks every rule of the schema, including those older API servers do not enforce.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        self.tenant_ref.check(&mut checker, "spec.tenantRef");
        if let Some(client_id) = &self.client_id {
            checker.merge_reason(rules::client_id(client_id), "spec.clientId");
        }
        if let Some(secret_name) = &self.secret_name {
            checker.merge_reason(rules::dns_subdomain(secret_name), "spec.secretName");
        }
        self.check_uris(&mut checker);
        self.check_grants(&mut checker);
        self.check_authentication(&mut checker);
        checker.require(
            self.scopes.len() <= MAX_SCOPES,
            "spec.scopes",
            format!("must list at most {MAX_SCOPES} scopes"),
        );
        for (index, scope) in self.scopes.iter().enumerate() {
            checker.merge_reason(rules::scope_token(scope), format!("spec.scopes[{index}]"));
            checker.require(
                scope.len() <= MAX_SCOPE_LENGTH,
                format!("spec.scopes[{index}]"),
                format!("must be at most {MAX_SCOPE_LENGTH} characters"),
            );
        }
        checker.require(!has_duplicates(&self.scopes), "spec.scopes", "must not repeat a scope");
        self.check_lifetimes(&mut checker);
        self.check_assurance(&mut checker);
        checker.finish()
    }

    /// The rules on changes: `tenantRef` and `clientId` are immutable.
    pub fn validate_update(&self, old: &ClientSpec) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.require(self.tenant_ref == old.tenant_ref, "spec.tenantRef", "is immutable");
        checker.require(self.client_id == old.client_id, "spec.clientId", "is immutable");
        checker.finish()
    }

    fn check_uris(&self, checker: &mut Checker) {
        let lists = [
            ("redirectUris", &self.redirect_uris),
            ("postLogoutRedirectUris", &self.post_logout_redirect_uris),
            ("allowedCorsOrigins", &self.allowed_cors_origins),
        ];
        for (field, list) in lists {
            checker.require(
                list.len() <= MAX_URIS,
                format!("spec.{field}"),
                format!("must list at most {MAX_URIS} URIs"),
            );
            for (index, uri) in list.iter().enumerate() {
                checker.require(
                    uri.len() <= MAX_URI_LENGTH,
                    format!("spec.{field}[{index}]"),
                    format!("must be at most {MAX_URI_LENGTH} characters"),
                );
            }
        }
        for (index, uri) in self.redirect_uris.iter().enumerate() {
            checker.merge_reason(rules::redirect_uri(uri), format!("spec.redirectUris[{index}]"));
        }
        for (index, uri) in self.post_logout_redirect_uris.iter().enumerate() {
            checker.merge_reason(
                rules::redirect_uri(uri),
                format!("spec.postLogoutRedirectUris[{index}]"),
            );
        }
        for (index, origin) in self.allowed_cors_origins.iter().enumerate() {
            checker.merge_reason(rules::origin(origin), format!("spec.allowedCorsOrigins[{index}]"));
        }
    }

    fn check_grants(&self, checker: &mut Checker) {
        let grants = &self.grant_types;
        checker.require(
            !grants.is_empty(),
            "spec.grantTypes",
            "must list at least one grant type",
        );
        checker.require(
            !has_duplicates(grants),
            "spec.grantTypes",
            "must not repeat a grant type",
        );
        let has = |grant| grants.contains(&grant);
        if has(GrantType::AuthorizationCode) {
            checker.require(
                !self.redirect_uris.is_empty(),
                "spec.redirectUris",
                "must list at least one URI for the authorization_code grant",
            );
        }
        checker.require(
            !has(GrantType::RefreshToken) || has(GrantType::AuthorizationCode),
            "spec.grantTypes",
            "refresh_token needs authorization_code (client_credentials issues no refresh tokens)",
        );
        checker.require(
            !(self.client_type == ClientType::Public && has(GrantType::ClientCredentials)),
            "spec.grantTypes",
            "public clients cannot use client_credentials: they cannot keep a secret",
        );
    }

    fn check_authentication(&self, checker: &mut Checker) {
        let method = self.effective_auth_method();
        match self.client_type {
            ClientType::Public => {
                checker.require(
                    method == TokenEndpointAuthMethod::None,
                    "spec.tokenEndpointAuthMethod",
                    "public clients use tokenEndpointAuthMethod: none",
                );
                checker.require(
                    self.require_pkce,
                    "spec.requirePkce",
                    "public clients must use PKCE (RFC 9700 2.1.1)",
                );
            }
            ClientType::Confidential => checker.require(
                method != TokenEndpointAuthMethod::None,
                "spec.tokenEndpointAuthMethod",
                "confidential clients must authenticate; use type: public for none",
            ),
        }
    }

    fn check_assurance(&self, checker: &mut Checker) {
        if let Some(age) = self.default_max_age {
            checker.require(
                (0..=MAX_DEFAULT_MAX_AGE).contains(&age),
                "spec.defaultMaxAge",
                DEFAULT_MAX_AGE_MESSAGE,
            );
        }
        let known = self
            .default_acr_values
            .iter()
            .all(|value| ACR_VALUES.contains(&value.as_str()));
        checker.require(
            known && !has_duplicates(&self.default_acr_values),
            "spec.defaultAcrValues",
            ACR_VALUES_MESSAGE,
        );
        if let Some(required) = &self.required_acr {
            checker.require(
                ACR_VALUES.contains(&required.as_str()),
                "spec.requiredAcr",
                REQUIRED_ACR_MESSAGE,
            );
        }
    }

    fn check_lifetimes(&self, checker: &mut Checker) {
        checker.require(
            self.secret_rotation_grace_period <= Duration::from_hours(24 * 30),
            "spec.secretRotationGracePeriod",
            "must be at most 720h",
        );
        let Some(tokens) = &self.tokens else { return };
        let lifetimes = [
            (
                "accessTokenLifetime",
                tokens.access_token_lifetime,
                Duration::from_hours(24),
            ),
            ("idTokenLifetime", tokens.id_token_lifetime, Duration::from_hours(24)),
            (
                "refreshTokenLifetime",
                tokens.refresh_token_lifetime,
                Duration::from_hours(24 * 400),
            ),
        ];
        for (field, lifetime, max) in lifetimes {
            if let Some(lifetime) = lifetime {
                checker.require(
                    lifetime >= Duration::from_secs(10) && lifetime <= max,
                    format!("spec.tokens.{field}"),
                    format!("must be between 10s and {max}"),
                );
            }
        }
    }
}
