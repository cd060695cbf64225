//! What a Tenant serves of one attachment, and why: the same rules for every kind, applied by
//! the Tenant when it renders its config and by the attachment when it reports its status.
//! Pure.
//!
//! In order: the Tenant must admit the object's namespace; the identifier it claims must be
//! its own ([`super::claims`]); of a kind the Tenant serves one object of, it must be that one
//! ([`super::sole`]); then its current spec is rendered. When the current spec is
//! refused (invalid, not even parseable, a missing Secret) the entry served before is kept:
//! a bad edit never removes a working application from sign-in.

use std::collections::BTreeMap;

use jiff::Timestamp;
use kube::ResourceExt;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::Tenant;

use super::claims::Claims;
use super::{Attachment, Candidate, Inputs, Source, sole};
use crate::conditions::{Decided, Reason};

/// The values of the Secrets an object refers to, by field path, or why each is unavailable.
pub type SecretValues = BTreeMap<&'static str, Result<String, String>>;

/// What a Tenant serves of an attachment.
#[derive(Clone, Debug, PartialEq)]
pub enum Judgement<E> {
    /// This entry, rendered from the current spec.
    Fresh(E),
    /// The current spec is refused for this reason; the entry accepted before stays served.
    Kept(E, Decided),
    /// Nothing, for this reason.
    Refused(Decided),
}

impl<E> Judgement<E> {
    /// The entry served, if any.
    pub fn into_entry(self) -> Option<E> {
        match self {
            Self::Fresh(entry) | Self::Kept(entry, _) => Some(entry),
            Self::Refused(_) => None,
        }
    }
}

/// The judge of the attachments of one Tenant.
pub struct Judge<'a> {
    /// The Tenant.
    pub tenant: &'a Tenant,
    /// Who holds each identifier in it.
    pub claims: &'a Claims,
    /// Who holds its one place of a kind it serves one object of ([`super::sole`]).
    pub sole: Option<&'a Source>,
    /// The config it serves now, whose entries are kept for refused specs.
    pub previous: Option<&'a TenantConfig>,
    /// Now.
    pub now: Timestamp,
}

impl Judge<'_> {
    /// What the Tenant serves of `candidate`, whose referenced Secrets hold `secrets`.
    pub fn judge<K: Attachment>(&self, candidate: &Candidate<K>, secrets: &SecretValues) -> Judgement<K::Entry> {
        let tenant_namespace = self.tenant.namespace().unwrap_or_default();
        let namespace = &candidate.source.namespace;
        if !self.tenant.spec.admits_namespace(&tenant_namespace, namespace) {
            return Judgement::Refused(Decided::ready(
                false,
                Reason::NamespaceNotAllowed,
                format!(
                    "Tenant {tenant_namespace}/{} does not admit namespace {namespace} (spec.allowedNamespaces)",
                    self.tenant.name_any()
                ),
            ));
        }
        let claim = candidate.claim(&tenant_namespace);
        if let Some(id) = &claim
            && let Some(holder) = self.claims.holder(id)
            && *holder != candidate.source
        {
            return Judgement::Refused(Decided::ready(
                false,
                Reason::ClientIdConflict,
                format!(
                    "{}: {id} is held by {} of the same Tenant, which claimed it first",
                    K::CLAIM_FIELD,
                    holder.describe()
                ),
            ));
        }
        if let Some(holder) = self.sole
            && *holder != candidate.source
        {
            return Judgement::Refused(sole::conflict::<K>(holder, self.tenant));
        }
        let inputs = Inputs {
            secrets,
            recorded: &candidate.recorded,
            now: self.now,
        };
        match fresh(candidate, self.tenant, &inputs) {
            Ok(entry) => Judgement::Fresh(entry),
            Err(refusal) => match self.kept(candidate, claim.as_deref(), &inputs) {
                Some(entry) => Judgement::Kept(entry, refusal),
                None => Judgement::Refused(refusal),
            },
        }
    }

    /// The entry the Tenant served for `candidate` before, brought up to date.
    fn kept<K: Attachment>(
        &self,
        candidate: &Candidate<K>,
        claim: Option<&str>,
        inputs: &Inputs<'_>,
    ) -> Option<K::Entry> {
        let id = K::served_id(&candidate.source, claim)?;
        let previous = K::entries(self.previous?)
            .iter()
            .find(|entry| K::entry_id(entry) == id)?;
        Some(K::refresh(previous.clone(), inputs))
    }
}

/// The entry of `candidate`'s current spec, or why there is none.
fn fresh<K: Attachment>(candidate: &Candidate<K>, tenant: &Tenant, inputs: &Inputs<'_>) -> Result<K::Entry, Decided> {
    let namespace = &candidate.source.namespace;
    let object = candidate
        .parsed()
        .map_err(|invalid| invalid_spec(format!("the object does not parse: {}", invalid.error)))?;
    object
        .validate(namespace, tenant, &candidate.recorded)
        .map_err(|errors| invalid_spec(errors.to_string()))?;
    for (path, _) in object.secret_refs() {
        let reason = match inputs.secrets.get(path) {
            Some(Ok(_)) => continue,
            Some(Err(reason)) => reason.as_str(),
            None => "was not read",
        };
        return Err(Decided::ready(
            false,
            Reason::SecretNotFound,
            format!("{path}: {reason}"),
        ));
    }
    object.render(namespace, inputs)
}

/// `Ready=False InvalidSpec` with `message`, which names the field.
pub fn invalid_spec(message: String) -> Decided {
    Decided::ready(false, Reason::InvalidSpec, message)
}
