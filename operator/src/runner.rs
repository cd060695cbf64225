//! Starting and stopping the operator: discovery, the metrics endpoint, leader election, the
//! controllers, and a graceful shutdown that hands the Lease over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use kube::runtime::events::{Recorder, Reporter};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::OperatorConfig;
use crate::context::{Capabilities, Context};
use crate::leader::{LeaderElector, LeaderError};
use crate::metrics::Metrics;
use crate::scope::Scope;
use crate::server::{self, ServerError};

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
    /// Another replica took the Lease over: this one must stop acting at once.
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
    info!(policy_v1 = capabilities.policy_v1, "discovered API versions");
    let reporter = Reporter {
        controller: config.controller_name.clone(),
        instance: Some(config.instance.clone()),
    };
    let ctx = Arc::new(Context {
        recorder: Recorder::new(client.clone(), reporter.clone()),
        reporter,
        scope: Scope::new(&config.namespaces),
        client: client.clone(),
        metrics: metrics.clone(),
        capabilities,
        config: Arc::new(config.clone()),
    });
    let elector = config
        .leader_election
        .clone()
        .map(|settings| Arc::new(LeaderElector::new(client, settings, config.instance.clone())));
    let lost = Arc::new(AtomicBool::new(false));
    if let Some(elector) = &elector {
        if !acquire(elector, &stop).await {
            return Ok(());
        }
        info!(identity = %config.instance, "acquired the leader Lease");
        metrics.set_leader(true);
        tokio::spawn(renew(elector.clone(), stop.clone(), stop_tx.clone(), lost.clone()));
    }
    crate::controllers::run(ctx, stop).await;
    metrics.set_leader(false);
    if lost.load(Ordering::SeqCst) {
        return Err(RunError::LostLeadership);
    }
    if let Some(elector) = &elector {
        elector.release().await?;
        info!("released the leader Lease");
    }
    Ok(())
}

/// Waits until this replica leads (`true`) or a stop is requested (`false`).
async fn acquire(elector: &LeaderElector, stop: &Stop) -> bool {
    loop {
        match elector.try_acquire_or_renew().await {
            Ok(true) => return true,
            Ok(false) => {}
            Err(error) => warn!(%error, "leader election failed; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(elector.settings().retry_interval) => {}
            () = stop.wait() => return false,
        }
    }
}

/// Renews the Lease until a stop; on losing it, flags the loss and stops everything.
async fn renew(elector: Arc<LeaderElector>, stop: Stop, stop_tx: Arc<watch::Sender<bool>>, lost: Arc<AtomicBool>) {
    let settings = elector.settings().clone();
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(settings.renew_interval) => {}
            () = stop.wait() => return,
        }
        let still_leading = match elector.try_acquire_or_renew().await {
            Ok(true) => {
                renewed = Instant::now();
                true
            }
            Ok(false) => false,
            Err(error) => {
                warn!(%error, "renewing the leader Lease failed");
                renewed.elapsed() < settings.lease_duration
            }
        };
        if !still_leading {
            warn!("lost the leader Lease; stopping");
            lost.store(true, Ordering::SeqCst);
            let _ = stop_tx.send(true);
            return;
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
    match client.list_api_group_resources("policy/v1").await {
        Ok(list) => Ok(Capabilities {
            policy_v1: list.resources.iter().any(|r| r.name == "poddisruptionbudgets"),
        }),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(Capabilities { policy_v1: false }),
        Err(error) => Err(RunError::Discovery(error)),
    }
}
