//! `vestibule-bench`: runs the benchmarks (see `vestibule_e2e::bench`) and writes the report.
//! `make bench` builds it in release mode and runs it after preparing the machine.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use vestibule_e2e::bench::attack::AttackOptions;
use vestibule_e2e::bench::{self, Only, Options, report};

/// Vestibule's benchmarks against oidc-provider and the physical limit.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Connections or browsers at once.
    #[arg(long, env = "BENCH_CONCURRENCY", default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds per workload.
    #[arg(long, env = "BENCH_DURATION", default_value_t = 6)]
    duration: u64,
    /// Warm-up seconds before each workload.
    #[arg(long, env = "BENCH_WARMUP", default_value_t = 1)]
    warmup: u64,
    /// Customers.
    #[arg(long, env = "BENCH_USERS", default_value_t = 256)]
    users: usize,
    /// Sign-ins that provide tokens (introspection, userinfo, refresh).
    #[arg(long, env = "BENCH_PREPARED_TOKENS", default_value_t = 192)]
    prepared_tokens: usize,
    /// Seconds of the attack workload (the quiet run before it takes `duration`).
    #[arg(long, env = "BENCH_ATTACK_SECONDS", default_value_t = 8)]
    attack_seconds: u64,
    /// Attack attempts per second as a multiple of the machine's all-core argon2id rate.
    #[arg(long, env = "BENCH_ATTACK_RATE_FACTOR", default_value_t = 2.0)]
    attack_rate_factor: f64,
    /// Attack attempts in flight at most.
    #[arg(long, env = "BENCH_ATTACKERS", default_value_t = 128)]
    attackers: usize,
    /// Legitimate sign-ins started per second in the attack workload.
    #[arg(long, env = "BENCH_LEGITIMATE_RATE", default_value_t = 10.0)]
    legitimate_rate: f64,
    /// Run only part: `attack` (the argon2id limit and the attack workload); `all` by default.
    #[arg(long, env = "BENCH_ONLY", default_value = "all", value_parser = ["all", "attack"])]
    only: String,
    /// Seconds per argon2id rate measurement.
    #[arg(long, env = "BENCH_ARGON2_SECONDS", default_value_t = 5)]
    argon2_seconds: u64,
    /// Clients of the operator scale test.
    #[arg(long, env = "BENCH_CLIENTS", default_value_t = 1000)]
    clients: usize,
    /// Client changes timed.
    #[arg(long, env = "BENCH_CHANGES", default_value_t = 50)]
    changes: usize,
    /// Seconds of the steady-state window.
    #[arg(long, env = "BENCH_STEADY_SECONDS", default_value_t = 300)]
    steady_seconds: u64,
    /// Seconds all Clients may take to be served.
    #[arg(long, env = "BENCH_SCALE_TIMEOUT", default_value_t = 600)]
    scale_timeout: u64,
    /// Skip the operator part.
    #[arg(
        long,
        env = "BENCH_SKIP_OPERATOR",
        default_value_t = false,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    skip_operator: bool,
    /// PostgreSQL URL allowed to create databases.
    #[arg(
        long,
        env = "VESTIBULE_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// Scratch directory.
    #[arg(long, env = "BENCH_WORK_DIR", default_value = "target/bench")]
    work_dir: PathBuf,
    /// The report to write.
    #[arg(long, default_value = "bench/report.md")]
    report: PathBuf,
    /// The summary to write.
    #[arg(long, default_value = "BENCHMARKS.md")]
    summary: PathBuf,
    /// When `make bench` began (Unix seconds).
    #[arg(long, env = "BENCH_MAKE_STARTED")]
    make_started: Option<i64>,
    /// Seconds `make bench` spent on setup.
    #[arg(long, env = "BENCH_SETUP_SECONDS")]
    setup_seconds: Option<f64>,
    /// Seconds `make bench` spent building.
    #[arg(long, env = "BENCH_BUILD_SECONDS")]
    build_seconds: Option<f64>,
    /// Whether setup built the control plane (1) or found it built (0).
    #[arg(long, env = "BENCH_CONTROL_PLANE_BUILT")]
    control_plane_built: Option<u8>,
}

impl Args {
    fn options(self) -> Options {
        Options {
            only: if self.only == "attack" { Only::Attack } else { Only::All },
            attack: AttackOptions {
                duration: Duration::from_secs(self.attack_seconds),
                rate_factor: self.attack_rate_factor,
                in_flight: self.attackers,
                legitimate_rate: self.legitimate_rate,
            },
            concurrency: self.concurrency,
            duration: Duration::from_secs(self.duration),
            warmup: Duration::from_secs(self.warmup),
            users: self.users,
            prepared_tokens: self.prepared_tokens,
            argon2_duration: Duration::from_secs(self.argon2_seconds),
            clients: self.clients,
            changes: self.changes,
            steady: Duration::from_secs(self.steady_seconds),
            scale_timeout: Duration::from_secs(self.scale_timeout),
            skip_operator: self.skip_operator,
            postgres_admin: self.postgres,
            work_dir: std::path::absolute(&self.work_dir).unwrap_or(self.work_dir),
            make_started: self.make_started,
            setup_seconds: self.setup_seconds,
            build_seconds: self.build_seconds,
            control_plane_built: self.control_plane_built.map(|built| built == 1),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn,kube_client=off".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let (report_path, summary_path) = (args.report.clone(), args.summary.clone());
    let results = bench::run(args.options()).await.context("the benchmark failed")?;
    std::fs::write(&report_path, report::report_md(&results))
        .with_context(|| format!("writing {}", report_path.display()))?;
    std::fs::write(&summary_path, report::benchmarks_md(&results))
        .with_context(|| format!("writing {}", summary_path.display()))?;
    eprintln!("[bench] wrote {} and {}", report_path.display(), summary_path.display());
    Ok(())
}
