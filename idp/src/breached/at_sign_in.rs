//! The check of the password a customer signs in with: a breached one flags the account, which
//! the sign-in's new-password step then requires replacing (this sign-in already, and every
//! later one until it is replaced), is audited, and its owner is emailed why, with a reset link.

use std::sync::Arc;

use vestibule_crds::SecretString;

use super::Screening;
use crate::app::AppState;
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, User};

/// Checks the password `user` just signed in with, when the tenant asks for it. Only a finding
/// counts: an unanswered check never stops a sign-in, whatever the fail mode (that mode is for
/// choosing new passwords).
pub async fn check(
    state: &AppState,
    tenant: &Arc<Tenant>,
    user: &User,
    password: &SecretString,
    info: &RequestInfo,
) -> Result<(), Error> {
    if !tenant.breached.at_sign_in() || user.password_breached_at.is_some() {
        return Ok(());
    }
    if tenant.breached.screen(password.expose(), &state.metrics).await != Screening::Breached {
        return Ok(());
    }
    // Flagged only if the verified password is still the account's (no concurrent change).
    if !state
        .store
        .flag_breached_password(&user.id, &user.password_hash, state.now())
        .await?
    {
        return Ok(());
    }
    crate::audit::record(state, AuditEvent::PasswordBreached, Some(&user.id), None, info).await;
    let locales: Vec<String> = user.locale.iter().cloned().collect();
    let t = tenant.languages.negotiate(&locales, None);
    crate::authn::recovery::mail_reset_link(state, tenant, t, user, Kind::PasswordBreached).await
}
