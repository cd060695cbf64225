//! Passwords: argon2id hashing off the async runtime on a bounded pool, and the policy new
//! passwords must meet.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;
use vestibule_crds::SecretString;
use vestibule_crds::v1alpha1::PasswordPolicy;

/// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// The most common passwords (from the zxcvbn project's frequency lists), one per line.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../assets/common-passwords.txt").lines().collect());

/// Why hashing failed (never because of the password's content).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The argon2 library refused.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The blocking task died.
    #[error("password hashing task failed")]
    Task,
}

/// Hashes and verifies passwords with argon2id on tokio's blocking threads, at most `permits`
/// at a time: a burst of sign-ins queues instead of allocating 19 MiB per request unbounded.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|error| HashError::Argon2(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &[u8]) -> Result<String, HashError> {
    argon2()?
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|error| HashError::Argon2(error.to_string()))
}

impl PasswordHasher {
    /// A hasher running at most `parallelism` hashes at once (one per core is the sweet spot).
    pub fn new(parallelism: usize) -> Result<Self, HashError> {
        // Verifying against this hash costs the same as a real one, so unknown accounts answer
        // as slowly as known ones (no account enumeration by timing).
        let dummy_hash = hash_now(crate::random::token().as_bytes())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The PHC string of a new hash of `password`.
    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let password = password.clone();
        self.run(move || hash_now(password.expose().as_bytes())).await?
    }

    /// Whether `password` matches the PHC string `hash`; with `None`, spends the same time and
    /// answers false.
    pub async fn verify(&self, password: &SecretString, hash: Option<&str>) -> Result<bool, HashError> {
        let password = password.clone();
        let (hash, real) = match hash {
            Some(hash) => (Arc::<str>::from(hash), true),
            None => (self.dummy_hash.clone(), false),
        };
        self.run(move || Ok(real && argon2()?.verify_password(password.expose().as_bytes(), &*hash).is_ok()))
            .await?
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Task)?;
        tokio::task::spawn_blocking(work).await.map_err(|_| HashError::Task)
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
}

/// Checks a new password against the policy; `email` guards against the obvious choice.
pub fn check_policy(policy: &PasswordPolicy, password: &str, email: &str) -> Vec<PolicyViolation> {
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
    require(!policy.reject_common || !is_common(password), PolicyViolation::Common);
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

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = PasswordHasher::new(2).unwrap();
        let password = SecretString::new("correct horse battery staple");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&SecretString::new("wrong"), Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&password, None).await.unwrap());
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
        let violations = check_policy(&policy, "abc", "x@example.com");
        for expected in [
            PolicyViolation::TooShort(10),
            PolicyViolation::NeedsUppercase,
            PolicyViolation::NeedsDigit,
            PolicyViolation::NeedsSymbol,
        ] {
            assert!(violations.contains(&expected), "{violations:?}");
        }
        assert!(check_policy(&policy, "Tr0ub4dor&3-horse", "x@example.com").is_empty());
    }

    #[test]
    fn common_passwords_and_the_email_are_refused() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            check_policy(&policy, "password1234", "a@example.com"),
            vec![PolicyViolation::Common]
        );
        assert!(is_common("Password"));
        assert!(COMMON.len() >= 10_000);
        assert!(
            check_policy(&policy, "myname-is-johnsmith", "johnsmith@example.com")
                .contains(&PolicyViolation::ContainsEmail)
        );
    }
}
