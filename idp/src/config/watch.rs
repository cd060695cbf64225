//! Hot reload: polls the config and key files and swaps the served tenant when they change.
//!
//! Polling (rather than inotify) follows Kubernetes Secret volumes reliably: the kubelet swaps a
//! `..data` symlink, which file-change notifications on the visible names do not report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use vestibule_crds::keys::SigningKeySet;

use vestibule_crds::config::TenantConfig;

use super::{LiveTenant, LoadError, Tenant, read, standalone_keys};
use crate::metrics::Metrics;
use crate::store::Store;

/// Where the served tenant comes from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The config file.
    pub config: PathBuf,
    /// The key file; `None` for standalone keys in the database.
    pub keys: Option<PathBuf>,
    /// Development mode (`--dev`): emails may go to the log whatever the issuer.
    pub dev: bool,
}

/// What the files held at one moment: everything is parsed from these bytes, and changes are
/// detected against them, so nothing written between a read and a check is ever missed.
struct Snapshot {
    config: String,
    keys: Option<String>,
}

/// A digest of file contents, to notice changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<u8>);

impl Snapshot {
    fn fingerprint(&self) -> Fingerprint {
        let mut digest = Sha256::new();
        digest.update(self.config.as_bytes());
        if let Some(keys) = &self.keys {
            digest.update(b"\0");
            digest.update(keys.as_bytes());
        }
        Fingerprint(digest.finalize().to_vec())
    }
}

impl Sources {
    /// Loads both files into a servable tenant, with the fingerprint of exactly what was read.
    pub async fn load(&self, store: &Store) -> Result<(Tenant, Fingerprint), LoadError> {
        let snapshot = self.snapshot()?;
        let tenant = self.build(&snapshot, store, None).await?;
        Ok((tenant, snapshot.fingerprint()))
    }

    fn snapshot(&self) -> Result<Snapshot, LoadError> {
        let keys = match &self.keys {
            Some(path) => Some(read(path)?),
            None => None,
        };
        Ok(Snapshot {
            config: read(&self.config)?,
            keys,
        })
    }

    async fn build(
        &self,
        snapshot: &Snapshot,
        store: &Store,
        previous: Option<Arc<Tenant>>,
    ) -> Result<Tenant, LoadError> {
        let config = TenantConfig::from_yaml(&snapshot.config)?;
        // Tokens, sessions and accounts belong to one issuer: a database recorded for another
        // (a copied volume, a wrong URL Secret) is never served, at start or on reload.
        let recorded = store.claim_issuer(&config.issuer).await?;
        if recorded != config.issuer {
            return Err(LoadError::ForeignDatabase {
                recorded,
                configured: config.issuer,
            });
        }
        let keys: SigningKeySet = match &snapshot.keys {
            Some(text) => serde_json::from_str(text).map_err(|error| LoadError::KeysParse(error.to_string()))?,
            None => standalone_keys(store, &config.signing_algorithms).await?,
        };
        // Building reads the breached-password corpus, which may be gigabytes: off the runtime.
        let built = tokio::task::spawn_blocking(move || Tenant::after(config, &keys, previous.as_deref())).await;
        let mut tenant = built.map_err(|error| LoadError::Task(error.to_string()))??;
        tenant.mail_to_log |= self.dev && tenant.config.email.is_none();
        // An email logged carries a live verification or reset link: refuse to serve a tenant
        // whose mail would have to go to the log outside development.
        if tenant.config.email.is_none() && !tenant.mail_to_log {
            return Err(LoadError::NoSmtp(tenant.config.issuer.clone()));
        }
        Ok(tenant)
    }
}

/// Reloads `live` from `sources` whenever the files differ from `loaded`, until the task is
/// dropped. A change that fails validation is logged with the field it names and not served.
pub async fn watch(
    sources: Sources,
    loaded: Fingerprint,
    store: Store,
    live: Arc<LiveTenant>,
    metrics: Arc<Metrics>,
    interval: Duration,
) {
    let mut seen = loaded;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Ok(snapshot) = sources.snapshot() else { continue };
        let fingerprint = snapshot.fingerprint();
        if fingerprint == seen {
            continue;
        }
        seen = fingerprint;
        match sources.build(&snapshot, &store, Some(live.get())).await {
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
