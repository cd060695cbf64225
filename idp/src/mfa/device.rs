//! The browser as adaptive MFA knows it: a long-lived random device cookie (known to an account
//! once a full sign-in came from it), the network of the client address, and the trusted-device
//! token that lets a device skip the second factor for a while.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue};

use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::cookies;
use crate::ids::UserId;
use crate::risk::score::Signals;

/// How long a browser keeps its device cookie: 400 days, the most browsers allow.
const DEVICE_COOKIE_LIFETIME: i64 = 400 * 24 * 3600;

/// A device cookie for a browser that has none yet; `None` when it has one.
pub fn cookie_if_absent(tenant: &Tenant, headers: &HeaderMap) -> Option<HeaderValue> {
    if cookies::get(headers, &tenant.cookies.device).is_some() {
        return None;
    }
    // Random, not derived from anything: it identifies the browser only to this IdP.
    let token = crate::random::token();
    Some(cookies::set(
        &tenant.cookies.device,
        &token,
        Some(DEVICE_COOKIE_LIFETIME),
    ))
}

/// The hash the device of this request is known under, if it has a device cookie.
fn device_hash(tenant: &Tenant, headers: &HeaderMap) -> Option<String> {
    cookies::get(headers, &tenant.cookies.device).map(|token| crate::random::hash(&token))
}

/// The hash the network of `address` is known under: the table lists no addresses at a glance,
/// though a /24 is guessable, so this hides nothing from a determined reader of the database.
fn network_hash(address: IpAddr) -> String {
    crate::random::hash(&crate::net::network_prefix(address).to_string())
}

/// Whether this device, and this network, are new to `user`'s account.
async fn novelty(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    user: &UserId,
) -> Result<(bool, bool), Error> {
    let new_device = match device_hash(tenant, headers) {
        Some(hash) => !state.store.is_known_device(user, &hash).await?,
        None => true,
    };
    let new_network = !state.store.is_known_network(user, &network_hash(address)).await?;
    Ok((new_device, new_network))
}

/// What is unusual about this sign-in of `user`.
pub async fn signals(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    user: &UserId,
) -> Result<Signals, Error> {
    let (new_device, new_network) = novelty(state, tenant, headers, address, user).await?;
    let window = i64::try_from(tenant.config.attack_protection.lockout.duration.as_secs()).unwrap_or(i64::MAX);
    let recent_failures = state
        .store
        .failures_since(user, state.now().minus_seconds(window))
        .await?;
    Ok(Signals {
        new_device,
        new_network,
        recent_failures,
    })
}

/// Whether this sign-in of `user` comes from a device or network the account never signed in
/// from, while it did sign in before (a first sign-in is nothing to tell about).
pub async fn unfamiliar(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    user: &UserId,
) -> Result<bool, Error> {
    if !state.store.has_known_devices(user).await? {
        return Ok(false);
    }
    let (new_device, new_network) = novelty(state, tenant, headers, address, user).await?;
    Ok(new_device || new_network)
}

/// Records that `user` fully signed in from this device and network.
pub async fn remember_sign_in(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    user: &UserId,
) -> Result<(), Error> {
    // Without a device cookie there is no device to remember (it is set with the session).
    let Some(device) = device_hash(tenant, headers) else {
        return Ok(());
    };
    state
        .store
        .remember_sign_in_from(user, &device, &network_hash(address), state.now())
        .await?;
    Ok(())
}

/// Whether this browser holds a trusted-device token of `user` that has not expired or been
/// revoked (the server row decides, never the cookie alone).
pub async fn is_trusted(state: &AppState, tenant: &Tenant, headers: &HeaderMap, user: &UserId) -> Result<bool, Error> {
    let Some(token) = cookies::get(headers, &tenant.cookies.trusted_device) else {
        return Ok(false);
    };
    Ok(state
        .store
        .is_trusted_device(user, &crate::random::hash(&token), state.now())
        .await?)
}

/// Trusts this browser for `user` for `seconds`: a new random token, stored hashed with the
/// browser's label, and the cookie that carries it.
pub async fn trust(
    state: &AppState,
    tenant: &Tenant,
    user: &UserId,
    seconds: i64,
    user_agent: Option<&str>,
) -> Result<HeaderValue, Error> {
    let token = crate::random::token();
    let now = state.now();
    let label: String = user_agent.unwrap_or_default().chars().take(60).collect();
    state
        .store
        .trust_device(
            user,
            &crate::random::hash(&token),
            &label,
            now,
            now.plus_seconds(seconds),
        )
        .await?;
    Ok(cookies::set(&tenant.cookies.trusted_device, &token, Some(seconds)))
}
