//! Installs the chart's CRDs by create or replace. Never server-side apply: Kubernetes 1.20 does
//! not know the CEL fields (`x-kubernetes-validations`) and refuses them under SSA, while a
//! create or replace succeeds and the server drops what it does not know.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{PostParams, ResourceExt};

use crate::wait::wait_for;

/// Why the CRDs are not installed.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// A manifest could not be read or parsed.
    #[error("reading CRD manifest {path} failed: {reason}")]
    Read {
        /// The manifest.
        path: PathBuf,
        /// Cause.
        reason: String,
    },
    /// The API server refused a CRD.
    #[error("installing CRD {name} failed: {source}")]
    Install {
        /// The CRD.
        name: String,
        /// Cause.
        source: kube::Error,
    },
    /// A CRD did not become established.
    #[error("CRD {name} was not established within {timeout:?}")]
    NotEstablished {
        /// The CRD.
        name: String,
        /// How long the harness waited.
        timeout: Duration,
    },
}

/// The chart's CRD directory in this checkout.
pub fn chart_crd_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/vestibule/files/crds")
}

/// Reads every `*.yaml` CRD in `dir`, in file-name order.
pub fn read_dir(dir: &Path) -> Result<Vec<CustomResourceDefinition>, CrdError> {
    let fail = |path: &Path, reason: String| CrdError::Read {
        path: path.to_owned(),
        reason,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| fail(dir, error.to_string()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|error| fail(path, error.to_string()))?;
            serde_yaml::from_str(&text).map_err(|error| fail(path, error.to_string()))
        })
        .collect()
}

/// Creates each CRD, or replaces it when it exists, then waits until all are established.
pub async fn install(client: &kube::Client, crds: Vec<CustomResourceDefinition>) -> Result<(), CrdError> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for mut crd in crds {
        let name = crd.name_any();
        let fail = |source| CrdError::Install {
            name: name.clone(),
            source,
        };
        match api.get_opt(&name).await.map_err(fail)? {
            Some(live) => {
                crd.metadata.resource_version = live.resource_version();
                api.replace(&name, &PostParams::default(), &crd).await.map_err(fail)?;
            }
            None => {
                api.create(&PostParams::default(), &crd).await.map_err(fail)?;
            }
        }
        let timeout = Duration::from_secs(30);
        let established = wait_for(timeout, || async {
            let crd = api.get(&name).await.ok()?;
            let conditions = crd.status?.conditions?;
            conditions
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
                .then_some(())
        })
        .await;
        established.ok_or(CrdError::NotEstablished { name, timeout })?;
    }
    Ok(())
}
