//! What becomes of a Tenant's embedded database volume: kept by default, so deleting a Tenant
//! never deletes its users.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The embedded database's volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSettings {
    /// What happens to the PersistentVolumeClaim `<tenant>-idp-data` when the Tenant is deleted:
    /// `Retain` (default) keeps it, with every user, and a new Tenant of the same name in the same
    /// namespace reattaches it; `Delete` deletes it with the Tenant.
    #[serde(default)]
    pub retain_policy: RetainPolicy,
}

/// Whether a volume outlives its Tenant.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RetainPolicy {
    /// The volume stays when the Tenant is deleted.
    #[default]
    Retain,
    /// The volume is deleted with the Tenant.
    Delete,
}
