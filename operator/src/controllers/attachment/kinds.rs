//! ConsentPolicy and MfaPolicy as attachments: validated, dereferenced and judged like Clients,
//! but not served by this release's IdP, so each is `NotYetServed` and has no entry. Serving one
//! is an IdP feature plus its `render` (as [`super::social`] is for SocialProvider).

use kube::core::DeserializeGuard;
use vestibule_crds::ValidationErrors;
use vestibule_crds::config::{ConsentPolicyConfig, MfaPolicyConfig, TenantConfig};
use vestibule_crds::v1alpha1::{CommonStatus, ConsentPolicy, MfaPolicy, Tenant, TenantRef};

use super::{Attachment, Inputs, Recorded};
use crate::conditions::{Decided, Reason};
use crate::controllers::shared::{Reflected, Shared, SharedWatches, Watches};

/// `NotYetServed` for `kind`.
fn not_yet_served(kind: &str) -> Decided {
    Decided::ready(
        false,
        Reason::NotYetServed,
        format!("valid and attached, but the IdP does not serve {kind} objects yet; a later release will"),
    )
}

impl Attachment for ConsentPolicy {
    type Entry = ConsentPolicyConfig;
    const SERVED: bool = false;

    fn reflected(shared: &Shared) -> &Reflected<DeserializeGuard<Self>> {
        &shared.consent_policies
    }
    fn watches(watches: &SharedWatches) -> &Watches<DeserializeGuard<Self>> {
        &watches.consent_policies
    }
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate(&self, _namespace: &str, _tenant: &Tenant, _recorded: &Recorded) -> Result<(), ValidationErrors> {
        self.spec.validate()
    }
    fn render(&self, _namespace: &str, _inputs: &Inputs<'_>) -> Result<Self::Entry, Decided> {
        Err(not_yet_served("ConsentPolicy"))
    }
    fn entries(config: &TenantConfig) -> &[Self::Entry] {
        &config.consent_policies
    }
    fn entries_mut(config: &mut TenantConfig) -> &mut Vec<Self::Entry> {
        &mut config.consent_policies
    }
    fn entry_id(entry: &Self::Entry) -> &str {
        &entry.id
    }
    fn common_status(&self) -> Option<&CommonStatus> {
        self.status.as_ref()
    }
}

impl Attachment for MfaPolicy {
    type Entry = MfaPolicyConfig;
    const SERVED: bool = false;

    fn reflected(shared: &Shared) -> &Reflected<DeserializeGuard<Self>> {
        &shared.mfa_policies
    }
    fn watches(watches: &SharedWatches) -> &Watches<DeserializeGuard<Self>> {
        &watches.mfa_policies
    }
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate(&self, _namespace: &str, _tenant: &Tenant, _recorded: &Recorded) -> Result<(), ValidationErrors> {
        self.spec.validate()
    }
    fn render(&self, _namespace: &str, _inputs: &Inputs<'_>) -> Result<Self::Entry, Decided> {
        Err(not_yet_served("MfaPolicy"))
    }
    fn entries(config: &TenantConfig) -> &[Self::Entry] {
        &config.mfa_policies
    }
    fn entries_mut(config: &mut TenantConfig) -> &mut Vec<Self::Entry> {
        &mut config.mfa_policies
    }
    fn entry_id(entry: &Self::Entry) -> &str {
        &entry.id
    }
    fn common_status(&self) -> Option<&CommonStatus> {
        self.status.as_ref()
    }
}
