//! `vestibule-operator`: parses flags, starts logging, and runs the operator until SIGTERM or
//! Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use tracing_subscriber::EnvFilter;
use vestibule_operator::{LeaderElection, OperatorConfig};

/// The Vestibule operator: reconciles Tenants, Clients and their policies into identity providers.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address of the /metrics and /healthz endpoint.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// IdP image for Tenants without spec.image.
    #[arg(long, default_value_t = OperatorConfig::default_idp_image())]
    idp_image: String,
    /// How many Tenants roll to a changed --idp-image at once (the others keep their image until a
    /// slot is free).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    max_concurrent_rollouts: u16,
    /// Namespaces to watch and act in, comma-separated; empty means all.
    #[arg(long, value_delimiter = ',', default_value = "")]
    namespaces: Vec<String>,
    /// Networks (CIDRs, comma-separated) of the proxies in front of the IdPs, usually the
    /// ingress controller's pod network: the IdPs believe `X-Forwarded-For` from them only.
    #[arg(long, value_delimiter = ',', value_parser = network)]
    idp_trusted_proxies: Vec<String>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    /// Elect a leader over a Lease (turn off only for a single replica run by hand).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    leader_elect: bool,
    /// Name of the leader Lease.
    #[arg(long, default_value = "vestibule-operator")]
    lease_name: String,
    /// This replica's identity (the pod name).
    #[arg(long, env = "POD_NAME", default_value = "vestibule-operator")]
    pod_name: String,
    /// The operator's namespace, where the Lease lives.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pod_namespace: String,
}

/// An address or CIDR (`10.0.0.0/8`, `fd00::/8`), checked here so that a typo stops the
/// operator rather than every IdP it starts.
fn network(text: &str) -> Result<String, String> {
    let (address, prefix) = text.split_once('/').unwrap_or((text, ""));
    let width = match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => 32,
        Ok(std::net::IpAddr::V6(_)) => 128,
        Err(_) => return Err(format!("{text:?} is not an address or CIDR such as 10.0.0.0/8")),
    };
    match prefix {
        "" => Ok(text.to_owned()),
        bits if bits.parse::<u8>().is_ok_and(|bits| bits <= width) => Ok(text.to_owned()),
        _ => Err(format!("{text:?}: the prefix length must be 0 to {width}")),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

// An operator waits on the API server: one thread keeps up with 1,000 Clients, and one thread
// means one allocator arena, which keeps its memory small (DESIGN.md section 6).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match args.log_format {
        LogFormat::Json => tracing_subscriber::fmt().json().with_env_filter(filter).init(),
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
    }
    let mut config = OperatorConfig::new(args.idp_image);
    config.namespaces = args.namespaces.into_iter().filter(|n| !n.is_empty()).collect();
    config.idp_trusted_proxies = args.idp_trusted_proxies;
    config.listen = Some(args.listen);
    config.max_concurrent_rollouts = usize::from(args.max_concurrent_rollouts);
    config.instance = args.pod_name;
    config.leader_election = args
        .leader_elect
        .then(|| LeaderElection::new(args.pod_namespace, args.lease_name));
    vestibule_operator::run(config, shutdown_signal())
        .await
        .context("the operator stopped")
}

/// Resolves on SIGTERM (Kubernetes stopping the pod) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
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
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn flags_are_consistent_and_namespaces_split_on_commas() {
        Args::command().debug_assert();
        let args = Args::parse_from(["vestibule-operator", "--namespaces=team-a,team-b", "--log-format=text"]);
        assert_eq!(args.namespaces, ["team-a", "team-b"]);
        let all = Args::parse_from(["vestibule-operator"]);
        assert!(all.namespaces.iter().all(String::is_empty));
        assert!(all.leader_elect);
        assert!(all.idp_trusted_proxies.is_empty());
        let proxies = Args::parse_from(["vestibule-operator", "--idp-trusted-proxies=10.0.0.0/8,fd00::/8"]);
        assert_eq!(proxies.idp_trusted_proxies, ["10.0.0.0/8", "fd00::/8"]);
        for bad in ["10.0.0.0/33", "ingress", "fd00::/200"] {
            let flag = format!("--idp-trusted-proxies={bad}");
            assert!(
                Args::try_parse_from(["vestibule-operator", flag.as_str()]).is_err(),
                "{bad}"
            );
        }
    }
}
