//! The IdP workloads and how one is measured: warm up, note the server's CPU time (and
//! PostgreSQL's), reset its peak memory, drive the load, read everything again.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;

use super::fixture::{Fixture, RESOURCE};
use super::login::{self, Flow, Tokens};
use super::machine::{self, Quiet};
use super::servers::{self, Server, Target};
use super::wrk::{self, Request};
use super::{BenchError, Options, procfs};

/// How long until every PostgreSQL backend has reported its transactions: a busy backend
/// reports at most once a second, one gone idle within 10 s (PostgreSQL 15's
/// `PGSTAT_IDLE_INTERVAL`).
const STATS_FLUSH: Duration = Duration::from_secs(11);

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// `GET /.well-known/openid-configuration`.
    Discovery,
    /// `GET /jwks`.
    Jwks,
    /// Client credentials grant, `client_secret_basic`.
    ClientCredentials,
    /// A full password sign-in, five requests.
    Login,
    /// Introspection of a customer's access token.
    Introspection,
    /// Userinfo with a customer's access token.
    Userinfo,
    /// Refresh token grant with rotation.
    Refresh,
}

impl Workload {
    /// Every workload, in the order they run and are reported.
    pub const ALL: [Workload; 7] = [
        Workload::Discovery,
        Workload::Jwks,
        Workload::ClientCredentials,
        Workload::Login,
        Workload::Introspection,
        Workload::Userinfo,
        Workload::Refresh,
    ];

    /// Whether the IdP reads or writes its database for it.
    pub fn uses_database(self) -> bool {
        matches!(
            self,
            Workload::Login | Workload::Introspection | Workload::Userinfo | Workload::Refresh
        )
    }

    /// The row heading in the report.
    pub fn label(self) -> &'static str {
        match self {
            Workload::Discovery => "Discovery",
            Workload::Jwks => "JWKS",
            Workload::ClientCredentials => "Client credentials",
            Workload::Login => "Password login (full flow)",
            Workload::Introspection => "Introspection",
            Workload::Userinfo => "Userinfo",
            Workload::Refresh => "Refresh (rotation)",
        }
    }
}

/// One workload against one server.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The server.
    pub target: Target,
    /// The workload.
    pub workload: Workload,
    /// When it started.
    pub started: Timestamp,
    /// Completed requests (sign-ins for [`Workload::Login`]).
    pub requests: u64,
    /// Failed ones.
    pub errors: u64,
    /// The first failure, when the driver saw one.
    pub first_error: Option<String>,
    /// Measured seconds.
    pub seconds: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// CPU seconds of the server process.
    pub server_cpu: f64,
    /// CPU seconds of PostgreSQL's processes (PostgreSQL target only).
    pub database_cpu: f64,
    /// Peak resident memory of the server process during the workload, KiB.
    pub peak_rss_kib: u64,
    /// PostgreSQL transactions during the warm-up and the measured run (PostgreSQL target only).
    pub transactions: Option<i64>,
    /// Requests completed in the warm-up and the measured run: what `transactions` covers.
    pub counted_requests: u64,
    /// How quiet the machine was before.
    pub quiet: Quiet,
}

impl Measurement {
    /// Completed requests per second.
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.seconds.max(f64::EPSILON)
    }

    /// Completed requests per CPU second of the server (and its database): per core.
    pub fn per_core(&self) -> f64 {
        self.requests as f64 / (self.server_cpu + self.database_cpu).max(f64::EPSILON)
    }

    /// Database transactions per completed request.
    pub fn transactions_per_request(&self) -> Option<f64> {
        self.transactions
            .map(|count| count as f64 / self.counted_requests.max(1) as f64)
    }
}

/// The driver's side of one run: counts and latencies.
struct Sample {
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl From<wrk::Outcome> for Sample {
    fn from(outcome: wrk::Outcome) -> Self {
        Self {
            requests: outcome.requests,
            errors: outcome.errors(),
            first_error: None,
            seconds: outcome.duration_us as f64 / 1e6,
            p50_ms: outcome.p50_us as f64 / 1e3,
            p99_ms: outcome.p99_us as f64 / 1e3,
        }
    }
}

impl From<login::Run> for Sample {
    fn from(mut run: login::Run) -> Self {
        run.latencies.sort();
        let percentile = |p: f64| super::stats::percentile(&run.latencies, p).as_secs_f64() * 1e3;
        Self {
            requests: run.completed as u64,
            errors: run.errors as u64,
            first_error: run.first_error.clone(),
            seconds: run.elapsed.as_secs_f64(),
            p50_ms: percentile(50.0),
            p99_ms: percentile(99.0),
        }
    }
}

/// What the server process and PostgreSQL had used when a counter was read.
struct Counters {
    server_cpu: f64,
    database_cpu: f64,
}

fn counters(server: &Server) -> Result<Counters, BenchError> {
    let database_cpu = match server.target {
        Target::Postgres => procfs::cpu_seconds_of_all("postgres"),
        Target::Sqlite | Target::Peer => 0.0,
    };
    Ok(Counters {
        server_cpu: procfs::cpu_seconds(server.pid)?,
        database_cpu,
    })
}

/// Drives one workload twice, a warm-up and the measured run, and measures the second (and the
/// database transactions of both).
pub struct Driver<'a> {
    /// The server.
    pub server: &'a Server,
    /// Shared inputs.
    pub fixture: &'a Arc<Fixture>,
    /// Settings.
    pub options: &'a Options,
    /// The HTTP client for sign-ins.
    pub client: reqwest::Client,
}

impl Driver<'_> {
    /// Measures `workload`; `tokens` are the customers' tokens for the workloads that need them.
    pub async fn measure(&self, workload: Workload, tokens: &[Tokens]) -> Result<Measurement, BenchError> {
        // A rotated refresh token is spent: the warm-up gets tokens of its own.
        let (warm, tokens) = match workload {
            Workload::Refresh => tokens.split_at(tokens.len() / 2),
            _ => (tokens, tokens),
        };
        // Transactions are counted over the warm-up and the measured run together: PostgreSQL
        // reports an idle backend's counts up to 10 s late, so a reading between the two would
        // cost that wait twice. Whatever ran before has been waited for already.
        let transactions_before = self.transactions_now().await?;
        let warm_up = self.sample(workload, warm, self.options.warmup).await?;
        let quiet = machine::settle().await;
        let started = Timestamp::now();
        let before = counters(self.server)?;
        procfs::reset_peak(self.server.pid)?;
        let sample = self.sample(workload, tokens, self.options.duration).await?;
        let after = counters(self.server)?;
        let peak_rss_kib = procfs::peak_rss_kib(self.server.pid)?;
        let transactions = match transactions_before {
            Some(start) => Some(self.transactions_after(workload).await? - start),
            None => None,
        };
        Ok(Measurement {
            target: self.server.target,
            workload,
            started,
            requests: sample.requests,
            errors: sample.errors,
            first_error: sample.first_error,
            seconds: sample.seconds,
            p50_ms: sample.p50_ms,
            p99_ms: sample.p99_ms,
            server_cpu: after.server_cpu - before.server_cpu,
            database_cpu: after.database_cpu - before.database_cpu,
            peak_rss_kib,
            transactions,
            counted_requests: warm_up.requests + sample.requests,
            quiet,
        })
    }

    /// Waits until PostgreSQL has the transactions of what just ran (see [`STATS_FLUSH`]);
    /// nothing to wait for on the other servers.
    pub async fn flush_transactions(&self) {
        if self.server.database.is_some() {
            tokio::time::sleep(STATS_FLUSH).await;
        }
    }

    /// The IdP database's transaction count so far (PostgreSQL only).
    async fn transactions_now(&self) -> Result<Option<i64>, BenchError> {
        match &self.server.database {
            Some(database) => Ok(Some(servers::transactions(database).await?)),
            None => Ok(None),
        }
    }

    /// The count once the run's transactions have been reported: a workload that does not use
    /// the database leaves none to wait for but a busy backend's last second.
    async fn transactions_after(&self, workload: Workload) -> Result<i64, BenchError> {
        if workload.uses_database() {
            self.flush_transactions().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        Ok(self.transactions_now().await?.unwrap_or_default())
    }

    async fn sample(&self, workload: Workload, tokens: &[Tokens], duration: Duration) -> Result<Sample, BenchError> {
        if workload == Workload::Login {
            let flow = self.login_flow();
            let run = login::run(&self.client, &flow, self.fixture, self.options.concurrency, duration).await;
            return Ok(run.into());
        }
        let request = self.request(workload, tokens)?;
        Ok(wrk::run(&request, self.options.concurrency, duration).await?.into())
    }

    /// The sign-in measured by [`Workload::Login`]: JWT access tokens at both servers (the
    /// peer issues them for a resource), an RS256 ID token.
    pub fn login_flow(&self) -> Flow {
        let mut flow = self.flow("openid email profile orders:read");
        if self.server.target.is_peer() {
            flow.extra.push(("resource", RESOURCE.to_owned()));
        }
        flow
    }

    /// The sign-ins that provide tokens for introspection, userinfo and refresh.
    pub fn token_flow(&self) -> Flow {
        let mut flow = self.flow("openid email profile offline_access");
        if self.server.target.is_peer() {
            // oidc-provider grants offline_access only with prompt=consent (OIDC Core 11).
            flow.extra.push(("prompt", "consent".to_owned()));
        }
        flow
    }

    fn flow(&self, scope: &str) -> Flow {
        let routes = self.server.target.routes();
        Flow {
            base: self.server.base.clone(),
            authorize: routes.authorize,
            token: routes.token,
            scope: scope.to_owned(),
            extra: Vec::new(),
        }
    }

    fn request(&self, workload: Workload, tokens: &[Tokens]) -> Result<Request, BenchError> {
        let routes = self.server.target.routes();
        let basic = |client: &str, secret: &str| format!("Basic {}", STANDARD.encode(format!("{client}:{secret}")));
        let url = |path: &str| format!("{}{path}", self.server.base);
        let pool = |name: &str, values: Vec<String>| -> Result<_, BenchError> {
            let path = self.fixture.dir.join(format!("{name}.tokens"));
            wrk::write_tokens(&path, &values)?;
            Ok(Some(path))
        };
        let mut request = Request {
            method: "GET",
            url: url("/.well-known/openid-configuration"),
            body: None,
            auth: None,
            tokens: None,
            rotate: false,
        };
        match workload {
            Workload::Discovery | Workload::Login => {}
            Workload::Jwks => request.url = url(routes.jwks),
            Workload::ClientCredentials => {
                request.method = "POST";
                request.url = url(routes.token);
                request.body = Some("grant_type=client_credentials&scope=orders%3Aread".into());
                request.auth = Some(basic("service", &self.fixture.service_secret));
            }
            Workload::Introspection => {
                request.method = "POST";
                request.url = url(routes.introspect);
                request.body = Some("token={token}&token_type_hint=access_token".into());
                request.auth = Some(basic("web", &self.fixture.web_secret));
                request.tokens = pool("access", tokens.iter().map(|t| t.access_token.clone()).collect())?;
            }
            Workload::Userinfo => {
                request.url = url(routes.userinfo);
                request.auth = Some("Bearer {token}".into());
                request.tokens = pool("access", tokens.iter().map(|t| t.access_token.clone()).collect())?;
            }
            Workload::Refresh => {
                request.method = "POST";
                request.url = url(routes.token);
                request.body = Some("grant_type=refresh_token&refresh_token={token}".into());
                request.auth = Some(basic("web", &self.fixture.web_secret));
                request.tokens = pool(
                    "refresh",
                    tokens.iter().filter_map(|t| t.refresh_token.clone()).collect(),
                )?;
                request.rotate = true;
            }
        }
        Ok(request)
    }
}
