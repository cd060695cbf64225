//! What every change of a second factor on the account page shares: a recent authentication
//! (the password again past a few minutes), or the account page refusing it.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use vestibule_crds::SecretString;

use super::page::Page;
use super::session::SignedIn;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::params::Params;
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::risk::lockout::{self, Verdict};

/// How recent an authentication must be to change factors without the password again.
pub const RECENT_AUTH: i64 = 5 * 60;

/// Whether `signed_in` authenticated recently enough to change factors without the password.
pub fn recent(state: &AppState, signed_in: &SignedIn) -> bool {
    state.now().since(signed_in.session.auth_time) <= RECENT_AUTH
}

/// Checks the re-authentication a factor change needs; the error to show when it fails.
pub(super) async fn reauthenticate(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    signed_in: &SignedIn,
    form: &Params,
    page: &Page,
) -> Result<Option<(&'static str, StatusCode)>, Error> {
    if recent(state, signed_in) {
        return Ok(None);
    }
    let t = page.t;
    let user = &signed_in.user;
    if !user.has_password() {
        return Ok(Some((t.reauth_sign_in_again, StatusCode::FORBIDDEN)));
    }
    let password = SecretString::new(form.get("current_password").unwrap_or_default());
    // A stolen session must not become a password oracle: the same limits as the sign-in page.
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    let verdict = if state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        lockout::check_password(state, tenant, info, Some(user), &user.email, &password).await?
    } else {
        Verdict::AddressBlocked
    };
    Ok(match verdict {
        Verdict::Accepted => None,
        Verdict::AddressBlocked => Some((t.too_many_failures, StatusCode::TOO_MANY_REQUESTS)),
        Verdict::Refused(_) => Some((t.wrong_current_password, StatusCode::BAD_REQUEST)),
    })
}

/// The account page refusing the change, when the re-authentication it needs fails.
pub(super) async fn refused_unless_reauthenticated(
    state: &AppState,
    tenant: &Arc<Tenant>,
    (info, form): (&RequestInfo, &Params),
    signed_in: &SignedIn,
    page: &Page,
) -> Result<Option<Response>, Error> {
    let Some((error, status)) = reauthenticate(state, tenant, info, signed_in, form, page).await? else {
        return Ok(None);
    };
    let refused = super::account::refused(state, tenant, page.clone(), signed_in, error, status).await?;
    Ok(Some(refused))
}
