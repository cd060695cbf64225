//! Second factors: the tenant's MFA [`policy`], authenticator apps (TOTP, RFC 6238) that a
//! customer enrols from the account page, their secrets sealed at rest ([`seal`]), wrong codes
//! counted like wrong passwords ([`attempts`]), recovery codes ([`recovery_codes`]), codes by
//! email ([`email_code`]), and passkeys (WebAuthn) as a second factor or alone ([`passkey`]).
//! Which factors a customer set up, may remove and is offered at sign-in is decided here, for
//! every factor.

pub mod attempts;
pub mod device;
pub mod email_code;
pub mod passkey;
pub mod policy;
pub mod recovery_codes;
pub mod seal;
pub mod totp;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use policy::{Enforcement, Factor, Policy};

use crate::app::AppState;
use crate::authn::{Acr, Purpose, SignIn};
use crate::config::Tenant;
use crate::email::{self, Kind};
use crate::error::Error;
use crate::ids::UserId;
use crate::store::User;

/// The factors `user` set up (an authenticator app once confirmed, unused recovery codes, codes
/// by email once turned on), whatever the policy.
pub async fn enrolled(state: &AppState, user: &UserId) -> Result<BTreeSet<Factor>, Error> {
    let mut factors = BTreeSet::new();
    if state.store.has_totp(user).await? {
        factors.insert(Factor::Totp);
    }
    if state.store.recovery_codes_left(user).await? > 0 {
        factors.insert(Factor::RecoveryCodes);
    }
    if state.store.email_otp_enabled(user).await? {
        factors.insert(Factor::EmailOtp);
    }
    if state.store.has_passkey(user).await? {
        factors.insert(Factor::Webauthn);
    }
    Ok(factors)
}

/// Whether `user` may remove `removing`: not when the account policy is `required` and no
/// factor but recovery codes would be left (recovery codes only back up another factor).
pub async fn removal_allowed(
    state: &AppState,
    tenant: &Tenant,
    user: &UserId,
    removing: Factor,
) -> Result<bool, Error> {
    let Some(policy) = Policy::for_account(&tenant.config) else {
        return Ok(true);
    };
    if policy.enforcement != Enforcement::Required {
        return Ok(true);
    }
    let left = enrolled(state, user)
        .await?
        .into_iter()
        .filter(|factor| *factor != removing && *factor != Factor::RecoveryCodes && policy.allows(*factor))
        .count();
    Ok(left > 0)
}

/// The policy a sign-in is under: its client's, or the account page's.
pub fn policy_at_sign_in(tenant: &Tenant, sign_in: Option<&SignIn>) -> Option<Policy> {
    match sign_in.map(|sign_in| &sign_in.purpose) {
        Some(Purpose::Authorization(parked)) => Policy::for_client(&tenant.config, &parked.client_id),
        Some(Purpose::Account) | None => Policy::for_account(&tenant.config),
    }
}

/// Whether only a passkey may serve as the second factor of this sign-in: the
/// phishing-resistant class is essential, or it is asked for (`acr_values`) and the customer has
/// a passkey among the `offered` factors (a voluntary class is met when it can be, OIDC Core
/// 3.1.2.1; without a passkey the sign-in falls back to another factor).
pub fn passkey_only(sign_in: Option<&SignIn>, offered: &BTreeSet<Factor>) -> bool {
    let Some(required) = sign_in.map(|sign_in| &sign_in.required) else {
        return false;
    };
    required.minimum() == Some(Acr::Phr)
        || (required.preferred.contains(&Acr::Phr) && offered.contains(&Factor::Webauthn))
}

/// Whether a customer with nothing to offer at this sign-in sets a factor up in it (see
/// [`enrolled_at_sign_in`]): the policy accepts apps or passkeys, it is `required` or the sign-in
/// demands a second factor (a client's `requiredAcr`, an essential `acr`), and a code reaches the
/// class demanded.
pub fn enrols_at_sign_in(policy: &Policy, sign_in: Option<&SignIn>) -> bool {
    enrolled_at_sign_in(policy).is_some() && demanded_at_sign_in(policy, sign_in)
}

/// The factor set up inside a sign-in under `policy`: an authenticator app when it accepts
/// them, else a passkey when it accepts those.
pub fn enrolled_at_sign_in(policy: &Policy) -> Option<Factor> {
    [Factor::Totp, Factor::Webauthn]
        .into_iter()
        .find(|factor| policy.allows(*factor))
}

/// Whether a customer with nothing to offer at this sign-in must confirm their address first:
/// the policy accepts codes by email (and no app to set up instead), which go only to a verified
/// address (see [`offered_at_sign_in`]).
pub fn verification_first(policy: &Policy, sign_in: Option<&SignIn>, user: &User) -> bool {
    !enrols_at_sign_in(policy, sign_in)
        && policy.allows(Factor::EmailOtp)
        && !user.email_verified
        && demanded_at_sign_in(policy, sign_in)
}

/// Whether a second factor that a code reaches is due at this sign-in whatever the customer set
/// up: the policy is `required` or the sign-in demands it, and a code meets what it demands.
fn demanded_at_sign_in(policy: &Policy, sign_in: Option<&SignIn>) -> bool {
    let required = sign_in.map(|sign_in| &sign_in.required);
    let minimum = required.and_then(|required| required.minimum());
    let demanded = required.is_some_and(|required| required.demands_second_factor());
    (policy.enforcement == Enforcement::Required || demanded) && minimum <= Some(Acr::Mfa)
}

/// The factors the second-factor page offers `user` under `policy`: those set up that the
/// policy allows, with two rules for codes. Recovery codes only back up another factor, never
/// stand alone. Codes by email go only to a verified address; under `required` or `adaptive`
/// they are offered to a customer with nothing else usable, who would otherwise have no way on.
pub async fn offered_at_sign_in(state: &AppState, policy: &Policy, user: &User) -> Result<BTreeSet<Factor>, Error> {
    let enrolled = enrolled(state, &user.id).await?;
    let mut offered: BTreeSet<Factor> = enrolled
        .iter()
        .copied()
        .filter(|factor| policy.allows(*factor) && !matches!(factor, Factor::RecoveryCodes | Factor::EmailOtp))
        .collect();
    let enforced = matches!(policy.enforcement, Enforcement::Required | Enforcement::Adaptive);
    if policy.allows(Factor::EmailOtp)
        && user.email_verified
        && (enrolled.contains(&Factor::EmailOtp) || (enforced && offered.is_empty()))
    {
        offered.insert(Factor::EmailOtp);
    }
    // Another factor the customer set up (not email codes offered for want of one) is offered.
    let backs_up = offered
        .iter()
        .any(|factor| *factor != Factor::EmailOtp || enrolled.contains(&Factor::EmailOtp));
    if policy.allows(Factor::RecoveryCodes) && enrolled.contains(&Factor::RecoveryCodes) && backs_up {
        offered.insert(Factor::RecoveryCodes);
    }
    Ok(offered)
}

/// Tells `user`, in their language, that their second factors changed (or a recovery code was
/// used); the link opens the account page.
pub fn notify(state: &AppState, tenant: &Arc<Tenant>, user: &User, kind: Kind) -> Result<(), Error> {
    let locales: Vec<String> = user.locale.iter().cloned().collect();
    let t = tenant.languages.negotiate(&locales, None);
    let mail = email::compose(tenant, t, kind, &user.email, &tenant.url("/account"))
        .map_err(|e| Error::Internal(e.to_string()))?;
    state.mailer.send(tenant.clone(), mail);
    Ok(())
}
