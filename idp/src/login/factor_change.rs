//! What every change of a second factor on the account page shares: a recent authentication
//! (the password again past a few minutes, challenged like the sign-in form), or the account
//! page refusing it.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use vestibule_crds::SecretString;

use super::challenge;
use super::page::Page;
use super::session::SignedIn;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::risk::lockout::{self, Verdict};
use crate::risk::{Action, stuffing};

/// How recent an authentication must be to change factors without the password again.
pub const RECENT_AUTH: i64 = 5 * 60;

/// Whether `signed_in` authenticated recently enough to change factors without the password.
pub fn recent(state: &AppState, signed_in: &SignedIn) -> bool {
    state.now().since(signed_in.session.auth_time) <= RECENT_AUTH
}

/// What a form that needs a recent authentication shows: whether it asks for the password
/// again, and the challenge that password must carry when `address` is challenged.
pub(super) async fn reauth_form(
    state: &AppState,
    page: &Page,
    signed_in: &SignedIn,
    address: std::net::IpAddr,
) -> Result<(bool, Option<challenge::Shown>), Error> {
    let reauth = !recent(state, signed_in);
    // The password of a challenged address is checked only with the challenge solved.
    let shown = if reauth {
        super::account::password_challenge(state, &state.tenant.get(), page, signed_in, address).await?
    } else {
        None
    };
    Ok((reauth, shown))
}

/// Checks the re-authentication a factor change needs; the error to show when it fails.
pub(super) async fn reauthenticate(
    state: &AppState,
    tenant: &Arc<Tenant>,
    (info, headers): (&RequestInfo, &HeaderMap),
    signed_in: &SignedIn,
    (form, page): (&Params, &Page),
) -> Result<Option<(&'static str, StatusCode)>, Error> {
    if recent(state, signed_in) {
        return Ok(None);
    }
    if !signed_in.user.has_password() {
        return Ok(Some((page.t.reauth_sign_in_again, StatusCode::FORBIDDEN)));
    }
    Ok(
        check_current_password(state, tenant, (info, headers), signed_in, (form, page))
            .await?
            .err(),
    )
}

/// Checks the `current_password` of `form` against the signed-in account: the sign-in page's
/// rate limit, then its challenge when the address is challenged, then the password (counted
/// like a sign-in). The error to show when it fails.
pub(super) async fn check_current_password(
    state: &AppState,
    tenant: &Arc<Tenant>,
    (info, headers): (&RequestInfo, &HeaderMap),
    signed_in: &SignedIn,
    (form, page): (&Params, &Page),
) -> Result<Result<(), (&'static str, StatusCode)>, Error> {
    let t = page.t;
    let user = &signed_in.user;
    // A stolen session must not become a password oracle: the same limits as the sign-in page.
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    if !state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        return Ok(Err((t.too_many_failures, StatusCode::TOO_MANY_REQUESTS)));
    }
    // Before the password is hashed: a challenged address answers its challenge here too.
    let gate = challenge::passed(state, tenant, (page, headers, info), Some(user), form).await?;
    if let Some(refusal) = gate.refusal(t) {
        return Ok(Err(refusal));
    }
    let password = SecretString::new(form.get("current_password").unwrap_or_default());
    Ok(
        match lockout::check_password(state, tenant, info, Some(user), &user.email, &password).await? {
            Verdict::Accepted => Ok(()),
            Verdict::AddressBlocked => Err((t.too_many_failures, StatusCode::TOO_MANY_REQUESTS)),
            Verdict::Refused(_) => {
                // Counted toward challenged mode like a failed sign-in: this form is an oracle too.
                let policy = &tenant.config.attack_protection.challenge;
                stuffing::record_failure(state, policy, info, &user.email).await?;
                Err((t.wrong_current_password, StatusCode::BAD_REQUEST))
            }
        },
    )
}

/// The account page refusing the change, when the re-authentication it needs fails.
pub(super) async fn refused_unless_reauthenticated(
    state: &AppState,
    tenant: &Arc<Tenant>,
    (info, headers, form): (&RequestInfo, &HeaderMap, &Params),
    signed_in: &SignedIn,
    page: &Page,
) -> Result<Option<Response>, Error> {
    let Some((error, status)) = reauthenticate(state, tenant, (info, headers), signed_in, (form, page)).await? else {
        return Ok(None);
    };
    let shown = (page.clone(), info.ip);
    let refused = super::account::refused(state, tenant, shown, signed_in, error, status).await?;
    Ok(Some(refused))
}
