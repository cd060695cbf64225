//! `SocialProvider`: an upstream identity provider customers may sign in with.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AttachedStatus, SecretKeyRef, TenantRef};
use super::settings::{has_duplicates, yes};
use crate::rules;
use crate::validation::{Checker, ValidationErrors};

/// [`crate::rules::web_url`] as CEL: https with a host, or http on a loopback host (local
/// development and tests); the IdP refuses the same.
pub(crate) const UPSTREAM_URL_RULE: &str =
    r"self.matches('^https://[^/?#]+') || self.matches('^http://(localhost|127[.]0[.]0[.]1|\\[::1\\])([:/?]|$)')";
pub(crate) const UPSTREAM_URL_MESSAGE: &str = "must be an https URL (http only on localhost, 127.0.0.1 or [::1])";
/// The longest upstream URL.
const MAX_URL_LENGTH: usize = 1024;

/// The desired state of a SocialProvider: "Sign in with …" on a Tenant's login page.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "vestibule.dev",
    version = "v1alpha1",
    kind = "SocialProvider",
    namespaced,
    status = "AttachedStatus",
    shortname = "sp",
    category = "vestibule",
    doc = "An upstream identity provider (Google, GitHub, any OpenID Connect or OAuth 2 server) customers may sign in with.",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Tenant","type":"string","jsonPath":".spec.tenantRef.name"}"#,
    printcolumn = r#"{"name":"Type","type":"string","jsonPath":".spec.type"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("self.type != 'oidc' || has(self.issuer)").message("issuer is required for type oidc"))]
#[x_kube(validation = Rule::new("!has(self.issuer) || self.type in ['oidc', 'google', 'microsoft', 'apple']").message("issuer is only for the OpenID Connect types (oidc, google, microsoft, apple)"))]
#[x_kube(validation = Rule::new(
    "self.type != 'oauth2' || (has(self.authorizationUrl) && has(self.tokenUrl) && has(self.userinfoUrl))"
).message("authorizationUrl, tokenUrl and userinfoUrl are required for type oauth2"))]
#[x_kube(validation = Rule::new(
    "self.type in ['oauth2', 'github', 'facebook'] || !(has(self.authorizationUrl) || has(self.tokenUrl) || has(self.userinfoUrl))"
).message("authorizationUrl, tokenUrl and userinfoUrl are only for the OAuth 2 types (oauth2, github, facebook)"))]
#[x_kube(validation = Rule::new(
    "!has(self.apple) || (self.apple.teamId.matches('^[A-Za-z0-9]{1,64}$') && self.apple.keyId.matches('^[A-Za-z0-9]{1,64}$'))"
).message("apple.teamId and apple.keyId must be 1 to 64 letters and digits"))]
#[x_kube(validation = Rule::new("(self.type == 'apple') == has(self.apple)").message("apple (teamId and keyId) is required for type apple and only for it"))]
#[serde(rename_all = "camelCase")]
pub struct SocialProviderSpec {
    /// The Tenant whose login page offers this provider.
    pub tenant_ref: TenantRef,
    /// Kind of provider. The well-known ones need only credentials.
    #[serde(rename = "type")]
    pub provider_type: SocialProviderType,
    /// Client id registered at the provider.
    #[schemars(length(max = 512), pattern(r"\S"))]
    pub client_id: String,
    /// Secret key holding the client secret registered at the provider.
    pub client_secret_ref: SecretKeyRef,
    /// Issuer of an `oidc` provider; its discovery document supplies the endpoints. For `google`,
    /// `microsoft` and `apple` it overrides the public issuer (a sovereign cloud, a test server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_URL_LENGTH))]
    #[x_kube(validation = Rule::new(UPSTREAM_URL_RULE).message(UPSTREAM_URL_MESSAGE))]
    #[x_kube(validation = Rule::new("!self.contains('?') && !self.contains('#') && !self.endsWith('/')").message("must not have a query, a fragment or a trailing '/' (OIDC Discovery 4)"))]
    pub issuer: Option<String>,
    /// Authorization endpoint of an `oauth2` provider; for `github` and `facebook` an override
    /// (GitHub Enterprise: `https://HOST/login/oauth/authorize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_URL_LENGTH))]
    #[x_kube(validation = Rule::new(UPSTREAM_URL_RULE).message(UPSTREAM_URL_MESSAGE))]
    pub authorization_url: Option<String>,
    /// Token endpoint of an `oauth2` provider; for `github` and `facebook` an override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_URL_LENGTH))]
    #[x_kube(validation = Rule::new(UPSTREAM_URL_RULE).message(UPSTREAM_URL_MESSAGE))]
    pub token_url: Option<String>,
    /// Userinfo endpoint of an `oauth2` provider; for `github` and `facebook` an override
    /// (GitHub Enterprise: `https://HOST/api/v3/user`, its emails are read from `…/user/emails`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_URL_LENGTH))]
    #[x_kube(validation = Rule::new(UPSTREAM_URL_RULE).message(UPSTREAM_URL_MESSAGE))]
    pub userinfo_url: Option<String>,
    /// Scopes to request. Default: the provider's sign-in scopes (`openid email profile`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = super::MAX_SCOPES), inner(length(min = 1, max = super::MAX_SCOPE_LENGTH), pattern(super::SCOPE_PATTERN)))]
    #[x_kube(validation = Rule::new("self.all(s, self.exists_one(t, t == s))").message("must not repeat a scope"))]
    pub scopes: Vec<String>,
    /// Our claim name to the provider's claim name, for providers that name them differently,
    /// for example `{email: mail, name: displayName}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub claim_mappings: BTreeMap<String, String>,
    /// What happens when the provider's email matches an existing account. Default `prompt`.
    #[serde(default)]
    pub linking: AccountLinking,
    /// Button label. Default: the provider's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether the login page offers it. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Sign in with Apple only: the ids Apple issued with the `.p8` key that `clientSecretRef`
    /// holds, from which the IdP signs its client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apple: Option<AppleKeyIds>,
}

const APPLE_ID_MESSAGE: &str = "must be 1 to 64 letters and digits";

/// The identifiers Apple issues with a Sign in with Apple `.p8` key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppleKeyIds {
    /// The Apple developer team id (10 characters).
    #[schemars(length(min = 1, max = 64))]
    pub team_id: String,
    /// The id of the `.p8` key (10 characters).
    #[schemars(length(min = 1, max = 64))]
    pub key_id: String,
}

impl AppleKeyIds {
    fn check(&self, checker: &mut Checker) {
        let valid = |id: &str| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
        checker.require(valid(&self.team_id), "spec.apple.teamId", APPLE_ID_MESSAGE);
        checker.require(valid(&self.key_id), "spec.apple.keyId", APPLE_ID_MESSAGE);
    }
}

/// Kinds of upstream provider.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SocialProviderType {
    /// Google.
    Google,
    /// GitHub.
    Github,
    /// Facebook.
    Facebook,
    /// Sign in with Apple.
    Apple,
    /// Microsoft (Entra ID, personal accounts).
    Microsoft,
    /// Any OpenID Connect provider, by `issuer`.
    Oidc,
    /// Any OAuth 2 provider with a userinfo endpoint, by endpoint URLs.
    Oauth2,
}

/// Account linking when the provider's email is already registered.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AccountLinking {
    /// Link automatically when the provider asserts the email is verified.
    VerifiedEmail,
    /// Ask the customer to sign in with their password once to link.
    #[default]
    Prompt,
    /// Never link: the customer must use the original sign-in method.
    Never,
}

impl SocialProviderSpec {
    /// Checks that each type has the endpoints it needs, that overrides fit the type's protocol,
    /// and that URLs are https (http only on the local machine).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        self.tenant_ref.check(&mut checker, "spec.tenantRef");
        checker.require(
            !self.client_id.trim().is_empty() && self.client_id.len() <= 512,
            "spec.clientId",
            "must be 1 to 512 characters, not all blank",
        );
        self.client_secret_ref.check(&mut checker, "spec.clientSecretRef");
        let endpoints = [
            ("authorizationUrl", &self.authorization_url),
            ("tokenUrl", &self.token_url),
            ("userinfoUrl", &self.userinfo_url),
        ];
        let openid = matches!(
            self.provider_type,
            SocialProviderType::Oidc
                | SocialProviderType::Google
                | SocialProviderType::Microsoft
                | SocialProviderType::Apple
        );
        match &self.issuer {
            Some(issuer) if openid => checker.merge_reason(rules::issuer(issuer), "spec.issuer"),
            Some(_) => checker.fail(
                "spec.issuer",
                "is only for the OpenID Connect types (oidc, google, microsoft, apple)",
            ),
            None => checker.require(
                self.provider_type != SocialProviderType::Oidc,
                "spec.issuer",
                "is required for type oidc",
            ),
        }
        for (field, url) in endpoints {
            match url {
                Some(url) if !openid => checker.merge_reason(rules::web_url(url), format!("spec.{field}")),
                Some(_) => checker.fail(
                    format!("spec.{field}"),
                    "is only for the OAuth 2 types (oauth2, github, facebook)",
                ),
                None => checker.require(
                    self.provider_type != SocialProviderType::Oauth2,
                    format!("spec.{field}"),
                    "is required for type oauth2",
                ),
            }
        }
        let urls = [("issuer", &self.issuer)].into_iter().chain(endpoints);
        for (field, url) in urls {
            checker.require(
                url.as_ref().is_none_or(|url| url.len() <= MAX_URL_LENGTH),
                format!("spec.{field}"),
                format!("must be at most {MAX_URL_LENGTH} characters"),
            );
        }
        checker.require(
            self.scopes.len() <= super::MAX_SCOPES,
            "spec.scopes",
            format!("must list at most {} scopes", super::MAX_SCOPES),
        );
        for (index, scope) in self.scopes.iter().enumerate() {
            checker.merge_reason(rules::scope_token(scope), format!("spec.scopes[{index}]"));
            checker.require(
                scope.len() <= super::MAX_SCOPE_LENGTH,
                format!("spec.scopes[{index}]"),
                format!("must be at most {} characters", super::MAX_SCOPE_LENGTH),
            );
        }
        checker.require(!has_duplicates(&self.scopes), "spec.scopes", "must not repeat a scope");
        match (&self.apple, self.provider_type) {
            (Some(apple), SocialProviderType::Apple) => apple.check(&mut checker),
            (None, SocialProviderType::Apple) => {
                checker.fail("spec.apple", "is required for type apple (teamId and keyId)")
            }
            (Some(_), _) => checker.fail("spec.apple", "is only for type apple"),
            (None, _) => {}
        }
        checker.finish()
    }
}
