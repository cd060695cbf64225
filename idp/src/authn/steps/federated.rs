//! The first factor through an upstream provider (`fed`): what the sign-in keeps while the
//! customer is away at the provider, and who the provider's answer signs in: the account the
//! identity is linked to, an account with the same email (by the provider's `linking` mode, and
//! never on an unverified email), or a new account.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use vestibule_crds::v1alpha1::AccountLinking;

use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::{UnixTime, UserId};
use crate::social::{Pending, Served, UpstreamIdentity};
use crate::store::{NewIdentity, NewUser, ProfileUpdate, User};

/// Why the customer went to the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// To sign in (or register).
    SignIn,
    /// To link the identity to the account signed in (from the account page).
    Link {
        /// The account.
        user_id: UserId,
    },
    /// To prove the account of a [`PendingLink`] with an identity already linked to it.
    Prove,
}

/// A sign-in sent to a provider: the values that bind its answer to this sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Awaiting {
    /// The provider entry.
    pub provider_id: String,
    /// The state, nonce and PKCE verifier sent.
    pub pending: Pending,
    /// Why.
    pub intent: Intent,
}

impl Awaiting {
    /// Whether an answer of `provider_id` with `state` is the one awaited (constant time: the
    /// state is a secret of this browser).
    pub fn answers(&self, provider_id: &str, state: &str) -> bool {
        self.provider_id == provider_id
            && !state.is_empty()
            && bool::from(self.pending.state.as_bytes().ct_eq(state.as_bytes()))
    }
}

/// An upstream identity whose email has an account, waiting for the customer to prove that
/// account (`linking: prompt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    /// The provider entry.
    pub provider_id: String,
    /// The provider's identifier of the customer.
    pub subject: String,
    /// The email the provider gave (verified by it).
    pub email: Option<String>,
    /// The account to prove.
    pub user_id: UserId,
}

/// Who a provider's answer signs in.
#[derive(Debug)]
pub enum Decision {
    /// The identity is linked to this account.
    Known(User),
    /// A new account was made for it, linked.
    Registered(User),
    /// It was linked to the account its verified email has (`verifiedEmail`).
    Linked(User),
    /// The customer must prove the account its email has before it is linked (`prompt`).
    Prove(User),
    /// The email has an account the identity may not be linked to (`never`).
    Refused(User),
    /// The email has an account, and the provider did not verify the email: never linked, and
    /// nothing about the account is told (the address may not be the customer's).
    Unverified,
    /// The provider gave no email address to make an account with.
    NoEmail,
    /// No account, and the tenant makes none (registration is closed).
    RegistrationClosed,
}

/// Upstream values longer than this are not stored (a profile attribute is far shorter).
const MAX_ATTRIBUTE: usize = 200;

/// The identity as it is linked.
pub fn new_identity(identity: &UpstreamIdentity) -> NewIdentity<'_> {
    NewIdentity {
        provider_id: &identity.provider_id,
        subject: &identity.subject,
        email: identity.email.as_deref(),
    }
}

/// Decides who `identity` signs in, linking or registering as `served` allows.
pub async fn decide(
    state: &AppState,
    tenant: &Tenant,
    served: &Served,
    identity: &UpstreamIdentity,
    lang: &str,
) -> Result<Decision, Error> {
    let registration_open = tenant.config.registration.enabled;
    let now = state.now();
    if let Some(user) = state
        .store
        .use_identity(&identity.provider_id, &identity.subject, now)
        .await?
    {
        return Ok(Decision::Known(user));
    }
    let Some(email) = email(identity) else {
        return Ok(Decision::NoEmail);
    };
    if let Some(user) = state.store.user_by_email(&email).await? {
        return by_email(state, served, identity, user).await;
    }
    // A provider is a way into an account, not around the tenant's choice to make none.
    if !registration_open {
        return Ok(Decision::RegistrationClosed);
    }
    let new_user = NewUser {
        email: email.clone(),
        password_hash: String::new(),
        profile: profile(identity),
        // The provider's word on the address counts only from a provider trusted for it.
        email_verified: identity.email_verified,
        locale: Some(lang.to_owned()),
    };
    if let Some(user) = state
        .store
        .create_federated_user(new_user, new_identity(identity), now)
        .await?
    {
        return Ok(Decision::Registered(user));
    }
    // Another request registered the address or linked the identity meanwhile: decide again
    // on what it made (once; nothing half-made stays from the lost race).
    if let Some(user) = state
        .store
        .use_identity(&identity.provider_id, &identity.subject, now)
        .await?
    {
        return Ok(Decision::Known(user));
    }
    match state.store.user_by_email(&email).await? {
        Some(user) => by_email(state, served, identity, user).await,
        None => Err(Error::Internal(
            "a federated registration lost a race to nothing".into(),
        )),
    }
}

/// The identity's email has an account: link, ask or refuse, by the provider's mode.
async fn by_email(
    state: &AppState,
    served: &Served,
    identity: &UpstreamIdentity,
    user: User,
) -> Result<Decision, Error> {
    // Whoever controls an unverified upstream email could take over the account: never linked.
    if !identity.email_verified {
        return Ok(Decision::Unverified);
    }
    match served.linking {
        AccountLinking::Never => Ok(Decision::Refused(user)),
        AccountLinking::Prompt => Ok(Decision::Prove(user)),
        AccountLinking::VerifiedEmail => {
            let now = state.now();
            if !state.store.link_identity(&user.id, new_identity(identity), now).await? {
                return Ok(Decision::Refused(user));
            }
            if !user.email_verified {
                disown_unproven_account(state, &user, now).await?;
                return Ok(Decision::Linked(User {
                    email_verified: true,
                    password_hash: String::new(),
                    ..user
                }));
            }
            Ok(Decision::Linked(user))
        }
    }
}

/// The provider proved the address of an account whose maker never did (pre-account hijacking:
/// an attacker registers the victim's address first, waiting for the victim's provider sign-in).
/// The address owner takes the account over: the unproven password, its sessions and its
/// tokens go, and the address counts as proven.
async fn disown_unproven_account(state: &AppState, user: &User, now: UnixTime) -> Result<(), Error> {
    state.store.set_password(&user.id, "", now).await?;
    state.store.delete_other_sessions(&user.id, None).await?;
    state.store.revoke_grants(&user.id, None, now).await?;
    state.store.mark_email_verified(&user.id, now).await?;
    Ok(())
}

/// The identity's email, lowercased, if it has a plausible one.
pub fn email(identity: &UpstreamIdentity) -> Option<String> {
    identity
        .email
        .as_deref()
        .map(|email| email.trim().to_lowercase())
        .filter(|email| email.contains('@') && email.len() <= 254)
}

fn profile(identity: &UpstreamIdentity) -> ProfileUpdate {
    let bounded = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.chars().count() <= MAX_ATTRIBUTE)
            .map(str::to_owned)
    };
    ProfileUpdate {
        given_name: bounded(&identity.given_name),
        family_name: bounded(&identity.family_name),
        ..ProfileUpdate::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(state: &str) -> Pending {
        Pending {
            state: state.into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            redirect_uri: "https://id.example.com/social/a/callback".into(),
        }
    }

    #[test]
    fn an_answer_matches_only_its_provider_and_state() {
        let awaiting = Awaiting {
            provider_id: "ns.google".into(),
            pending: pending("s1"),
            intent: Intent::SignIn,
        };
        assert!(awaiting.answers("ns.google", "s1"));
        assert!(!awaiting.answers("ns.github", "s1"));
        assert!(!awaiting.answers("ns.google", "s2"));
        assert!(!awaiting.answers("ns.google", ""));
    }
}
