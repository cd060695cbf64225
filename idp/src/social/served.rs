//! The providers a tenant serves: one [`Provider`] per enabled entry of `socialProviders`, in
//! declared order, built with the configuration so that a reloaded configuration (a rotated
//! upstream secret, a removed provider) is served from the next request on.

use std::sync::Arc;
use std::time::Duration;

use vestibule_crds::config::SocialProviderConfig;
use vestibule_crds::v1alpha1::{AccountLinking, SocialProviderType};

use super::apple::AppleSigning;
use super::error::ProviderError;
use super::http::UpstreamHttp;
use super::provider::{Provider, ProviderOptions};

/// How long any one upstream call (discovery, keys, token, userinfo) may take.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// One provider as the pages and the callback see it.
#[derive(Debug, Clone)]
pub struct Served {
    /// The entry's id (`<namespace>.<name>`), in the start and callback URLs.
    pub id: String,
    /// The button label ("Sign in with {name}").
    pub display_name: String,
    /// The provider's type.
    pub provider_type: SocialProviderType,
    /// How a sign-in whose email has an account is linked to it.
    pub linking: AccountLinking,
    /// The upstream protocol, with its discovery and keys cached.
    pub provider: Arc<Provider>,
}

/// A provider entry that cannot be served, named by its id.
#[derive(Debug, thiserror::Error)]
#[error("socialProviders[{id}]: {source}")]
pub struct EntryError {
    /// The entry's id.
    pub id: String,
    /// What is wrong with it.
    #[source]
    pub source: ProviderError,
}

/// The enabled providers of one tenant configuration, in declared order.
#[derive(Debug, Clone, Default)]
pub struct Providers {
    served: Vec<Served>,
}

impl Providers {
    /// Builds every enabled entry; the first that cannot be served refuses the configuration.
    pub fn build(entries: &[SocialProviderConfig]) -> Result<Self, EntryError> {
        let enabled: Vec<&SocialProviderConfig> = entries.iter().filter(|entry| entry.enabled).collect();
        if enabled.is_empty() {
            return Ok(Self::default());
        }
        let http = UpstreamHttp::new(UPSTREAM_TIMEOUT).map_err(|source| EntryError {
            id: enabled[0].id.clone(),
            source,
        })?;
        let served = enabled
            .into_iter()
            .map(|entry| served(entry, http.clone()))
            .collect::<Result<_, _>>()?;
        Ok(Self { served })
    }

    /// The provider `id`, if it is served.
    pub fn get(&self, id: &str) -> Option<&Served> {
        self.served.iter().find(|served| served.id == id)
    }

    /// Every provider, in declared order.
    pub fn iter(&self) -> impl Iterator<Item = &Served> {
        self.served.iter()
    }

    /// Whether no provider is served.
    pub fn is_empty(&self) -> bool {
        self.served.is_empty()
    }
}

fn served(entry: &SocialProviderConfig, http: UpstreamHttp) -> Result<Served, EntryError> {
    let options = ProviderOptions {
        apple: entry.apple.as_ref().map(|ids| AppleSigning {
            team_id: ids.team_id.clone(),
            key_id: ids.key_id.clone(),
        }),
    };
    let provider = Provider::new(entry, http, options).map_err(|source| EntryError {
        id: entry.id.clone(),
        source,
    })?;
    Ok(Served {
        id: entry.id.clone(),
        display_name: entry.display_name.clone(),
        provider_type: entry.provider_type,
        linking: entry.linking,
        provider: Arc::new(provider),
    })
}
