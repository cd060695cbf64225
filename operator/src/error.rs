//! The reconcile error: which operation failed on which object, and a short category for the
//! failure metric's label and the Warning Event.

use crate::ssa::ApplyError;

/// A reconcile that could not finish; the controller retries it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading an object from the API failed.
    #[error("reading {what} failed: {source}")]
    Read {
        /// What was read, e.g. `Secret shop/db`.
        what: String,
        /// Cause.
        source: kube::Error,
    },
    /// Applying or deleting a child failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// Writing an object's status failed.
    #[error("patching the status of {what} failed: {source}")]
    PatchStatus {
        /// The object, e.g. `Tenant shop/demo`.
        what: String,
        /// Cause.
        source: kube::Error,
    },
    /// Generating a signing key failed.
    #[error("generating a signing key failed: {0}")]
    GenerateKey(#[from] vestibule_crds::keys::KeyError),
    /// Rendering a file for the IdP failed.
    #[error("serializing {what} failed: {reason}")]
    Serialize {
        /// What was serialized.
        what: &'static str,
        /// Cause.
        reason: String,
    },
    /// The object lacks a name or namespace (never for namespaced objects from the API).
    #[error("the object has no {0}")]
    MissingMetadata(&'static str),
}

impl Error {
    /// A short, fixed label: `read`, `apply`, `status`, `keys`, `serialize`, `metadata`.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::Apply(_) => "apply",
            Self::PatchStatus { .. } => "status",
            Self::GenerateKey(_) => "keys",
            Self::Serialize { .. } => "serialize",
            Self::MissingMetadata(_) => "metadata",
        }
    }
}
