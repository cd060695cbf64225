//! The controller of every attachment kind but Client (which adds its credentials), and what
//! all attachment controllers share: their triggers, finding the Tenant, reading referenced
//! Secrets, and turning a judgement into `Ready`.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Secret;
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{PredicateConfig, WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::{CommonStatus, SecretKeyRef, Tenant, TenantRef};

use super::claims::Claims;
use super::judge::{Judge, Judgement, SecretValues};
use super::served::serving;
use super::sole;
use super::{Attachment, Candidate, candidates};
use crate::conditions::{self, Decided, Reason};
use crate::context::Context;
use crate::controllers::shared::{SecretMeta, Shared, SharedWatches};
use crate::controllers::{error_policy, predicates, status, timed};
use crate::error::Error;
use crate::runner::Stop;

/// The controller of kind `K` for the `index`th namespace in scope, subscribed now and run by
/// the returned future until `stop`.
pub fn run<K: Attachment>(
    ctx: Arc<Context>,
    shared: Arc<Shared>,
    watches: &SharedWatches,
    index: usize,
    stop: Stop,
) -> Option<BoxFuture<'static, ()>> {
    let controller = Controller::for_shared_stream(
        K::watches(watches).subscribe(index)?,
        K::reflected(&shared).store(index)?,
    );
    let controller = on_tenants::<K>(controller, &shared, watches);
    let controller = on_secrets::<K>(controller, &shared, watches);
    let controller = on_siblings::<K>(controller, &shared);
    let run = controller
        .with_config(crate::controllers::controller_config())
        .graceful_shutdown_on(stop.wait())
        .run(
            move |object, ctx| {
                let shared = shared.clone();
                timed(
                    ctx.clone(),
                    ObjectRef::from_obj(&*object),
                    reconcile(object, ctx, shared),
                )
            },
            error_policy::<DeserializeGuard<K>>,
            ctx,
        )
        .for_each(|_| futures::future::ready(()));
    Some(run.boxed())
}

/// Requeues the attachments of a Tenant when what they report depends on changes: its spec,
/// readiness, served generation, or its deletion.
pub fn on_tenants<K: Attachment>(
    controller: Controller<DeserializeGuard<K>>,
    shared: &Arc<Shared>,
    watches: &SharedWatches,
) -> Controller<DeserializeGuard<K>> {
    let tenants = watches
        .tenants
        .subscribe_all()
        .map(|tenant| Ok::<_, watcher::Error>((*tenant).clone()))
        .predicate_filter(predicates::tenant_serving, PredicateConfig::default());
    let (changed, deleted) = (shared.clone(), shared.clone());
    controller
        .watches_stream(tenants, move |tenant| attached_to::<K>(&changed, &tenant))
        .watches_shared_stream(shared.tenants.deleted(), move |tenant| {
            attached_to::<K>(&deleted, &tenant)
        })
}

/// Requeues the attachments that refer to a user's Secret when it changes or goes away.
fn on_secrets<K: Attachment>(
    controller: Controller<DeserializeGuard<K>>,
    shared: &Arc<Shared>,
    watches: &SharedWatches,
) -> Controller<DeserializeGuard<K>> {
    let (changed, deleted) = (shared.clone(), shared.clone());
    controller
        .watches_shared_stream(watches.secrets.subscribe_all(), move |secret| {
            referring::<K>(&changed, &secret)
        })
        .watches_shared_stream(shared.secrets.deleted(), move |secret| {
            referring::<K>(&deleted, &secret)
        })
}

/// Requeues the objects of a kind the Tenant serves one of when one of them goes away: the next
/// in line is then served.
fn on_siblings<K: Attachment>(
    controller: Controller<DeserializeGuard<K>>,
    shared: &Arc<Shared>,
) -> Controller<DeserializeGuard<K>> {
    if !K::ONE_PER_TENANT {
        return controller;
    }
    let siblings = shared.clone();
    controller.watches_shared_stream(K::reflected(shared).deleted(), move |object| {
        siblings_of::<K>(&siblings, &object)
    })
}

/// The objects of kind `K` of the Tenant that `object` refers to.
fn siblings_of<K: Attachment>(shared: &Shared, object: &DeserializeGuard<K>) -> Vec<ObjectRef<DeserializeGuard<K>>> {
    let Ok(parsed) = &object.0 else {
        return Vec::new();
    };
    let namespace = object.namespace().unwrap_or_default();
    let reference = parsed.tenant_ref();
    candidates::<K>(shared, reference.namespace_or(&namespace), &reference.name)
        .iter()
        .map(|candidate| ObjectRef::from_obj(&*candidate.object))
        .collect()
}

/// The objects of kind `K` that belong to `tenant`.
pub fn attached_to<K: Attachment>(
    shared: &Shared,
    tenant: &DeserializeGuard<Tenant>,
) -> Vec<ObjectRef<DeserializeGuard<K>>> {
    let (namespace, name) = (tenant.namespace().unwrap_or_default(), tenant.name_any());
    candidates::<K>(shared, &namespace, &name)
        .iter()
        .map(|candidate| ObjectRef::from_obj(&*candidate.object))
        .collect()
}

/// The objects of kind `K` whose spec refers to `secret`.
fn referring<K: Attachment>(shared: &Shared, secret: &SecretMeta) -> Vec<ObjectRef<DeserializeGuard<K>>> {
    let (namespace, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
    referring_to::<K>(shared, &namespace, &name)
        .iter()
        .map(|object| ObjectRef::from_obj(&**object))
        .collect()
}

/// The objects of kind `K` in `namespace` whose spec refers to the Secret `name` (an object
/// reads Secrets of its own namespace only).
pub fn referring_to<K: Attachment>(shared: &Shared, namespace: &str, name: &str) -> Vec<Arc<DeserializeGuard<K>>> {
    K::reflected(shared)
        .in_namespace(namespace)
        .into_iter()
        .filter(|object| {
            object
                .0
                .as_ref()
                .is_ok_and(|object| object.secret_refs().iter().any(|(_, reference)| reference.name == name))
        })
        .collect()
}

/// One reconcile of an attachment that only reports: what its Tenant serves of it, and why.
pub async fn reconcile<K: Attachment>(
    guard: Arc<DeserializeGuard<K>>,
    ctx: Arc<Context>,
    shared: Arc<Shared>,
) -> Result<Action, Error> {
    let object = match &guard.0 {
        Ok(object) => object,
        Err(invalid) => return status::report_unparsable::<K>(&ctx, invalid).await,
    };
    let namespace = object.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let decided = match tenant_of(&ctx, &shared, object.tenant_ref(), &namespace) {
        Err(refusal) => vec![refusal],
        Ok(tenant) => {
            let secrets = resolve_secrets(&ctx, &namespace, &object.secret_refs()).await?;
            let candidate = Candidate::new(&shared, guard.clone());
            let (judgement, served) = judge_one(&shared, &tenant, &candidate, &secrets);
            let served_here = !matches!(judgement, Judgement::Refused(_));
            let mut decided = vec![decide::<K>(judgement, &tenant, served.as_deref())];
            if served_here {
                decided.extend(object.advisories(served.as_deref()));
            }
            decided
        }
    };
    write(&ctx, object, decided).await?;
    Ok(Action::requeue(ctx.config.resync))
}

/// What `tenant` serves of `candidate`, judged among the other attachments of its kind, and the
/// config the Tenant's pods are given.
pub fn judge_one<K: Attachment>(
    shared: &Shared,
    tenant: &Tenant,
    candidate: &Candidate<K>,
    secrets: &SecretValues,
) -> (Judgement<K::Entry>, Option<Arc<TenantConfig>>) {
    let (tenant_namespace, tenant_name) = (tenant.namespace().unwrap_or_default(), tenant.name_any());
    let attached = candidates::<K>(shared, &tenant_namespace, &tenant_name);
    let claims = Claims::of(&attached, &tenant_namespace);
    let sole = sole::holder(&attached, tenant);
    let served = shared.served_config(&tenant_namespace, &tenant_name);
    let judge = Judge {
        tenant,
        claims: &claims,
        sole: sole.as_ref(),
        previous: served.as_deref(),
        now: Timestamp::now(),
    };
    (judge.judge(candidate, secrets), served)
}

/// `Ready` for a judgement: whether the pods serve a fresh entry, or why not.
pub fn decide<K: Attachment>(
    judgement: Judgement<K::Entry>,
    tenant: &Tenant,
    served: Option<&TenantConfig>,
) -> Decided {
    match judgement {
        Judgement::Fresh(entry) => serving::<K>(&entry, tenant, served),
        Judgement::Kept(_, refusal) => kept(refusal, tenant),
        Judgement::Refused(refusal) => refusal,
    }
}

/// `refusal`, saying that `tenant` keeps serving what it accepted before.
pub fn kept(refusal: Decided, tenant: &Tenant) -> Decided {
    let message = format!(
        "{}; Tenant {}/{} keeps serving the last accepted version",
        refusal.message,
        tenant.namespace().unwrap_or_default(),
        tenant.name_any()
    );
    Decided { message, ..refusal }
}

/// The Tenant `reference` points at from `namespace`, or `TenantNotFound`.
pub fn tenant_of(ctx: &Context, shared: &Shared, reference: &TenantRef, namespace: &str) -> Result<Tenant, Decided> {
    let tenant_namespace = reference.namespace_or(namespace);
    let name = &reference.name;
    let missing = |why: &str| {
        Decided::ready(
            false,
            Reason::TenantNotFound,
            format!("Tenant {tenant_namespace}/{name} {why}"),
        )
    };
    if !ctx.scope.contains(tenant_namespace) {
        return Err(missing("is not in a namespace the operator watches"));
    }
    match shared.tenants.get(tenant_namespace, name).as_deref() {
        Some(DeserializeGuard(Ok(tenant))) => Ok(tenant.clone()),
        Some(DeserializeGuard(Err(_))) => Err(missing("does not parse")),
        None => Err(missing("does not exist")),
    }
}

/// Reading a referenced Secret failed.
#[derive(Debug, thiserror::Error)]
#[error("reading Secret {namespace}/{name} failed: {source}")]
pub struct SecretReadError {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Cause.
    pub source: kube::Error,
}

impl From<SecretReadError> for Error {
    fn from(error: SecretReadError) -> Self {
        Self::Read {
            what: format!("Secret {}/{}", error.namespace, error.name),
            source: error.source,
        }
    }
}

/// The values of the Secrets `references` name in `namespace`, read now.
pub async fn resolve_secrets(
    ctx: &Context,
    namespace: &str,
    references: &[(&'static str, &SecretKeyRef)],
) -> Result<SecretValues, SecretReadError> {
    let mut values = SecretValues::new();
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    for (path, reference) in references {
        let secret = api.get_opt(&reference.name).await.map_err(|source| SecretReadError {
            namespace: namespace.to_owned(),
            name: reference.name.clone(),
            source,
        })?;
        values.insert(path, value_of(secret, namespace, reference));
    }
    Ok(values)
}

/// The value at `reference`'s key of `secret` (read in `namespace`), or why there is none,
/// naming the Secret and the key.
fn value_of(secret: Option<Secret>, namespace: &str, reference: &SecretKeyRef) -> Result<String, String> {
    let (name, key) = (&reference.name, &reference.key);
    let Some(secret) = secret else {
        return Err(format!("Secret {namespace}/{name} (key {key}) does not exist"));
    };
    let bytes = secret
        .data
        .and_then(|mut data| data.remove(key))
        .ok_or_else(|| format!("Secret {namespace}/{name} has no key {key}"))?;
    String::from_utf8(bytes.0).map_err(|_| format!("Secret {namespace}/{name} key {key} is not UTF-8 text"))
}

/// Writes the status of an attachment that only reports, if it changed.
async fn write<K: Attachment>(ctx: &Context, object: &K, decided: Vec<Decided>) -> Result<(), Error> {
    let current = object.common_status();
    let previous = current.map(|s| s.conditions.clone()).unwrap_or_default();
    let new = CommonStatus {
        conditions: conditions::merge(&previous, &decided, object.meta().generation, status::now()),
        observed_generation: object.meta().generation,
    };
    status::write(ctx, object, current, &new, &previous, &decided).await?;
    Ok(())
}
