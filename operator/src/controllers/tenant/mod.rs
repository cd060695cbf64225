//! The Tenant controller: dereference, validate, render config and keys, build the children,
//! apply what differs, and report what the pods serve.

pub mod apply;
pub mod build;
pub mod dereference;
pub mod error;
pub mod keys;
pub mod network;
pub mod readiness;
pub mod render;
pub mod status;
pub mod validate;
pub mod workload;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store, reflector};
use kube::runtime::watcher;
use kube::{Api, Resource, ResourceExt};
use vestibule_crds::keys::{SigningKey, SigningKeySet};
use vestibule_crds::v1alpha1::{Client, DatabaseChoice, Tenant};

use self::apply::Outcome;
use self::build::BuildInputs;
use self::error::{ApplyStepError, RenderError};
use self::status::Served;
use crate::conditions::{Decided, Reason};
use crate::context::Context;
use crate::controllers::{changes, error_policy, lenient, timed};
use crate::error::Error;
use crate::names::{TENANT_ANNOTATION, TENANT_LABEL};
use crate::runner::Stop;
use crate::ssa::ApplyError;

/// Runs the Tenant controller for `api` (one namespace, or all) until `stop`.
pub async fn run(api: Api<Tenant>, ctx: Arc<Context>, stop: Stop) {
    let ns = api.namespace().map(str::to_owned);
    let client = ctx.client.clone();
    let children = watcher::Config::default().labels(TENANT_LABEL);
    let (store, writer) = reflector::store();
    let tenants = reflector(writer, lenient::watch::<Tenant>(ctx.clone(), ns.as_deref())).default_backoff();
    let mut controller = Controller::for_stream(tenants.applied_objects(), store.clone())
        .owns(scoped::<Secret>(&client, &ns), children.clone())
        .owns(scoped::<Deployment>(&client, &ns), children.clone())
        .owns(scoped::<Service>(&client, &ns), children.clone())
        .owns(scoped::<PersistentVolumeClaim>(&client, &ns), children.clone())
        .owns(scoped::<Ingress>(&client, &ns), children.clone());
    if ctx.capabilities.policy_v1 {
        controller = controller.owns(scoped::<PodDisruptionBudget>(&client, &ns), children.clone());
    }
    controller = controller.watches(scoped::<Pod>(&client, &ns), children, |pod: Pod| {
        let tenant = pod.labels().get(TENANT_LABEL)?.clone();
        Some(ObjectRef::new(&tenant).within(&pod.namespace()?))
    });
    for namespace in ctx.scope.namespaces() {
        let clients = lenient::watch::<Client>(ctx.clone(), namespace.as_deref()).default_backoff();
        let clients = changes::changed(clients, changes::client_spec);
        controller = controller.watches_stream(clients, |client: Client| {
            let own = client.namespace()?;
            let tenant_namespace = client.spec.tenant_ref.namespace_or(&own).to_owned();
            Some(ObjectRef::new(&client.spec.tenant_ref.name).within(&tenant_namespace))
        });
    }
    for secrets in ctx.scope.apis::<Secret>(&ctx.client) {
        let store = store.clone();
        controller = controller.watches(secrets, watcher::Config::default(), move |secret: Secret| {
            referring_tenants(&store, &secret)
        });
    }
    controller
        .with_config(crate::controllers::tenant_controller_config())
        .graceful_shutdown_on(stop.wait())
        .run(
            |tenant, ctx| timed(ctx.clone(), ObjectRef::from_obj(&*tenant), reconcile(tenant, ctx)),
            error_policy::<Tenant>,
            ctx,
        )
        .for_each(|_| futures::future::ready(()))
        .await;
}

fn scoped<K>(client: &kube::Client, namespace: &Option<String>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    }
}

/// Tenants affected by a Secret: the one a Client's credentials name, or those whose spec
/// refers to it (database URL, SMTP password).
fn referring_tenants(store: &Store<Tenant>, secret: &Secret) -> Vec<ObjectRef<Tenant>> {
    if let Some((namespace, name)) = secret
        .annotations()
        .get(TENANT_ANNOTATION)
        .and_then(|t| t.split_once('/'))
    {
        return vec![ObjectRef::new(name).within(namespace)];
    }
    let (namespace, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
    store
        .state()
        .into_iter()
        .filter(|tenant| {
            let spec = &tenant.spec;
            let database = match spec.database.choice() {
                DatabaseChoice::Postgres(postgres) => postgres.url_secret_ref.name == name,
                DatabaseChoice::Embedded(_) => false,
            };
            let smtp = spec
                .email
                .as_ref()
                .and_then(|email| email.smtp.password_secret_ref.as_ref())
                .is_some_and(|reference| reference.name == name);
            tenant.namespace().as_deref() == Some(namespace.as_str()) && (database || smtp)
        })
        .map(|tenant| ObjectRef::from_obj(&*tenant))
        .collect()
}

/// One reconcile of a Tenant: dereference, validate, render, keys, apply, readiness, status.
pub async fn reconcile(tenant: Arc<Tenant>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = tenant.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let name = tenant.name_any();
    let id = format!("{namespace}/{name}");
    let now = Timestamp::now();
    let observed = dereference::observe(&ctx, &tenant, &namespace).await?;
    let valid = match validate::validate(&tenant, &observed) {
        Ok(valid) => valid,
        Err(refusal) => return refuse(&ctx, &tenant, refusal).await,
    };
    let clients = render::admitted_clients(&tenant, &observed.clients, now);
    let config = render::render(
        &tenant,
        &valid,
        clients,
        observed.previous_config.as_ref(),
        observed.previous_generation,
    );
    if let Err(errors) = config.validate() {
        let message = format!("the rendered config is invalid: {errors}");
        return refuse(&ctx, &tenant, Decided::ready(false, Reason::InvalidSpec, message)).await;
    }
    let config_yaml = render::to_yaml(&config, &id)?;
    if let Err(refusal) = render::check_size(&config_yaml) {
        return stall(&ctx, &tenant, refusal).await;
    }
    let (existing, keys_regenerated_for) = match keys::recover(&tenant, &observed.keys) {
        Ok(recovered) => recovered,
        Err(refusal) => return stall(&ctx, &tenant, refusal).await,
    };
    let retention = render::key_retention(&config, ctx.config.key_retention_margin);
    let settings = &tenant.spec.signing_keys;
    let keys = keys::plan(&existing, settings, retention, now)
        .fulfil_off_loop(now, &id)
        .await?;
    let next_rotation = keys::plan(&keys, settings, retention, now).next_change;
    let inputs = BuildInputs {
        config_yaml,
        keys_json: keys_json(&keys, &id)?,
        image: tenant
            .spec
            .image
            .clone()
            .unwrap_or_else(|| ctx.config.idp_image.clone()),
        port: ctx.config.idp_port,
        admin_port: ctx.config.idp_admin_port,
        trusted_proxies: ctx.config.idp_trusted_proxies.clone(),
        database_hash: valid.database_hash.clone(),
        policy_v1: ctx.capabilities.policy_v1,
    };
    let children = build::children(&tenant, &inputs);
    match apply::apply(&ctx, &tenant, children, observed.keys_version.as_deref()).await {
        Ok(Outcome::Written(_)) => {}
        Ok(Outcome::NameConflict(objects)) => return stall(&ctx, &tenant, name_conflict(&objects)).await,
        Err(error) => return Err(apply_failed(&ctx, &tenant, error).await),
    }
    let readiness = readiness::observe(&ctx, &namespace, &name, config.generation).await?;
    let served = Served {
        config: &config,
        keys: &keys,
        readiness: &readiness,
        keys_regenerated_for,
    };
    let decided = status::decide(&tenant, &served, ctx.capabilities.policy_v1);
    status::write(
        &ctx,
        &tenant,
        &status::served_status(&tenant, &served, &decided),
        &decided,
    )
    .await?;
    let poll = if readiness.is_ready() {
        ctx.config.resync
    } else {
        ctx.config.readiness_poll
    };
    Ok(Action::requeue(
        until(next_rotation, now).map_or(poll, |wait| wait.min(poll)),
    ))
}

/// Reports a refusal the spec (or a referenced Secret) must fix; their watches bring the fix.
async fn refuse(ctx: &Context, tenant: &Tenant, refusal: Decided) -> Result<Action, Error> {
    report(ctx, tenant, &refusal).await?;
    Ok(Action::requeue(ctx.config.resync))
}

/// Reports a Tenant that cannot progress until someone acts, and retries it with backoff (what
/// must change is not always watched, such as a user's own object holding a name).
async fn stall(ctx: &Context, tenant: &Tenant, refusal: Decided) -> Result<Action, Error> {
    report(ctx, tenant, &refusal).await?;
    Err(stalled(tenant, refusal))
}

/// Puts a failed write into the status: `WriteRefused` (stalled) when the API server refused
/// it, `ApplyFailed` (retried) otherwise. A lost race on the keys is only retried.
async fn apply_failed(ctx: &Context, tenant: &Tenant, error: ApplyStepError) -> Error {
    if matches!(error.source, ApplyError::Stale { .. }) {
        return error.into();
    }
    let refused = error.source.is_refusal();
    let reason = if refused {
        Reason::WriteRefused
    } else {
        Reason::ApplyFailed
    };
    let decided = Decided::ready(false, reason, error.to_string());
    match report(ctx, tenant, &decided).await {
        Err(status_error) => status_error,
        Ok(()) if refused => stalled(tenant, decided),
        Ok(()) => error.into(),
    }
}

async fn report(ctx: &Context, tenant: &Tenant, refusal: &Decided) -> Result<(), Error> {
    let status = status::refused_status(tenant, refusal);
    status::write(ctx, tenant, &status, std::slice::from_ref(refusal)).await?;
    Ok(())
}

fn stalled(tenant: &Tenant, decided: Decided) -> Error {
    let what = format!(
        "Tenant {}/{}",
        tenant.namespace().unwrap_or_default(),
        tenant.name_any()
    );
    Error::Stalled { what, decided }
}

fn name_conflict(objects: &[String]) -> Decided {
    Decided::ready(
        false,
        Reason::NameConflict,
        format!(
            "{} exist(s) and not by this Tenant: the operator leaves them alone and writes nothing until they are removed or renamed",
            objects.join(", ")
        ),
    )
}

fn keys_json(keys: &[SigningKey], tenant: &str) -> Result<String, RenderError> {
    serde_json::to_string_pretty(&SigningKeySet { keys: keys.to_vec() }).map_err(|error| RenderError {
        tenant: tenant.to_owned(),
        what: "the signing keys",
        reason: error.to_string(),
    })
}

fn until(at: Option<Timestamp>, now: Timestamp) -> Option<Duration> {
    let wait: Duration = at?.duration_since(now).try_into().ok()?;
    // Wake just after the instant, so the plan sees it as reached.
    Some(wait + Duration::from_millis(200))
}
