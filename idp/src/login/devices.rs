//! Trusted devices on the account page: the list, and revoking one or all. Changing the
//! password or removing a factor revokes them all (whoever changed it may not own them).

use axum::extract::State;
use axum::response::Response;

use crate::app::AppState;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::ids::UserId;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, TrustedDevice};

/// A trusted device as the account page lists it.
#[derive(Debug)]
pub struct DeviceRow {
    /// Its handle, for revoking.
    pub id: String,
    /// The browser.
    pub label: String,
    /// Until when it is trusted.
    pub until: String,
}

impl From<TrustedDevice> for DeviceRow {
    fn from(device: TrustedDevice) -> Self {
        let until = jiff::Timestamp::from_second(device.expires_at.seconds())
            .map(|at| at.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        Self {
            id: device.id,
            label: device.label,
            until,
        }
    }
}

/// The devices `user` trusts now.
pub async fn rows(state: &AppState, user: &UserId) -> Result<Vec<DeviceRow>, Error> {
    Ok(state
        .store
        .trusted_devices(user, state.now())
        .await?
        .into_iter()
        .map(DeviceRow::from)
        .collect())
}

/// Revokes every device `user` trusts, auditing why (`reason`) when there were any.
pub async fn revoke_all(state: &AppState, user: &UserId, info: &RequestInfo, reason: &str) -> Result<(), Error> {
    let revoked = state.store.revoke_trusted_devices(user, None).await?;
    if revoked > 0 {
        let detail = Some(format!("{revoked} ({reason})"));
        crate::audit::record_detail(state, AuditEvent::TrustedDevicesRevoked, Some(user), None, info, detail).await;
    }
    Ok(())
}

/// `POST /account/devices/revoke`: `device` names one device, or `all`.
pub async fn revoke_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let user = &signed_in.user.id;
    match form.get("device").unwrap_or_default() {
        "all" => revoke_all(&state, user, &info, "by the customer").await?,
        id => {
            if state.store.revoke_trusted_devices(user, Some(id)).await? > 0 {
                let detail = Some("1 (by the customer)".to_owned());
                crate::audit::record_detail(
                    &state,
                    AuditEvent::TrustedDevicesRevoked,
                    Some(user),
                    None,
                    &info,
                    detail,
                )
                .await;
            }
        }
    }
    Ok(super::account::saved(&tenant, "devices-revoked"))
}
