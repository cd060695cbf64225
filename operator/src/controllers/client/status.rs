//! A Client's status: `Ready` once its Tenant serves a config containing it (with its current
//! secret), and the served `clientId` and Secret name.

use jiff::Timestamp;
use kube::ResourceExt;
use vestibule_crds::v1alpha1::{Client, ClientStatus, CommonStatus, Tenant};

use super::credentials::{self, Credentials};
use super::dereference::Observed;
use crate::conditions::{self, Decided, Reason};
use crate::context::Context;
use crate::controllers::status as write_status;
use crate::error::Error;

/// `Ready=True` when the Tenant is Ready at the generation of a config that contains this
/// client and its current secret; `Progressing` until then.
pub fn served(
    client: &Client,
    namespace: &str,
    tenant: &Tenant,
    observed: &Observed,
    credentials: Option<&Credentials>,
    now: Timestamp,
) -> Decided {
    let client_id = client.spec.effective_client_id(namespace, &client.name_any());
    let tenant_name = format!("{}/{}", tenant.namespace().unwrap_or_default(), tenant.name_any());
    let in_config = observed.served_config.as_ref().and_then(|config| {
        let entry = config.client(&client_id)?;
        let current = credentials.map(|c| credentials::hashes(c, now));
        let has_secret = current.is_none_or(|hashes| entry.secrets.first() == hashes.first());
        has_secret.then_some(config.generation)
    });
    let tenant_status = tenant.status.as_ref();
    let tenant_ready = tenant_status
        .and_then(|status| conditions::ready(&status.common.conditions))
        .is_some_and(|ready| ready.status == "True");
    let served_generation = tenant_status.and_then(|status| status.config_generation);
    match in_config {
        Some(generation) if tenant_ready && served_generation == Some(generation) => Decided::ready(
            true,
            Reason::Available,
            format!("served by Tenant {tenant_name} as {client_id}"),
        ),
        Some(_) => Decided::ready(
            false,
            Reason::Progressing,
            format!("waiting for the pods of Tenant {tenant_name} to serve the config containing {client_id}"),
        ),
        None => Decided::ready(
            false,
            Reason::Progressing,
            format!("waiting for Tenant {tenant_name} to add {client_id} to its config"),
        ),
    }
}

/// Writes the status if it changed. `secret_name` is `None` for a refused Client, which keeps
/// what it recorded before.
pub async fn write(
    ctx: &Context,
    client: &Client,
    namespace: &str,
    secret_name: Option<String>,
    decided: Decided,
) -> Result<(), Error> {
    let current = client.status.as_ref();
    let previous_conditions = current.map(|s| s.common.conditions.clone()).unwrap_or_default();
    let accepted = secret_name.is_some();
    let status = ClientStatus {
        common: CommonStatus {
            conditions: conditions::merge(
                &previous_conditions,
                std::slice::from_ref(&decided),
                client.metadata.generation,
                write_status::now(),
            ),
            observed_generation: client.metadata.generation,
        },
        client_id: if accepted {
            Some(client.spec.effective_client_id(namespace, &client.name_any()))
        } else {
            current.and_then(|s| s.client_id.clone())
        },
        secret_name: secret_name.or_else(|| current.and_then(|s| s.secret_name.clone())),
    };
    write_status::write(ctx, client, current, &status, &previous_conditions, &[decided]).await?;
    Ok(())
}
