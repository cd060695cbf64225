//! Kinds a Tenant serves one object of ([`Attachment::ONE_PER_TENANT`]): customers agree to one
//! ConsentPolicy, so a Tenant cannot serve two. Of the objects of such a kind attached to a Tenant
//! from namespaces it admits, the one created first (then the smaller name, then namespace)
//! holds the place, whatever its validity: a later object never takes the place of a live one.
//! The others are `Conflict` until it goes, and then the next in line is served. Pure.

use std::cmp::Ordering;

use kube::ResourceExt;
use vestibule_crds::v1alpha1::Tenant;

use super::{Attachment, Candidate, Source};
use crate::conditions::{Decided, Reason};

/// The object holding the Tenant's one place of kind `K` among `candidates`, if `K` has one.
pub fn holder<K: Attachment>(candidates: &[Candidate<K>], tenant: &Tenant) -> Option<Source> {
    if !K::ONE_PER_TENANT {
        return None;
    }
    let tenant_namespace = tenant.namespace().unwrap_or_default();
    candidates
        .iter()
        .map(|candidate| &candidate.source)
        // A namespace the Tenant does not admit must not keep the objects of those it admits out.
        .filter(|source| tenant.spec.admits_namespace(&tenant_namespace, &source.namespace))
        .min_by(|a, b| first_created(a, b))
        .cloned()
}

/// Creation order: the older first (an object without a creation time last), then by name,
/// namespace and uid, so that every two objects have an order.
pub fn first_created(a: &Source, b: &Source) -> Ordering {
    let key = |source: &Source| {
        (
            source.created.is_none(),
            source.created,
            source.name.clone(),
            source.namespace.clone(),
            source.uid.clone(),
        )
    };
    key(a).cmp(&key(b))
}

/// `Ready=False Conflict` for an object of kind `K` of `tenant` that is not `holder`.
pub fn conflict<K: Attachment>(holder: &Source, tenant: &Tenant) -> Decided {
    let kind = K::kind(&());
    Decided::ready(
        false,
        Reason::Conflict,
        format!(
            "Tenant {}/{} serves one {kind}, and {} was created first; this one is served once that one is deleted",
            tenant.namespace().unwrap_or_default(),
            tenant.name_any(),
            holder.describe()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, namespace: &str, created: i64, uid: &str) -> Source {
        Source {
            kind: "ConsentPolicy".into(),
            namespace: namespace.into(),
            name: name.into(),
            uid: uid.into(),
            created: Some(k8s_openapi::jiff::Timestamp::from_second(created).unwrap()),
        }
    }

    #[test]
    fn the_oldest_comes_first_whatever_its_name() {
        let older = source("zz-terms", "shop", 100, "b");
        let newer = source("aa-terms", "shop", 200, "a");
        assert_eq!(first_created(&older, &newer), Ordering::Less);
        assert_eq!(first_created(&newer, &older), Ordering::Greater);
    }

    #[test]
    fn objects_of_the_same_second_go_by_name() {
        let first = source("privacy", "shop", 100, "2222");
        let second = source("terms", "shop", 100, "1111");
        assert_eq!(first_created(&first, &second), Ordering::Less);
    }
}
