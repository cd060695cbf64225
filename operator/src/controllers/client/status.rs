//! A Client's status: `Ready` and the reason, the served `clientId` and the credentials
//! Secret's name.

use kube::ResourceExt;
use vestibule_crds::v1alpha1::{Client, ClientStatus, CommonStatus};

use crate::conditions::{self, Decided};
use crate::context::Context;
use crate::controllers::status as write_status;
use crate::error::Error;

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
