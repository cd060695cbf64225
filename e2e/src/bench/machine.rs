//! The machine a run measures on, the versions of everything measured, and how quiet the machine
//! is before each measurement (load average, CPU busy, no build running).

use std::process::Command;
use std::time::{Duration, Instant};

use super::procfs;

/// The hardware and operating system.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Online logical CPUs.
    pub cores: usize,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Total memory in MiB.
    pub memory_mib: u64,
    /// `uname -sr`.
    pub kernel: String,
    /// `PRETTY_NAME` of `/etc/os-release`.
    pub os: String,
}

impl Machine {
    /// Reads it from `/proc` and `/etc`.
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name")?.split_once(':').map(|(_, m)| m.trim()))
            .unwrap_or("unknown")
            .to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            memory_mib: procfs::parse_status_kib(&meminfo, "MemTotal").unwrap_or(0) / 1024,
            kernel: output("uname", &["-sr"]),
            os: os_release
                .lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .unwrap_or("unknown")
                .trim_matches('"')
                .to_owned(),
        }
    }
}

/// The first line a command prints (stdout, else stderr), or `unknown`.
pub fn output(program: &str, args: &[&str]) -> String {
    let Ok(out) = Command::new(program).args(args).output() else {
        return "unknown".into();
    };
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or("unknown")
        .trim()
        .to_owned()
}

/// How quiet the machine was just before a measurement.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet {
    /// One-minute load average.
    pub load1: f64,
    /// Share of all CPUs busy over one second, in percent.
    pub busy_percent: f64,
    /// Seconds spent waiting for a build to finish or the machine to calm down.
    pub waited_seconds: f64,
}

/// Busy CPUs must stay below this share before a measurement starts (the operator's control
/// plane idles in the background during the IdP measurements).
const QUIET_BUSY_PERCENT: f64 = 15.0;
/// How long to wait for quiet before measuring anyway (the report shows the figures).
const QUIET_PATIENCE: Duration = Duration::from_secs(30);

/// Waits until no cargo or rustc process runs (indefinitely: measuring during a build would be
/// meaningless) and CPUs are mostly idle (at most [`QUIET_PATIENCE`]); returns what it saw.
pub async fn settle() -> Quiet {
    let started = Instant::now();
    while procfs::build_running() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut busy = busy_percent(Duration::from_secs(1)).await;
    while busy > QUIET_BUSY_PERCENT && started.elapsed() < QUIET_PATIENCE {
        busy = busy_percent(Duration::from_secs(1)).await;
    }
    Quiet {
        load1: load1(),
        busy_percent: busy,
        waited_seconds: started.elapsed().as_secs_f64() - 1.0,
    }
}

/// The one-minute load average.
pub fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Busy and total jiffies of all CPUs, from the first line of `/proc/stat`.
fn cpu_jiffies() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|value| value.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    // idle and iowait are the 4th and 5th values.
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// The share of all CPUs busy over `window`, in percent.
pub async fn busy_percent(window: Duration) -> f64 {
    let (busy_before, total_before) = cpu_jiffies();
    tokio::time::sleep(window).await;
    let (busy_after, total_after) = cpu_jiffies();
    let total = total_after.saturating_sub(total_before).max(1);
    100.0 * busy_after.saturating_sub(busy_before) as f64 / total as f64
}

/// Versions of everything the report compares.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    /// rustc.
    pub rustc: String,
    /// Node.js.
    pub node: String,
    /// oidc-provider, from its package.json.
    pub oidc_provider: String,
    /// @node-rs/argon2, from its package.json.
    pub node_argon2: String,
    /// PostgreSQL server.
    pub postgres: String,
    /// wrk.
    pub wrk: String,
    /// kube-apiserver.
    pub kube_apiserver: String,
    /// This checkout's commit.
    pub commit: String,
}

/// The `version` of an npm package installed under `bench/peer/node_modules`.
pub fn npm_version(peer_dir: &std::path::Path, package: &str) -> String {
    let path = peer_dir.join("node_modules").join(package).join("package.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// The checkout's commit, noting uncommitted changes to tracked files (other than the report).
pub fn commit() -> String {
    let commit = output("git", &["rev-parse", "--short", "HEAD"]);
    let status = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    let dirty = status
        .lines()
        .any(|line| !line.ends_with("bench/report.md") && !line.ends_with("BENCHMARKS.md"));
    if dirty {
        format!("{commit} with uncommitted changes")
    } else {
        commit
    }
}
