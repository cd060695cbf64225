//! Hot reload: polls the config and key files and swaps the served tenant when they change.
//!
//! Polling (rather than inotify) follows Kubernetes Secret volumes reliably: the kubelet swaps a
//! `..data` symlink, which file-change notifications on the visible names do not report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use vestibule_crds::keys::SigningKeySet;

use super::{LiveTenant, LoadError, Tenant, read_config, read_keys, standalone_keys};
use crate::metrics::Metrics;
use crate::store::Store;

/// Where the served tenant comes from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The config file.
    pub config: PathBuf,
    /// The key file; `None` for standalone keys in the database.
    pub keys: Option<PathBuf>,
}

impl Sources {
    /// Loads both files into a servable tenant.
    pub async fn load(&self, store: &Store) -> Result<Tenant, LoadError> {
        let config = read_config(&self.config)?;
        let keys: SigningKeySet = match &self.keys {
            Some(path) => read_keys(path)?,
            None => standalone_keys(store, &config.signing_algorithms).await?,
        };
        Tenant::new(config, &keys)
    }

    fn fingerprint(&self) -> Option<Vec<u8>> {
        let mut digest = Sha256::new();
        digest.update(std::fs::read(&self.config).ok()?);
        if let Some(keys) = &self.keys {
            digest.update(std::fs::read(keys).ok()?);
        }
        Some(digest.finalize().to_vec())
    }
}

/// Reloads `live` from `sources` whenever the files change, until the task is dropped.
/// A change that fails validation is logged with the field it names and not served.
pub async fn watch(sources: Sources, store: Store, live: Arc<LiveTenant>, metrics: Arc<Metrics>, interval: Duration) {
    let mut seen = sources.fingerprint();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = sources.fingerprint();
        if now.is_none() || now == seen {
            continue;
        }
        seen = now;
        match sources.load(&store).await {
            Ok(tenant) => {
                let generation = tenant.config.generation;
                live.replace(tenant);
                metrics.observe_reload(true);
                tracing::info!(generation, "configuration reloaded");
            }
            Err(error) => {
                let serving = live.get().config.generation;
                metrics.observe_reload(false);
                tracing::error!(%error, serving, "new configuration refused; still serving the previous one");
            }
        }
    }
}
