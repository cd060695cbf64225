//! Erasing an account, on the customer's request or for inactivity: one transaction takes the
//! account and everything linked to it (so its sessions, grants and tokens end at once), the
//! erasure is counted, and a confirmation goes to the former address after the commit.

use std::sync::Arc;

use crate::app::AppState;
use crate::config::Tenant;
use crate::email::{self, Kind};
use crate::error::Error;
use crate::ids::{UnixTime, UserId};
use crate::store::{Erased, Erasure, ErasureReason};

/// Erases `user_id` for `reason`; `None` when there was no such account (or, for inactivity,
/// it was used since: `unless_used` as in [`Erasure`]).
pub async fn erase(
    state: &AppState,
    user_id: &UserId,
    reason: ErasureReason,
    unless_used: Option<(UnixTime, UnixTime)>,
) -> Result<Option<Erased>, Error> {
    let erasure = Erasure {
        user_id,
        reason,
        now: state.now(),
        unless_used,
    };
    let Some(erased) = state.store.erase_account(&erasure).await? else {
        return Ok(None);
    };
    state.metrics.observe_erasure(reason.as_str());
    tracing::info!(reason = reason.as_str(), "an account was erased");
    confirm(state, &state.tenant.get(), &erased)?;
    Ok(Some(erased))
}

/// Tells the former address that the account is gone. The address lives only in this email:
/// nothing of it stays in the database.
fn confirm(state: &AppState, tenant: &Arc<Tenant>, erased: &Erased) -> Result<(), Error> {
    let locales: Vec<String> = erased.locale.iter().cloned().collect();
    let t = tenant.languages.negotiate(&locales, None);
    let mail = email::compose_notice(tenant, t, Kind::AccountErased, &erased.email)
        .map_err(|error| Error::Internal(error.to_string()))?;
    state.mailer.send(tenant.clone(), mail);
    Ok(())
}
