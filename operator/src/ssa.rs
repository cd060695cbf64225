//! Server-side apply of children, only when something differs: zero writes at steady state.
//!
//! Every applied object carries the hash of the desired object in an annotation. A child is
//! applied when the hash differs (we now want something else, including fewer fields) or when
//! the desired object is no longer a semantic subset of the live one (someone edited or deleted
//! it). Each controller applies with its own field manager, forced, so its fields always win.
//!
//! Only objects the operator owns are written or deleted: a live object without the desired
//! object's owner reference is someone else's, and is left alone ([`ApplyError::NotOwned`]).

use std::fmt::Debug;

use kube::api::{DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::names::DESIRED_HASH_ANNOTATION;
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
    /// Creating the object failed (another writer may have created it first).
    #[error("creating {kind} {name} failed: {source}")]
    Create {
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
    /// An object of that name exists and is not ours: it is left alone.
    #[error("{kind} {name} exists and is not owned by the operator")]
    NotOwned {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
    },
    /// The object changed since it was read, so a write planned from it was not made.
    #[error("{kind} {name} changed since it was read; not written")]
    Stale {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
    },
}

impl ApplyError {
    /// Whether the API server refused the write for good (admission, validation, an immutable
    /// field, a quota, RBAC): retrying the same write cannot succeed until someone acts.
    pub fn is_refusal(&self) -> bool {
        let source = match self {
            Self::Patch { source, .. } | Self::Create { source, .. } | Self::Delete { source, .. } => source,
            Self::Get { .. } | Self::Serialize { .. } | Self::NotOwned { .. } | Self::Stale { .. } => return false,
        };
        // 409 is a lost race and 429 throttling: both pass. Other 4xx answers judge the request.
        matches!(source, kube::Error::Api(status) if (400..500).contains(&status.code) && status.code != 409 && status.code != 429)
    }
}

/// What [`apply`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The live object already matched.
    Unchanged,
    /// The object was created or patched.
    Patched,
}

/// Stamps `desired` with its hash and applies it as `manager` unless the live object already
/// matches. A live object without `desired`'s owner reference is not touched.
pub async fn apply<K>(api: &Api<K>, desired: K, manager: &str) -> Result<Applied, ApplyError>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let live = read(api, &desired.name_any()).await?;
    if let Some(live) = &live
        && !shares_owner(live, &desired)
    {
        return Err(not_owned(&desired));
    }
    apply_over(api, desired, live.as_ref(), manager).await
}

/// The live object `name`, if it exists.
pub async fn read<K>(api: &Api<K>, name: &str) -> Result<Option<K>, ApplyError>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
{
    api.get_opt(name).await.map_err(|source| ApplyError::Get {
        kind: K::kind(&()).into_owned(),
        name: name.to_owned(),
        source,
    })
}

/// [`apply`] once ownership of `live` was established by the caller. A `resourceVersion` on
/// `desired` makes the write conditional on the object being unchanged since it was read.
pub async fn apply_over<K>(api: &Api<K>, mut desired: K, live: Option<&K>, manager: &str) -> Result<Applied, ApplyError>
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
    if let Some(live) = live {
        let same_hash = live.annotations().get(DESIRED_HASH_ANNOTATION) == Some(&hash);
        let want = serde_json::to_value(&desired).map_err(|e| serialize(e.to_string()))?;
        let have = serde_json::to_value(live).map_err(|e| serialize(e.to_string()))?;
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
    let params = PatchParams::apply(manager).force();
    api.patch(&name, &params, &Patch::Apply(&desired))
        .await
        .map_err(|source| ApplyError::Patch { kind, name, source })?;
    Ok(Applied::Patched)
}

/// Creates `desired` (stamped with its hash) as `manager`; fails if the name is taken, so of two
/// writers creating the same object exactly one succeeds.
pub async fn create<K>(api: &Api<K>, mut desired: K, manager: &str) -> Result<Applied, ApplyError>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let kind = K::kind(&()).into_owned();
    let name = desired.name_any();
    let hash = desired_hash(&desired).map_err(|reason| ApplyError::Serialize {
        kind: kind.clone(),
        name: name.clone(),
        reason,
    })?;
    desired.annotations_mut().insert(DESIRED_HASH_ANNOTATION.into(), hash);
    tracing::info!(%kind, %name, "creating");
    let params = PostParams {
        field_manager: Some(manager.to_owned()),
        ..PostParams::default()
    };
    match api.create(&params, &desired).await {
        Ok(_) => Ok(Applied::Patched),
        Err(kube::Error::Api(status)) if status.code == 409 => Err(ApplyError::Stale { kind, name }),
        Err(source) => Err(ApplyError::Create { kind, name, source }),
    }
}

/// Whether `live` carries one of `desired`'s owner references: the operator made it for the
/// same owner. An object without them is someone else's.
pub fn shares_owner<K: Resource>(live: &K, desired: &K) -> bool {
    desired
        .owner_references()
        .iter()
        .any(|owner| owned_by(live, &owner.uid))
}

/// Whether `object` has an owner reference to the object with `uid`.
pub fn owned_by<K: Resource>(object: &K, uid: &str) -> bool {
    object.owner_references().iter().any(|owner| owner.uid == uid)
}

/// The refusal for `desired`'s name being taken by someone else's object.
pub fn not_owned<K: Resource<DynamicType = ()>>(desired: &K) -> ApplyError {
    ApplyError::NotOwned {
        kind: K::kind(&()).into_owned(),
        name: desired.meta().name.clone().unwrap_or_default(),
    }
}

/// Deletes `name` if it exists and is owned by the object with `owner_uid`; someone else's
/// object of that name is left alone. Returns whether it deleted.
pub async fn delete_owned<K>(api: &Api<K>, name: &str, owner_uid: &str) -> Result<bool, ApplyError>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
{
    let kind = K::kind(&()).into_owned();
    let live = api.get_metadata_opt(name).await.map_err(|source| ApplyError::Get {
        kind: kind.clone(),
        name: name.to_owned(),
        source,
    })?;
    let Some(live) = live.filter(|live| owned_by(live, owner_uid)) else {
        return Ok(false);
    };
    // The uid precondition deletes exactly the object checked, not a namesake created since.
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: live.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    match api.delete(name, &params).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.is_not_found() || status.code == 409 => Ok(false),
        Err(source) => Err(ApplyError::Delete {
            kind,
            name: name.to_owned(),
            source,
        }),
    }
}

/// The hex SHA-256 of the object's JSON without the hash annotation and the resourceVersion
/// (a precondition, not content): stable across runs.
pub fn desired_hash<K: Serialize + Clone + Resource>(object: &K) -> Result<String, String> {
    let mut copy = object.clone();
    copy.annotations_mut().remove(DESIRED_HASH_ANNOTATION);
    copy.meta_mut().resource_version = None;
    let json = serde_json::to_vec(&copy).map_err(|error| error.to_string())?;
    Ok(hex::encode(Sha256::digest(&json)))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use kube::api::ObjectMeta;
    use kube::core::Status;

    use super::*;

    fn secret(owner: Option<&str>, version: Option<&str>) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some("demo-idp-keys".into()),
                resource_version: version.map(str::to_owned),
                owner_references: owner.map(|uid| {
                    vec![OwnerReference {
                        uid: uid.into(),
                        ..OwnerReference::default()
                    }]
                }),
                ..ObjectMeta::default()
            },
            ..Secret::default()
        }
    }

    #[test]
    fn only_an_object_with_the_desired_owner_is_ours() {
        let desired = secret(Some("tenant"), None);
        assert!(shares_owner(&secret(Some("tenant"), None), &desired));
        assert!(!shares_owner(&secret(None, None), &desired), "a user's own object");
        assert!(!shares_owner(&secret(Some("other"), None), &desired));
    }

    #[test]
    fn the_resource_version_is_a_precondition_not_content() {
        let planned = desired_hash(&secret(None, Some("41"))).unwrap();
        assert_eq!(planned, desired_hash(&secret(None, None)).unwrap());
    }

    #[test]
    fn refusals_are_the_api_servers_final_answers() {
        let answer = |code: u16| ApplyError::Patch {
            kind: "Secret".into(),
            name: "s".into(),
            source: kube::Error::Api(Box::new(Status {
                code,
                ..Status::default()
            })),
        };
        assert!(answer(403).is_refusal(), "a quota or an admission webhook");
        assert!(answer(422).is_refusal(), "an invalid or immutable field");
        assert!(!answer(409).is_refusal(), "a lost race");
        assert!(!answer(429).is_refusal(), "throttling");
        assert!(!answer(500).is_refusal());
    }
}
