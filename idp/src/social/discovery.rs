//! OpenID Connect Discovery 1.0 from the issuer, cached and refreshed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::error::UpstreamError;
use super::http::{Call, UpstreamHttp, answered_url};

/// How long a discovery document is used before it is fetched again.
const REFRESH_AFTER: Duration = Duration::from_secs(3600);

const OPERATION: &str = "discovery";

/// The parts of a provider's metadata that a sign-in uses, every URL checked.
#[derive(Clone, Debug)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub userinfo_endpoint: Option<Url>,
    pub jwks_uri: Url,
    pub id_token_algs: Vec<String>,
    pub basic_auth: Option<bool>,
}

#[derive(Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// A provider's discovery document, fetched on first use and again after [`REFRESH_AFTER`].
#[derive(Debug)]
pub(crate) struct Discovery {
    issuer: Url,
    /// Microsoft: the document's issuer is `https://login.microsoftonline.com/{tenantid}/v2.0`.
    tenant_template: bool,
    cached: Mutex<Option<(Arc<Metadata>, Instant)>>,
}

impl Discovery {
    pub fn new(issuer: Url, tenant_template: bool) -> Self {
        Self {
            issuer,
            tenant_template,
            cached: Mutex::new(None),
        }
    }

    /// The metadata, fetched when absent or stale; a failed refresh keeps serving the old one.
    pub async fn metadata(&self, http: &UpstreamHttp) -> Result<Arc<Metadata>, UpstreamError> {
        // One fetch at a time: concurrent sign-ins wait for it instead of stampeding the provider.
        let mut cached = self.cached.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref()
            && fetched.elapsed() < REFRESH_AFTER
        {
            return Ok(metadata.clone());
        }
        match self.fetch(http).await {
            Ok(metadata) => {
                let metadata = Arc::new(metadata);
                *cached = Some((metadata.clone(), Instant::now()));
                Ok(metadata)
            }
            Err(error) => match cached.as_ref() {
                Some((metadata, _)) => {
                    tracing::warn!(issuer = %self.issuer, %error, "discovery refresh failed, keeping the cached document");
                    Ok(metadata.clone())
                }
                None => Err(error),
            },
        }
    }

    async fn fetch(&self, http: &UpstreamHttp) -> Result<Metadata, UpstreamError> {
        let base = self.issuer.as_str().trim_end_matches('/');
        let url = answered_url(OPERATION, &format!("{base}/.well-known/openid-configuration"))?;
        let document: Document = http.json(OPERATION, Call::get(url)).await?;
        self.check_issuer(&document.issuer)?;
        let basic_auth = document
            .token_endpoint_auth_methods_supported
            .map(|methods| methods.iter().any(|method| method == "client_secret_basic"));
        Ok(Metadata {
            authorization_endpoint: answered_url(OPERATION, &document.authorization_endpoint)?,
            token_endpoint: answered_url(OPERATION, &document.token_endpoint)?,
            userinfo_endpoint: document
                .userinfo_endpoint
                .map(|url| answered_url(OPERATION, &url))
                .transpose()?,
            jwks_uri: answered_url(OPERATION, &document.jwks_uri)?,
            id_token_algs: document.id_token_signing_alg_values_supported,
            issuer: document.issuer,
            basic_auth,
        })
    }

    /// OIDC Discovery 4.3: the document's issuer must be the one it was fetched from, so a
    /// document cannot make us accept tokens of another issuer.
    fn check_issuer(&self, found: &str) -> Result<(), UpstreamError> {
        let expected = self.issuer.as_str().trim_end_matches('/');
        let found_trimmed = found.trim_end_matches('/');
        let origin = self.issuer.origin().ascii_serialization();
        let template_ok =
            self.tenant_template && found.contains("{tenantid}") && found.starts_with(&format!("{origin}/"));
        if found_trimmed == expected || template_ok {
            Ok(())
        } else {
            Err(UpstreamError::Malformed {
                operation: OPERATION,
                reason: format!("the document names issuer {found}, not {expected}"),
            })
        }
    }
}
