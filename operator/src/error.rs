//! The reconcile error: which operation failed on which object, and a short category for the
//! failure metric's label and the Warning Event.

use crate::conditions::Decided;
use crate::controllers::tenant::error::{ApplyStepError, DereferenceError, KeysError, ReadinessError, RenderError};
use crate::ssa::ApplyError;

/// A reconcile that could not finish; the controller retries it, backing off per object.
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
    /// The object lacks a name or namespace (never for namespaced objects from the API).
    #[error("the object has no {0}")]
    MissingMetadata(&'static str),
    /// The object cannot progress until someone acts; its status and an Event say why.
    #[error("{what} is stalled: {}: {}", .decided.reason.as_str(), .decided.message)]
    Stalled {
        /// The object, e.g. `Tenant shop/demo`.
        what: String,
        /// The `Ready` condition reported.
        decided: Decided,
    },
    /// A Tenant's dereference step failed.
    #[error(transparent)]
    TenantDereference(#[from] DereferenceError),
    /// A Tenant's render step failed.
    #[error(transparent)]
    TenantRender(#[from] RenderError),
    /// A Tenant's keys step failed.
    #[error(transparent)]
    TenantKeys(#[from] KeysError),
    /// A Tenant's apply step failed.
    #[error(transparent)]
    TenantApply(#[from] ApplyStepError),
    /// A Tenant's readiness step failed.
    #[error(transparent)]
    TenantReadiness(#[from] ReadinessError),
}

impl Error {
    /// A short, fixed label: `read`, `apply`, `status`, `metadata`, `stalled`, `dereference`,
    /// `render`, `keys`, `readiness`.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::Apply(_) | Self::TenantApply(_) => "apply",
            Self::PatchStatus { .. } => "status",
            Self::MissingMetadata(_) => "metadata",
            Self::Stalled { .. } => "stalled",
            Self::TenantDereference(_) => "dereference",
            Self::TenantRender(_) => "render",
            Self::TenantKeys(_) => "keys",
            Self::TenantReadiness(_) => "readiness",
        }
    }

    /// Whether the status and a condition Event already tell the user (no failure Event then).
    pub fn is_reported(&self) -> bool {
        matches!(self, Self::Stalled { .. })
    }
}
