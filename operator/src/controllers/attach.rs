//! Dereferencing `tenantRef`, shared by every kind that attaches to a Tenant.

use kube::Api;
use vestibule_crds::v1alpha1::{Tenant, TenantRef};

use crate::conditions::{Decided, Reason};
use crate::context::Context;
use crate::error::Error;

/// The Tenant `reference` points at from `namespace`, if it exists in a watched namespace.
pub async fn tenant(ctx: &Context, reference: &TenantRef, namespace: &str) -> Result<Option<Tenant>, Error> {
    let tenant_namespace = reference.namespace_or(namespace);
    if !ctx.scope.contains(tenant_namespace) {
        return Ok(None);
    }
    let api: Api<Tenant> = Api::namespaced(ctx.client.clone(), tenant_namespace);
    api.get_opt(&reference.name).await.map_err(|source| Error::Read {
        what: format!("Tenant {tenant_namespace}/{}", reference.name),
        source,
    })
}

/// `TenantNotFound` or `NamespaceNotAllowed` unless `tenant` exists and admits `namespace`.
pub fn attachment<'a>(
    tenant: Option<&'a Tenant>,
    reference: &TenantRef,
    namespace: &str,
) -> Result<&'a Tenant, Decided> {
    let tenant_namespace = reference.namespace_or(namespace);
    let Some(tenant) = tenant else {
        return Err(Decided::ready(
            false,
            Reason::TenantNotFound,
            format!("Tenant {tenant_namespace}/{} does not exist", reference.name),
        ));
    };
    if !tenant.spec.admits_namespace(tenant_namespace, namespace) {
        return Err(Decided::ready(
            false,
            Reason::NamespaceNotAllowed,
            format!(
                "Tenant {tenant_namespace}/{} does not admit namespace {namespace} (spec.allowedNamespaces)",
                reference.name
            ),
        ));
    }
    Ok(tenant)
}

/// Whether `reference` from an object in `namespace` points at the Tenant `namespace_name`.
pub fn refers_to(reference: &TenantRef, namespace: &str, tenant_namespace: &str, tenant_name: &str) -> bool {
    reference.name == tenant_name && reference.namespace_or(namespace) == tenant_namespace
}
