//! The server: connects to the database, loads the tenant, and serves the public and the admin
//! listener until SIGTERM or Ctrl-C, with the config watcher, the purge and the retention job
//! running beside.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::{AppState, Options, admin_app, app};
use crate::cli::Args;
use crate::config::watch::{Sources, watch};
use crate::net::TrustedProxies;
use crate::purge::{self, Retention};
use crate::store::Store;

/// Connects to the database, loads the tenant, serves until SIGTERM or Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = Store::connect(&args.database).await?;
    let sources = Sources {
        config: args.config.clone(),
        keys: args.keys.clone(),
        dev: args.dev,
    };
    let (tenant, loaded) = sources.load(&store).await?;
    tracing::info!(issuer = %tenant.config.issuer, generation = tenant.config.generation, backend = ?store.backend(), "serving");
    let state = AppState::with_options(tenant, store.clone(), &options(&args))?;
    if !args.trusted_proxies.is_empty() {
        let proxies: Vec<String> = args.trusted_proxies.iter().map(ToString::to_string).collect();
        tracing::info!(proxies = %proxies.join(","), "X-Forwarded-For is believed from these proxies");
    }
    let interval = Duration::from_millis(args.reload_interval_ms.max(100));
    let watcher = tokio::spawn(watch(
        sources,
        loaded,
        store.clone(),
        state.tenant.clone(),
        state.metrics.clone(),
        interval,
    ));
    let retention = Retention {
        audit: Duration::from_secs(args.audit_retention.as_secs()),
    };
    let purger = tokio::spawn(purge::every(
        Duration::from_secs(args.purge_interval.as_secs()),
        store,
        state.tenant.clone(),
        state.clock.clone(),
        retention,
    ));
    // Each process holds the retention lease under an id of its own.
    let retention_job = tokio::spawn(crate::privacy::retention::every(
        Duration::from_secs(args.retention_interval.as_secs()),
        state.clone(),
        crate::random::id(),
    ));
    let public = bind(args.listen, "public").await?;
    let admin = bind(args.admin_listen, "admin").await?;
    let (stop, stopped) = watch::channel(false);
    let draining = state.draining.clone();
    let delay = Duration::from_secs(args.shutdown_delay.as_secs());
    let signal = tokio::spawn(async move {
        shutdown_signal().await;
        // Unready first, serving on: endpoints drop the pod before its listeners close.
        draining.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(delay_seconds = delay.as_secs(), "draining before the listeners close");
        tokio::time::sleep(delay).await;
        let _ = stop.send(true);
    });
    let served = tokio::try_join!(
        axum::serve(
            public,
            app(state.clone()).into_make_service_with_connect_info::<SocketAddr>()
        )
        .with_graceful_shutdown(until(stopped.clone())),
        axum::serve(admin, admin_app(state)).with_graceful_shutdown(until(stopped)),
    );
    watcher.abort();
    purger.abort();
    retention_job.abort();
    signal.abort();
    served?;
    Ok(())
}

/// The options of the application state that flags set.
fn options(args: &Args) -> Options {
    Options {
        password_queue: args.password_queue,
        trusted_proxies: TrustedProxies::new(args.trusted_proxies.clone()),
    }
}

async fn bind(address: SocketAddr, which: &'static str) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {address} ({which} listener): {error}"))?;
    tracing::info!(%address, listener = which, "listening");
    Ok(listener)
}

/// Resolves once `stopped` turns true (or its sender is gone).
async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
