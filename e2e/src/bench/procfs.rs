//! What the kernel knows about a process: CPU time used, peak and current resident memory.
//!
//! CPU time is `utime + stime` from `/proc/<pid>/stat` (clock ticks, `CLK_TCK` = 100 on Linux
//! x86-64 and arm64); memory is `VmRSS` and `VmHWM` from `/proc/<pid>/status`. Writing `5` to
//! `/proc/<pid>/clear_refs` resets `VmHWM`, so each workload gets its own peak.

use std::path::PathBuf;

/// Clock ticks per second of `/proc/<pid>/stat` times (`sysconf(_SC_CLK_TCK)`).
const TICKS_PER_SECOND: f64 = 100.0;

/// Why a process could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading {path} failed: {reason}")]
pub struct ProcError {
    /// The file.
    pub path: PathBuf,
    /// Cause.
    pub reason: String,
}

fn read(pid: u32, file: &str) -> Result<String, ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/{file}"));
    std::fs::read_to_string(&path).map_err(|error| ProcError {
        path,
        reason: error.to_string(),
    })
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> Result<f64, ProcError> {
    let stat = read(pid, "stat")?;
    parse_cpu_ticks(&stat)
        .map(|ticks| ticks as f64 / TICKS_PER_SECOND)
        .ok_or_else(|| ProcError {
            path: format!("/proc/{pid}/stat").into(),
            reason: "no utime/stime fields".into(),
        })
}

/// `utime + stime` of a `/proc/<pid>/stat` line. The command name may contain spaces and
/// parentheses, so fields are counted after its closing parenthesis.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15 (man 5 proc).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A `kB` line of `/proc/<pid>/status`, in KiB.
fn status_kib(pid: u32, key: &str) -> Result<u64, ProcError> {
    let status = read(pid, "status")?;
    parse_status_kib(&status, key).ok_or_else(|| ProcError {
        path: format!("/proc/{pid}/status").into(),
        reason: format!("no {key} line"),
    })
}

/// The value of `key:` in a `/proc/<pid>/status` text, in KiB.
pub fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

/// Current resident memory, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, ProcError> {
    status_kib(pid, "VmRSS")
}

/// Resident memory backed by files (the executable's own code pages, mostly), in KiB.
pub fn rss_file_kib(pid: u32) -> Result<u64, ProcError> {
    status_kib(pid, "RssFile")
}

/// Peak resident memory since start or since the last [`reset_peak`], in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<u64, ProcError> {
    status_kib(pid, "VmHWM")
}

/// Resets the peak resident memory to the current one (Linux 4.0+).
pub fn reset_peak(pid: u32) -> Result<(), ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/clear_refs"));
    std::fs::write(&path, "5").map_err(|error| ProcError {
        path,
        reason: error.to_string(),
    })
}

/// The ids of every process whose command name (`/proc/<pid>/comm`) is `name`.
pub fn pids_named(name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| read(*pid, "comm").is_ok_and(|comm| comm.trim() == name))
        .collect()
}

/// CPU seconds used so far by every process named `name` (PostgreSQL's server processes).
/// Processes that ended in between are missed: compare only across a window where the set of
/// processes is stable (a connection pool that stays open).
pub fn cpu_seconds_of_all(name: &str) -> f64 {
    pids_named(name)
        .into_iter()
        .filter_map(|pid| cpu_seconds(pid).ok())
        .sum()
}

/// Whether a process named `cargo` or `rustc` is running (a build would disturb measurements).
pub fn build_running() -> bool {
    ["cargo", "rustc"].iter().any(|name| !pids_named(name).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "1234 (tokio (rt) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1 2 3";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
    }

    #[test]
    fn status_lines_are_read_in_kib() {
        let status = "Name:\tidp\nVmHWM:\t   31848 kB\nVmRSS:\t   15264 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(31848));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(15264));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_can_be_measured() {
        let pid = std::process::id();
        assert!(cpu_seconds(pid).unwrap() >= 0.0);
        assert!(rss_kib(pid).unwrap() > 0);
        // The peak is read after the current size: other tests allocate meanwhile.
        let rss = rss_kib(pid).unwrap();
        assert!(peak_rss_kib(pid).unwrap() >= rss);
    }
}
