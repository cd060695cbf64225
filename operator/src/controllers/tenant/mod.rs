//! The Tenant controller: dereference, validate, render config and keys, build the children,
//! apply what differs, and report what the pods serve.

pub mod apply;
pub mod build;
pub mod dereference;
pub mod error;
pub mod image;
pub mod keys;
pub mod network;
pub mod readiness;
pub mod render;
pub mod scaling;
pub mod status;
pub mod validate;
pub mod workload;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{PredicateConfig, WatchStreamExt, watcher};
use kube::{Resource, ResourceExt};
use vestibule_crds::SecretString;
use vestibule_crds::keys::{SigningKey, SigningKeySet};
use vestibule_crds::v1alpha1::{Client, ConsentPolicy, DatabaseChoice, MfaPolicy, SocialProvider, Tenant};

use self::apply::Outcome;
use self::build::BuildInputs;
use self::error::{ApplyStepError, RenderError};
use self::status::Served;
use crate::conditions::{Decided, Reason};
use crate::context::Context;
use crate::controllers::attachment::{Attachment, controller};
use crate::controllers::shared::{SecretMeta, Shared, SharedWatches, scoped};
use crate::controllers::status::report_unparsable;
use crate::controllers::{error_policy, predicates, timed};
use crate::error::Error;
use crate::names::{TENANT_ANNOTATION, TENANT_LABEL};
use crate::runner::Stop;
use crate::ssa::ApplyError;

/// The Tenant controller for the `index`th namespace in scope, subscribed now and run by the
/// returned future until `stop`.
pub fn run(
    ctx: Arc<Context>,
    shared: Arc<Shared>,
    watches: &SharedWatches,
    index: usize,
    stop: Stop,
) -> Option<BoxFuture<'static, ()>> {
    let ns = ctx.scope.namespaces().get(index).cloned().flatten();
    let client = ctx.client.clone();
    let children = watcher::Config::default().labels(TENANT_LABEL);
    let mut controller = Controller::for_shared_stream(watches.tenants.subscribe(index)?, shared.tenants.store(index)?)
        .owns_shared_stream(watches.tenant_secrets.subscribe_all())
        .watches_shared_stream(shared.tenant_secrets.deleted(), |secret| owning_tenant(&secret))
        .owns(scoped::<Deployment>(&client, ns.as_deref()), children.clone())
        .owns(scoped::<Service>(&client, ns.as_deref()), children.clone())
        .owns(
            scoped::<PersistentVolumeClaim>(&client, ns.as_deref()),
            children.clone(),
        )
        .owns(scoped::<Ingress>(&client, ns.as_deref()), children.clone());
    if ctx.capabilities.policy_v1 {
        controller = controller.owns(scoped::<PodDisruptionBudget>(&client, ns.as_deref()), children.clone());
    }
    controller = controller.watches(scoped::<Pod>(&client, ns.as_deref()), children, |pod: Pod| {
        let tenant = pod.labels().get(TENANT_LABEL)?.clone();
        Some(ObjectRef::new(&tenant).within(&pod.namespace()?))
    });
    controller = on_attachments::<Client>(controller, &shared, watches);
    controller = on_attachments::<SocialProvider>(controller, &shared, watches);
    controller = on_attachments::<ConsentPolicy>(controller, &shared, watches);
    controller = on_attachments::<MfaPolicy>(controller, &shared, watches);
    let (credentials, secrets) = (shared.clone(), shared.clone());
    controller = controller
        .watches_shared_stream(watches.credentials.subscribe_all(), |secret| recorded_tenant(&secret))
        .watches_shared_stream(shared.credentials.deleted(), |secret| recorded_tenant(&secret))
        .watches_shared_stream(watches.secrets.subscribe_all(), move |secret| {
            referring_tenants(&credentials, &secret)
        })
        .watches_shared_stream(shared.secrets.deleted(), move |secret| {
            referring_tenants(&secrets, &secret)
        });
    let run = controller
        .with_config(crate::controllers::tenant_controller_config())
        .graceful_shutdown_on(stop.wait())
        .run(
            move |tenant, ctx| {
                let shared = shared.clone();
                timed(
                    ctx.clone(),
                    ObjectRef::from_obj(&*tenant),
                    reconcile(tenant, ctx, shared),
                )
            },
            error_policy::<DeserializeGuard<Tenant>>,
            ctx,
        )
        .for_each(|_| futures::future::ready(()));
    Some(run.boxed())
}

/// Reconciles a Tenant when the spec of an object of kind `K` attached to it changes or the
/// object goes away.
fn on_attachments<K: Attachment>(
    controller: Controller<DeserializeGuard<Tenant>>,
    shared: &Arc<Shared>,
    watches: &SharedWatches,
) -> Controller<DeserializeGuard<Tenant>> {
    let changed = K::watches(watches)
        .subscribe_all()
        .map(|object| Ok::<_, watcher::Error>((*object).clone()))
        .predicate_filter(predicates::spec::<DeserializeGuard<K>>, PredicateConfig::default());
    let (on_change, on_delete) = (shared.clone(), shared.clone());
    controller
        .watches_stream(changed, move |object| tenants_of::<K>(&on_change, &object))
        .watches_shared_stream(K::reflected(shared).deleted(), move |object| {
            tenants_of::<K>(&on_delete, &object)
        })
}

/// The Tenants an attached object belongs to: the one its spec names, and the one it was
/// accepted by.
fn tenants_of<K: Attachment>(
    shared: &Shared,
    object: &DeserializeGuard<K>,
) -> Vec<ObjectRef<DeserializeGuard<Tenant>>> {
    let namespace = object.namespace().unwrap_or_default();
    let mut tenants = Vec::new();
    if let Ok(parsed) = &object.0 {
        let reference = parsed.tenant_ref();
        tenants.push(ObjectRef::new(&reference.name).within(reference.namespace_or(&namespace)));
    }
    let recorded = K::recorded(shared, object.meta()).tenant;
    if let Some((tenant_namespace, name)) = recorded.as_deref().and_then(|t| t.split_once('/')) {
        tenants.push(ObjectRef::new(name).within(tenant_namespace));
    }
    tenants
}

/// The Tenant owning one of its own Secrets.
fn owning_tenant(secret: &Secret) -> Option<ObjectRef<DeserializeGuard<Tenant>>> {
    let owner = secret.owner_references().iter().find(|owner| owner.kind == "Tenant")?;
    Some(ObjectRef::new(&owner.name).within(&secret.namespace()?))
}

/// The Tenant a Client's credentials Secret records.
fn recorded_tenant(secret: &Secret) -> Option<ObjectRef<DeserializeGuard<Tenant>>> {
    let (namespace, name) = secret.annotations().get(TENANT_ANNOTATION)?.split_once('/')?;
    Some(ObjectRef::new(name).within(namespace))
}

/// Tenants whose spec refers to a user's Secret (database URL, SMTP password), and those whose
/// served attachments do (a SocialProvider's client secret): its change is rendered at once.
fn referring_tenants(shared: &Shared, secret: &SecretMeta) -> Vec<ObjectRef<DeserializeGuard<Tenant>>> {
    let (namespace, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
    let mut tenants = spec_referring_tenants(shared, &namespace, &name);
    tenants.extend(attachment_tenants::<Client>(shared, &namespace, &name));
    tenants.extend(attachment_tenants::<SocialProvider>(shared, &namespace, &name));
    tenants.extend(attachment_tenants::<ConsentPolicy>(shared, &namespace, &name));
    tenants.extend(attachment_tenants::<MfaPolicy>(shared, &namespace, &name));
    tenants
}

/// The Tenants of the attachments of kind `K` in `namespace` that refer to the Secret `name`.
fn attachment_tenants<K: Attachment>(
    shared: &Shared,
    namespace: &str,
    name: &str,
) -> Vec<ObjectRef<DeserializeGuard<Tenant>>> {
    controller::referring_to::<K>(shared, namespace, name)
        .iter()
        .flat_map(|object| tenants_of::<K>(shared, object))
        .collect()
}

/// Tenants in `namespace` whose own spec refers to the Secret `name`.
fn spec_referring_tenants(shared: &Shared, namespace: &str, name: &str) -> Vec<ObjectRef<DeserializeGuard<Tenant>>> {
    shared
        .tenants
        .in_namespace(namespace)
        .into_iter()
        .filter(|tenant| {
            let Ok(tenant) = &tenant.0 else { return false };
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
            let captcha = dereference::captcha_secret_ref(tenant).is_some_and(|reference| reference.name == name);
            database || smtp || captcha
        })
        .map(|tenant| ObjectRef::from_obj(&*tenant))
        .collect()
}

/// One reconcile of a Tenant: dereference, validate, render, keys, apply, readiness, status.
pub async fn reconcile(
    guard: Arc<DeserializeGuard<Tenant>>,
    ctx: Arc<Context>,
    shared: Arc<Shared>,
) -> Result<Action, Error> {
    let tenant = match &guard.0 {
        Ok(tenant) => tenant,
        Err(invalid) => return report_unparsable::<Tenant>(&ctx, invalid).await,
    };
    let namespace = tenant.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let name = tenant.name_any();
    let id = format!("{namespace}/{name}");
    let now = Timestamp::now();
    let observed = dereference::observe(&ctx, tenant, &namespace).await?;
    let valid = match validate::validate(tenant, &observed) {
        Ok(valid) => valid,
        Err(refusal) => return refuse(&ctx, tenant, refusal).await,
    };
    let attachments = dereference::attachments(&ctx, &shared, &namespace, &name).await?;
    let entries = render::entries(tenant, &attachments, observed.previous_config.as_ref(), now);
    let config = render::render(
        tenant,
        &valid,
        entries,
        observed.previous_config.as_ref(),
        observed.previous_generation,
    );
    if let Err(errors) = config.validate() {
        let message = format!("the rendered config is invalid: {errors}");
        return refuse(&ctx, tenant, Decided::ready(false, Reason::InvalidSpec, message)).await;
    }
    let config_yaml = render::to_yaml(&config, &id)?;
    if let Err(refusal) = render::check_size(&config_yaml) {
        return stall(&ctx, tenant, refusal).await;
    }
    let (existing, keys_regenerated_for) = match keys::recover(tenant, &observed.keys) {
        Ok(recovered) => recovered,
        Err(refusal) => return stall(&ctx, tenant, refusal).await,
    };
    let retention = render::key_retention(&config, ctx.config.key_retention_margin);
    let settings = &tenant.spec.signing_keys;
    let keys = keys::plan(&existing, settings, retention, now)
        .fulfil_off_loop(now, &id)
        .await?;
    let next_rotation = keys::plan(&keys, settings, retention, now).next_change;
    let image = image::choose(&ctx, tenant, &id).await?;
    let inputs = BuildInputs {
        config_yaml,
        // The data key is made once and kept: the secrets it sealed open with it alone.
        keys_json: keys_json(
            &keys,
            observed
                .data_key
                .clone()
                .unwrap_or_else(SigningKeySet::generate_data_key),
            &id,
        )?,
        image: image.image.clone(),
        port: ctx.config.idp_port,
        admin_port: ctx.config.idp_admin_port,
        trusted_proxies: ctx.config.idp_trusted_proxies.clone(),
        database_hash: valid.database_hash.clone(),
        policy_v1: ctx.capabilities.policy_v1,
        autoscaling_v2: ctx.capabilities.autoscaling_v2,
    };
    let children = build::children(tenant, &inputs);
    match apply::apply(&ctx, tenant, children, observed.keys_version.as_deref()).await {
        Ok(Outcome::Written(_)) => {}
        Ok(Outcome::NameConflict(objects)) => return stall(&ctx, tenant, name_conflict(&objects)).await,
        Err(error) => return Err(apply_failed(&ctx, tenant, error).await),
    }
    let readiness = readiness::observe(&ctx, &namespace, &name, config.generation).await?;
    if readiness.is_ready() && !image.deferred {
        ctx.rollouts.finish(&id);
    }
    let served = Served {
        image: &image.image,
        pending_image: image.deferred.then_some(ctx.config.idp_image.as_str()),
        config: &config,
        keys: &keys,
        readiness: &readiness,
        keys_regenerated_for,
    };
    let decided = status::decide(tenant, &served, ctx.capabilities);
    let new_status = status::served_status(tenant, &served, &decided);
    if status::write(&ctx, tenant, &new_status, &decided).await? {
        status::announce(&ctx, tenant, &new_status).await;
    }
    // A Tenant waiting for a rollout slot asks again soon.
    let poll = if readiness.is_ready() && !image.deferred {
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

fn keys_json(keys: &[SigningKey], data_key: SecretString, tenant: &str) -> Result<String, RenderError> {
    let set = SigningKeySet {
        keys: keys.to_vec(),
        data_key: Some(data_key),
    };
    serde_json::to_string_pretty(&set).map_err(|error| RenderError {
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
