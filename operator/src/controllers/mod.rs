//! One controller per kind, and what they share: the reflectors of every kind, the error
//! policy and the reconcile metrics.

pub mod attachment;
pub mod client;
pub mod predicates;
pub mod shared;
pub mod status;
pub mod tenant;

use std::sync::Arc;
use std::time::Instant;

use futures::future;
use futures::future::BoxFuture;
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use tracing::{info, warn};
use vestibule_crds::v1alpha1::{ConsentPolicy, MfaPolicy, SocialProvider};

use self::attachment::controller;
use self::shared::Shared;

use crate::context::Context;
use crate::error::Error;
use crate::events;
use crate::runner::Stop;

/// Runs every controller, for every namespace in scope, until `stop`.
pub async fn run(ctx: Arc<Context>, stop: Stop) {
    let (shared, watches) = Shared::new(&ctx);
    let mut controllers: Vec<BoxFuture<'static, ()>> = Vec::new();
    // Every controller subscribes before the watches start, so none misses an object.
    for index in 0..ctx.scope.namespaces().len() {
        let (ctx, shared, stop) = (ctx.clone(), shared.clone(), stop.clone());
        controllers.extend(tenant::run(ctx.clone(), shared.clone(), &watches, index, stop.clone()));
        controllers.extend(client::run(ctx.clone(), shared.clone(), &watches, index, stop.clone()));
        controllers.extend(controller::run::<SocialProvider>(
            ctx.clone(),
            shared.clone(),
            &watches,
            index,
            stop.clone(),
        ));
        controllers.extend(controller::run::<ConsentPolicy>(
            ctx.clone(),
            shared.clone(),
            &watches,
            index,
            stop.clone(),
        ));
        controllers.extend(controller::run::<MfaPolicy>(ctx, shared, &watches, index, stop));
    }
    let watches = watches.drive(&ctx);
    info!(
        controllers = controllers.len(),
        watches = watches.len(),
        "controllers started"
    );
    let controllers = async {
        // Every store is ready before any controller runs, as their reconciles read every store.
        // Waited for here, once: kube-runtime wakes only the last of several tasks waiting for a
        // store's readiness, so a reconcile waiting itself could sleep forever.
        tokio::select! {
            () = shared.ready() => {
                future::join_all(controllers).await;
            }
            () = stop.wait() => {}
        }
    };
    // The watches run until the controllers have stopped, then go with them.
    tokio::select! {
        () = controllers => {}
        _ = future::join_all(watches) => {}
    }
    info!("controllers stopped");
}

/// Reconciles one controller runs at once. Unbounded, 1,000 Clients applied together would all
/// reconcile at once; a bounded few keep the API server busy and the operator's memory flat.
const CONCURRENT_RECONCILES: u16 = 8;

/// How long a Tenant's reconcile waits for more triggers: 1,000 Clients applied together then
/// make a few config generations, not hundreds (each of which requeues every Client).
const TENANT_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(750);

/// The settings every controller runs with.
pub fn controller_config() -> kube::runtime::controller::Config {
    kube::runtime::controller::Config::default().concurrency(CONCURRENT_RECONCILES)
}

/// The Tenant controller's settings.
pub fn tenant_controller_config() -> kube::runtime::controller::Config {
    controller_config().debounce(TENANT_DEBOUNCE)
}

/// Runs `reconcile` of `object`, records its duration, and forgets the object's past failures
/// when it succeeds.
pub async fn timed<K>(
    ctx: Arc<Context>,
    object: ObjectRef<K>,
    reconcile: impl Future<Output = Result<Action, Error>>,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()>,
{
    let start = Instant::now();
    let result = reconcile.await;
    ctx.metrics.reconciled(&K::kind(&()), start.elapsed());
    if result.is_ok() {
        ctx.retries.succeeded(&object.erase());
    }
    result
}

/// Logs the failure, counts it by category, publishes a Warning Event (folded into a series
/// when it repeats) unless the status already reports it, and retries after the object's
/// backoff.
pub fn error_policy<K>(object: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action
where
    K: Resource<DynamicType = ()> + Send + Sync + 'static,
{
    let kind = K::kind(&()).into_owned();
    let category = error.category();
    warn!(%kind, name = %object.name_any(), namespace = ?object.namespace(), %error, category, "reconcile failed");
    ctx.metrics.failed(&kind, category);
    if !error.is_reported() {
        let reference = object.object_ref(&());
        let message = error.to_string();
        let ctx_for_event = ctx.clone();
        ctx.tasks.spawn(async move {
            events::publish_failure(&ctx_for_event, &reference, category, &message).await;
        });
    }
    Action::requeue(ctx.retries.failed(ObjectRef::from_obj(&*object).erase()))
}
