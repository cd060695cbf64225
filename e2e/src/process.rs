//! Child processes that cannot outlive the test binary.
//!
//! A [`Supervisor`] starts a small watchdog shell first. Every child it spawns runs in its own
//! process group, whose id the supervisor writes to the watchdog's stdin. When the test binary
//! exits for any reason (normal exit, panic, SIGKILL) the kernel closes that pipe; the watchdog
//! reads end-of-file, terminates every group (SIGTERM, then SIGKILL) and removes the work
//! directory. Statics are never dropped in Rust, so this is what tears the cluster down.

use std::fs::File;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// Why a process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The watchdog shell did not start.
    #[error("starting the watchdog failed: {0}")]
    StartWatchdog(#[source] std::io::Error),
    /// A log file could not be created.
    #[error("creating log file {path} failed: {source}")]
    CreateLog {
        /// The log file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The program did not start.
    #[error("starting {program} failed: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The watchdog could not be told about a child.
    #[error("registering pid {pid} with the watchdog failed: {source}")]
    Register {
        /// The child's pid.
        pid: u32,
        /// Cause.
        source: std::io::Error,
    },
}

const WATCHDOG: &str = r#"
groups=""
while read -r group; do groups="$groups $group"; done
for group in $groups; do kill -TERM "-$group" 2>/dev/null; done
for _ in 1 2 3 4 5 6 7 8 9 10; do
  alive=""
  for group in $groups; do kill -0 "-$group" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.5
done
for group in $groups; do kill -KILL "-$group" 2>/dev/null; done
[ -n "$1" ] && rm -rf -- "$1"
"#;

/// Starts processes that are killed, with their process groups, when this process ends.
pub struct Supervisor {
    dir: PathBuf,
    watchdog: Mutex<ChildStdin>,
    // Kept so the watchdog's own handle is not dropped (dropping does not kill it either way).
    _watchdog_child: Child,
    children: Mutex<Vec<(String, Child)>>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor whose watchdog also removes `dir` once every child is gone.
    pub fn new(dir: &Path) -> Result<Self, ProcessError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("vestibule-watchdog")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(ProcessError::StartWatchdog)?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| ProcessError::StartWatchdog(std::io::Error::other("the watchdog has no stdin")))?;
        Ok(Self {
            dir: dir.to_owned(),
            watchdog: Mutex::new(stdin),
            _watchdog_child: child,
            children: Mutex::new(Vec::new()),
        })
    }

    /// The directory the supervised processes work in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Spawns `command` in a new process group with stdout and stderr appended to
    /// `<dir>/<name>.log`, and registers it with the watchdog. Returns the log's path.
    pub fn spawn(&self, name: &str, mut command: Command) -> Result<PathBuf, ProcessError> {
        let log = self.dir.join(format!("{name}.log"));
        let open = || {
            File::options()
                .create(true)
                .append(true)
                .open(&log)
                .map_err(|source| ProcessError::CreateLog {
                    path: log.clone(),
                    source,
                })
        };
        command
            .stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .process_group(0);
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            program: format!("{:?}", command.get_program()),
            source,
        })?;
        let pid = child.id();
        let register = self
            .watchdog
            .lock()
            .map_err(|_| std::io::Error::other("watchdog lock poisoned"))
            .and_then(|mut stdin| writeln!(stdin, "{pid}").and_then(|()| stdin.flush()));
        if let Ok(mut children) = self.children.lock() {
            children.push((name.to_owned(), child));
        }
        register.map_err(|source| ProcessError::Register { pid, source })?;
        Ok(log)
    }

    /// Registers a process group the caller spawned and manages itself (the fake node's pods),
    /// so the watchdog kills it too if the test binary dies first.
    pub fn register(&self, pid: u32) -> Result<(), ProcessError> {
        self.watchdog
            .lock()
            .map_err(|_| std::io::Error::other("watchdog lock poisoned"))
            .and_then(|mut stdin| writeln!(stdin, "{pid}").and_then(|()| stdin.flush()))
            .map_err(|source| ProcessError::Register { pid, source })
    }

    /// The process id of the child spawned as `name` (the latest, if several were).
    pub fn pid(&self, name: &str) -> Option<u32> {
        let children = self.children.lock().ok()?;
        children
            .iter()
            .rev()
            .find(|(spawned, _)| spawned == name)
            .map(|(_, child)| child.id())
    }

    /// Names of children that have exited, with their exit status: a quick health check.
    pub fn exited(&self) -> Vec<String> {
        let Ok(mut children) = self.children.lock() else {
            return Vec::new();
        };
        children
            .iter_mut()
            .filter_map(|(_, child)| match child.try_wait() {
                Ok(Some(status)) => Some(format!("pid {} exited: {status}", child.id())),
                _ => None,
            })
            .collect()
    }
}
