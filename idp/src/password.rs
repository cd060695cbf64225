//! Passwords: argon2id hashing off the async runtime on a fixed pool of hashing threads behind a
//! bounded queue, and the policy new passwords must meet.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2_rust::params::Memory;
use argon2_rust::{Algorithm, Argon2, Error as Argon2Error, Hasher, Params, Version};
use prometheus_client::metrics::counter::Counter;
use rand::RngExt;
use tokio::sync::oneshot;
use vestibule_crds::SecretString;
use vestibule_crds::v1alpha1::PasswordPolicy;

use crate::ports::PasswordScreen;

/// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u64 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
/// A hashing thread idle this long gives its 19 MiB back to the operating system.
const IDLE_RELEASE: Duration = Duration::from_secs(1);

/// The most common passwords (from the zxcvbn project's frequency lists), one per line.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../assets/common-passwords.txt").lines().collect());

/// Why hashing failed (never because of the password's content).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The argon2 library refused.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The hashing threads are gone.
    #[error("password hashing thread failed")]
    Task,
    /// The queue is full: the server is at its hashing capacity, the caller should retry later.
    #[error("the password hashing queue is full")]
    Busy,
}

/// One job for a hashing thread.
type Job = Box<dyn FnOnce(&mut Hasher) + Send>;

/// Hashes and verifies passwords with argon2id on `parallelism` threads of its own, each keeping
/// its 19 MiB arena while busy: a burst of sign-ins queues instead of allocating 19 MiB per
/// request, and an idle server holds none of it. The queue holds at most `queue` jobs; past
/// that, callers get [`HashError::Busy`] at once rather than waiting ever longer (a flood of
/// sign-ins must not turn into unbounded memory and latency for everyone).
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: flume::Sender<Job>,
    dummy_hash: Arc<str>,
    /// argon2id verifications run (the dummy hash's included): what sign-in attempts cost.
    verifications: Counter,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("queued", &self.jobs.len())
            .finish()
    }
}

/// The IdP's argon2id configuration.
fn argon2() -> Result<Argon2, HashError> {
    let params = Params::builder()
        .memory(Memory::kib(MEMORY_KIB))
        .passes(PASSES)
        .lanes(LANES)
        .build()
        .map_err(argon2_error)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn argon2_error(error: Argon2Error) -> HashError {
    HashError::Argon2(error.to_string())
}

/// The PHC string of a new hash, with a fresh 128-bit salt from the system CSPRNG.
fn hash_with(hasher: &mut Hasher, password: &[u8]) -> Result<String, HashError> {
    let salt: [u8; 16] = rand::rng().random();
    hasher.hash_password(password, &salt).map_err(argon2_error)
}

/// One hashing thread: runs jobs with its pooled arena, and releases the arena when idle.
fn work(jobs: &flume::Receiver<Job>, mut hasher: Hasher) {
    loop {
        match jobs.recv_timeout(IDLE_RELEASE) {
            Ok(job) => job(&mut hasher),
            Err(flume::RecvTimeoutError::Timeout) => hasher.clear(),
            Err(flume::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Jobs that may wait per hashing thread by default: about a second of work at ~25 ms a hash.
pub const DEFAULT_QUEUE_PER_THREAD: usize = 32;

impl PasswordHasher {
    /// A hasher with `parallelism` hashing threads (one per core is the sweet spot) and room for
    /// `queue` waiting jobs; the threads stop when the last clone is dropped.
    pub fn new(parallelism: usize, queue: usize) -> Result<Self, HashError> {
        let argon2 = argon2()?;
        let (jobs, waiting) = flume::bounded::<Job>(queue);
        for index in 0..parallelism.max(1) {
            let (queue, hasher) = (waiting.clone(), argon2.hasher());
            std::thread::Builder::new()
                .name(format!("argon2id-{index}"))
                .spawn(move || work(&queue, hasher))
                .map_err(|_| HashError::Task)?;
        }
        // Verifying against this hash costs the same as a real one, so unknown accounts answer
        // as slowly as known ones (no account enumeration by timing).
        let dummy_hash = hash_with(&mut argon2.hasher(), crate::random::token().as_bytes())?;
        Ok(Self {
            jobs,
            dummy_hash: dummy_hash.into(),
            verifications: Counter::default(),
        })
    }

    /// This hasher counting its verifications in `counter` (a registered metric).
    pub fn counting_verifications(self, counter: Counter) -> Self {
        Self {
            verifications: counter,
            ..self
        }
    }

    /// The PHC string of a new hash of `password`.
    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let password = password.clone();
        self.run(move |hasher| hash_with(hasher, password.expose().as_bytes()))
            .await?
    }

    /// Whether `password` matches the PHC string `hash`; with `None` or an empty hash (no
    /// password), spends the same time and answers false.
    pub async fn verify(&self, password: &SecretString, hash: Option<&str>) -> Result<bool, HashError> {
        let password = password.clone();
        let (hash, real) = match hash {
            // An account made through a provider has no password (an empty hash): it is checked
            // against the dummy hash like an unknown one, same work, never a match.
            Some(hash) if !hash.is_empty() => (Arc::<str>::from(hash), true),
            _ => (self.dummy_hash.clone(), false),
        };
        let verifications = self.verifications.clone();
        self.run(move |hasher| {
            verifications.inc();
            // The tag comparison inside is constant-time; a malformed stored hash never matches.
            let matches = hasher
                .verify_encoded(&hash, password.expose().as_bytes(), Algorithm::Argon2id)
                .is_ok();
            real && matches
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |hasher| {
            // The requester went away (the client hung up): 25 ms of a core saved for others.
            if answer.is_closed() {
                return;
            }
            let _ = answer.send(work(hasher));
        });
        self.jobs.try_send(job).map_err(|error| match error {
            flume::TrySendError::Full(_) => HashError::Busy,
            flume::TrySendError::Disconnected(_) => HashError::Task,
        })?;
        answered.await.map_err(|_| HashError::Task)
    }
}

/// A rule a new password broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    /// Shorter than `minLength`.
    TooShort(u32),
    /// Longer than `maxLength`.
    TooLong(u32),
    /// No lowercase letter.
    NeedsLowercase,
    /// No uppercase letter.
    NeedsUppercase,
    /// No digit.
    NeedsDigit,
    /// No symbol.
    NeedsSymbol,
    /// On the list of common passwords.
    Common,
    /// Contains the email address or its local part.
    ContainsEmail,
    /// Appears in a data breach (the local corpus or the range API knows it).
    Breached,
    /// The breach check could not answer and the tenant fails closed: try again later.
    BreachCheckUnavailable,
}

/// Checks a new password against the policy and the screen and, when those pass, the tenant's
/// breach sources (one network call at most, and only for a password that could be accepted).
pub async fn check_new_password(
    state: &crate::app::AppState,
    tenant: &crate::config::Tenant,
    password: &str,
    email: &str,
) -> Vec<PolicyViolation> {
    let mut violations = check_policy(
        &tenant.config.password_policy,
        state.password_screen.as_ref(),
        password,
        email,
    );
    if violations.is_empty() {
        match tenant.breached.screen(password, &state.metrics).await {
            crate::breached::Screening::Accepted => {}
            crate::breached::Screening::Breached => violations.push(PolicyViolation::Breached),
            crate::breached::Screening::Unavailable => violations.push(PolicyViolation::BreachCheckUnavailable),
        }
    }
    violations
}

/// Checks a new password against the policy and, when the policy rejects common passwords, the
/// `screen`; `email` guards against the obvious choice.
pub fn check_policy(
    policy: &PasswordPolicy,
    screen: &dyn PasswordScreen,
    password: &str,
    email: &str,
) -> Vec<PolicyViolation> {
    let length = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
    let mut violations = Vec::new();
    let mut require = |ok: bool, violation| {
        if !ok {
            violations.push(violation);
        }
    };
    require(
        length >= policy.min_length,
        PolicyViolation::TooShort(policy.min_length),
    );
    require(length <= policy.max_length, PolicyViolation::TooLong(policy.max_length));
    require(
        !policy.require_lowercase || password.chars().any(char::is_lowercase),
        PolicyViolation::NeedsLowercase,
    );
    require(
        !policy.require_uppercase || password.chars().any(char::is_uppercase),
        PolicyViolation::NeedsUppercase,
    );
    require(
        !policy.require_digit || password.chars().any(|c| c.is_ascii_digit()),
        PolicyViolation::NeedsDigit,
    );
    require(
        !policy.require_symbol || password.chars().any(|c| !c.is_alphanumeric()),
        PolicyViolation::NeedsSymbol,
    );
    require(
        !policy.reject_common || !screen.is_known(password),
        PolicyViolation::Common,
    );
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    require(
        local.len() < 4 || !password.to_lowercase().contains(&local),
        PolicyViolation::ContainsEmail,
    );
    violations
}

/// Whether `password` is on the common list (case-insensitively).
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::CommonPasswords;

    /// Occupies the only thread of `hasher` until the returned sender is dropped or sent to.
    async fn occupy(hasher: &PasswordHasher) -> std::sync::mpsc::Sender<()> {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let hasher = hasher.clone();
        tokio::spawn(async move {
            hasher
                .run(move |_| {
                    let _ = started.send(());
                    let _ = released.recv();
                })
                .await
        });
        running.await.unwrap();
        release
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let hasher = PasswordHasher::new(1, 1).unwrap();
        let release = occupy(&hasher).await;
        let queued = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.run(|_| 1).await }
        });
        while hasher.jobs.is_empty() {
            tokio::task::yield_now().await;
        }
        // Answered at once: a hasher that queued it instead would wait for the release.
        let answer = tokio::time::timeout(Duration::from_secs(5), hasher.run(|_| 2)).await;
        assert!(matches!(answer, Ok(Err(HashError::Busy))), "{answer:?}");
        drop(release);
        assert_eq!(queued.await.unwrap().unwrap(), 1);
        assert_eq!(hasher.run(|_| 3).await.unwrap(), 3, "room again once drained");
    }

    #[tokio::test]
    async fn a_job_whose_requester_went_away_is_skipped() {
        let hasher = PasswordHasher::new(1, 4).unwrap();
        let release = occupy(&hasher).await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let abandoned = {
            let (hasher, ran) = (hasher.clone(), ran.clone());
            tokio::spawn(async move {
                hasher
                    .run(move |_| ran.store(true, std::sync::atomic::Ordering::SeqCst))
                    .await
            })
        };
        while hasher.jobs.is_empty() {
            tokio::task::yield_now().await;
        }
        abandoned.abort();
        let _ = abandoned.await;
        drop(release);
        assert_eq!(hasher.run(|_| "after").await.unwrap(), "after");
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "the abandoned job was skipped"
        );
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = PasswordHasher::new(2, 8).unwrap();
        let password = SecretString::new("correct horse battery staple");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&SecretString::new("wrong"), Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&password, None).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_stored_by_the_earlier_argon2_crate_still_verify() {
        // Written by RustCrypto's `argon2` 0.6, which the IdP used before: accounts keep working.
        let stored =
            "$argon2id$v=19$m=19456,t=2,p=1$EAgNGeL6qb6uBvQuqE0/Qw$u0OxOXyHkOsxY5Y62X47g4u1pnEeJAT+J0nyy/5Luhk";
        let hasher = PasswordHasher::new(1, 8).unwrap();
        let password = SecretString::new("correct horse battery staple");
        assert!(hasher.verify(&password, Some(stored)).await.unwrap());
        assert!(
            !hasher
                .verify(&SecretString::new("correct horse"), Some(stored))
                .await
                .unwrap()
        );
        assert!(!hasher.verify(&password, Some("$argon2id$v=19$garbage")).await.unwrap());
    }

    #[tokio::test]
    async fn every_verification_run_is_counted_and_hashing_is_not() {
        let counter = Counter::default();
        let hasher = PasswordHasher::new(1, 8)
            .unwrap()
            .counting_verifications(counter.clone());
        let password = SecretString::new("correct horse battery staple");
        let hash = hasher.hash(&password).await.unwrap();
        assert_eq!(counter.get(), 0, "hashing a new password is not a verification");
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&SecretString::new("wrong"), Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&password, None).await.unwrap());
        assert_eq!(counter.get(), 3, "the dummy hash of an unknown account counts too");
    }

    #[tokio::test]
    async fn more_requests_than_threads_queue_and_all_get_answers() {
        let hasher = PasswordHasher::new(2, 8).unwrap();
        let password = SecretString::new("correct horse battery staple");
        let hash = hasher.hash(&password).await.unwrap();
        let checks = (0..6).map(|i| {
            let (hasher, hash) = (hasher.clone(), hash.clone());
            let candidate = SecretString::new(if i % 2 == 0 {
                "correct horse battery staple"
            } else {
                "wrong"
            });
            async move { hasher.verify(&candidate, Some(&hash)).await.unwrap() }
        });
        let answers = futures::future::join_all(checks).await;
        assert_eq!(answers, [true, false, true, false, true, false]);
    }

    #[test]
    fn policy_reports_every_violation() {
        let policy = PasswordPolicy {
            require_digit: true,
            require_uppercase: true,
            require_symbol: true,
            require_lowercase: true,
            ..PasswordPolicy::default()
        };
        let violations = check_policy(&policy, &CommonPasswords, "abc", "x@example.com");
        for expected in [
            PolicyViolation::TooShort(10),
            PolicyViolation::NeedsUppercase,
            PolicyViolation::NeedsDigit,
            PolicyViolation::NeedsSymbol,
        ] {
            assert!(violations.contains(&expected), "{violations:?}");
        }
        assert!(check_policy(&policy, &CommonPasswords, "Tr0ub4dor&3-horse", "x@example.com").is_empty());
    }

    #[test]
    fn common_passwords_and_the_email_are_refused() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            check_policy(&policy, &CommonPasswords, "password1234", "a@example.com"),
            vec![PolicyViolation::Common]
        );
        assert!(is_common("Password"));
        assert!(COMMON.len() >= 10_000);
        assert!(
            check_policy(
                &policy,
                &CommonPasswords,
                "myname-is-johnsmith",
                "johnsmith@example.com"
            )
            .contains(&PolicyViolation::ContainsEmail)
        );
    }
}
