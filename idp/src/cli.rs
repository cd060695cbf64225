//! Command-line flags (each also readable from an environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use vestibule_crds::Duration;

use crate::net::Cidr;

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

    /// Password checks and hashes that may wait for a hashing thread (default: 32 per CPU, about
    /// a second of work). Past it, sign-ins and registrations are answered 503 with
    /// `Retry-After` at once instead of queueing without bound.
    #[arg(long, env = "VESTIBULE_PASSWORD_QUEUE")]
    pub password_queue: Option<usize>,

    /// Development mode: with no SMTP server configured, emails (with their links) are written
    /// to the log whatever the issuer. Without it, that happens only for an `http://` issuer on
    /// loopback, and any other issuer without SMTP is refused.
    #[arg(long, env = "VESTIBULE_DEV")]
    pub dev: bool,

    /// Proxies in front of the IdP (ingress controllers, load balancers) whose
    /// `X-Forwarded-For` is believed, as addresses or CIDRs, comma-separated (for example
    /// `10.0.0.0/8,fd00::/8`). Without it the header is ignored and the peer is the client.
    #[arg(long, env = "VESTIBULE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<Cidr>,

    /// How often expired rows (codes, tokens, grants, sessions, parked requests) and audit log
    /// lines past retention are deleted, for example `10m`.
    #[arg(long, env = "VESTIBULE_PURGE_INTERVAL", default_value = "10m", value_parser = positive)]
    pub purge_interval: Duration,

    /// How long the audit log keeps its lines, for example `2160h` (90 days). A ConsentPolicy's
    /// `dataRetention.auditLog` that is shorter wins.
    #[arg(long, env = "VESTIBULE_AUDIT_RETENTION", default_value = "2160h", value_parser = positive)]
    pub audit_retention: Duration,

    /// How often the retention job runs (one replica at a time): warnings and erasures of
    /// unused accounts, the ConsentPolicy's audit retention, and on PostgreSQL the vacuum of
    /// tables erasures deleted from; for example `1h`.
    #[arg(long, env = "VESTIBULE_RETENTION_INTERVAL", default_value = "1h", value_parser = positive)]
    pub retention_interval: Duration,

    /// How long a stopping process keeps serving after SIGTERM while `/readyz` says `draining`,
    /// so that the Service and the ingress stop sending it requests before it closes its
    /// listeners; then the requests in flight finish. `0s` closes at once. Keep it below the
    /// pod's termination grace period.
    #[arg(long, env = "VESTIBULE_SHUTDOWN_DELAY", default_value = "5s", value_parser = duration)]
    pub shutdown_delay: Duration,

    /// Log format.
    #[arg(long, env = "VESTIBULE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// How often the config and key files are checked for changes, in milliseconds.
    #[arg(long, env = "VESTIBULE_RELOAD_INTERVAL_MS", default_value_t = 1000)]
    pub reload_interval_ms: u64,
}

/// A duration such as `5s`, zero allowed.
fn duration(text: &str) -> Result<Duration, String> {
    text.parse::<Duration>().map_err(|error| error.to_string())
}

/// A duration such as `10m`, `720h` or `7d`, not zero.
fn positive(text: &str) -> Result<Duration, String> {
    match text.parse::<Duration>() {
        Ok(duration) if duration.as_secs() > 0 => Ok(duration),
        Ok(_) => Err("must be longer than zero".into()),
        Err(error) => Err(error.to_string()),
    }
}

/// `vestibule-idp breached-filter`: builds the breached-password corpus file that
/// `attackProtection.breachedPasswords.localCorpus` points at, from a list of SHA-1 hashes.
#[derive(Debug, Clone, Parser)]
#[command(name = "vestibule-idp breached-filter")]
pub struct BreachedFilterArgs {
    /// The hash list: one upper- or lower-case SHA-1 hex per line, optionally `:COUNT` after it
    /// (what the Pwned Passwords downloader writes).
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the corpus file (a binary fuse filter, about 2.25 bytes per hash).
    #[arg(long)]
    pub output: PathBuf,
}

impl BreachedFilterArgs {
    /// The subcommand's name, the first argument that selects it.
    pub const COMMAND: &'static str = "breached-filter";

    /// Builds the corpus file; the line to print says how many distinct hashes it holds.
    pub fn run(&self) -> Result<String, crate::breached::CorpusError> {
        let corpus = crate::breached::Corpus::from_hash_list(&self.input)?;
        corpus.write(&self.output)?;
        Ok(format!(
            "{}: {} distinct hashes from {}",
            self.output.display(),
            corpus.count(),
            self.input.display()
        ))
    }
}

/// `vestibule-idp backup`: copies the embedded database, consistently, while the IdP serves.
#[derive(Debug, Clone, Parser)]
#[command(name = "vestibule-idp backup")]
pub struct BackupArgs {
    /// The database: the IdP's `--database` (`sqlite://PATH`).
    #[arg(long, env = "VESTIBULE_DATABASE_URL")]
    pub database: String,
    /// The new file to write (an existing file is never overwritten), or `-` for standard
    /// output: `kubectl exec ... -- vestibule-idp backup --output - > copy.db` needs no shell or
    /// tar in the image.
    #[arg(long)]
    pub output: PathBuf,
}

impl BackupArgs {
    /// The subcommand's name, the first argument that selects it.
    pub const COMMAND: &'static str = "backup";

    /// Writes the copy; the line to print (on standard error) says where and how large.
    pub async fn run(&self) -> Result<String, crate::store::backup::BackupError> {
        use crate::store::backup;
        if self.output.as_os_str() != "-" {
            let bytes = backup::backup(&self.database, &self.output).await?;
            return Ok(format!("{}: {bytes} bytes", self.output.display()));
        }
        let bytes = backup::backup_to(&self.database, &mut std::io::stdout().lock()).await?;
        Ok(format!("standard output: {bytes} bytes"))
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn flags_parse_with_their_documented_defaults() {
        Args::command().debug_assert();
        let args = Args::try_parse_from(["vestibule-idp", "--config", "tenant.yaml"]).unwrap();
        assert_eq!(args.admin_listen.to_string(), "127.0.0.1:9090");
        assert_eq!(args.purge_interval.as_secs(), 600);
        assert_eq!(args.audit_retention.as_secs(), 90 * 86400);
        assert_eq!(args.retention_interval.as_secs(), 3600);
        assert!(args.trusted_proxies.is_empty() && !args.dev && args.password_queue.is_none());
        let args = Args::try_parse_from([
            "vestibule-idp",
            "--config=tenant.yaml",
            "--trusted-proxies=10.0.0.0/8,fd00::/8",
            "--purge-interval=30s",
            "--password-queue=4",
        ])
        .unwrap();
        assert_eq!(args.trusted_proxies.len(), 2);
        assert_eq!((args.purge_interval.as_secs(), args.password_queue), (30, Some(4)));
        for bad in [
            "--purge-interval=0s",
            "--audit-retention=soon",
            "--trusted-proxies=10.0.0.0/40",
        ] {
            assert!(
                Args::try_parse_from(["vestibule-idp", "--config=t.yaml", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
