//! Breached passwords: new passwords (and, with `atSignIn`, those customers sign in with) are
//! looked up in a local corpus and a Pwned Passwords compatible range API. Only the SHA-1 of a
//! password is computed here, and only its first 5 hex digits are ever sent.

pub mod at_sign_in;
pub mod corpus;
pub mod range;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha1::{Digest, Sha1};
use vestibule_crds::v1alpha1::{BreachedPasswords, FailMode};

use crate::metrics::Metrics;
use crate::social::UpstreamHttp;
pub use corpus::{Corpus, CorpusError};
pub use range::{RangeApi, RangeError};

/// Why the breach check of a tenant cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum BreachedError {
    /// The local corpus file cannot be loaded.
    #[error("attackProtection.breachedPasswords.localCorpus: {0}")]
    Corpus(#[from] CorpusError),
    /// The HTTP client for the range API cannot be built.
    #[error("attackProtection.breachedPasswords.rangeApi: {0}")]
    Client(#[from] crate::social::ProviderError),
}

/// What a breach check found, the tenant's fail mode applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screening {
    /// Not known to be breached (or the check is off, or failed open).
    Accepted,
    /// The password appears in a breach.
    Breached,
    /// The check could not answer and the tenant fails closed.
    Unavailable,
}

/// The breach sources of one tenant, built with its config.
#[derive(Debug)]
pub struct BreachCheck {
    enabled: bool,
    at_sign_in: bool,
    fail_mode: FailMode,
    corpus: Option<LoadedCorpus>,
    range: Option<RangeApi>,
}

/// A corpus with the identity of the file it was read from.
#[derive(Debug, Clone)]
struct LoadedCorpus {
    corpus: Arc<Corpus>,
    file: FileIdentity,
}

/// What tells whether a file changed: its path, size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileIdentity {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileIdentity {
    fn of(path: &Path) -> Result<Self, CorpusError> {
        let metadata = std::fs::metadata(path).map_err(|source| CorpusError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }
}

fn open_corpus(path: &Path, previous: Option<&BreachCheck>) -> Result<LoadedCorpus, CorpusError> {
    let file = FileIdentity::of(path)?;
    let unchanged = previous
        .and_then(|previous| previous.corpus.as_ref())
        .filter(|loaded| loaded.file == file && file.modified.is_some());
    if let Some(loaded) = unchanged {
        return Ok(loaded.clone());
    }
    Ok(LoadedCorpus {
        corpus: Arc::new(Corpus::load(path)?),
        file,
    })
}

impl BreachCheck {
    /// Loads the corpus and prepares the range API client the settings ask for.
    pub fn load(settings: &BreachedPasswords) -> Result<Self, BreachedError> {
        Self::reload(settings, None)
    }

    /// Like [`Self::load`], keeping the corpus of `previous` when it is the same file, unchanged
    /// (same path, size and modification time): a reload for another setting neither reads
    /// gigabytes again nor holds two copies of them.
    pub fn reload(settings: &BreachedPasswords, previous: Option<&Self>) -> Result<Self, BreachedError> {
        let corpus = match (&settings.local_corpus, settings.enabled) {
            (Some(local), true) => Some(open_corpus(Path::new(&local.path), previous)?),
            _ => None,
        };
        let api = &settings.range_api;
        let range = if api.enabled && settings.enabled {
            let timeout = Duration::from_secs(u64::from(api.timeout_seconds));
            Some(RangeApi::new(&api.base_url, UpstreamHttp::new(timeout)?))
        } else {
            None
        };
        Ok(Self {
            enabled: settings.enabled,
            at_sign_in: settings.at_sign_in,
            fail_mode: api.fail_mode,
            corpus,
            range,
        })
    }

    /// Whether passwords that sign in are checked too.
    pub fn at_sign_in(&self) -> bool {
        self.enabled && self.at_sign_in
    }

    /// Looks `password` up: the corpus first (no network), then the range API. A range API
    /// that cannot answer is logged and counted, and decided by the fail mode.
    pub async fn screen(&self, password: &str, metrics: &Metrics) -> Screening {
        if !self.enabled {
            return Screening::Accepted;
        }
        let digest: [u8; 20] = Sha1::digest(password.as_bytes()).into();
        if self
            .corpus
            .as_ref()
            .is_some_and(|loaded| loaded.corpus.contains(&digest))
        {
            metrics.observe_breached_password("local_corpus");
            return Screening::Breached;
        }
        let Some(range) = &self.range else {
            return Screening::Accepted;
        };
        match range.is_listed(&hex::encode_upper(digest)).await {
            Ok(true) => {
                metrics.observe_breached_password("range_api");
                Screening::Breached
            }
            Ok(false) => Screening::Accepted,
            Err(error) => self.failed(&error, metrics),
        }
    }

    fn failed(&self, error: &RangeError, metrics: &Metrics) -> Screening {
        metrics.observe_breached_check_failure(error.reason());
        match self.fail_mode {
            FailMode::Open => {
                // Neither the password nor its hash is logged: the error names the service only.
                tracing::warn!(%error, "breached-password check failed; the password is accepted (failMode open)");
                Screening::Accepted
            }
            FailMode::Closed => {
                tracing::warn!(%error, "breached-password check failed; the password is refused (failMode closed)");
                Screening::Unavailable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use vestibule_crds::v1alpha1::LocalCorpus;

    use super::*;

    fn settings(path: &Path) -> BreachedPasswords {
        let mut settings = BreachedPasswords::default();
        settings.range_api.enabled = false;
        settings.local_corpus = Some(LocalCorpus {
            persistent_volume_claim: None,
            path: path.to_string_lossy().into_owned(),
        });
        settings
    }

    fn corpus_of(check: &BreachCheck) -> Arc<Corpus> {
        check.corpus.as_ref().map(|loaded| loaded.corpus.clone()).unwrap()
    }

    #[tokio::test]
    async fn a_reload_keeps_an_unchanged_corpus_and_reads_a_changed_one() {
        let dir = std::env::temp_dir().join(format!("vestibule-reload-{}", crate::random::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("corpus.bin");
        Corpus::build(vec![1, 2, 3]).unwrap().write(&file).unwrap();
        let first = BreachCheck::load(&settings(&file)).unwrap();
        let kept = BreachCheck::reload(&settings(&file), Some(&first)).unwrap();
        assert!(Arc::ptr_eq(&corpus_of(&first), &corpus_of(&kept)));
        Corpus::build((0..500).collect()).unwrap().write(&file).unwrap();
        let changed = BreachCheck::reload(&settings(&file), Some(&kept)).unwrap();
        assert_eq!(corpus_of(&changed).count(), 500, "a changed file is read again");
        let metrics = Metrics::default();
        let password = "correct horse battery staple";
        let digest: [u8; 20] = Sha1::digest(password.as_bytes()).into();
        Corpus::build(vec![corpus::key(&digest)]).unwrap().write(&file).unwrap();
        let fresh = BreachCheck::load(&settings(&file)).unwrap();
        assert_eq!(fresh.screen(password, &metrics).await, Screening::Breached);
        assert_eq!(
            fresh.screen("another one entirely", &metrics).await,
            Screening::Accepted
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
