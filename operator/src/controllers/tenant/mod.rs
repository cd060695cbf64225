//! The Tenant controller: dereference, validate, render config and keys, build the children,
//! apply what differs, and report what the pods serve.

pub mod apply;
pub mod build;
pub mod dereference;
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
use vestibule_crds::keys::SigningKeySet;
use vestibule_crds::v1alpha1::{Client, DatabaseChoice, Tenant};

use self::build::BuildInputs;
use self::status::Served;
use crate::context::Context;
use crate::controllers::{changes, error_policy, lenient, timed};
use crate::error::Error;
use crate::names::{TENANT_ANNOTATION, TENANT_LABEL};
use crate::runner::Stop;

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
            |tenant, ctx| timed("Tenant", ctx.clone(), reconcile(tenant, ctx)),
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

/// One reconcile of a Tenant.
pub async fn reconcile(tenant: Arc<Tenant>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = tenant.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let name = tenant.name_any();
    let now = Timestamp::now();
    let observed = dereference::observe(&ctx, &tenant, &namespace).await?;
    let valid = match validate::validate(&tenant, &observed) {
        Ok(valid) => valid,
        Err(refusal) => {
            status::write(&ctx, &tenant, &status::refused_status(&tenant, &refusal), &[refusal]).await?;
            return Ok(Action::requeue(ctx.config.resync));
        }
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
        let refusal = crate::conditions::Decided::ready(
            false,
            crate::conditions::Reason::InvalidSpec,
            format!("the rendered config is invalid: {errors}"),
        );
        status::write(&ctx, &tenant, &status::refused_status(&tenant, &refusal), &[refusal]).await?;
        return Ok(Action::requeue(ctx.config.resync));
    }
    let lifetime = render::max_token_lifetime(&config);
    let plan = keys::plan(&observed.keys, &tenant.spec.signing_keys, lifetime, now);
    let keys = plan.fulfil(now)?;
    let next_rotation = keys::plan(&keys, &tenant.spec.signing_keys, lifetime, now).next_change;
    let inputs = BuildInputs {
        config_yaml: serde_yaml::to_string(&config).map_err(|e| serialize("the config", e.to_string()))?,
        keys_json: serde_json::to_string_pretty(&SigningKeySet { keys: keys.clone() })
            .map_err(|e| serialize("the signing keys", e.to_string()))?,
        image: tenant
            .spec
            .image
            .clone()
            .unwrap_or_else(|| ctx.config.idp_image.clone()),
        port: ctx.config.idp_port,
        database_hash: valid.database_hash.clone(),
        policy_v1: ctx.capabilities.policy_v1,
    };
    apply::apply(&ctx, &namespace, &name, build::children(&tenant, &inputs)).await?;
    let readiness = readiness::observe(&ctx, &namespace, &name, config.generation).await?;
    let served = Served {
        config: &config,
        keys: &keys,
        readiness: &readiness,
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

fn until(at: Option<Timestamp>, now: Timestamp) -> Option<Duration> {
    let wait: Duration = at?.duration_since(now).try_into().ok()?;
    // Wake just after the instant, so the plan sees it as reached.
    Some(wait + Duration::from_millis(200))
}

fn serialize(what: &'static str, reason: String) -> Error {
    Error::Serialize { what, reason }
}
