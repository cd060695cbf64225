//! Runs `e2e/scripts/control-plane-install.sh` (idempotent) and reads the `NAME=PATH` lines it
//! prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the binaries are not available.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The script did not run.
    #[error("running {script} failed: {source}")]
    Run {
        /// The script.
        script: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The script failed.
    #[error("{script} failed ({status}); its output:\n{stderr}")]
    Failed {
        /// The script.
        script: PathBuf,
        /// Exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A binary the harness needs was not printed.
    #[error("{script} printed no {name}= line")]
    Missing {
        /// The script.
        script: PathBuf,
        /// The missing name.
        name: &'static str,
    },
}

/// Paths of the control-plane binaries.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// etcd.
    pub etcd: PathBuf,
    /// kube-apiserver.
    pub kube_apiserver: PathBuf,
    /// kube-controller-manager.
    pub kube_controller_manager: PathBuf,
    /// kubectl.
    pub kubectl: PathBuf,
    /// helm.
    pub helm: PathBuf,
}

/// The install script's path in this checkout.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/control-plane-install.sh")
}

/// Installs what is missing (a no-op of a few seconds once cached) and returns the paths.
pub fn ensure_binaries() -> Result<Binaries, InstallError> {
    let script = script();
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|source| InstallError::Run {
            script: script.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(InstallError::Failed {
            script,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let paths = parse(&String::from_utf8_lossy(&output.stdout));
    let get = |name: &'static str| {
        paths.get(name).cloned().ok_or_else(|| InstallError::Missing {
            script: script.clone(),
            name,
        })
    };
    Ok(Binaries {
        etcd: get("ETCD")?,
        kube_apiserver: get("KUBE_APISERVER")?,
        kube_controller_manager: get("KUBE_CONTROLLER_MANAGER")?,
        kubectl: get("KUBECTL")?,
        helm: get("HELM")?,
    })
}

/// Installs only helm and kubectl (no control plane) and returns `(helm, kubectl)`.
pub fn ensure_helm_kubectl() -> Result<(PathBuf, PathBuf), InstallError> {
    let script = script();
    let output = Command::new("bash")
        .arg(&script)
        .arg("helm")
        .output()
        .map_err(|source| InstallError::Run {
            script: script.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(InstallError::Failed {
            script,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let paths = parse(&String::from_utf8_lossy(&output.stdout));
    let get = |name: &'static str| {
        paths.get(name).cloned().ok_or_else(|| InstallError::Missing {
            script: script.clone(),
            name,
        })
    };
    Ok((get("HELM")?, get("KUBECTL")?))
}

/// Parses `NAME=PATH` lines; `printf %q` quoting is undone for the plain paths it produces.
pub fn parse(stdout: &str) -> BTreeMap<String, PathBuf> {
    stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, path)| {
            let path = path.trim().trim_matches('\'').replace("\\ ", " ");
            (name.trim().to_owned(), PathBuf::from(path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_path_lines_are_parsed() {
        let paths = parse("ETCD=/usr/bin/etcd\nHELM=/root/.cache/vestibule/helm-kubectl/bin/helm\nnoise\n");
        assert_eq!(paths["ETCD"], PathBuf::from("/usr/bin/etcd"));
        assert_eq!(paths.len(), 2);
    }
}
