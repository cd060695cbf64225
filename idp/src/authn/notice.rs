//! Telling customers about their account's security by email: a sign-in from a device or network
//! the account never used (with a "this was not me" link), and a changed password (with a reset
//! link). Each is sent in the language of the browser that caused it.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use super::recovery::mail_reset_link;
use crate::app::AppState;
use crate::email::{self, Kind};
use crate::error::Error;
use crate::i18n::Messages;
use crate::store::{EmailPurpose, User};

/// A "this was not me" link works this long: a customer may read the email days later.
pub const NOT_ME_LIFETIME: i64 = 7 * 24 * 3600;

/// The texts for the browser that sent `headers`.
fn language(state: &AppState, headers: &HeaderMap) -> &'static Messages {
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
    state.tenant.get().languages.negotiate(&[], accept)
}

/// Tells `user` of a sign-in from a device or network the account never used; the link ends
/// every session of the account and starts a password reset.
pub async fn new_sign_in(state: &AppState, headers: &HeaderMap, user: &User) -> Result<(), Error> {
    let tenant = state.tenant.get();
    let token = crate::random::token();
    let expires = state.now().plus_seconds(NOT_ME_LIFETIME);
    // Only the hash is stored: a leaked database holds no working link.
    state
        .store
        .create_email_token(&user.id, EmailPurpose::NotMe, &crate::random::hash(&token), expires)
        .await?;
    let link = format!("{}?token={token}", tenant.url("/not-me"));
    let t = language(state, headers);
    let mail =
        email::compose(&tenant, t, Kind::NewSignIn, &user.email, &link).map_err(|e| Error::Internal(e.to_string()))?;
    state.mailer.send(tenant.clone(), mail);
    Ok(())
}

/// Tells `user` that their password was changed, with a link to reset it.
pub async fn password_changed(state: &AppState, headers: &HeaderMap, user: &User) -> Result<(), Error> {
    let tenant = state.tenant.get();
    if !tenant.config.attack_protection.notifications.password_changed {
        return Ok(());
    }
    mail_reset_link(state, &tenant, language(state, headers), user, Kind::PasswordChanged).await
}
