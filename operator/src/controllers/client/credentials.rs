//! A confidential Client's secret: generated once, kept in the credentials Secret (the source of
//! truth, so it survives operator restarts), rotated on demand in two phases.
//!
//! A rotation first makes a pending secret, whose hash the Tenant adds to the served config
//! beside the current one; the application keeps reading the current secret. Only once the IdP
//! serves the pending hash does `clientSecret` switch to it, and the old secret keeps working
//! for the grace period from then on. The application is never handed a secret the IdP refuses.
//!
//! Pure: the live Secret, the rotation annotation, the grace period, whether the IdP serves a
//! hash, and `now` go in; the desired credentials and the instant they change next come out.
//! Randomness is passed in.

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
/// Key of the next client secret during a rotation, until the IdP accepts it.
pub const PENDING_SECRET_KEY: &str = "pendingClientSecret";

/// A client's secrets as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The current secret.
    pub secret: String,
    /// The next secret of a rotation, until the IdP serves its hash.
    pub pending: Option<String>,
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
    let pending = secret
        .data
        .as_ref()?
        .get(PENDING_SECRET_KEY)
        .and_then(|pending| String::from_utf8(pending.0.clone()).ok());
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
        pending,
        previous,
        rotated_for: annotations.get(ROTATED_FOR_ANNOTATION).cloned(),
    })
}

/// The credentials to store at `now`, and when they change next (the grace period's end).
/// `served` tells whether the IdP serves a hash.
pub fn plan(
    existing: Option<Credentials>,
    rotate: Option<&str>,
    grace: Duration,
    now: Timestamp,
    served: impl Fn(&str) -> bool,
    fresh: impl FnOnce() -> String,
) -> (Credentials, Option<Timestamp>) {
    let mut credentials = match existing {
        None => Credentials {
            secret: fresh(),
            pending: None,
            previous: None,
            rotated_for: rotate.map(str::to_owned),
        },
        // A new rotation starts (or replaces one the application never saw) with a pending secret.
        Some(existing) if rotate.is_some() && existing.rotated_for.as_deref() != rotate => Credentials {
            pending: Some(fresh()),
            rotated_for: rotate.map(str::to_owned),
            ..existing
        },
        Some(existing) => existing,
    };
    // The switch: only once the IdP accepts the pending secret does the application get it.
    if let Some(pending) = credentials.pending.take_if(|pending| served(&hash(pending))) {
        credentials.previous = Some(Previous {
            sha256: hash(&credentials.secret),
            expires: now.checked_add(grace.to_signed()).unwrap_or(Timestamp::MAX),
        });
        credentials.secret = pending;
    }
    if credentials.previous.as_ref().is_some_and(|p| now >= p.expires) {
        credentials.previous = None;
    }
    let next = credentials.previous.as_ref().map(|p| p.expires);
    (credentials, next)
}

/// The hashes the IdP accepts at `now`: the current secret, a rotation's pending one, and the
/// previous one until it expires.
pub fn hashes(credentials: &Credentials, now: Timestamp) -> Vec<ClientSecretHash> {
    let mut hashes = vec![ClientSecretHash::of(&credentials.secret, None)];
    if let Some(pending) = &credentials.pending {
        hashes.push(ClientSecretHash::of(pending, None));
    }
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

/// The lowercase hex SHA-256 of `secret`, as the config carries it.
pub fn hash(secret: &str) -> String {
    ClientSecretHash::of(secret, None).sha256
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    const GRACE: Duration = Duration::from_secs(60);

    fn nothing_served(_: &str) -> bool {
        false
    }

    #[test]
    fn a_secret_is_generated_once_and_then_kept() {
        let (first, next) = plan(None, None, GRACE, at(0), nothing_served, || "one".into());
        assert_eq!(first.secret, "one");
        assert_eq!(next, None);
        let (second, _) = plan(Some(first.clone()), None, GRACE, at(10), nothing_served, || {
            "two".into()
        });
        assert_eq!(second, first);
    }

    #[test]
    fn fresh_secrets_carry_256_bits() {
        let secret = fresh_secret();
        assert_eq!(URL_SAFE_NO_PAD.decode(&secret).unwrap().len(), 32);
        assert_ne!(secret, fresh_secret());
    }

    #[test]
    fn a_rotation_hands_out_the_new_secret_only_once_the_idp_serves_it() {
        let (first, _) = plan(None, None, GRACE, at(0), nothing_served, || "one".into());
        let (pending, next) = plan(Some(first), Some("r1"), GRACE, at(100), nothing_served, || "two".into());
        assert_eq!(
            pending.secret, "one",
            "the application keeps the secret the IdP accepts"
        );
        assert_eq!(pending.pending.as_deref(), Some("two"));
        assert_eq!(next, None);
        let both = hashes(&pending, at(100));
        assert_eq!(
            both,
            vec![ClientSecretHash::of("one", None), ClientSecretHash::of("two", None)]
        );

        let (waiting, _) = plan(
            Some(pending.clone()),
            Some("r1"),
            GRACE,
            at(110),
            nothing_served,
            || "x".into(),
        );
        assert_eq!(waiting, pending, "nothing moves until the IdP serves the new hash");

        let served = |sha: &str| sha == hash("two");
        let (switched, next) = plan(Some(pending), Some("r1"), GRACE, at(120), served, || "x".into());
        assert_eq!(switched.secret, "two");
        assert_eq!(switched.pending, None);
        assert_eq!(next, Some(at(180)), "the grace period runs from the switch");
        let during = hashes(&switched, at(179));
        assert_eq!(during[0], ClientSecretHash::of("two", None));
        assert_eq!(during[1].sha256, hash("one"));
        assert_eq!(during[1].expires, Some(at(180)));

        let (after, next) = plan(Some(switched), Some("r1"), GRACE, at(180), served, || "x".into());
        assert_eq!(after.secret, "two", "the same annotation value rotates only once");
        assert_eq!(after.previous, None);
        assert_eq!(next, None);
        assert_eq!(hashes(&after, at(180)).len(), 1);
    }

    #[test]
    fn a_new_rotation_before_the_switch_replaces_the_pending_secret() {
        let (first, _) = plan(None, None, GRACE, at(0), nothing_served, || "one".into());
        let (pending, _) = plan(Some(first), Some("r1"), GRACE, at(1), nothing_served, || "two".into());
        let (again, _) = plan(Some(pending), Some("r2"), GRACE, at(2), nothing_served, || {
            "three".into()
        });
        assert_eq!(
            (again.secret.as_str(), again.pending.as_deref()),
            ("one", Some("three"))
        );
        assert_eq!(again.rotated_for.as_deref(), Some("r2"));
    }

    #[test]
    fn an_annotation_present_at_creation_is_no_rotation() {
        let (first, next) = plan(None, Some("r0"), GRACE, at(0), nothing_served, || "one".into());
        assert_eq!((first.pending, first.previous, next), (None, None, None));
        assert_eq!(first.rotated_for.as_deref(), Some("r0"));
    }

    #[test]
    fn credentials_round_trip_through_a_secret() {
        let credentials = Credentials {
            secret: "one".into(),
            pending: Some("two".into()),
            previous: Some(Previous {
                sha256: hash("zero"),
                expires: at(5),
            }),
            rotated_for: Some("x".into()),
        };
        let bytes = |text: &str| k8s_openapi::ByteString(text.as_bytes().to_vec());
        let secret = Secret {
            metadata: kube::api::ObjectMeta {
                annotations: Some(annotations(&credentials)),
                ..Default::default()
            },
            data: Some(
                [
                    (CLIENT_SECRET_KEY.to_owned(), bytes("one")),
                    (PENDING_SECRET_KEY.to_owned(), bytes("two")),
                ]
                .into(),
            ),
            ..Default::default()
        };
        assert_eq!(read(&secret), Some(credentials));
    }
}
