//! Everything that attaches to a Tenant (Client, SocialProvider, ConsentPolicy, MfaPolicy) goes
//! through one path. The [`Attachment`] trait says what differs between kinds: the Tenant
//! reference, the Secrets referenced, the validation, the claimed identifier and the entry in the
//! rendered `TenantConfig`. The rules that decide whether and what a Tenant serves of an object
//! ([`judge`]) are the same for every kind, and the same on both sides: the Tenant rendering its
//! config, and the attachment reporting its status.
//!
//! A new kind the IdP learns to serve is an implementation of the trait, not a controller.

pub mod claims;
pub mod controller;
pub mod judge;
pub mod kinds;
pub mod served;
pub mod social;
pub mod sole;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::NamespaceResourceScope;
use kube::Resource;
use kube::api::ObjectMeta;
use kube::core::DeserializeGuard;
use kube::core::error_boundary::InvalidObject;
use serde::Serialize;
use serde::de::DeserializeOwned;
use vestibule_crds::ValidationErrors;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{CommonStatus, SecretKeyRef, Tenant, TenantRef};

use super::shared::{Reflected, Shared, SharedWatches, Watches};
use crate::conditions::Decided;
use crate::controllers::client::credentials::Credentials;

/// A kind that attaches to a Tenant.
pub trait Attachment:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    /// The kind's entry in the `TenantConfig`.
    type Entry: Clone + Debug + PartialEq + Send + Sync;
    /// Whether a Tenant serves at most one object of the kind (see [`sole`]).
    const ONE_PER_TENANT: bool = false;
    /// The field that sets the identifier the kind's objects claim (see [`Attachment::claim`]).
    const CLAIM_FIELD: &'static str = "metadata.name";

    /// The kind's objects, as the controllers share them.
    fn reflected(shared: &Shared) -> &Reflected<DeserializeGuard<Self>>;
    /// The kind's watch, to subscribe to.
    fn watches(watches: &SharedWatches) -> &Watches<DeserializeGuard<Self>>;
    /// The Tenant it attaches to.
    fn tenant_ref(&self) -> &TenantRef;
    /// The users' Secrets it refers to, with the field path that refers to each.
    fn secret_refs(&self) -> Vec<(&'static str, &SecretKeyRef)> {
        Vec::new()
    }
    /// The spec's own rules, and those that need its Tenant or what was recorded when it was
    /// accepted (immutable fields).
    fn validate(&self, namespace: &str, tenant: &Tenant, recorded: &Recorded) -> Result<(), ValidationErrors>;
    /// The identifier the spec claims in its Tenant, for kinds whose identifiers users choose.
    fn claim(&self, _namespace: &str) -> Option<String> {
        None
    }
    /// Its entry, from the spec and what it refers to.
    fn render(&self, namespace: &str, inputs: &Inputs<'_>) -> Result<Self::Entry, Decided>;
    /// An entry kept from before, with what changes without the spec brought up to date.
    fn refresh(entry: Self::Entry, _inputs: &Inputs<'_>) -> Self::Entry {
        entry
    }
    /// The kind's entries in a config.
    fn entries(config: &TenantConfig) -> &[Self::Entry];
    /// The kind's entries in a config, to fill.
    fn entries_mut(config: &mut TenantConfig) -> &mut Vec<Self::Entry>;
    /// An entry's identifier.
    fn entry_id(entry: &Self::Entry) -> &str;
    /// The identifier its entry had when it was last served: `<namespace>.<name>`, or the
    /// claimed one for kinds whose identifiers users choose.
    fn served_id(source: &Source, claim: Option<&str>) -> Option<String> {
        let _ = claim;
        Some(format!("{}.{}", source.namespace, source.name))
    }
    /// What the operator recorded about the object when it accepted it (a Client's
    /// credentials Secret); nothing for other kinds.
    fn recorded(_shared: &Shared, _meta: &ObjectMeta) -> Recorded {
        Recorded::default()
    }
    /// Its status, as far as every kind shares it.
    fn common_status(&self) -> Option<&CommonStatus>;
    /// Conditions besides `Ready` that its status reports, given the config its Tenant serves
    /// (warnings that do not stop it from being served).
    fn advisories(&self, _served: Option<&TenantConfig>) -> Vec<Decided> {
        Vec::new()
    }
}

/// What the operator recorded about an attachment when it accepted it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recorded {
    /// The Tenant (`namespace/name`) it was accepted by.
    pub tenant: Option<String>,
    /// The identifier it was accepted with.
    pub id: Option<String>,
    /// The Secret holding the record.
    pub secret_name: Option<String>,
    /// Its credentials (confidential Clients).
    pub credentials: Option<Credentials>,
}

/// What an entry is rendered from besides the spec.
pub struct Inputs<'a> {
    /// The referenced Secrets' values by field path, or why each is unavailable.
    pub secrets: &'a BTreeMap<&'static str, Result<String, String>>,
    /// The record.
    pub recorded: &'a Recorded,
    /// Now, for expiring secrets.
    pub now: Timestamp,
}

/// Where an entry comes from, and when that object was created (the order of claims).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Uid.
    pub uid: String,
    /// Creation time.
    pub created: Option<k8s_openapi::jiff::Timestamp>,
}

impl Source {
    /// The source described by `meta`, of kind `K`.
    pub fn of<K: Resource<DynamicType = ()>>(meta: &ObjectMeta) -> Self {
        Self {
            kind: K::kind(&()).into_owned(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            created: meta.creation_timestamp.as_ref().map(|time| time.0),
        }
    }

    /// `Kind namespace/name`.
    pub fn describe(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }

    /// Whether this object claimed before `other`: created earlier, or at the same second with
    /// the smaller uid (uids never repeat, so two claims are never equal).
    pub fn precedes(&self, other: &Self) -> bool {
        let key = |source: &Self| (source.created.is_none(), source.created, source.uid.clone());
        key(self) < key(other)
    }
}

/// An attachment of a Tenant as both sides judge it: the object (or why it does not parse) and
/// what was recorded about it.
pub struct Candidate<K: Attachment> {
    /// Who it is.
    pub source: Source,
    /// The object as stored.
    pub object: Arc<DeserializeGuard<K>>,
    /// What was recorded.
    pub recorded: Recorded,
}

impl<K: Attachment> Candidate<K> {
    /// The candidate for `object`.
    pub fn new(shared: &Shared, object: Arc<DeserializeGuard<K>>) -> Self {
        let meta = object.meta();
        Self {
            source: Source::of::<K>(meta),
            recorded: K::recorded(shared, meta),
            object,
        }
    }

    /// The object, or why it does not parse.
    pub fn parsed(&self) -> Result<&K, &InvalidObject> {
        self.object.0.as_ref()
    }

    /// Whether it belongs to the Tenant `namespace/name`: its spec says so, or it was accepted
    /// there (a changed `tenantRef`, which is immutable, must not take a live entry away).
    pub fn refers_to(&self, tenant_namespace: &str, tenant_name: &str) -> bool {
        let by_spec = self.parsed().is_ok_and(|object| {
            let reference = object.tenant_ref();
            reference.name == tenant_name && reference.namespace_or(&self.source.namespace) == tenant_namespace
        });
        by_spec || self.recorded.tenant.as_deref() == Some(format!("{tenant_namespace}/{tenant_name}").as_str())
    }

    /// The identifier it claims in the Tenant in `tenant_namespace`: the one it was accepted
    /// with, else the one its spec asks for; only if its namespace may use it.
    pub fn claim(&self, tenant_namespace: &str) -> Option<String> {
        let namespace = &self.source.namespace;
        let id = match &self.recorded.id {
            Some(id) => Some(id.clone()),
            None => self.parsed().ok().and_then(|object| object.claim(namespace)),
        }?;
        permitted(&id, namespace, tenant_namespace).then_some(id)
    }
}

/// Whether an object in `namespace` may claim `id` in a Tenant in `tenant_namespace`: one in the
/// Tenant's namespace may claim any, one elsewhere only ids prefixed with its namespace, so that
/// no namespace can take an identifier another namespace (or the Tenant's) uses.
pub fn permitted(id: &str, namespace: &str, tenant_namespace: &str) -> bool {
    namespace == tenant_namespace || id.strip_prefix(namespace).is_some_and(|rest| rest.starts_with('.'))
}

/// Every object of kind `K` in scope that belongs to the Tenant `namespace/name`.
pub fn candidates<K: Attachment>(shared: &Shared, tenant_namespace: &str, tenant_name: &str) -> Vec<Candidate<K>> {
    K::reflected(shared)
        .all()
        .into_iter()
        .map(|object| Candidate::new(shared, object))
        .filter(|candidate| candidate.refers_to(tenant_namespace, tenant_name))
        .collect()
}
