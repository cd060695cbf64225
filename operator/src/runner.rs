//! Starting and stopping the operator: discovery, the metrics endpoint, leader election, the
//! controllers, and a graceful shutdown that hands the Lease over.

use std::sync::Arc;
use std::time::Instant;

use kube::runtime::events::{Recorder, Reporter};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::OperatorConfig;
use crate::context::{Capabilities, Context};
use crate::leader::{LeaderElector, LeaderError};
use crate::metrics::Metrics;
use crate::retries::Retries;
use crate::rollouts::RolloutGate;
use crate::scope::Scope;
use crate::server::{self, ServerError};
use crate::tasks::Tasks;

/// Why the operator stopped other than by a requested shutdown.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No client could be configured (no kubeconfig, not in a cluster).
    #[error("configuring the Kubernetes client failed: {0}")]
    Client(#[source] kube::Error),
    /// Discovering the API server's API versions failed.
    #[error("discovering the API server's API versions failed: {0}")]
    Discovery(#[source] kube::Error),
    /// The metrics endpoint failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The Lease could not be read or written.
    #[error(transparent)]
    Leader(#[from] LeaderError),
    /// The Lease was lost (taken over, or not renewed in time): this replica stopped acting at
    /// once, aborting its reconciles.
    #[error("lost the leader Lease")]
    LostLeadership,
}

/// A stop signal shared by every task.
#[derive(Clone)]
pub struct Stop {
    rx: watch::Receiver<bool>,
}

impl Stop {
    /// Resolves once a stop was requested.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + Sync + 'static {
        let mut rx = self.rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}

/// Runs the operator with the client the environment gives (in-cluster or kubeconfig) until
/// `shutdown` resolves.
pub async fn run(config: OperatorConfig, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), RunError> {
    install_crypto_provider();
    let client = kube::Client::try_default().await.map_err(RunError::Client)?;
    run_with(client, config, shutdown).await
}

/// Runs the operator on `client` until `shutdown` resolves (or the Lease is lost).
pub async fn run_with(
    client: kube::Client,
    config: OperatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let metrics = Arc::new(Metrics::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let stop = Stop { rx: stop_rx };
    let requested = stop_tx.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _ = requested.send(true);
    });
    if let Some(addr) = config.listen {
        let (metrics, stop) = (metrics.clone(), stop.clone());
        tokio::spawn(async move {
            if let Err(error) = server::serve(addr, metrics, stop.wait()).await {
                warn!(%error, "the metrics endpoint stopped");
            }
        });
    }
    let capabilities = discover(&client).await?;
    info!(
        policy_v1 = capabilities.policy_v1,
        autoscaling_v2 = capabilities.autoscaling_v2,
        "discovered API versions"
    );
    let ctx = context(client.clone(), &config, metrics.clone(), capabilities);
    let Some(settings) = config.leader_election.clone() else {
        crate::controllers::run(ctx, stop).await;
        return Ok(());
    };
    let elector = LeaderElector::new(client, settings, config.instance.clone());
    let Some(acquired) = acquire(&elector, &stop).await else {
        return Ok(());
    };
    info!(identity = %config.instance, "acquired the leader Lease");
    metrics.set_leader(true);
    let outcome = tokio::select! {
        () = crate::controllers::run(ctx.clone(), stop) => Ok(()),
        () = keep_leading(&elector, acquired) => Err(RunError::LostLeadership),
    };
    metrics.set_leader(false);
    if outcome.is_err() {
        // The controllers' future is gone with every in-flight reconcile; their detached
        // tasks go too, so nothing writes once another replica may lead.
        ctx.tasks.abort_all();
        warn!("lost the leader Lease; stopped acting");
        let _ = stop_tx.send(true);
        return outcome;
    }
    elector.release().await?;
    info!("released the leader Lease");
    Ok(())
}

fn context(
    client: kube::Client,
    config: &OperatorConfig,
    metrics: Arc<Metrics>,
    capabilities: Capabilities,
) -> Arc<Context> {
    let reporter = Reporter {
        controller: config.controller_name.clone(),
        instance: Some(config.instance.clone()),
    };
    Arc::new(Context {
        recorder: Recorder::new(client.clone(), reporter.clone()),
        reporter,
        scope: Scope::new(&config.namespaces),
        client,
        metrics,
        capabilities,
        retries: Arc::new(Retries::new(config.error_backoff, config.max_backoff)),
        tasks: Arc::new(Tasks::default()),
        rollouts: Arc::new(RolloutGate::new(config.max_concurrent_rollouts)),
        config: Arc::new(config.clone()),
    })
}

/// Waits until this replica leads, returning when its successful attempt started, or `None`
/// once a stop is requested.
async fn acquire(elector: &LeaderElector, stop: &Stop) -> Option<Instant> {
    loop {
        let attempt = Instant::now();
        match elector.try_acquire_or_renew().await {
            Ok(true) => return Some(attempt),
            Ok(false) => {}
            Err(error) => warn!(%error, "leader election failed; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(elector.settings().retry_interval) => {}
            () = stop.wait() => return None,
        }
    }
}

/// Renews the Lease and returns once leadership is lost: another replica holds it, or no
/// renewal succeeded within the renew deadline. Each renewal counts from when it started,
/// before the API server stored it, so this replica never outlives what others see.
async fn keep_leading(elector: &LeaderElector, acquired: Instant) {
    let settings = elector.settings().clone();
    let mut renewed = acquired;
    loop {
        let deadline = tokio::time::Instant::from_std(renewed + settings.renew_deadline);
        let renewal = async {
            tokio::time::sleep(settings.renew_interval).await;
            let attempt = Instant::now();
            (attempt, elector.try_acquire_or_renew().await)
        };
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {
                warn!(deadline = ?settings.renew_deadline, "no renewal of the leader Lease within the renew deadline");
                return;
            }
            (attempt, result) = renewal => match result {
                Ok(true) => renewed = attempt,
                Ok(false) => {
                    warn!("another replica holds the leader Lease");
                    return;
                }
                Err(error) => warn!(%error, "renewing the leader Lease failed; retrying"),
            },
        }
    }
}

/// Selects rustls' ring provider for the process: Cargo unifies features across a workspace,
/// so rustls may be built with two providers, and then it refuses to guess.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Which optional API versions the server serves.
pub async fn discover(client: &kube::Client) -> Result<Capabilities, RunError> {
    Ok(Capabilities {
        policy_v1: serves(client, "policy/v1", "poddisruptionbudgets").await?,
        autoscaling_v2: serves(client, "autoscaling/v2", "horizontalpodautoscalers").await?,
    })
}

/// Whether the API group version `group_version` serves `resource`.
async fn serves(client: &kube::Client, group_version: &str, resource: &str) -> Result<bool, RunError> {
    match client.list_api_group_resources(group_version).await {
        Ok(list) => Ok(list.resources.iter().any(|r| r.name == resource)),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(false),
        Err(error) => Err(RunError::Discovery(error)),
    }
}
