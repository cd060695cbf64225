//! Leader election over a `coordination.k8s.io/v1` Lease, so two operator replicas never both
//! act. The holder renews the Lease; another replica takes it over only once it has expired.
//! Writes use the Lease's resourceVersion, so of two contenders exactly one wins.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::{ObjectMeta, PostParams};

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
}

/// One replica's side of the election.
pub struct LeaderElector {
    api: Api<Lease>,
    settings: LeaderElection,
    identity: String,
}

impl LeaderElector {
    /// An elector for `identity` (the pod name).
    pub fn new(client: kube::Client, settings: LeaderElection, identity: impl Into<String>) -> Self {
        Self {
            api: Api::namespaced(client, &settings.namespace),
            settings,
            identity: identity.into(),
        }
    }

    /// The Lease settings.
    pub fn settings(&self) -> &LeaderElection {
        &self.settings
    }

    /// Acquires the Lease if it is free or expired, renews it if held: `true` while leading.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, LeaderError> {
        let now = Timestamp::now();
        let Some(mut lease) = self.api.get_opt(&self.settings.name).await.map_err(|e| self.read(e))? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.settings.name.clone()),
                    namespace: Some(self.settings.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.held_spec(now, now, 0)),
            };
            return self.write(self.api.create(&PostParams::default(), &lease).await);
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref();
        if holder == Some(self.identity.as_str()) {
            let acquired = spec.acquire_time.map_or(now, |t| t.0);
            lease.spec = Some(self.held_spec(acquired, now, spec.lease_transitions.unwrap_or(0)));
        } else if holder.is_none_or(str::is_empty) || expired(&spec, now) {
            lease.spec = Some(self.held_spec(now, now, spec.lease_transitions.unwrap_or(0) + 1));
        } else {
            return Ok(false);
        }
        self.write(
            self.api
                .replace(&self.settings.name, &PostParams::default(), &lease)
                .await,
        )
    }

    /// Gives the Lease up if this replica holds it, so a successor need not wait for expiry.
    pub async fn release(&self) -> Result<(), LeaderError> {
        let Some(mut lease) = self.api.get_opt(&self.settings.name).await.map_err(|e| self.read(e))? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else { return Ok(()) };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        self.write(
            self.api
                .replace(&self.settings.name, &PostParams::default(), &lease)
                .await,
        )
        .map(|_| ())
    }

    fn held_spec(&self, acquired: Timestamp, now: Timestamp, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: i32::try_from(self.settings.lease_duration.as_secs()).ok(),
            acquire_time: Some(MicroTime(acquired)),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    fn read(&self, source: kube::Error) -> LeaderError {
        LeaderError::Read {
            namespace: self.settings.namespace.clone(),
            name: self.settings.name.clone(),
            source,
        }
    }

    // A conflict means another replica wrote first: not leading, not an error.
    fn write<T>(&self, result: Result<T, kube::Error>) -> Result<bool, LeaderError> {
        match result {
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

/// Whether the Lease's holder let it lapse.
pub fn expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    let Some(renewed) = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()) else {
        return true;
    };
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(0)));
    renewed.0.checked_add(duration).unwrap_or(Timestamp::MAX) < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_expires_after_its_duration_without_renewal() {
        let renewed = Timestamp::from_second(100).unwrap();
        let spec = LeaseSpec {
            holder_identity: Some("a".into()),
            lease_duration_seconds: Some(15),
            renew_time: Some(MicroTime(renewed)),
            ..LeaseSpec::default()
        };
        assert!(!expired(&spec, Timestamp::from_second(115).unwrap()));
        assert!(expired(&spec, Timestamp::from_second(116).unwrap()));
        assert!(expired(&LeaseSpec::default(), renewed));
    }
}
