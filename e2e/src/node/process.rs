//! Starting a container's process: the host binary, in its own mount namespace where the pod's
//! volumes appear at their mount paths, as the pod's user when the node runs as root.

use std::path::Path;
use std::process::Stdio;

use k8s_openapi::api::core::v1::{Container, Pod};
use tokio::process::{Child, Command};

use super::NodeError;
use super::volumes::Materialised;

/// How to start one container.
pub struct Launch<'a> {
    /// The host binary that stands in for the image's entrypoint.
    pub binary: &'a Path,
    /// The pod.
    pub pod: &'a Pod,
    /// The container.
    pub container: &'a Container,
    /// Its resolved environment.
    pub env: &'a [(String, String)],
    /// Its expanded arguments.
    pub args: &'a [String],
    /// The pod's volumes on the host.
    pub volumes: &'a [Materialised],
    /// Where stdout and stderr go.
    pub log: &'a Path,
}

/// The user the container runs as, when the pod says and the node can switch to it.
pub fn run_as(pod: &Pod, container: &Container) -> Option<u32> {
    let from_container = container
        .security_context
        .as_ref()
        .and_then(|context| context.run_as_user);
    let from_pod = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.security_context.as_ref())
        .and_then(|context| context.run_as_user);
    let uid = from_container.or(from_pod)?;
    (is_root()).then(|| u32::try_from(uid).ok()).flatten()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The shell script that prepares the mount namespace and then becomes the container process.
fn script(launch: &Launch<'_>, uid: Option<u32>) -> String {
    let mut lines = vec!["set -e".to_owned()];
    // Mounts over an ancestor of a source (a pod mounting /tmp while the node works in /tmp)
    // go last, so every source is still visible when it is mounted.
    let sources: Vec<&Path> = launch.volumes.iter().map(|volume| volume.path.as_path()).collect();
    let mut mounts: Vec<_> = launch.container.volume_mounts.iter().flatten().collect();
    mounts.sort_by_key(|mount| sources.iter().any(|source| source.starts_with(&mount.mount_path)));
    for mount in mounts {
        let Some(volume) = launch.volumes.iter().find(|volume| volume.name == mount.name) else {
            continue;
        };
        let (source, target) = (quote(&volume.path.display().to_string()), quote(&mount.mount_path));
        // The mount point itself is created on the host, empty; the content is only visible
        // inside this pod's mount namespace.
        lines.push(format!("mkdir -p {target}"));
        lines.push(format!("mount --bind {source} {target}"));
        if mount.read_only == Some(true) {
            lines.push(format!("mount -o remount,bind,ro {target}"));
        }
    }
    let program = quote(&launch.binary.display().to_string());
    match uid {
        Some(uid) => lines.push(format!(
            "exec setpriv --reuid={uid} --regid={uid} --clear-groups -- {program} \"$@\""
        )),
        None => lines.push(format!("exec {program} \"$@\"")),
    }
    lines.join("\n")
}

/// Starts the container in a new process group. `unshare` gives it a private mount namespace;
/// without root, a user namespace makes that possible too.
pub fn spawn(launch: &Launch<'_>) -> Result<Child, NodeError> {
    let uid = run_as(launch.pod, launch.container);
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(launch.log)
        .map_err(|source| NodeError::Io {
            path: launch.log.to_owned(),
            source,
        })?;
    let log_err = log.try_clone().map_err(|source| NodeError::Io {
        path: launch.log.to_owned(),
        source,
    })?;
    let mut command = Command::new("unshare");
    if !is_root() {
        command.args(["--user", "--map-root-user"]);
    }
    command
        .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(script(launch, uid))
        .arg("container")
        .args(launch.args)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .envs(launch.env.iter().map(|(name, value)| (name.as_str(), value.as_str())))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .kill_on_drop(true);
    command.spawn().map_err(|source| NodeError::Io {
        path: "unshare".into(),
        source,
    })
}

/// Asks the container to stop (SIGTERM to its process group), then kills it after `grace`.
pub async fn stop(child: &mut Child, grace: std::time::Duration) {
    if let Some(pid) = child.id() {
        signal_group("TERM", pid).await;
        if tokio::time::timeout(grace, child.wait()).await.is_ok() {
            return;
        }
        signal_group("KILL", pid).await;
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// `kill -s SIGNAL -- -PGID`: the `--` matters, or procps reads the group as an option.
async fn signal_group(signal: &str, pid: u32) {
    let _ = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pid}")])
        .status()
        .await;
}
