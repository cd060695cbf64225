//! Pod volumes on the host: Secret volumes as files (kept in sync, like the kubelet does),
//! PersistentVolumeClaims as directories that outlive the pod, `emptyDir` as fresh directories.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Pod, Secret, Volume};
use kube::Api;

use super::NodeError;

/// A volume of the pod, materialised.
#[derive(Debug, Clone)]
pub struct Materialised {
    /// Volume name.
    pub name: String,
    /// Host directory.
    pub path: PathBuf,
    /// For Secret volumes, the Secret to keep in sync.
    pub secret: Option<String>,
}

/// Materialises every volume of `pod` below `pod_dir` (claims below `claims_dir`).
pub async fn materialise(
    pod: &Pod,
    pod_dir: &Path,
    claims_dir: &Path,
    secrets: &Api<Secret>,
    owner: Option<u32>,
) -> Result<Vec<Materialised>, NodeError> {
    let mut out = Vec::new();
    for volume in pod
        .spec
        .as_ref()
        .and_then(|spec| spec.volumes.as_ref())
        .into_iter()
        .flatten()
    {
        out.push(materialise_one(volume, pod, pod_dir, claims_dir, secrets, owner).await?);
    }
    Ok(out)
}

async fn materialise_one(
    volume: &Volume,
    pod: &Pod,
    pod_dir: &Path,
    claims_dir: &Path,
    secrets: &Api<Secret>,
    owner: Option<u32>,
) -> Result<Materialised, NodeError> {
    let name = volume.name.clone();
    if let Some(source) = &volume.secret {
        let secret = source.secret_name.clone().unwrap_or_default();
        let path = pod_dir.join("volumes").join(&name);
        sync_secret(secrets, &secret, &path).await?;
        return Ok(Materialised {
            name,
            path,
            secret: Some(secret),
        });
    }
    if let Some(claim) = &volume.persistent_volume_claim {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let path = claims_dir.join(format!("{namespace}_{}", claim.claim_name));
        create_dir(&path, owner)?;
        return Ok(Materialised {
            name,
            path,
            secret: None,
        });
    }
    if volume.empty_dir.is_some() {
        let path = pod_dir.join("volumes").join(&name);
        create_dir(&path, owner)?;
        return Ok(Materialised {
            name,
            path,
            secret: None,
        });
    }
    Err(NodeError::Unsupported(format!(
        "volume {name}: only secret, persistentVolumeClaim and emptyDir volumes are provided"
    )))
}

fn create_dir(path: &Path, owner: Option<u32>) -> Result<(), NodeError> {
    std::fs::create_dir_all(path).map_err(|source| NodeError::Io {
        path: path.to_owned(),
        source,
    })?;
    if let Some(uid) = owner {
        // fsGroup semantics, simplified: the pod's user owns its writable volumes.
        std::os::unix::fs::chown(path, Some(uid), Some(uid)).map_err(|source| NodeError::Io {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(())
}

/// Writes every key of Secret `name` as a file in `dir`, replacing changed files atomically and
/// removing files of keys that are gone. Returns whether anything changed.
pub async fn sync_secret(secrets: &Api<Secret>, name: &str, dir: &Path) -> Result<bool, NodeError> {
    let secret = secrets
        .get_opt(name)
        .await
        .map_err(NodeError::Api)?
        .ok_or_else(|| NodeError::Waiting(format!("Secret {name}")))?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| NodeError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let data = secret.data.unwrap_or_default();
    let mut changed = false;
    for (key, value) in &data {
        let file = dir.join(key);
        if std::fs::read(&file).ok().as_deref() == Some(value.0.as_slice()) {
            continue;
        }
        let temporary = dir.join(format!(".{key}.tmp"));
        std::fs::write(&temporary, &value.0).map_err(io(&temporary))?;
        std::fs::rename(&temporary, &file).map_err(io(&file))?;
        changed = true;
    }
    for entry in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let key = entry.file_name().to_string_lossy().into_owned();
        if !key.starts_with('.') && !data.contains_key(&key) {
            std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            changed = true;
        }
    }
    Ok(changed)
}
