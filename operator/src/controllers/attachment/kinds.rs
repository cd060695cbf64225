//! ConsentPolicy and MfaPolicy as attachments: validated, dereferenced and judged like Clients,
//! each served under the identifier `<namespace>.<name>` with its spec as its entry. A Tenant
//! serves one ConsentPolicy (customers agree to one policy), the one created first
//! ([`super::sole`]); an MfaPolicy's status says which of the `spec.appliesTo.clients` its Tenant
//! does not serve.

use kube::ResourceExt;
use kube::core::DeserializeGuard;
use vestibule_crds::ValidationErrors;
use vestibule_crds::config::{ConsentPolicyConfig, MfaPolicyConfig, TenantConfig};
use vestibule_crds::v1alpha1::{
    CommonStatus, ConsentPolicy, Factor, MfaPolicy, MfaPolicySpec, Tenant, TenantRef, UserVerification,
};
use vestibule_crds::validation::Checker;

use super::{Attachment, Inputs, Recorded};
use crate::conditions::{Decided, Reason};
use crate::controllers::shared::{Reflected, Shared, SharedWatches, Watches};

impl Attachment for ConsentPolicy {
    type Entry = ConsentPolicyConfig;
    const ONE_PER_TENANT: bool = true;

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
    fn render(&self, namespace: &str, _inputs: &Inputs<'_>) -> Result<Self::Entry, Decided> {
        let spec = &self.spec;
        Ok(ConsentPolicyConfig {
            id: format!("{namespace}.{}", self.name_any()),
            version: spec.version.clone(),
            documents: spec.documents.clone(),
            purposes: spec.purposes.clone(),
            jurisdiction: spec.jurisdiction,
            reconsent: spec.reconsent.clone(),
            data_retention: spec.data_retention.clone(),
        })
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

    fn reflected(shared: &Shared) -> &Reflected<DeserializeGuard<Self>> {
        &shared.mfa_policies
    }
    fn watches(watches: &SharedWatches) -> &Watches<DeserializeGuard<Self>> {
        &watches.mfa_policies
    }
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate(&self, _namespace: &str, tenant: &Tenant, _recorded: &Recorded) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.merge(self.spec.validate());
        checker.merge(servable_passkeys(&self.spec, tenant));
        checker.finish()
    }
    fn render(&self, namespace: &str, _inputs: &Inputs<'_>) -> Result<Self::Entry, Decided> {
        let spec = &self.spec;
        Ok(MfaPolicyConfig {
            id: format!("{namespace}.{}", self.name_any()),
            factors: spec.factors.clone(),
            enforcement: spec.enforcement,
            adaptive: spec.adaptive.clone(),
            remember_device: spec.remember_device.clone(),
            passkeys: spec.passkeys.clone(),
            applies_to: spec.applies_to.clone(),
        })
    }
    fn advisories(&self, served: Option<&TenantConfig>) -> Vec<Decided> {
        vec![clients_resolved(&self.spec.applies_to.clients, served)]
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

/// `ClientsResolved`: whether every `client_id` in `spec.appliesTo.clients` names a Client the
/// Tenant serves. An unknown one is a warning, not a failure: the policy applies to the others,
/// and to that one as soon as such a Client is served (a policy applied before its Clients).
pub fn clients_resolved(clients: &[String], served: Option<&TenantConfig>) -> Decided {
    let unknown: Vec<&str> = clients
        .iter()
        .filter(|id| !served.is_some_and(|config| config.clients.iter().any(|client| client.client_id == **id)))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        let message = if clients.is_empty() {
            "applies to every Client of the Tenant".to_owned()
        } else {
            "every client in spec.appliesTo.clients is served by the Tenant".to_owned()
        };
        return Decided::condition(CLIENTS_RESOLVED, true, Reason::Available, message);
    }
    Decided::condition(
        CLIENTS_RESOLVED,
        false,
        Reason::UnknownClients,
        format!(
            "spec.appliesTo.clients: the Tenant serves no Client with client_id {}; the policy applies to the \
             others, and to these once they are served",
            unknown.join(", ")
        ),
    )
}

/// The condition type of [`clients_resolved`].
pub const CLIENTS_RESOLVED: &str = "ClientsResolved";

/// What the IdP refuses of passkeys, refused here first so that a policy it cannot serve is
/// `InvalidSpec` naming its field instead of a config the Tenant's pods will not load.
fn servable_passkeys(spec: &MfaPolicySpec, tenant: &Tenant) -> Result<(), ValidationErrors> {
    let mut checker = Checker::default();
    if !spec.factors.contains(&Factor::Webauthn) {
        return checker.finish();
    }
    let domain = url::Url::parse(&tenant.spec.issuer).is_ok_and(|issuer| issuer.domain().is_some());
    checker.require(
        domain,
        "spec.factors",
        "webauthn needs the Tenant's issuer to have a domain name, not an IP address (a WebAuthn relying party id is a domain)",
    );
    checker.require(
        spec.passkeys.user_verification != UserVerification::Discouraged,
        "spec.passkeys.userVerification",
        "discouraged is not served: passkeys always verify the user",
    );
    checker.finish()
}
