//! The errors of the Tenant pipeline: one type per step, each naming the Tenant and the
//! operation that failed. Refusals the user must act on are not errors: they are conditions.

use vestibule_crds::keys::KeyError;

use crate::ssa::ApplyError;

/// Reading what the Tenant refers to (Clients, Secrets, its own config and keys) failed.
#[derive(Debug, thiserror::Error)]
#[error("dereferencing Tenant {tenant}: reading {what} failed: {source}")]
pub struct DereferenceError {
    /// The Tenant, `namespace/name`.
    pub tenant: String,
    /// What was read, e.g. `Secret shop/db`.
    pub what: String,
    /// Cause.
    pub source: kube::Error,
}

/// Rendering a file for the IdP failed.
#[derive(Debug, thiserror::Error)]
#[error("rendering {what} of Tenant {tenant} failed: {reason}")]
pub struct RenderError {
    /// The Tenant, `namespace/name`.
    pub tenant: String,
    /// What was rendered.
    pub what: &'static str,
    /// Cause.
    pub reason: String,
}

/// Making the signing keys failed.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Generating a key failed.
    #[error("generating a signing key of Tenant {tenant} failed: {source}")]
    Generate {
        /// The Tenant, `namespace/name`.
        tenant: String,
        /// Cause.
        source: KeyError,
    },
    /// The blocking task that generates keys did not finish.
    #[error("the key generation task of Tenant {tenant} failed: {reason}")]
    Task {
        /// The Tenant, `namespace/name`.
        tenant: String,
        /// Cause.
        reason: String,
    },
}

/// Applying or removing a child failed.
#[derive(Debug, thiserror::Error)]
#[error("applying the children of Tenant {tenant}: {source}")]
pub struct ApplyStepError {
    /// The Tenant, `namespace/name`.
    pub tenant: String,
    /// The child and the operation.
    pub source: ApplyError,
}

/// Reading the rollout (the Deployment, the pods) failed.
#[derive(Debug, thiserror::Error)]
#[error("observing the rollout of Tenant {tenant}: reading {what} failed: {source}")]
pub struct ReadinessError {
    /// The Tenant, `namespace/name`.
    pub tenant: String,
    /// What was read.
    pub what: String,
    /// Cause.
    pub source: kube::Error,
}
