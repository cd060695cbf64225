//! The hosted pages: sign-in, registration, verification, recovery, consent (to an application's
//! scopes, and privacy consent to the tenant's policy), progressive profiling and the account page.

pub mod account;
mod account_privacy;
mod challenge;
mod consent;
mod devices;
mod email_codes;
mod enrol;
mod enrol_passkey;
mod erasure;
mod export;
mod factor_change;
mod fields;
pub mod flow;
mod form;
mod new_password;
mod not_me;
mod passkeys;
mod passwordless;
mod privacy;
mod privacy_choices;
mod profile;
mod recovery;
mod recovery_codes;
mod register;
mod resume;
mod second_factor;
mod second_factor_codes;
mod signin;
mod social;
mod totp;
mod verify;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::AppState;
// What every page builds on: the plumbing of `http` and the customer's session.
use crate::authn::session;
use crate::http::{cookies, csrf, page};

/// Every hosted page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(signin::login_get).post(signin::login_post))
        .route("/register", get(register::register_get).post(register::register_post))
        .route("/verify", get(verify::verify_get).post(verify::verify_post))
        .route("/verify/resend", post(verify::resend_post))
        .route("/forgot", get(recovery::forgot_get).post(recovery::forgot_post))
        .route("/reset", get(recovery::reset_get).post(recovery::reset_post))
        .route("/not-me", get(not_me::not_me_get).post(not_me::not_me_post))
        .route("/consent", get(consent::consent_get).post(consent::consent_post))
        .route("/profile", get(profile::profile_get).post(profile::profile_post))
        .route(
            "/privacy/consent",
            get(privacy::privacy_get).post(privacy::privacy_post),
        )
        .route("/account/privacy", post(account_privacy::privacy_post))
        .route("/account", get(account::account_get))
        .route("/account/continue", get(resume::account_continue))
        .route("/account/profile", post(account::profile_post))
        .route("/account/password", post(account::password_post))
        .route("/account/sessions/revoke", post(account::revoke_post))
        .route("/account/export", get(export::export_get).post(export::export_post))
        .route("/account/delete", get(erasure::delete_get).post(erasure::delete_post))
        .route("/account/totp", get(totp::setup_get))
        .route("/account/totp/start", post(totp::start_post))
        .route("/account/totp/confirm", post(totp::confirm_post))
        .route("/account/totp/remove", post(totp::remove_post))
        .route("/mfa", get(second_factor::mfa_get).post(second_factor::mfa_post))
        .route("/mfa/enrol", get(enrol::enrol_get).post(enrol::enrol_post))
        .route("/mfa/enrol/passkey", post(enrol_passkey::passkey_post))
        .route("/mfa/refused", get(enrol::refused_get))
        .route("/mfa/address", get(enrol::address_get))
        .route("/account/devices/revoke", post(devices::revoke_post))
        .route(
            "/account/recovery-codes",
            get(recovery_codes::codes_get).post(recovery_codes::generate_post),
        )
        .route("/account/email-codes/enable", post(email_codes::enable_post))
        .route("/account/email-codes/confirm", post(email_codes::confirm_post))
        .route("/account/email-codes/disable", post(email_codes::disable_post))
        .route("/mfa/recovery", post(second_factor_codes::recovery_post))
        .route("/mfa/email/send", post(second_factor_codes::email_send_post))
        .route("/mfa/email", post(second_factor_codes::email_post))
        .route(
            "/password/new",
            get(new_password::new_password_get).post(new_password::new_password_post),
        )
        .route("/logout", post(account::logout_post))
        .route("/assets/style.css", get(style))
        .route("/account/passkeys", get(passkeys::list_get))
        .route("/account/passkeys/start", post(passkeys::start_post))
        .route("/account/passkeys/finish", post(passkeys::finish_post))
        .route("/account/passkeys/rename", post(passkeys::rename_post))
        .route("/account/passkeys/remove", post(passkeys::remove_post))
        .route("/mfa/passkey", post(second_factor::passkey_post))
        .route("/login/passkey", post(passwordless::passkey_post))
        .route("/assets/webauthn.js", get(webauthn_script))
        .route("/assets/challenge.js", get(challenge_script))
        .merge(social::router())
}

async fn home(State(state): State<AppState>) -> Response {
    flow::see_other(&state.tenant.get().path("/account"), &[]).into_response()
}

async fn style(State(state): State<AppState>) -> Response {
    page::stylesheet(&state.tenant.get())
}

async fn webauthn_script() -> Response {
    page::webauthn_script()
}

async fn challenge_script() -> Response {
    page::challenge_script()
}
