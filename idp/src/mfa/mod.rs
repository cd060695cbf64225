//! Second factors: authenticator apps (TOTP, RFC 6238) that a customer enrols from the account
//! page, their secrets sealed at rest ([`seal`]), and wrong codes counted like wrong passwords
//! ([`attempts`]); recovery codes ([`recovery_codes`]) and codes by email ([`email_code`]).

pub mod attempts;
pub mod email_code;
pub mod recovery_codes;
pub mod seal;
pub mod totp;

use crate::app::AppState;
use crate::error::Error;
use crate::store::User;

/// Whether `user` set up a second factor the sign-in asks for: a confirmed authenticator app,
/// or codes by email to a verified address.
pub async fn has_second_factor(state: &AppState, user: &User) -> Result<bool, Error> {
    if state.store.has_totp(&user.id).await? {
        return Ok(true);
    }
    Ok(user.email_verified && state.store.email_otp_enabled(&user.id).await?)
}
