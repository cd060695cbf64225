//! The Client controller: validate, dereference the Tenant, write the credentials Secret
//! (generating and rotating the secret), report whether the Tenant serves the Client.

pub mod admission;
pub mod build;
pub mod credentials;
pub mod dereference;
pub mod served;
mod status;

use std::sync::Arc;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store, reflector};
use kube::runtime::watcher;
use kube::{Api, ResourceExt};
use vestibule_crds::v1alpha1::{Client, ClientType, ROTATE_SECRET_ANNOTATION, Tenant};

use self::build::SecretInputs;
use self::dereference::Observed;
use self::served::ServedConfigs;
use crate::conditions::Decided;
use crate::context::Context;
use crate::controllers::{attach, changes, error_policy, lenient, timed};
use crate::error::Error;
use crate::names::{CLIENT_LABEL, field_manager};
use crate::runner::Stop;
use crate::ssa;

/// Runs the Client controller for `api` (one namespace, or all) until `stop`.
pub async fn run(api: Api<Client>, ctx: Arc<Context>, stop: Stop) {
    let secrets = match api.namespace() {
        Some(namespace) => Api::<Secret>::namespaced(ctx.client.clone(), namespace),
        None => Api::all(ctx.client.clone()),
    };
    let (store, writer) = reflector::store();
    let clients = reflector(writer, lenient::watch::<Client>(ctx.clone(), api.namespace())).default_backoff();
    let mut controller = Controller::for_stream(clients.applied_objects(), store.clone())
        .owns(secrets, watcher::Config::default().labels(CLIENT_LABEL));
    let (configs, config_watches) = ServedConfigs::new(&ctx);
    for watch in config_watches {
        // Only fills the cache: a new config reaches Clients through their Tenant's status.
        controller = controller.watches_stream(watch, |_: Secret| None::<ObjectRef<Client>>);
    }
    for namespace in ctx.scope.namespaces() {
        let store = store.clone();
        let tenants = lenient::watch::<Tenant>(ctx.clone(), namespace.as_deref()).default_backoff();
        let tenants = changes::changed(tenants, changes::tenant_serving);
        controller = controller.watches_stream(tenants, move |tenant: Tenant| {
            let (namespace, name) = (tenant.namespace().unwrap_or_default(), tenant.name_any());
            store
                .state()
                .into_iter()
                .filter(|client| {
                    let own = client.namespace().unwrap_or_default();
                    attach::refers_to(&client.spec.tenant_ref, &own, &namespace, &name)
                })
                .map(|client| ObjectRef::from_obj(&*client))
                .collect::<Vec<_>>()
        });
    }
    controller
        .with_config(crate::controllers::controller_config())
        .graceful_shutdown_on(stop.wait())
        .run(
            move |client, ctx| {
                let (store, configs) = (store.clone(), configs.clone());
                timed(
                    ctx.clone(),
                    ObjectRef::from_obj(&*client),
                    reconcile(client, ctx, store, configs),
                )
            },
            error_policy::<Client>,
            ctx,
        )
        .for_each(|_| futures::future::ready(()))
        .await;
}

/// One reconcile of a Client; `clients` holds the Clients this controller sees, `configs` the
/// configs their Tenants serve.
pub async fn reconcile(
    client: Arc<Client>,
    ctx: Arc<Context>,
    clients: Store<Client>,
    configs: ServedConfigs,
) -> Result<Action, Error> {
    let namespace = client.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let now = Timestamp::now();
    let observed = dereference::observe(&ctx, &client, &namespace, &configs).await?;
    let attachment = attached(&client, &namespace, &observed).and_then(|tenant| {
        admission::unique_client_id(&client, &namespace, tenant, &clients.state())?;
        Ok(tenant)
    });
    let tenant = match attachment {
        Ok(tenant) => tenant,
        Err(refusal) => {
            status::write(&ctx, &client, &namespace, None, refusal).await?;
            return Ok(Action::requeue(ctx.config.resync));
        }
    };
    let name = client.name_any();
    let (credentials, next_change) = match client.spec.client_type {
        ClientType::Public => (None, None),
        ClientType::Confidential => {
            let existing = observed.credentials.as_ref().and_then(credentials::read);
            let rotate = client.annotations().get(ROTATE_SECRET_ANNOTATION).map(String::as_str);
            let grace = client.spec.secret_rotation_grace_period;
            let (planned, next) = credentials::plan(existing, rotate, grace, now, credentials::fresh_secret);
            (Some(planned), next)
        }
    };
    let secret_name = client.spec.effective_secret_name(&name);
    let tenant_namespace = tenant.namespace().unwrap_or_default();
    let desired = build::secret(
        &client,
        SecretInputs {
            name: secret_name.clone(),
            namespace: &namespace,
            client_id: client.spec.effective_client_id(&namespace, &name),
            tenant: format!("{tenant_namespace}/{}", tenant.name_any()),
            issuer: &tenant.spec.issuer,
            credentials: credentials.as_ref(),
        },
    );
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    ssa::apply(&secrets, desired, &field_manager("Client")).await?;
    let uid = client.uid().unwrap_or_default();
    remove_renamed_secret(&secrets, &observed, &secret_name, &name, &uid).await?;
    let decided = status::served(&client, &namespace, tenant, &observed, credentials.as_ref(), now);
    status::write(&ctx, &client, &namespace, Some(secret_name), decided).await?;
    let requeue = next_change
        .and_then(|at| at.duration_since(now).try_into().ok())
        .map_or(ctx.config.resync, |wait: std::time::Duration| {
            wait.min(ctx.config.resync) + std::time::Duration::from_millis(500)
        });
    Ok(Action::requeue(requeue))
}

fn attached<'a>(client: &Client, namespace: &str, observed: &'a Observed) -> Result<&'a Tenant, Decided> {
    admission::invalid_spec(client, namespace, observed.recorded_tenant())?;
    let tenant = attach::attachment(observed.tenant.as_ref(), &client.spec.tenant_ref, namespace)?;
    admission::admit(client, namespace, tenant, observed.recorded_tenant())?;
    Ok(tenant)
}

async fn remove_renamed_secret(
    secrets: &Api<Secret>,
    observed: &Observed,
    current: &str,
    client: &str,
    owner_uid: &str,
) -> Result<(), Error> {
    let Some(old) = &observed.credentials else {
        return Ok(());
    };
    let old_name = old.name_any();
    if old_name != current && old.labels().get(CLIENT_LABEL).map(String::as_str) == Some(client) {
        ssa::delete_owned(secrets, &old_name, owner_uid).await?;
    }
    Ok(())
}
