//! The provider's signing keys (JWKS), cached, refetched when a token names an unknown key
//! (rotation), at most once per [`REFETCH_INTERVAL`] so forged `kid`s cannot flood the provider.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;
use url::Url;

use super::error::UpstreamError;
use super::http::{Call, UpstreamHttp};

/// The shortest time between two fetches of the key set.
const REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Keys are fetched again after this long even when every `kid` is known.
const REFRESH_AFTER: Duration = Duration::from_secs(24 * 3600);

const OPERATION: &str = "jwks";

#[derive(Debug)]
struct Cached {
    uri: Url,
    set: Vec<Jwk>,
    fetched: Instant,
    /// When a token last named a key the set lacked and the set was fetched again.
    missed: Option<Instant>,
}

#[derive(serde::Deserialize)]
struct KeySetDocument {
    keys: Vec<serde_json::Value>,
}

/// One provider's key set.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    cached: Mutex<Option<Cached>>,
}

impl KeyCache {
    /// The key that verifies a token with `kid` and `alg`, fetching the set when it is absent,
    /// old, or lacks the key (rotation), but not twice for missing keys within the interval.
    pub async fn key(
        &self,
        http: &UpstreamHttp,
        uri: &Url,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, UpstreamError> {
        let mut cached = self.cached.lock().await;
        let usable = cached
            .as_ref()
            .filter(|cached| &cached.uri == uri && cached.fetched.elapsed() < REFRESH_AFTER);
        if let Some(jwk) = usable.and_then(|cached| find(&cached.set, kid, alg)) {
            return decoding(jwk);
        }
        let missed_recently = usable
            .and_then(|cached| cached.missed)
            .is_some_and(|missed| missed.elapsed() < REFETCH_INTERVAL);
        if !missed_recently {
            let document: KeySetDocument = http.json(OPERATION, Call::get(uri.clone())).await?;
            // A key of a type we cannot read (a future kty) must not hide the others.
            let set = document
                .keys
                .into_iter()
                .filter_map(|key| serde_json::from_value(key).ok())
                .collect();
            // A fetch caused by a missing key counts against the interval; the first one does not.
            let missed = usable.is_some().then(Instant::now);
            *cached = Some(Cached {
                uri: uri.clone(),
                set,
                fetched: Instant::now(),
                missed,
            });
        }
        let jwk = cached
            .as_ref()
            .and_then(|cached| find(&cached.set, kid, alg))
            .ok_or_else(|| {
                UpstreamError::id_token(format!("no signing key {} for {alg:?}", kid.unwrap_or("(no kid)")))
            })?;
        decoding(jwk)
    }
}

/// The key named `kid`, or without a `kid` the only key that fits; never an encryption key.
fn find<'a>(set: &'a [Jwk], kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let mut fitting = set.iter().filter(|jwk| {
        let signing = !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
        let alg_fits = jwk
            .common
            .key_algorithm
            .is_none_or(|key_alg| format!("{key_alg:?}") == format!("{alg:?}"));
        let kid_fits = kid.is_none_or(|kid| jwk.common.key_id.as_deref() == Some(kid));
        signing && alg_fits && kid_fits
    });
    let first = fitting.next()?;
    // Without a kid, several candidate keys would make the choice arbitrary.
    if kid.is_none() && fitting.next().is_some() {
        return None;
    }
    Some(first)
}

fn decoding(jwk: &Jwk) -> Result<DecodingKey, UpstreamError> {
    DecodingKey::from_jwk(jwk).map_err(|error| UpstreamError::Malformed {
        operation: OPERATION,
        reason: error.to_string(),
    })
}
