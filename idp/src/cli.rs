//! Command-line flags (each also readable from an environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Vestibule's OpenID Connect provider for one tenant.
#[derive(Debug, Clone, Parser)]
#[command(name = "vestibule-idp", version, about)]
pub struct Args {
    /// The tenant configuration (a TenantConfig, YAML or JSON). Reloaded when it changes.
    #[arg(long, env = "VESTIBULE_CONFIG")]
    pub config: PathBuf,

    /// Signing keys (a JWKS with private keys, as the operator mounts it). Reloaded when it
    /// changes. Without it, keys are generated once and kept in the database.
    #[arg(long, env = "VESTIBULE_KEYS")]
    pub keys: Option<PathBuf>,

    /// Address to serve the issuer's routes and pages on.
    #[arg(long, env = "VESTIBULE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Address of the admin listener: `/readyz` (with the config generation being served),
    /// `/metrics` and `/healthz`, for probes and Prometheus. Never expose it through an Ingress.
    #[arg(long, env = "VESTIBULE_ADMIN_LISTEN", default_value = "127.0.0.1:9090")]
    pub admin_listen: SocketAddr,

    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://...`.
    #[arg(long, env = "VESTIBULE_DATABASE_URL", default_value = "sqlite://vestibule-idp.db")]
    pub database: String,

    /// Log format.
    #[arg(long, env = "VESTIBULE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// How often the config and key files are checked for changes, in milliseconds.
    #[arg(long, env = "VESTIBULE_RELOAD_INTERVAL_MS", default_value_t = 1000)]
    pub reload_interval_ms: u64,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
