//! The customer's sign-in session: created at sign-in, found from the cookie, ended on
//! sign-out, idle timeout or absolute timeout.

use axum::http::{HeaderMap, HeaderValue};

use super::amr::{Amr, Method};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::cookies;
use crate::mfa;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, NewSession, Session, User};

/// A valid session and its customer.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// The customer.
    pub user: User,
}

/// Recording activity costs a write, so it happens at most this often.
const TOUCH_INTERVAL: i64 = 60;

/// The signed-in customer, if the cookie names a session that has not timed out.
pub async fn current(state: &AppState, tenant: &Tenant, headers: &HeaderMap) -> Result<Option<SignedIn>, Error> {
    let Some(token) = cookies::get(headers, &tenant.cookies.session) else {
        return Ok(None);
    };
    let Some(session) = state.store.session_by_token(&crate::random::hash(&token)).await? else {
        return Ok(None);
    };
    let now = state.now();
    let idle = i64::try_from(tenant.config.sessions.idle_timeout.as_secs()).unwrap_or(i64::MAX);
    if now >= session.expires_at || now.since(session.last_seen_at) >= idle {
        return Ok(None);
    }
    let Some(user) = state.store.user_by_id(&session.user_id).await? else {
        return Ok(None);
    };
    if now.since(session.last_seen_at) >= TOUCH_INTERVAL {
        state.store.touch_session(&session.id, now).await?;
    }
    Ok(Some(SignedIn { session, user }))
}

/// Starts a session for `user` (always a new token: no session fixation) and returns the
/// cookie to set.
pub async fn start(
    state: &AppState,
    tenant: &Tenant,
    user: &User,
    amr: &Amr,
    info: &RequestInfo,
) -> Result<(Session, HeaderValue), Error> {
    let token = state.rng.token();
    let now = state.now();
    let lifetime = i64::try_from(tenant.config.sessions.absolute_timeout.as_secs()).unwrap_or(i64::MAX);
    let ip = info.ip_text();
    let session = state
        .store
        .create_session(NewSession {
            token_hash: &crate::random::hash(&token),
            user_id: &user.id,
            amr: &amr.to_string(),
            now,
            expires_at: now.plus(tenant.config.sessions.absolute_timeout),
            ip: Some(&ip),
            user_agent: info.user_agent.as_deref(),
        })
        .await?;
    Ok((session, cookies::set(&tenant.cookies.session, &token, Some(lifetime))))
}

/// Ends a session (sign-out), with its audit entry.
pub async fn end(state: &AppState, signed_in: &SignedIn, info: &RequestInfo) -> Result<(), Error> {
    state
        .store
        .delete_session(&signed_in.user.id, &signed_in.session.id)
        .await?;
    crate::audit::record(state, AuditEvent::Logout, Some(&signed_in.user.id), None, info).await;
    Ok(())
}

/// Whether `signed_in` still owes its second factor for the account page: the session lacks a
/// second factor and the account policy asks for one (a factor it allows is set up, or it is
/// `required`). Such a session serves only the sign-in that asks for the factor, never the
/// account page. No trusted device or low risk waives it: this is where factors are changed.
pub async fn second_factor_due(state: &AppState, tenant: &Tenant, signed_in: &SignedIn) -> Result<bool, Error> {
    if Amr::parse(&signed_in.session.amr).contains(Method::Mfa) {
        return Ok(false);
    }
    let Some(policy) = mfa::Policy::for_account(&tenant.config) else {
        return Ok(false);
    };
    Ok(policy.enforcement == mfa::Enforcement::Required
        || !mfa::offered_at_sign_in(state, &policy, &signed_in.user)
            .await?
            .is_empty())
}

/// Records that the customer of `signed_in` completed `method` (a second factor): the session's
/// methods gain it (and so `mfa`), and its authentication time is now.
pub async fn add_method(state: &AppState, signed_in: &mut SignedIn, method: Method) -> Result<(), Error> {
    let mut amr = Amr::parse(&signed_in.session.amr);
    amr.insert(method);
    let now = state.now();
    state
        .store
        .set_session_amr(&signed_in.session.id, &amr.to_string(), now)
        .await?;
    signed_in.session.amr = amr.to_string();
    signed_in.session.auth_time = now;
    Ok(())
}

/// The signed-in customer whose session owes no second factor: what every page that shows or
/// changes the account needs (a password alone must not reach past the code).
pub async fn complete(state: &AppState, tenant: &Tenant, headers: &HeaderMap) -> Result<Option<SignedIn>, Error> {
    match current(state, tenant, headers).await? {
        Some(signed_in) if !second_factor_due(state, tenant, &signed_in).await? => Ok(Some(signed_in)),
        _ => Ok(None),
    }
}
