//! SocialProvider, ConsentPolicy and MfaPolicy: validated and dereferenced like Clients, then
//! reported honestly as `NotYetServed` (the IdP does not serve these kinds yet). They are not put
//! into the Tenant's config.

use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, reflector};
use kube::runtime::watcher;
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use vestibule_crds::ValidationErrors;
use vestibule_crds::v1alpha1::{
    AttachedStatus, CommonStatus, ConsentPolicy, MfaPolicy, SecretKeyRef, SocialProvider, Tenant, TenantRef,
};

use crate::conditions::{self, Decided, Reason};
use crate::context::Context;
use crate::controllers::client::dereference::read_secret;
use crate::controllers::{attach, error_policy, lenient, status, timed};
use crate::error::Error;
use crate::runner::Stop;

/// A kind that attaches to a Tenant but is not served yet.
pub trait AttachedKind:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    /// The kind's name, for metrics and messages.
    const KIND: &'static str;
    /// Which Tenant it attaches to.
    fn tenant_ref(&self) -> &TenantRef;
    /// The spec's own rules.
    fn validate_spec(&self) -> Result<(), ValidationErrors>;
    /// Secrets it refers to, with the field path that refers to each.
    fn secret_refs(&self) -> Vec<(&'static str, &SecretKeyRef)> {
        Vec::new()
    }
    /// The current status.
    fn attached_status(&self) -> Option<&AttachedStatus>;
}

impl AttachedKind for SocialProvider {
    const KIND: &'static str = "SocialProvider";
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate_spec(&self) -> Result<(), ValidationErrors> {
        self.spec.validate()
    }
    fn secret_refs(&self) -> Vec<(&'static str, &SecretKeyRef)> {
        vec![("spec.clientSecretRef", &self.spec.client_secret_ref)]
    }
    fn attached_status(&self) -> Option<&AttachedStatus> {
        self.status.as_ref()
    }
}

impl AttachedKind for ConsentPolicy {
    const KIND: &'static str = "ConsentPolicy";
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate_spec(&self) -> Result<(), ValidationErrors> {
        self.spec.validate()
    }
    fn attached_status(&self) -> Option<&AttachedStatus> {
        self.status.as_ref()
    }
}

impl AttachedKind for MfaPolicy {
    const KIND: &'static str = "MfaPolicy";
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate_spec(&self) -> Result<(), ValidationErrors> {
        self.spec.validate()
    }
    fn attached_status(&self) -> Option<&AttachedStatus> {
        self.status.as_ref()
    }
}

/// Runs the controller of kind `K` for `api` until `stop`.
pub async fn run<K: AttachedKind>(api: Api<K>, ctx: Arc<Context>, stop: Stop) {
    let namespace = api.namespace().map(str::to_owned);
    let (store, writer) = reflector::store();
    let objects = reflector(writer, lenient::watch::<K>(ctx.clone(), namespace.as_deref())).default_backoff();
    let mut controller = Controller::for_stream(objects.applied_objects(), store.clone());
    for tenant_namespace in ctx.scope.namespaces() {
        let store = store.clone();
        let tenants = lenient::watch::<Tenant>(ctx.clone(), tenant_namespace.as_deref()).default_backoff();
        controller = controller.watches_stream(tenants.touched_objects(), move |tenant: Tenant| {
            let (tenant_namespace, name) = (tenant.namespace().unwrap_or_default(), tenant.name_any());
            store
                .state()
                .into_iter()
                .filter(|object| {
                    let own = object.namespace().unwrap_or_default();
                    attach::refers_to(object.tenant_ref(), &own, &tenant_namespace, &name)
                })
                .map(|object| ObjectRef::from_obj(&*object))
                .collect::<Vec<_>>()
        });
    }
    if K::KIND == SocialProvider::KIND {
        let secrets = match &namespace {
            Some(namespace) => Api::<Secret>::namespaced(ctx.client.clone(), namespace),
            None => Api::all(ctx.client.clone()),
        };
        let store = store.clone();
        controller = controller.watches(secrets, watcher::Config::default(), move |secret: Secret| {
            let (secret_namespace, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
            store
                .state()
                .into_iter()
                .filter(|object| {
                    object.namespace().as_deref() == Some(secret_namespace.as_str())
                        && object.secret_refs().iter().any(|(_, reference)| reference.name == name)
                })
                .map(|object| ObjectRef::from_obj(&*object))
                .collect::<Vec<_>>()
        });
    }
    controller
        .with_config(crate::controllers::controller_config())
        .graceful_shutdown_on(stop.wait())
        .run(
            |object, ctx| timed(ctx.clone(), ObjectRef::from_obj(&*object), reconcile(object, ctx)),
            error_policy::<K>,
            ctx,
        )
        .for_each(|_| futures::future::ready(()))
        .await;
}

/// One reconcile: the worst applicable reason, or `NotYetServed`.
pub async fn reconcile<K: AttachedKind>(object: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = object.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let decided = decide(&ctx, &*object, &namespace).await?;
    let current = object.attached_status();
    let previous = current.map(|s| s.conditions.clone()).unwrap_or_default();
    let new = CommonStatus {
        conditions: conditions::merge(
            &previous,
            std::slice::from_ref(&decided),
            object.meta().generation,
            status::now(),
        ),
        observed_generation: object.meta().generation,
    };
    status::write(&ctx, &*object, current, &new, &previous, &[decided]).await?;
    Ok(Action::requeue(ctx.config.resync))
}

async fn decide<K: AttachedKind>(ctx: &Context, object: &K, namespace: &str) -> Result<Decided, Error> {
    if let Err(errors) = object.validate_spec() {
        return Ok(Decided::ready(false, Reason::InvalidSpec, errors.to_string()));
    }
    let tenant = attach::tenant(ctx, object.tenant_ref(), namespace).await?;
    if let Err(refusal) = attach::attachment(tenant.as_ref(), object.tenant_ref(), namespace) {
        return Ok(refusal);
    }
    for (path, reference) in object.secret_refs() {
        let secret = read_secret(ctx, namespace, &reference.name).await?;
        let has_key = secret
            .and_then(|s| s.data)
            .is_some_and(|data| data.contains_key(&reference.key));
        if !has_key {
            return Ok(Decided::ready(
                false,
                Reason::SecretNotFound,
                format!(
                    "{path}: Secret {namespace}/{} has no key {}",
                    reference.name, reference.key
                ),
            ));
        }
    }
    Ok(Decided::ready(
        false,
        Reason::NotYetServed,
        format!(
            "valid and attached, but the IdP does not serve {} objects yet; a later release will",
            K::KIND
        ),
    ))
}
