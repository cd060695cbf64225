//! The physical limit of password sign-ins: how many argon2id verifications per second the
//! machine does with the IdP's parameters, with the `argon2-rust` crate the IdP uses (one pooled
//! arena per thread, as the IdP's hashing threads keep), on one thread and on every core at once.

use std::time::{Duration, Instant};

use argon2_rust::Algorithm;
use vestibule_crds::v1alpha1::SigningAlgorithm;
use vestibule_idp::signing::Signer;

use super::BenchError;
use super::fixture::{Fixture, argon2};

/// Verifications per second, and what the two signatures of a sign-in cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limit {
    /// Milliseconds of one core per RS256 signature (an ID token), with the IdP's signer.
    pub rs256_ms: f64,
    /// Milliseconds of one core per EdDSA signature (an access token), with the IdP's signer.
    pub eddsa_ms: f64,
    /// One thread alone: the rate of one fully used core.
    pub one_thread: f64,
    /// One thread per core, all at once.
    pub all_cores: f64,
    /// How many threads ran in the second measurement.
    pub threads: usize,
}

impl Limit {
    /// Verifications per second per core when every core hashes.
    pub fn per_core(&self) -> f64 {
        self.all_cores / self.threads.max(1) as f64
    }
}

/// Verifies the fixture's password in a loop for `duration`; returns how many it did.
fn verify_for(hash: String, password: String, duration: Duration) -> Result<u64, BenchError> {
    let mut hasher = argon2()?.hasher();
    let deadline = Instant::now() + duration;
    let mut count = 0;
    while Instant::now() < deadline {
        hasher
            .verify_encoded(&hash, password.as_bytes(), Algorithm::Argon2id)
            .map_err(|e| BenchError::setup("verifying the bench password", e))?;
        count += 1;
    }
    Ok(count)
}

/// `threads` threads verifying for `duration`; verifications per second, all threads together.
async fn rate(fixture: &Fixture, threads: usize, duration: Duration) -> Result<f64, BenchError> {
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..threads {
        let (hash, password) = (fixture.password_hash.clone(), fixture.password.clone());
        handles.push(tokio::task::spawn_blocking(move || {
            verify_for(hash, password, duration)
        }));
    }
    let mut total = 0;
    for handle in handles {
        total += handle.await.map_err(|e| BenchError::setup("an argon2 thread", e))??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Milliseconds per signature of `alg` with the IdP's own signer and the fixture's keys, on one
/// thread for `duration`.
fn signature_ms(fixture: &Fixture, alg: SigningAlgorithm, duration: Duration) -> Result<f64, BenchError> {
    let signer = Signer::new(&fixture.keys, &[alg]).map_err(|e| BenchError::setup("the IdP's signer", e))?;
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1", "sub": "u0001", "aud": "web", "exp": 2_000_000_000_i64,
        "iat": 1_700_000_000_i64, "nonce": "n-0S6_WzA2Mj", "email": "customer0001@bench.example.com",
    });
    let started = Instant::now();
    let mut count = 0_u32;
    while started.elapsed() < duration {
        signer
            .sign(alg, "JWT", &claims)
            .map_err(|e| BenchError::setup("a signature", e))?;
        count += 1;
    }
    Ok(started.elapsed().as_secs_f64() * 1e3 / f64::from(count.max(1)))
}

/// Measures both rates, `duration` each, and the signature costs.
pub async fn measure(fixture: &Fixture, cores: usize, duration: Duration) -> Result<Limit, BenchError> {
    let second = Duration::from_secs(1);
    Ok(Limit {
        one_thread: rate(fixture, 1, duration).await?,
        all_cores: rate(fixture, cores, duration).await?,
        threads: cores,
        rs256_ms: signature_ms(fixture, SigningAlgorithm::Rs256, second)?,
        eddsa_ms: signature_ms(fixture, SigningAlgorithm::EdDsa, second)?,
    })
}
