//! Password recovery links: a single-use, expiring reset token, stored hashed and mailed to the
//! account's owner. The forgot-password page sends one on request; the lockout sends one when
//! it locks an account (the reset also lifts the lock).

use std::sync::Arc;

use crate::app::AppState;
use crate::config::Tenant;
use crate::email::{self, Kind};
use crate::error::Error;
use crate::i18n::Messages;
use crate::store::{EmailPurpose, User};

/// Reset links work this long.
pub const RESET_LIFETIME: i64 = 3600;

/// Mails `user` a single-use link to choose a new password (which also lifts a lock), as the
/// email `kind` in language `t`.
pub async fn mail_reset_link(
    state: &AppState,
    tenant: &Arc<Tenant>,
    t: &Messages,
    user: &User,
    kind: Kind,
) -> Result<(), Error> {
    let token = crate::random::token();
    let expires = state.now().plus_seconds(RESET_LIFETIME);
    // Only the hash is stored: a leaked database holds no working link.
    state
        .store
        .create_email_token(&user.id, EmailPurpose::Reset, &crate::random::hash(&token), expires)
        .await?;
    let link = format!("{}?token={token}", tenant.url("/reset"));
    let mail = email::compose(tenant, t, kind, &user.email, &link).map_err(|e| Error::Internal(e.to_string()))?;
    state.mailer.send(tenant.clone(), mail);
    Ok(())
}
