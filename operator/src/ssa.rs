//! Server-side apply of children, only when something differs: zero writes at steady state.
//!
//! Every applied object carries the hash of the desired object in an annotation. A child is
//! applied when the hash differs (we now want something else, including fewer fields) or when
//! the desired object is no longer a semantic subset of the live one (someone edited or deleted
//! it). One field manager, forced, so the operator's fields always win.

use std::fmt::Debug;

use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::names::{DESIRED_HASH_ANNOTATION, FIELD_MANAGER};
use crate::subset::{first_difference, is_subset};

/// Why a child could not be applied or removed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Reading the live object failed.
    #[error("reading {kind} {name} failed: {source}")]
    Get {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
        /// Cause.
        source: kube::Error,
    },
    /// The server-side apply failed.
    #[error("applying {kind} {name} failed: {source}")]
    Patch {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
        /// Cause.
        source: kube::Error,
    },
    /// Deleting an unwanted child failed.
    #[error("deleting {kind} {name} failed: {source}")]
    Delete {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
        /// Cause.
        source: kube::Error,
    },
    /// The desired object does not serialize.
    #[error("serializing {kind} {name} failed: {reason}")]
    Serialize {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
        /// Cause.
        reason: String,
    },
}

/// What [`apply`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The live object already matched.
    Unchanged,
    /// The object was created or patched.
    Patched,
}

/// Stamps `desired` with its hash and applies it unless the live object already matches.
pub async fn apply<K>(api: &Api<K>, mut desired: K) -> Result<Applied, ApplyError>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let kind = K::kind(&()).into_owned();
    let name = desired.name_any();
    let serialize = |reason: String| ApplyError::Serialize {
        kind: kind.clone(),
        name: name.clone(),
        reason,
    };
    let hash = desired_hash(&desired).map_err(serialize)?;
    desired
        .annotations_mut()
        .insert(DESIRED_HASH_ANNOTATION.into(), hash.clone());
    let live = api.get_opt(&name).await.map_err(|source| ApplyError::Get {
        kind: kind.clone(),
        name: name.clone(),
        source,
    })?;
    if let Some(live) = live {
        let same_hash = live.annotations().get(DESIRED_HASH_ANNOTATION) == Some(&hash);
        let want = serde_json::to_value(&desired).map_err(|e| serialize(e.to_string()))?;
        let have = serde_json::to_value(&live).map_err(|e| serialize(e.to_string()))?;
        if same_hash && is_subset(&want, &have) {
            return Ok(Applied::Unchanged);
        }
        let drift = if same_hash {
            first_difference(&want, &have)
        } else {
            None
        };
        tracing::info!(%kind, %name, changed = !same_hash, ?drift, "applying");
    } else {
        tracing::info!(%kind, %name, "creating");
    }
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(&name, &params, &Patch::Apply(&desired))
        .await
        .map_err(|source| ApplyError::Patch { kind, name, source })?;
    Ok(Applied::Patched)
}

/// Deletes the child `name` if it exists. Returns whether it did.
pub async fn delete_if_present<K>(api: &Api<K>, name: &str) -> Result<bool, ApplyError>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
{
    let kind = K::kind(&()).into_owned();
    let exists = api.get_metadata_opt(name).await.map_err(|source| ApplyError::Get {
        kind: kind.clone(),
        name: name.to_owned(),
        source,
    })?;
    if exists.is_none() {
        return Ok(false);
    }
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(false),
        Err(source) => Err(ApplyError::Delete {
            kind,
            name: name.to_owned(),
            source,
        }),
    }
}

/// The hex SHA-256 of the object's JSON without the hash annotation: stable across runs.
pub fn desired_hash<K: Serialize + Clone + Resource>(object: &K) -> Result<String, String> {
    let mut copy = object.clone();
    copy.annotations_mut().remove(DESIRED_HASH_ANNOTATION);
    let json = serde_json::to_vec(&copy).map_err(|error| error.to_string())?;
    Ok(hex::encode(Sha256::digest(&json)))
}
