//! Identifiers are claimed, not sorted: of the attachments of one Tenant that claim the same
//! identifier, the one created first (then the smaller uid) holds it. An object's claim does
//! not depend on its validity or its namespace's admission, only on its creation, so a later
//! object can never take a live identifier away, whatever the names of the namespaces. Pure.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::{Attachment, Candidate, Source};

/// Who holds each claimed identifier.
#[derive(Clone, Debug, Default)]
pub struct Claims {
    holders: HashMap<String, Source>,
}

impl Claims {
    /// The holders among `claims`.
    pub fn new(claims: impl IntoIterator<Item = (Source, String)>) -> Self {
        let mut holders: HashMap<String, Source> = HashMap::new();
        for (source, id) in claims {
            match holders.entry(id) {
                Entry::Occupied(mut held) => {
                    if source.precedes(held.get()) {
                        held.insert(source);
                    }
                }
                Entry::Vacant(free) => {
                    free.insert(source);
                }
            }
        }
        Self { holders }
    }

    /// The holders among the claims of `candidates` in a Tenant in `tenant_namespace`.
    pub fn of<K: Attachment>(candidates: &[Candidate<K>], tenant_namespace: &str) -> Self {
        Self::new(candidates.iter().filter_map(|candidate| {
            let id = candidate.claim(tenant_namespace)?;
            Some((candidate.source.clone(), id))
        }))
    }

    /// The holder of `id`.
    pub fn holder(&self, id: &str) -> Option<&Source> {
        self.holders.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, namespace: &str, created: i64, uid: &str) -> Source {
        Source {
            kind: "Client".into(),
            namespace: namespace.into(),
            name: name.into(),
            uid: uid.into(),
            created: Some(k8s_openapi::jiff::Timestamp::from_second(created).unwrap()),
        }
    }

    #[test]
    fn the_first_claim_by_creation_wins_whatever_the_names() {
        let live = source("zz-web", "zz-shop", 100, "b");
        let later = source("aa-web", "aa-shop", 200, "a");
        for order in [[live.clone(), later.clone()], [later.clone(), live.clone()]] {
            let claims = Claims::new(order.into_iter().map(|s| (s, "shared".to_owned())));
            assert_eq!(claims.holder("shared"), Some(&live));
        }
    }

    #[test]
    fn claims_of_the_same_second_go_to_the_smaller_uid() {
        let first = source("web", "shop", 100, "1111");
        let second = source("api", "shop", 100, "2222");
        let claims = Claims::new([(second, "x".to_owned()), (first.clone(), "x".to_owned())]);
        assert_eq!(claims.holder("x"), Some(&first));
        assert_eq!(claims.holder("y"), None);
    }
}
