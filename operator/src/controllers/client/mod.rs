//! The Client controller. A Client is an [`Attachment`] judged like every other kind, plus one
//! step of its own: the credentials Secret the application mounts (its secret generated once,
//! rotated in two phases), written only for a Client its Tenant accepts.

pub mod admission;
pub mod build;
pub mod credentials;
pub mod dereference;
mod status;

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Secret;
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Resource, ResourceExt};
use vestibule_crds::config::{ClientConfig, TenantConfig};
use vestibule_crds::v1alpha1::{Client, ClientType, CommonStatus, ROTATE_SECRET_ANNOTATION, Tenant, TenantRef};

use self::build::SecretInputs;
use self::credentials::Credentials;
use crate::conditions::{Decided, Reason};
use crate::context::Context;
use crate::controllers::attachment::judge::{Judgement, SecretValues};
use crate::controllers::attachment::served::{pods_serve, serving};
use crate::controllers::attachment::{Attachment, Candidate, Inputs, Recorded, Source, controller};
use crate::controllers::shared::{Reflected, Shared, SharedWatches, Watches};
use crate::controllers::{error_policy, status as status_report, timed};
use crate::error::Error;
use crate::events;
use crate::names::{CLIENT_LABEL, config_secret, field_manager, keys_secret};
use crate::runner::Stop;
use crate::ssa;

impl Attachment for Client {
    type Entry = ClientConfig;
    const CLAIM_FIELD: &'static str = "spec.clientId";

    fn reflected(shared: &Shared) -> &Reflected<DeserializeGuard<Self>> {
        &shared.clients
    }
    fn watches(watches: &SharedWatches) -> &Watches<DeserializeGuard<Self>> {
        &watches.clients
    }
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn validate(
        &self,
        namespace: &str,
        tenant: &Tenant,
        recorded: &Recorded,
    ) -> Result<(), vestibule_crds::ValidationErrors> {
        admission::validate(self, namespace, tenant, recorded)
    }
    fn claim(&self, namespace: &str) -> Option<String> {
        Some(self.spec.effective_client_id(namespace, &self.name_any()))
    }
    fn render(&self, namespace: &str, inputs: &Inputs<'_>) -> Result<Self::Entry, Decided> {
        let name = self.name_any();
        let secret_name = self.spec.effective_secret_name(&name);
        let waiting = || {
            Decided::ready(
                false,
                Reason::Progressing,
                format!("waiting for the credentials Secret {namespace}/{secret_name}"),
            )
        };
        // Served only once the application can read its credentials.
        if inputs.recorded.secret_name.as_deref() != Some(secret_name.as_str()) {
            return Err(waiting());
        }
        let secrets = match self.spec.client_type {
            ClientType::Public => Vec::new(),
            ClientType::Confidential => {
                credentials::hashes(inputs.recorded.credentials.as_ref().ok_or_else(waiting)?, inputs.now)
            }
        };
        Ok(ClientConfig::from_spec(&self.spec, namespace, &name, secrets))
    }
    fn refresh(mut entry: Self::Entry, inputs: &Inputs<'_>) -> Self::Entry {
        if let Some(credentials) = &inputs.recorded.credentials
            && entry.client_type == ClientType::Confidential
        {
            entry.secrets = credentials::hashes(credentials, inputs.now);
        }
        entry
    }
    fn entries(config: &TenantConfig) -> &[Self::Entry] {
        &config.clients
    }
    fn entries_mut(config: &mut TenantConfig) -> &mut Vec<Self::Entry> {
        &mut config.clients
    }
    fn entry_id(entry: &Self::Entry) -> &str {
        &entry.client_id
    }
    fn served_id(_source: &Source, claim: Option<&str>) -> Option<String> {
        claim.map(str::to_owned)
    }
    fn recorded(shared: &Shared, meta: &kube::api::ObjectMeta) -> Recorded {
        dereference::recorded_in_store(shared, meta)
    }
    fn common_status(&self) -> Option<&CommonStatus> {
        self.status.as_ref().map(|status| &status.common)
    }
}

/// The Client controller for the `index`th namespace in scope, subscribed now and run by the
/// returned future until `stop`.
pub fn run(
    ctx: Arc<Context>,
    shared: Arc<Shared>,
    watches: &SharedWatches,
    index: usize,
    stop: Stop,
) -> Option<BoxFuture<'static, ()>> {
    let controller = Controller::for_shared_stream(watches.clients.subscribe(index)?, shared.clients.store(index)?)
        .owns_shared_stream(watches.credentials.subscribe_all())
        .watches_shared_stream(shared.credentials.deleted(), |secret| owner(&secret));
    let controller = controller::on_tenants::<Client>(controller, &shared, watches);
    let run = controller
        .with_config(crate::controllers::controller_config())
        .graceful_shutdown_on(stop.wait())
        .run(
            move |client, ctx| {
                let shared = shared.clone();
                timed(
                    ctx.clone(),
                    ObjectRef::from_obj(&*client),
                    reconcile(client, ctx, shared),
                )
            },
            error_policy::<DeserializeGuard<Client>>,
            ctx,
        )
        .for_each(|_| futures::future::ready(()));
    Some(run.boxed())
}

/// The Client owning a credentials Secret.
fn owner(secret: &Secret) -> Vec<ObjectRef<DeserializeGuard<Client>>> {
    let Some(namespace) = secret.namespace() else {
        return Vec::new();
    };
    secret
        .owner_references()
        .iter()
        .filter(|owner| owner.kind == "Client")
        .map(|owner| ObjectRef::new(&owner.name).within(&namespace))
        .collect()
}

/// One reconcile of a Client: judged as its Tenant judges it (assuming the credentials it is
/// about to write), then its credentials written if it is accepted, then `Ready` from what the
/// Tenant's pods serve.
pub async fn reconcile(
    guard: Arc<DeserializeGuard<Client>>,
    ctx: Arc<Context>,
    shared: Arc<Shared>,
) -> Result<Action, Error> {
    let client = match &guard.0 {
        Ok(client) => client,
        Err(invalid) => return status_report::report_unparsable::<Client>(&ctx, invalid).await,
    };
    let namespace = client.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let tenant = match controller::tenant_of(&ctx, &shared, &client.spec.tenant_ref, &namespace) {
        Ok(tenant) => tenant,
        Err(refusal) => {
            status::write(&ctx, client, &namespace, None, refusal).await?;
            return Ok(Action::requeue(ctx.config.resync));
        }
    };
    let now = Timestamp::now();
    let uid = client.uid().unwrap_or_default();
    let record = read_record(&ctx, client, &namespace, &uid).await?;
    let mut candidate = Candidate::new(&shared, guard.clone());
    candidate.recorded = record.as_ref().map(dereference::recorded).unwrap_or_default();
    let tenant_namespace = tenant.namespace().unwrap_or_default();
    let claim = candidate.claim(&tenant_namespace);
    let served = shared.served_config(&tenant_namespace, &tenant.name_any());
    let (planned, next_change) = plan_credentials(
        client,
        &candidate.recorded,
        &tenant,
        served.as_deref(),
        claim.as_deref(),
        now,
    );
    let secret_name = client.spec.effective_secret_name(&client.name_any());
    let recorded_credentials = candidate.recorded.credentials.clone();
    candidate.recorded = Recorded {
        secret_name: Some(secret_name.clone()),
        credentials: planned.clone(),
        ..candidate.recorded
    };
    let (judgement, served) = controller::judge_one(&shared, &tenant, &candidate, &SecretValues::new());
    let entry = match judgement {
        Judgement::Fresh(entry) => entry,
        other => {
            let decided = controller::decide::<Client>(other, &tenant, served.as_deref());
            status::write(&ctx, client, &namespace, None, decided).await?;
            return Ok(Action::requeue(ctx.config.resync));
        }
    };
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let live = ssa::read(&secrets, &secret_name).await?;
    if let Some(conflict) = name_conflict(&shared, &namespace, &secret_name, live.as_ref(), &uid) {
        let keeps = served
            .as_deref()
            .zip(claim.as_deref())
            .is_some_and(|(config, id)| config.client(id).is_some());
        let decided = match keeps {
            true => controller::kept(conflict, &tenant),
            false => conflict,
        };
        status::write(&ctx, client, &namespace, None, decided.clone()).await?;
        // Retried with backoff: the object holding the name is not necessarily watched.
        return Err(Error::Stalled {
            what: format!("Client {namespace}/{}", client.name_any()),
            decided,
        });
    }
    let desired = build::secret(
        client,
        SecretInputs {
            name: secret_name.clone(),
            namespace: &namespace,
            client_id: entry.client_id.clone(),
            tenant: format!("{tenant_namespace}/{}", tenant.name_any()),
            issuer: &tenant.spec.issuer,
            credentials: planned.as_ref(),
        },
    );
    ssa::apply_over(&secrets, desired, live.as_ref(), &field_manager("Client")).await?;
    if rotated(recorded_credentials.as_ref(), planned.as_ref()) {
        let note = format!(
            "the Secret {secret_name} holds a new client secret; the previous one works until its grace period ends"
        );
        events::publish_notice(&ctx, &client.object_ref(&()), "SecretRotated", &note).await;
    }
    remove_renamed_secret(&secrets, record.as_ref(), &secret_name, &client.name_any(), &uid).await?;
    let decided = serving::<Client>(&entry, &tenant, served.as_deref());
    status::write(&ctx, client, &namespace, Some(secret_name), decided).await?;
    let requeue = next_change
        .and_then(|at| at.duration_since(now).try_into().ok())
        .map_or(ctx.config.resync, |wait: std::time::Duration| {
            wait.min(ctx.config.resync) + std::time::Duration::from_millis(500)
        });
    Ok(Action::requeue(requeue))
}

/// Whether this write hands the application a new current secret (a rotation's last step), not
/// the first secret of a new Client.
fn rotated(before: Option<&Credentials>, after: Option<&Credentials>) -> bool {
    matches!((before, after), (Some(before), Some(after)) if before.secret != after.secret)
}

/// The credentials Secret the status records (or the spec names), read now, if the Client owns
/// it: the shared store may not hold this controller's last write yet, and credentials planned
/// from a stale copy would hand out a second secret.
async fn read_record(ctx: &Context, client: &Client, namespace: &str, uid: &str) -> Result<Option<Secret>, Error> {
    let name = client
        .status
        .as_ref()
        .and_then(|status| status.secret_name.clone())
        .unwrap_or_else(|| client.spec.effective_secret_name(&client.name_any()));
    let secret = dereference::read_secret(&ctx.client, namespace, &name).await?;
    Ok(secret.filter(|secret| ssa::owned_by(secret, uid)))
}

/// The credentials to write, and when they change next; `None` for a public Client.
fn plan_credentials(
    client: &Client,
    recorded: &Recorded,
    tenant: &Tenant,
    served: Option<&TenantConfig>,
    claim: Option<&str>,
    now: Timestamp,
) -> (Option<Credentials>, Option<Timestamp>) {
    if client.spec.client_type == ClientType::Public {
        return (None, None);
    }
    let rotate = client.annotations().get(ROTATE_SECRET_ANNOTATION).map(String::as_str);
    // The IdP accepts a hash once its pods serve a config that lists it for this client.
    let accepted = |sha256: &str| {
        served.is_some_and(|config| {
            let entry = claim.and_then(|id| config.client(id));
            pods_serve(tenant, config) && entry.is_some_and(|entry| entry.secrets.iter().any(|s| s.sha256 == sha256))
        })
    };
    let grace = client.spec.secret_rotation_grace_period;
    let (planned, next) = credentials::plan(
        recorded.credentials.clone(),
        rotate,
        grace,
        now,
        accepted,
        credentials::fresh_secret,
    );
    (Some(planned), next)
}

/// `NameConflict` when the Secret `secret_name` is not this Client's to write: a Tenant's own
/// Secret (whether or not it exists yet), or anyone else's object.
fn name_conflict(
    shared: &Shared,
    namespace: &str,
    secret_name: &str,
    live: Option<&Secret>,
    uid: &str,
) -> Option<Decided> {
    let conflict = |message: String| Some(Decided::ready(false, Reason::NameConflict, message));
    for tenant in shared.tenants.in_namespace(namespace) {
        let tenant = tenant.name_any();
        // A Client's credentials must never overwrite (or pre-empt) a Tenant's keys or config.
        if secret_name == config_secret(&tenant) || secret_name == keys_secret(&tenant) {
            return conflict(format!(
                "spec.secretName: Secret {namespace}/{secret_name} belongs to Tenant {namespace}/{tenant}; choose another name"
            ));
        }
    }
    match live {
        Some(live) if !ssa::owned_by(live, uid) => conflict(format!(
            "spec.secretName: Secret {namespace}/{secret_name} exists and is not this Client's; the operator leaves it alone"
        )),
        _ => None,
    }
}

async fn remove_renamed_secret(
    secrets: &Api<Secret>,
    record: Option<&Secret>,
    current: &str,
    client: &str,
    owner_uid: &str,
) -> Result<(), Error> {
    let Some(old) = record else {
        return Ok(());
    };
    let old_name = old.name_any();
    if old_name != current && old.labels().get(CLIENT_LABEL).map(String::as_str) == Some(client) {
        ssa::delete_owned(secrets, &old_name, owner_uid).await?;
    }
    Ok(())
}
