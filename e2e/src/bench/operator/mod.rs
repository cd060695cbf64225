//! The operator at scale on the local control plane: a Tenant with many Clients applied at once,
//! the steady state after (API writes counted from the API server's audit log), and how fast a
//! Client change reaches the IdP.

pub mod audit;
pub mod changes;
pub mod scale;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::Api;
use kube::api::PostParams;
use vestibule_crds::v1alpha1::{Client, Tenant};

use self::changes::Changes;
use self::scale::Settled;
use super::{BenchError, procfs};
use crate::control_plane::{ControlPlaneOptions, LocalControlPlane, free_port};
use crate::environment::{Environment, OPERATOR_PROCESS};
use crate::kubeconfig;

/// The namespace the bench Tenant and Clients live in.
pub const NAMESPACE: &str = "bench";

/// The running installation.
pub struct Cluster {
    /// etcd, kube-apiserver (with the audit policy), kube-controller-manager.
    pub plane: LocalControlPlane,
    /// The chart, the operator, the node, the gateway.
    pub env: Environment,
    /// An admin client.
    pub client: kube::Client,
    /// The bench Tenant's issuer (a gateway port).
    pub issuer: String,
    /// The operator's process id.
    pub operator_pid: u32,
    /// When the Tenant (without Clients) became Ready, seconds after it was created.
    pub tenant_ready_seconds: f64,
}

impl Cluster {
    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    fn audit_writes(&self) -> Vec<audit::Write> {
        self.plane.audit_log().map(audit::writes).unwrap_or_default()
    }
}

fn operator_error(what: &str) -> impl Fn(String) -> BenchError + '_ {
    move |reason| BenchError::Operator(format!("{what}: {reason}"))
}

/// Starts the control plane with the audit policy, installs Vestibule, creates the Tenant and
/// waits until it is Ready.
pub async fn start() -> Result<Cluster, BenchError> {
    let options = ControlPlaneOptions {
        audit_policy: Some(audit::policy()),
    };
    let plane = LocalControlPlane::start_with(options)
        .await
        .map_err(|e| operator_error("the control plane")(e.to_string()))?;
    let client = kubeconfig::client(plane.kubeconfig_path())
        .await
        .map_err(|e| operator_error("a client")(e.to_string()))?;
    let crds =
        crate::crds::read_dir(&crate::crds::chart_crd_dir()).map_err(|e| operator_error("the CRDs")(e.to_string()))?;
    crate::crds::install(&client, crds)
        .await
        .map_err(|e| operator_error("the CRDs")(e.to_string()))?;
    let env = Environment::start(plane.kubeconfig_path())
        .await
        .map_err(|e| operator_error("the installation")(e.to_string()))?;
    let operator_pid = env
        .supervisor
        .pid(OPERATOR_PROCESS)
        .ok_or_else(|| BenchError::Operator("the operator has no process".into()))?;
    let port = free_port().map_err(|e| operator_error("a port")(e.to_string()))?;
    let mut cluster = Cluster {
        plane,
        env,
        client,
        issuer: format!("http://127.0.0.1:{port}"),
        operator_pid,
        tenant_ready_seconds: 0.0,
    };
    create_tenant(&mut cluster).await?;
    Ok(cluster)
}

async fn create_tenant(cluster: &mut Cluster) -> Result<(), BenchError> {
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    let namespace: Namespace = serde_json::from_value(serde_json::json!({ "metadata": { "name": NAMESPACE } }))
        .map_err(|e| BenchError::setup("the namespace", e))?;
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .map_err(|e| operator_error("creating the namespace")(e.to_string()))?;
    let started = Instant::now();
    let tenants: Api<Tenant> = cluster.api();
    tenants
        .create(&PostParams::default(), &scale::tenant(&cluster.issuer)?)
        .await
        .map_err(|e| operator_error("creating the Tenant")(e.to_string()))?;
    scale::wait_tenant_ready(&tenants, Duration::from_secs(180)).await?;
    cluster.tenant_ready_seconds = started.elapsed().as_secs_f64();
    Ok(())
}

/// Many Clients applied at once.
#[derive(Debug, Clone)]
pub struct Scale {
    /// How many.
    pub clients: usize,
    /// Seconds to submit them all.
    pub submit_seconds: f64,
    /// Seconds from the first create until all were Ready and served; `None` if never.
    pub served_seconds: Option<f64>,
    /// What was seen at the end.
    pub settled: Settled,
}

/// Creates `count` Clients and waits (at most `timeout`) until all are Ready and served.
pub async fn scale(cluster: &Cluster, count: usize, timeout: Duration) -> Result<Scale, BenchError> {
    let clients: Api<Client> = cluster.api();
    let secrets: Api<Secret> = cluster.api();
    let pods: Api<Pod> = cluster.api();
    let started = Instant::now();
    let submit = scale::create_clients(&clients, count).await?;
    let outcome = scale::wait_all_served(&clients, &secrets, &pods, count, timeout).await;
    let served_seconds = outcome.is_ok().then(|| started.elapsed().as_secs_f64());
    Ok(Scale {
        clients: count,
        submit_seconds: submit.as_secs_f64(),
        served_seconds,
        settled: outcome.unwrap_or_else(|seen| seen),
    })
}

/// Waits until the operator has written nothing but Lease renewals for `quiet` (at most
/// `patience`); returns the seconds waited.
pub async fn settle(cluster: &Cluster, quiet: Duration, patience: Duration) -> f64 {
    let started = Instant::now();
    while started.elapsed() < patience {
        let last = audit::last_reconcile_write(&cluster.audit_writes());
        let since = last.map_or(Duration::MAX, |at| {
            Timestamp::now().duration_since(at).try_into().unwrap_or(Duration::ZERO)
        });
        if since >= quiet {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    started.elapsed().as_secs_f64()
}

/// The steady state: a window with nothing to do.
#[derive(Debug, Clone)]
pub struct Steady {
    /// Start of the window.
    pub from: Timestamp,
    /// End of the window.
    pub to: Timestamp,
    /// Operator writes in the window, by `verb resource`.
    pub writes: BTreeMap<String, u64>,
    /// Reconciles the operator ran in the window, by kind.
    pub reconciles: BTreeMap<String, u64>,
    /// CPU seconds the operator used in the window.
    pub operator_cpu: f64,
    /// The operator's resident memory at the end of the window, KiB.
    pub operator_rss_kib: u64,
    /// The part of it backed by files (the executable's code pages), KiB.
    pub operator_rss_file_kib: u64,
}

impl Steady {
    /// Minutes the window lasted.
    pub fn minutes(&self) -> f64 {
        let seconds: f64 = self.to.duration_since(self.from).as_secs_f64();
        seconds / 60.0
    }

    /// Writes per minute, Lease renewals included or not.
    pub fn writes_per_minute(&self, leases: bool) -> f64 {
        let count: u64 = self
            .writes
            .iter()
            .filter(|(what, _)| leases || !what.ends_with(" leases"))
            .map(|(_, count)| count)
            .sum();
        count as f64 / self.minutes().max(f64::EPSILON)
    }
}

/// Runs `concurrent` during a steady-state window of `length` (the window lasts at least
/// `length`, longer if `concurrent` does); returns the window's figures and `concurrent`'s output.
pub async fn steady<F: Future>(
    cluster: &Cluster,
    length: Duration,
    concurrent: F,
) -> Result<(Steady, F::Output), BenchError> {
    let before = reconciles(cluster).await;
    let cpu_before = procfs::cpu_seconds(cluster.operator_pid)?;
    let from = Timestamp::now();
    let (output, ()) = tokio::join!(concurrent, tokio::time::sleep(length));
    let to = from + jiff::SignedDuration::try_from(length).map_err(|e| BenchError::setup("the window", e))?;
    // Anything written in the window is in the log a moment after it ends.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = reconciles(cluster).await;
    let steady = Steady {
        from,
        to,
        writes: audit::count_between(&cluster.audit_writes(), from, to),
        reconciles: after
            .iter()
            .map(|(kind, count)| (kind.clone(), count - before.get(kind).copied().unwrap_or(0)))
            .collect(),
        operator_cpu: procfs::cpu_seconds(cluster.operator_pid)? - cpu_before,
        operator_rss_kib: procfs::rss_kib(cluster.operator_pid)?,
        operator_rss_file_kib: procfs::rss_file_kib(cluster.operator_pid)?,
    };
    Ok((steady, output))
}

/// Reconciles so far by kind, from the operator's `/metrics`.
async fn reconciles(cluster: &Cluster) -> BTreeMap<String, u64> {
    let url = format!("http://{}/metrics", cluster.env.operator_listen);
    let text = match reqwest::get(&url).await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    parse_reconciles(&text)
}

/// `vestibule_operator_reconciles_total{kind="Tenant"} 12` lines, by kind.
pub fn parse_reconciles(metrics: &str) -> BTreeMap<String, u64> {
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix("vestibule_operator_reconciles_total{kind=\""))
        .filter_map(|rest| {
            let (kind, value) = rest.split_once("\"} ")?;
            Some((kind.to_owned(), value.trim().parse::<f64>().ok()? as u64))
        })
        .collect()
}

/// Changes `count` Clients one after another and times each until the IdP serves it.
pub async fn changes(cluster: &Cluster, count: usize) -> Result<Changes, BenchError> {
    changes::measure(&cluster.api(), &cluster.api(), &cluster.issuer, count).await
}

/// The operator's peak resident memory since it started, KiB.
pub fn operator_peak_kib(cluster: &Cluster) -> Result<u64, BenchError> {
    Ok(procfs::peak_rss_kib(cluster.operator_pid)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconcile_counters_are_read_by_kind() {
        let text = "# HELP x\nvestibule_operator_reconciles_total{kind=\"Tenant\"} 12\nvestibule_operator_reconciles_total{kind=\"Client\"} 3004\nother 1\n";
        let counts = parse_reconciles(text);
        assert_eq!(counts["Tenant"], 12);
        assert_eq!(counts["Client"], 3004);
        assert_eq!(counts.len(), 2);
    }
}
