//! Leader election over a `coordination.k8s.io/v1` Lease, built so that two replicas never act
//! at once:
//!
//! - the leader stops acting once `renew_deadline` has passed since the start of its last
//!   successful renewal, and that deadline is shorter than the Lease's duration;
//! - a follower takes over only after it has seen the Lease unchanged for the Lease's duration,
//!   judged on its own monotonic clock from the moment it saw the last change, never by
//!   comparing another machine's timestamps with its own wall clock;
//! - every Lease request is bounded by `call_timeout`;
//! - writes carry the Lease's resourceVersion, so of two contenders exactly one wins.
//!
//! The leader's last renewal started before the follower saw it, so the leader's deadline ends
//! at least `lease_duration - renew_deadline` before the follower may start.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, ResourceExt};

use crate::config::LeaderElection;

/// Why the Lease could not be read or written (a lost race is not an error).
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// Reading the Lease failed.
    #[error("reading Lease {namespace}/{name} failed: {source}")]
    Read {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Cause.
        source: kube::Error,
    },
    /// Writing the Lease failed.
    #[error("writing Lease {namespace}/{name} failed: {source}")]
    Write {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Cause.
        source: kube::Error,
    },
    /// A Lease request took longer than `call_timeout`.
    #[error("{operation} Lease {namespace}/{name} timed out after {timeout:?}")]
    Timeout {
        /// `reading` or `writing`.
        operation: &'static str,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// The limit.
        timeout: Duration,
    },
}

/// The Lease as last seen by this replica: its version and when the version last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    /// The Lease's resourceVersion.
    pub version: String,
    /// When this replica first saw that version (its monotonic clock).
    pub since: Instant,
}

/// Whether a Lease held by another replica may be taken over at `now`: only once it has been
/// seen unchanged for its whole duration. Updates `seen` with this sighting.
pub fn may_take_over(seen: &mut Option<Sighting>, version: &str, duration: Duration, now: Instant) -> bool {
    match seen {
        Some(sighting) if sighting.version == version => now.duration_since(sighting.since) >= duration,
        _ => {
            *seen = Some(Sighting {
                version: version.to_owned(),
                since: now,
            });
            false
        }
    }
}

/// One replica's side of the election.
pub struct LeaderElector {
    api: Api<Lease>,
    settings: LeaderElection,
    identity: String,
    seen: Mutex<Option<Sighting>>,
}

impl LeaderElector {
    /// An elector for `identity` (the pod name).
    pub fn new(client: kube::Client, settings: LeaderElection, identity: impl Into<String>) -> Self {
        Self {
            api: Api::namespaced(client, &settings.namespace),
            settings,
            identity: identity.into(),
            seen: Mutex::new(None),
        }
    }

    /// The Lease settings.
    pub fn settings(&self) -> &LeaderElection {
        &self.settings
    }

    /// Acquires the Lease if it is free or has expired, renews it if held: `true` while leading.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, LeaderError> {
        let Some(mut lease) = self.read().await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.settings.name.clone()),
                    namespace: Some(self.settings.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.held_spec(Timestamp::now(), 0)),
            };
            return self.won(
                self.bounded("writing", self.api.create(&PostParams::default(), &lease))
                    .await,
            );
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let transitions = spec.lease_transitions.unwrap_or(0);
        match spec.holder_identity.as_deref() {
            Some(holder) if holder == self.identity => {
                let acquired = spec.acquire_time.map_or_else(Timestamp::now, |t| t.0);
                lease.spec = Some(self.held_spec(acquired, transitions));
            }
            Some(holder) if !holder.is_empty() && !self.expired(&lease, &spec) => return Ok(false),
            _ => lease.spec = Some(self.held_spec(Timestamp::now(), transitions + 1)),
        }
        // The resourceVersion read above makes this write fail if anyone wrote in between.
        let params = PostParams::default();
        let replace = self.api.replace(&self.settings.name, &params, &lease);
        self.won(self.bounded("writing", replace).await)
    }

    /// Gives the Lease up if this replica holds it, so a successor need not wait for expiry.
    pub async fn release(&self) -> Result<(), LeaderError> {
        let Some(mut lease) = self.read().await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else { return Ok(()) };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        let params = PostParams::default();
        let replace = self.api.replace(&self.settings.name, &params, &lease);
        self.won(self.bounded("writing", replace).await).map(|_| ())
    }

    fn expired(&self, lease: &Lease, spec: &LeaseSpec) -> bool {
        let seconds = spec.lease_duration_seconds.and_then(|s| u64::try_from(s).ok());
        let duration = seconds.map_or(self.settings.lease_duration, Duration::from_secs);
        let version = lease.resource_version().unwrap_or_default();
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        may_take_over(&mut seen, &version, duration, Instant::now())
    }

    async fn read(&self) -> Result<Option<Lease>, LeaderError> {
        self.bounded("reading", self.api.get_opt(&self.settings.name))
            .await?
            .map_err(|source| LeaderError::Read {
                namespace: self.settings.namespace.clone(),
                name: self.settings.name.clone(),
                source,
            })
    }

    /// `request` within `call_timeout`.
    async fn bounded<T>(
        &self,
        operation: &'static str,
        request: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<Result<T, kube::Error>, LeaderError> {
        tokio::time::timeout(self.settings.call_timeout, request)
            .await
            .map_err(|_| LeaderError::Timeout {
                operation,
                namespace: self.settings.namespace.clone(),
                name: self.settings.name.clone(),
                timeout: self.settings.call_timeout,
            })
    }

    fn held_spec(&self, acquired: Timestamp, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: i32::try_from(self.settings.lease_duration.as_secs()).ok(),
            acquire_time: Some(MicroTime(acquired)),
            renew_time: Some(MicroTime(Timestamp::now())),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    // A conflict means another replica wrote first: not leading, not an error.
    fn won<T>(&self, result: Result<Result<T, kube::Error>, LeaderError>) -> Result<bool, LeaderError> {
        match result? {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(source) => Err(LeaderError::Write {
                namespace: self.settings.namespace.clone(),
                name: self.settings.name.clone(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_may_be_taken_over_only_after_a_full_duration_unchanged_on_the_local_clock() {
        let start = Instant::now();
        let duration = Duration::from_secs(15);
        let mut seen = None;
        assert!(!may_take_over(&mut seen, "1", duration, start), "first sighting");
        assert!(!may_take_over(
            &mut seen,
            "1",
            duration,
            start + Duration::from_secs(14)
        ));
        // A renewal (a new version) restarts the wait from when it was seen.
        assert!(!may_take_over(
            &mut seen,
            "2",
            duration,
            start + Duration::from_secs(14)
        ));
        assert!(!may_take_over(
            &mut seen,
            "2",
            duration,
            start + Duration::from_secs(28)
        ));
        assert!(may_take_over(&mut seen, "2", duration, start + Duration::from_secs(29)));
    }

    #[test]
    fn the_default_renew_deadline_ends_before_the_lease_expires() {
        let settings = LeaderElection::new("ns", "lease");
        assert!(settings.renew_deadline < settings.lease_duration);
        assert!(settings.call_timeout <= settings.renew_interval);
    }
}
