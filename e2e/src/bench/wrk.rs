//! Single-request workloads through `wrk` (Debian's package): one thread, keep-alive connections,
//! the request shaped by `bench/wrk/workload.lua`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

use super::BenchError;

/// One request shape.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The absolute URL.
    pub url: String,
    /// A form body; `{token}` is replaced by a token of the pool.
    pub body: Option<String>,
    /// The `Authorization` header; `{token}` likewise.
    pub auth: Option<String>,
    /// A file with one token per line.
    pub tokens: Option<PathBuf>,
    /// Each token once; the answers' refresh tokens join the pool.
    pub rotate: bool,
}

/// What `workload.lua` printed at the end.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Outcome {
    /// Completed requests (any status).
    pub requests: u64,
    /// Measured time, in microseconds.
    pub duration_us: u64,
    /// Connection errors.
    pub connect: u64,
    /// Read errors.
    pub read: u64,
    /// Write errors.
    pub write: u64,
    /// Answers other than 2xx and 3xx.
    pub status: u64,
    /// Requests that timed out.
    pub timeout: u64,
    /// Median latency, microseconds.
    pub p50_us: u64,
    /// 99th percentile latency, microseconds.
    pub p99_us: u64,
    /// Worst latency, microseconds.
    pub max_us: u64,
}

impl Outcome {
    /// Every kind of failure.
    pub fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }
}

/// `bench/wrk/workload.lua` of this checkout.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/wrk/workload.lua")
}

/// Runs `request` over `connections` connections for `duration`.
pub async fn run(request: &Request, connections: usize, duration: Duration) -> Result<Outcome, BenchError> {
    let mut command = Command::new("wrk");
    command
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{}s", duration.as_secs().max(1)),
        ])
        .args(["--timeout", "10s", "-s"])
        .arg(script())
        .arg(&request.url)
        .env("BENCH_METHOD", request.method)
        .kill_on_drop(true);
    for (name, value) in [("BENCH_BODY", &request.body), ("BENCH_AUTH", &request.auth)] {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    if let Some(tokens) = &request.tokens {
        command.env("BENCH_TOKENS", tokens);
    }
    if request.rotate {
        command.env("BENCH_ROTATE", "1");
    }
    let output = command
        .output()
        .await
        .map_err(|e| BenchError::setup("running wrk (apt-get install wrk)", e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH_RESULT "))
        .ok_or_else(|| {
            BenchError::Tool(format!(
                "wrk printed no result for {}: {stdout}{}",
                request.url,
                String::from_utf8_lossy(&output.stderr)
            ))
        })?;
    serde_json::from_str(line).map_err(|e| BenchError::Tool(format!("wrk's result {line}: {e}")))
}

/// Writes a token pool file.
pub fn write_tokens(path: &Path, tokens: &[String]) -> Result<(), BenchError> {
    std::fs::write(path, tokens.join("\n")).map_err(|e| BenchError::io(path, e))
}
