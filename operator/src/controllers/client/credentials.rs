//! A confidential Client's secret: generated once, kept in the credentials Secret (the source of
//! truth, so it survives operator restarts), rotated on demand with a grace period for the old one.
//!
//! Pure: the live Secret, the rotation annotation, the grace period and `now` go in, the desired
//! credentials and the instant they change next come out. Randomness is passed in.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Secret;
use rand::Rng;
use vestibule_crds::Duration;
use vestibule_crds::config::ClientSecretHash;

use crate::names::{PREVIOUS_EXPIRES_ANNOTATION, PREVIOUS_HASH_ANNOTATION, ROTATED_FOR_ANNOTATION};

/// Key of the client secret in the credentials Secret.
pub const CLIENT_SECRET_KEY: &str = "clientSecret";

/// A client's secrets as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The current secret.
    pub secret: String,
    /// The previous secret's hash and expiry, during a rotation's grace period.
    pub previous: Option<Previous>,
    /// The rotation annotation value already handled.
    pub rotated_for: Option<String>,
}

/// A rotated-out secret that still works until `expires`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Previous {
    /// Lowercase hex SHA-256 of the previous secret.
    pub sha256: String,
    /// When it stops working.
    pub expires: Timestamp,
}

/// 256 bits from the operating system's generator, base64url without padding.
pub fn fresh_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The credentials stored in `secret`, if it holds a client secret.
pub fn read(secret: &Secret) -> Option<Credentials> {
    let value = secret.data.as_ref()?.get(CLIENT_SECRET_KEY)?;
    let value = String::from_utf8(value.0.clone()).ok()?;
    let annotations = secret.metadata.annotations.clone().unwrap_or_default();
    let previous = match (
        annotations.get(PREVIOUS_HASH_ANNOTATION),
        annotations
            .get(PREVIOUS_EXPIRES_ANNOTATION)
            .and_then(|t| t.parse().ok()),
    ) {
        (Some(sha256), Some(expires)) => Some(Previous {
            sha256: sha256.clone(),
            expires,
        }),
        _ => None,
    };
    Some(Credentials {
        secret: value,
        previous,
        rotated_for: annotations.get(ROTATED_FOR_ANNOTATION).cloned(),
    })
}

/// The credentials to store at `now`, and when they change next (the grace period's end).
pub fn plan(
    existing: Option<Credentials>,
    rotate: Option<&str>,
    grace: Duration,
    now: Timestamp,
    fresh: impl FnOnce() -> String,
) -> (Credentials, Option<Timestamp>) {
    let mut credentials = match existing {
        None => Credentials {
            secret: fresh(),
            previous: None,
            rotated_for: rotate.map(str::to_owned),
        },
        Some(existing) if rotate.is_some() && existing.rotated_for.as_deref() != rotate => Credentials {
            previous: Some(Previous {
                sha256: hash(&existing.secret),
                expires: now.checked_add(grace.to_signed()).unwrap_or(Timestamp::MAX),
            }),
            secret: fresh(),
            rotated_for: rotate.map(str::to_owned),
        },
        Some(existing) => existing,
    };
    if credentials.previous.as_ref().is_some_and(|p| now >= p.expires) {
        credentials.previous = None;
    }
    let next = credentials.previous.as_ref().map(|p| p.expires);
    (credentials, next)
}

/// The hashes the IdP accepts at `now`: the current secret, and the previous one until it expires.
pub fn hashes(credentials: &Credentials, now: Timestamp) -> Vec<ClientSecretHash> {
    let mut hashes = vec![ClientSecretHash::of(&credentials.secret, None)];
    if let Some(previous) = credentials.previous.as_ref().filter(|p| now < p.expires) {
        hashes.push(ClientSecretHash {
            sha256: previous.sha256.clone(),
            expires: Some(previous.expires),
        });
    }
    hashes
}

/// The rotation bookkeeping as annotations of the credentials Secret.
pub fn annotations(credentials: &Credentials) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    if let Some(value) = &credentials.rotated_for {
        annotations.insert(ROTATED_FOR_ANNOTATION.to_owned(), value.clone());
    }
    if let Some(previous) = &credentials.previous {
        annotations.insert(PREVIOUS_HASH_ANNOTATION.to_owned(), previous.sha256.clone());
        annotations.insert(PREVIOUS_EXPIRES_ANNOTATION.to_owned(), previous.expires.to_string());
    }
    annotations
}

fn hash(secret: &str) -> String {
    ClientSecretHash::of(secret, None).sha256
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    const GRACE: Duration = Duration::from_secs(60);

    #[test]
    fn a_secret_is_generated_once_and_then_kept() {
        let (first, next) = plan(None, None, GRACE, at(0), || "one".into());
        assert_eq!(first.secret, "one");
        assert_eq!(next, None);
        let (second, _) = plan(Some(first.clone()), None, GRACE, at(10), || "two".into());
        assert_eq!(second, first);
    }

    #[test]
    fn fresh_secrets_carry_256_bits() {
        let secret = fresh_secret();
        assert_eq!(URL_SAFE_NO_PAD.decode(&secret).unwrap().len(), 32);
        assert_ne!(secret, fresh_secret());
    }

    #[test]
    fn a_rotation_keeps_the_old_hash_for_the_grace_period_then_drops_it() {
        let (first, _) = plan(None, None, GRACE, at(0), || "one".into());
        let (rotated, next) = plan(Some(first), Some("r1"), GRACE, at(100), || "two".into());
        assert_eq!(rotated.secret, "two");
        assert_eq!(rotated.rotated_for.as_deref(), Some("r1"));
        assert_eq!(next, Some(at(160)));
        let during = hashes(&rotated, at(159));
        assert_eq!(during.len(), 2);
        assert_eq!(during[1].sha256, hash("one"));
        assert_eq!(during[1].expires, Some(at(160)));

        let (again, _) = plan(Some(rotated.clone()), Some("r1"), GRACE, at(120), || "three".into());
        assert_eq!(again.secret, "two", "the same annotation value rotates only once");
        let (after, next) = plan(Some(rotated), Some("r1"), GRACE, at(160), || "three".into());
        assert_eq!(after.previous, None);
        assert_eq!(next, None);
        assert_eq!(hashes(&after, at(160)).len(), 1);
    }

    #[test]
    fn an_annotation_present_at_creation_is_no_rotation() {
        let (first, next) = plan(None, Some("r0"), GRACE, at(0), || "one".into());
        assert_eq!(first.previous, None);
        assert_eq!(next, None);
        assert_eq!(first.rotated_for.as_deref(), Some("r0"));
    }

    #[test]
    fn credentials_round_trip_through_a_secret() {
        let (credentials, _) = plan(
            Some(Credentials {
                secret: "one".into(),
                previous: None,
                rotated_for: None,
            }),
            Some("x"),
            GRACE,
            at(5),
            || "two".into(),
        );
        let secret = Secret {
            metadata: kube::api::ObjectMeta {
                annotations: Some(annotations(&credentials)),
                ..Default::default()
            },
            data: Some([(CLIENT_SECRET_KEY.to_owned(), k8s_openapi::ByteString(b"two".to_vec()))].into()),
            ..Default::default()
        };
        assert_eq!(read(&secret), Some(credentials));
    }
}
