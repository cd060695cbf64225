//! `make bench`: Vestibule measured against a certified peer and against the physical limit, in
//! one run on one machine, so machine noise cancels out of the ratios.
//!
//! - IdP workloads ([`workloads`]) at a fixed concurrency for a fixed duration, on Vestibule with
//!   SQLite and with PostgreSQL and on oidc-provider ([`servers`]), all given the same clients,
//!   keys and customers ([`fixture`]); single requests through wrk ([`wrk`]), password sign-ins
//!   through a Rust driver that plays the browser and the application ([`login`]).
//! - Under attack ([`attack`]): legitimate sign-ins while a botnet replays a leaked list, on
//!   each server with its default protection, against the same sign-ins without the attack.
//! - The physical limit of sign-ins: argon2id verifications per second ([`argon`]).
//! - The operator at scale on the local control plane ([`operator`]); the IdP workloads run
//!   during its steady-state window, so both servers see the same background.
//! - The report ([`report`]): `bench/report.md` and `BENCHMARKS.md`, every figure from the run.

pub mod argon;
pub mod attack;
pub mod browser;
pub mod fixture;
pub mod idp;
pub mod login;
pub mod machine;
pub mod operator;
pub mod procfs;
pub mod puzzle;
pub mod report;
pub mod seed;
pub mod servers;
pub mod stats;
pub mod workloads;
pub mod wrk;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use self::idp::IdpResults;
use self::machine::{Machine, Versions};
use self::operator::changes::Changes;
use self::operator::{Scale, Steady};

/// Why the bench could not complete.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Preparing something failed.
    #[error("preparing {what} failed: {reason}")]
    Setup {
        /// What was being prepared.
        what: String,
        /// Cause.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A step of a sign-in went wrong.
    #[error("sign-in step {step} at {url}: {reason}")]
    Flow {
        /// The step.
        step: String,
        /// Its URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// A server did not start or stop.
    #[error("server: {0}")]
    Server(String),
    /// A measuring tool failed.
    #[error("tool: {0}")]
    Tool(String),
    /// The operator part failed.
    #[error("operator: {0}")]
    Operator(String),
    /// `/proc` could not be read.
    #[error(transparent)]
    Proc(#[from] procfs::ProcError),
}

impl BenchError {
    /// A failed preparation of `what`.
    pub fn setup(what: impl Into<String>, reason: impl Display) -> Self {
        Self::Setup {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// A failed file operation.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// A failed sign-in step.
    pub fn flow(step: impl Into<String>, url: &str, reason: impl Display) -> Self {
        Self::Flow {
            step: step.into(),
            url: url.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// Which part of the run to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Everything (what `make bench` commits).
    All,
    /// The argon2id limit and the attack workload alone, on every server (no operator part):
    /// for working on it. Its report lacks the other figures and says so.
    Attack,
}

/// The run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which part to run.
    pub only: Only,
    /// The attack workload.
    pub attack: attack::AttackOptions,
    /// Connections (wrk) or browsers (sign-ins) at once.
    pub concurrency: usize,
    /// Measured seconds per workload.
    pub duration: Duration,
    /// Unmeasured warm-up before each workload.
    pub warmup: Duration,
    /// Customers.
    pub users: usize,
    /// Sign-ins made for the tokens of introspection, userinfo and refresh (half of the refresh
    /// tokens warm up, half are measured: each half must exceed `concurrency`).
    pub prepared_tokens: usize,
    /// Seconds per argon2id rate measurement.
    pub argon2_duration: Duration,
    /// Clients of the scale test.
    pub clients: usize,
    /// Client changes timed.
    pub changes: usize,
    /// The steady-state window.
    pub steady: Duration,
    /// How long all Clients may take to be served.
    pub scale_timeout: Duration,
    /// Skip the operator part (a quicker run while working on the IdP).
    pub skip_operator: bool,
    /// PostgreSQL URL with the right to create databases.
    pub postgres_admin: String,
    /// Scratch files.
    pub work_dir: PathBuf,
    /// Where `make bench` began (Unix seconds), for the total wall time.
    pub make_started: Option<i64>,
    /// Seconds `make bench` spent preparing the machine (packages, control plane).
    pub setup_seconds: Option<f64>,
    /// Seconds `make bench` spent building.
    pub build_seconds: Option<f64>,
    /// Whether the control plane was built from source during setup.
    pub control_plane_built: Option<bool>,
}

/// The operator part's results.
#[derive(Debug, Clone)]
pub struct OperatorResults {
    /// Seconds until the Tenant alone was Ready.
    pub tenant_ready_seconds: f64,
    /// The Clients applied at once.
    pub scale: Scale,
    /// Seconds waited for the operator to go quiet before the window.
    pub settle_seconds: f64,
    /// The steady-state window.
    pub steady: Steady,
    /// Client changes until served.
    pub changes: Changes,
    /// The operator's peak resident memory over the whole run, KiB.
    pub peak_rss_kib: u64,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// Settings.
    pub options: Options,
    /// The machine.
    pub machine: Machine,
    /// Versions.
    pub versions: Versions,
    /// Start of the measuring run.
    pub started: Timestamp,
    /// Its end.
    pub finished: Timestamp,
    /// The IdP phase.
    pub idp: IdpResults,
    /// The operator part, unless skipped.
    pub operator: Option<OperatorResults>,
}

/// Runs everything.
pub async fn run(options: Options) -> Result<Results, BenchError> {
    let started = Timestamp::now();
    let machine = Machine::read();
    let fixture = Arc::new(fixture::Fixture::generate(&options.work_dir, options.users)?);
    let (idp, operator, kube_apiserver) = if options.skip_operator || options.only == Only::Attack {
        (idp::run(&options, &fixture, machine.cores).await?, None, String::new())
    } else {
        run_with_operator(&options, &fixture, machine.cores).await?
    };
    let mut versions = versions(&options).await;
    versions.kube_apiserver = kube_apiserver;
    Ok(Results {
        options,
        machine,
        versions,
        started,
        finished: Timestamp::now(),
        idp,
        operator,
    })
}

async fn run_with_operator(
    options: &Options,
    fixture: &Arc<fixture::Fixture>,
    cores: usize,
) -> Result<(IdpResults, Option<OperatorResults>, String), BenchError> {
    eprintln!("[bench] starting the control plane, the chart, the operator and the Tenant");
    let cluster = operator::start().await?;
    let kube_apiserver = machine::output(
        &cluster.plane.binaries().kube_apiserver.display().to_string(),
        &["--version"],
    );
    eprintln!("[bench] applying {} Clients at once", options.clients);
    let scale = operator::scale(&cluster, options.clients, options.scale_timeout).await?;
    let settle_seconds = operator::settle(&cluster, Duration::from_secs(15), Duration::from_secs(180)).await;
    eprintln!(
        "[bench] steady-state window of {:?}, IdP workloads meanwhile",
        options.steady
    );
    let (steady, idp) = operator::steady(&cluster, options.steady, idp::run(options, fixture, cores)).await?;
    let idp = idp?;
    eprintln!("[bench] timing {} Client changes", options.changes);
    let changes = operator::changes(&cluster, options.changes).await?;
    let results = OperatorResults {
        tenant_ready_seconds: cluster.tenant_ready_seconds,
        scale,
        settle_seconds,
        steady,
        changes,
        peak_rss_kib: operator::operator_peak_kib(&cluster)?,
    };
    Ok((idp, Some(results), kube_apiserver))
}

async fn versions(options: &Options) -> Versions {
    let peer = servers::peer_dir();
    let postgres = match sqlx::postgres::PgPool::connect(&options.postgres_admin).await {
        Ok(pool) => sqlx::query_scalar::<_, String>("SHOW server_version")
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|_| "unknown".into()),
        Err(_) => "unknown".into(),
    };
    Versions {
        rustc: machine::output("rustc", &["--version"]),
        node: machine::output("node", &["--version"]),
        oidc_provider: machine::npm_version(&peer, "oidc-provider"),
        node_argon2: machine::npm_version(&peer, "@node-rs/argon2"),
        postgres,
        wrk: machine::output("wrk", &["--version"]),
        kube_apiserver: String::new(),
        commit: machine::commit(),
    }
}
