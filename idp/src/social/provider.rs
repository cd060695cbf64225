//! A provider entry of the tenant configuration, checked and ready to sign customers in.

use std::collections::BTreeMap;

use url::Url;
use vestibule_crds::config::SocialProviderConfig;
use vestibule_crds::secret::SecretString;
use vestibule_crds::v1alpha1::SocialProviderType;

use super::apple::{AppleKey, AppleSigning};
use super::discovery::Discovery;
use super::error::{ProviderError, UpstreamError};
use super::http::{UpstreamHttp, upstream_url};
use super::jwks::KeyCache;
use super::preset::{Family, Preset, preset};
use crate::ids::UnixTime;

/// What a provider entry needs beyond the tenant configuration's fields.
#[derive(Clone, Debug, Default)]
pub struct ProviderOptions {
    /// Sign in with Apple: the team and key ids of the `.p8` key held as the client secret.
    pub apple: Option<AppleSigning>,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug)]
pub(crate) enum ClientSecret {
    /// A shared secret.
    Shared(SecretString),
    /// Apple: a JWT signed per request.
    Apple(AppleKey),
}

/// Where the provider's endpoints come from.
#[derive(Debug)]
pub(crate) enum Upstream {
    /// OpenID Connect discovery from the issuer.
    Oidc(Discovery),
    /// Fixed OAuth 2 endpoints.
    OAuth2 {
        authorization: Url,
        token: Url,
        userinfo: Url,
    },
}

/// One upstream provider, with its discovery document and keys cached across sign-ins.
#[derive(Debug)]
pub struct Provider {
    pub(crate) id: String,
    pub(crate) provider_type: SocialProviderType,
    pub(crate) client_id: String,
    pub(crate) secret: ClientSecret,
    pub(crate) preset: Preset,
    pub(crate) upstream: Upstream,
    pub(crate) scopes: Vec<String>,
    pub(crate) claim_mappings: BTreeMap<String, String>,
    pub(crate) http: UpstreamHttp,
    pub(crate) keys: KeyCache,
}

impl Provider {
    /// Builds a provider from a configuration entry; for a preset, `issuer` (OIDC presets) or
    /// the endpoint URLs (OAuth 2 presets) override the provider's public ones.
    pub fn new(
        config: &SocialProviderConfig,
        http: UpstreamHttp,
        options: ProviderOptions,
    ) -> Result<Self, ProviderError> {
        let preset = preset(config.provider_type);
        let upstream = match preset.family {
            Family::Oidc => oidc_upstream(config, &preset)?,
            Family::OAuth2 => oauth2_upstream(config, &preset)?,
        };
        let secret = match (config.provider_type, options.apple) {
            (SocialProviderType::Apple, Some(ids)) => {
                ClientSecret::Apple(AppleKey::new(ids, config.client_secret.expose())?)
            }
            (SocialProviderType::Apple, None) => {
                return Err(ProviderError::AppleKey {
                    reason: "the team id and the key id are required".into(),
                });
            }
            _ => ClientSecret::Shared(config.client_secret.clone()),
        };
        Ok(Self {
            id: config.id.clone(),
            provider_type: config.provider_type,
            client_id: config.client_id.clone(),
            secret,
            scopes: scopes(config, &preset),
            claim_mappings: config.claim_mappings.clone(),
            preset,
            upstream,
            http,
            keys: KeyCache::default(),
        })
    }

    /// The entry's id (`<namespace>.<name>`), which names it in callback URLs.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The provider's type.
    pub fn provider_type(&self) -> SocialProviderType {
        self.provider_type
    }

    /// Whether the provider answers with a form POST to the callback (`response_mode=form_post`)
    /// rather than a redirect with a query.
    pub fn form_post(&self) -> bool {
        self.preset.form_post
    }

    /// The client secret for one token request.
    pub(crate) fn client_secret(&self, audience: &str, now: UnixTime) -> Result<String, UpstreamError> {
        match &self.secret {
            ClientSecret::Shared(secret) => Ok(secret.expose().to_owned()),
            ClientSecret::Apple(key) => key.client_secret(&self.client_id, audience, now),
        }
    }
}

fn checked(field: &'static str, value: &str) -> Result<Url, ProviderError> {
    upstream_url(value).map_err(|reason| ProviderError::InvalidUrl { field, reason })
}

fn oidc_upstream(config: &SocialProviderConfig, preset: &Preset) -> Result<Upstream, ProviderError> {
    for (field, value) in [
        ("authorizationUrl", &config.authorization_url),
        ("tokenUrl", &config.token_url),
        ("userinfoUrl", &config.userinfo_url),
    ] {
        if value.is_some() {
            return Err(ProviderError::NotApplicable { field });
        }
    }
    let issuer = config
        .issuer
        .as_deref()
        .or(preset.issuer)
        .ok_or(ProviderError::Missing { field: "issuer" })?;
    Ok(Upstream::Oidc(Discovery::new(
        checked("issuer", issuer)?,
        preset.tenant_template,
    )))
}

fn oauth2_upstream(config: &SocialProviderConfig, preset: &Preset) -> Result<Upstream, ProviderError> {
    if config.issuer.is_some() {
        return Err(ProviderError::NotApplicable { field: "issuer" });
    }
    let defaults = preset
        .endpoints
        .map(|[a, t, u]| [Some(a), Some(t), Some(u)])
        .unwrap_or_default();
    let pick = |field: &'static str, configured: &Option<String>, default: Option<&str>| {
        let value = configured
            .as_deref()
            .or(default)
            .ok_or(ProviderError::Missing { field })?;
        checked(field, value)
    };
    Ok(Upstream::OAuth2 {
        authorization: pick("authorizationUrl", &config.authorization_url, defaults[0])?,
        token: pick("tokenUrl", &config.token_url, defaults[1])?,
        userinfo: pick("userinfoUrl", &config.userinfo_url, defaults[2])?,
    })
}

/// The configured scopes or the preset's; OpenID Connect always gets `openid`, without which
/// there is no ID token.
fn scopes(config: &SocialProviderConfig, preset: &Preset) -> Vec<String> {
    let mut scopes: Vec<String> = if config.scopes.is_empty() {
        preset.scopes.iter().map(|scope| (*scope).to_owned()).collect()
    } else {
        config.scopes.clone()
    };
    if preset.family == Family::Oidc && !scopes.iter().any(|scope| scope == "openid") {
        scopes.insert(0, "openid".into());
    }
    scopes
}
