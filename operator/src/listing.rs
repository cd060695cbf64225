//! Lists read in pages, each object slimmed as it arrives: a Tenant with 1,000 Clients never has
//! all of them in memory as one response body and one parsed document at once.

use std::fmt::Debug;

use kube::api::ListParams;
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

/// Objects per list request.
pub const PAGE: u32 = 100;

/// What `api` lists with `params`, page by page, as `keep` maps each object (or drops it).
pub async fn paged<K, T>(
    api: &Api<K>,
    params: ListParams,
    keep: impl FnMut(K) -> Option<T>,
) -> Result<Vec<T>, kube::Error>
where
    K: Clone + DeserializeOwned + Debug,
{
    paged_by(api, params, PAGE, keep).await
}

/// [`paged`] with `page` objects per request.
pub async fn paged_by<K, T>(
    api: &Api<K>,
    params: ListParams,
    page: u32,
    mut keep: impl FnMut(K) -> Option<T>,
) -> Result<Vec<T>, kube::Error>
where
    K: Clone + DeserializeOwned + Debug,
{
    let mut params = params.limit(page);
    let mut kept = Vec::new();
    loop {
        let page = api.list(&params).await?;
        kept.extend(page.items.into_iter().filter_map(&mut keep));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(kept),
        }
    }
}

/// Drops `object`'s `managedFields`: the operator never reads them (server-side apply keeps them
/// on the server), and for an object written by several managers they are most of its size.
pub fn slim<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
    use kube::api::ObjectMeta;

    use super::*;

    #[test]
    fn slim_drops_managed_fields_only() {
        let mut secret = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                managed_fields: Some(vec![ManagedFieldsEntry::default()]),
                ..ObjectMeta::default()
            },
            ..Secret::default()
        };
        slim(&mut secret);
        assert_eq!(secret.metadata.managed_fields, None);
        assert_eq!(secret.metadata.name.as_deref(), Some("s"));
    }
}
