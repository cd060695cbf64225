//! Breached passwords: new passwords (and, with `atSignIn`, those customers sign in with) are
//! looked up in a local corpus and a Pwned Passwords compatible range API. Only the SHA-1 of a
//! password is computed here, and only its first 5 hex digits are ever sent.

pub mod at_sign_in;
pub mod corpus;
pub mod range;

use std::sync::Arc;
use std::time::Duration;

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
    corpus: Option<Arc<Corpus>>,
    range: Option<RangeApi>,
}

impl BreachCheck {
    /// Loads the corpus and prepares the range API client the settings ask for.
    pub fn load(settings: &BreachedPasswords) -> Result<Self, BreachedError> {
        let corpus = match (&settings.local_corpus, settings.enabled) {
            (Some(local), true) => Some(Arc::new(Corpus::load(std::path::Path::new(&local.path))?)),
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
        if self.corpus.as_ref().is_some_and(|corpus| corpus.contains(&digest)) {
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
