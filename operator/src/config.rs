//! The operator's settings, parsed from flags by `main` or set directly by tests.

use std::net::SocketAddr;
use std::time::Duration;

/// Everything the operator is told; no globals, passed in the [`crate::Context`].
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// The IdP image for Tenants without `spec.image`.
    pub idp_image: String,
    /// Namespaces to watch and act in; empty means every namespace.
    pub namespaces: Vec<String>,
    /// Where `/metrics` and `/healthz` listen; `None` serves nothing (tests).
    pub listen: Option<SocketAddr>,
    /// Leader election; `None` acts at once (a single replica, or tests).
    pub leader_election: Option<LeaderElection>,
    /// How often a Tenant that is not Ready yet asks its pods which config they serve.
    pub readiness_poll: Duration,
    /// How often a settled object is reconciled anyway, to catch what no watch reports.
    pub resync: Duration,
    /// How long a failed reconcile waits before its first retry; each further failure of the
    /// same object doubles the wait, up to `max_backoff`.
    pub error_backoff: Duration,
    /// The longest wait between retries of a failing object.
    pub max_backoff: Duration,
    /// How long a retired signing key stays published beyond the longest token lifetime: the
    /// time a new config takes to reach every pod, plus the JWKS cache lifetime.
    pub key_retention_margin: Duration,
    /// Port the IdP serves the issuer's routes on in each pod (the Service's target).
    pub idp_port: u16,
    /// Port of the IdP's admin listener in each pod: `/readyz` (read by the readiness check and
    /// the probes) and `/metrics`. No Service or Ingress exposes it.
    pub idp_admin_port: u16,
    /// Networks of the proxies in front of every IdP (the ingress controller's pods), passed as
    /// `--trusted-proxies`: only their `X-Forwarded-For` is believed. Empty: none is.
    pub idp_trusted_proxies: Vec<String>,
    /// Name reported in Events (`reportingController`).
    pub controller_name: String,
    /// This replica's identity (pod name), reported in Events and held in the Lease.
    pub instance: String,
    /// How many Tenants roll to a changed default IdP image at once.
    pub max_concurrent_rollouts: usize,
}

impl OperatorConfig {
    /// Defaults for an operator running `idp_image`.
    pub fn new(idp_image: impl Into<String>) -> Self {
        Self {
            idp_image: idp_image.into(),
            namespaces: Vec::new(),
            listen: None,
            leader_election: None,
            readiness_poll: Duration::from_secs(10),
            resync: Duration::from_secs(600),
            error_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
            // A retired key may still sign until the new config reaches the pods (the kubelet
            // syncs Secret volumes within about two minutes: its sync period plus its cache
            // TTL), and verifiers keep the JWKS for the IdP's `Cache-Control: max-age=300`.
            // Ten minutes covers both with room to spare.
            key_retention_margin: Duration::from_secs(600),
            idp_port: 8080,
            idp_admin_port: 9090,
            idp_trusted_proxies: Vec::new(),
            controller_name: "vestibule.dev/operator".into(),
            instance: "vestibule-operator".into(),
            max_concurrent_rollouts: 5,
        }
    }

    /// The default IdP image: the one matching this operator's version.
    pub fn default_idp_image() -> String {
        format!("ghcr.io/vestibule-dev/vestibule-idp:{}", env!("CARGO_PKG_VERSION"))
    }
}

/// Where the Lease lives and how it is held.
#[derive(Clone, Debug)]
pub struct LeaderElection {
    /// Namespace of the Lease (the operator's own).
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// How long a Lease stays valid without renewal, as other replicas judge it on their own
    /// clocks from the moment they saw it change.
    pub lease_duration: Duration,
    /// How long the leader keeps acting without a successful renewal; shorter than
    /// `lease_duration`, so it stops before anyone else may start.
    pub renew_deadline: Duration,
    /// How often the leader renews the Lease.
    pub renew_interval: Duration,
    /// How often a follower checks whether it can take over.
    pub retry_interval: Duration,
    /// The longest any one Lease request may take.
    pub call_timeout: Duration,
}

impl LeaderElection {
    /// The defaults for a Lease `name` in `namespace` (those of Kubernetes' own controllers):
    /// 15s validity, a 10s renew deadline, renewals and retries every 2s, 2s per request.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            renew_interval: Duration::from_secs(2),
            retry_interval: Duration::from_secs(2),
            call_timeout: Duration::from_secs(2),
        }
    }
}
