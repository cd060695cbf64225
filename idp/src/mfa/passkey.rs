//! Passkeys (WebAuthn, by webauthn-rs): the issuer as relying party, and the registration and
//! authentication ceremonies. The server half of a ceremony stays in the database, under the
//! SHA-256 of a random handle the page carries; it is taken once, belongs to the session or
//! sign-in that began it, and lapses after five minutes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    Credential, DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::app::AppState;
use crate::authn::{Method, SignIn};
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::UserId;
use crate::mfa::{Factor, Policy};
use crate::store::{Ceremony, StoredPasskey, User};

/// How long the customer has between the options and the authenticator's answer.
pub const CEREMONY_LIFETIME: i64 = 5 * 60;

/// Longest passkey name, in characters.
pub const NAME_MAX: usize = 64;

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Registering a passkey from the account page.
    Register,
    /// Proving a second factor after the password.
    SecondFactor,
    /// Signing in with a passkey alone.
    Passwordless,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SecondFactor => "second-factor",
            Self::Passwordless => "passwordless",
        }
    }
}

/// A ceremony begun: the handle for the page's form and the options for the browser (JSON).
#[derive(Debug, Clone)]
pub struct Started {
    /// The random handle naming the stored half.
    pub handle: String,
    /// `{"publicKey": …}` for `navigator.credentials`.
    pub options: String,
}

/// Why an answer of the authenticator was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such ceremony, used already, or lapsed.
    Lapsed,
    /// A ceremony of another session, sign-in, customer or purpose.
    OtherCeremony,
    /// Signed for another origin or relying party.
    OtherOrigin,
    /// Signed over another challenge than this ceremony's.
    OtherChallenge,
    /// The signature counter did not grow: a cloned authenticator.
    CounterRegression,
    /// A credential not registered here (or not the customer's).
    UnknownCredential,
    /// The credential is registered already.
    Taken,
    /// Malformed, or refused by the WebAuthn checks for another reason.
    Invalid(String),
}

impl Refusal {
    /// The audit detail (never a secret).
    pub fn reason(&self) -> String {
        match self {
            Self::Lapsed => "ceremony lapsed or used".into(),
            Self::OtherCeremony => "ceremony of another session or sign-in".into(),
            Self::OtherOrigin => "assertion for another origin or relying party".into(),
            Self::OtherChallenge => "challenge of another ceremony".into(),
            Self::CounterRegression => "signature counter regression (cloned authenticator)".into(),
            Self::UnknownCredential => "unknown credential".into(),
            Self::Taken => "credential registered already".into(),
            Self::Invalid(why) => format!("invalid: {why}"),
        }
    }
}

/// A passkey assertion that passed: whose, and the methods it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// The customer.
    pub user_id: UserId,
    /// `hwk` (or `swk` for a synced key), plus `user` when the authenticator verified the user.
    pub methods: Vec<Method>,
}

/// What a ceremony is bound to: the session of the account page or second factor, or the
/// sign-in (else the browser's CSRF token) of passwordless sign-in.
pub fn session_binding(session_id: &str) -> String {
    format!("session:{session_id}")
}

/// The binding of a passwordless ceremony: the sign-in, or the browser when there is none.
pub fn browser_binding(sign_in: Option<&str>, csrf_token: &str) -> String {
    match sign_in {
        Some(id) => format!("sign-in:{id}"),
        None => format!("browser:{}", crate::random::hash(csrf_token)),
    }
}

/// Whether passkeys work under this issuer: WebAuthn takes a domain as relying party id, never
/// an IP address.
pub fn available(tenant: &Tenant) -> bool {
    tenant.issuer.domain().is_some()
}

/// Whether customers may set up passkeys: some policy accepts them, under a domain issuer.
pub fn offered(tenant: &Tenant) -> bool {
    available(tenant) && Policy::for_account(&tenant.config).is_some_and(|policy| policy.allows(Factor::Webauthn))
}

/// Whether passkeys may sign customers in alone at `sign_in`: the policy it is under (its
/// client's, or the account page's) accepts passkeys and says `passkeys.passwordless`.
pub fn passwordless(tenant: &Tenant, sign_in: Option<&SignIn>) -> bool {
    available(tenant)
        && super::policy_at_sign_in(tenant, sign_in)
            .is_some_and(|policy| policy.passkeys.passwordless && policy.allows(Factor::Webauthn))
}

/// The relying party: id = the issuer's host, origin = the issuer's origin (WebAuthn 5.1.3).
fn relying_party(tenant: &Tenant) -> Result<Webauthn, Error> {
    let issuer = &tenant.issuer;
    let host = issuer
        .host_str()
        .ok_or_else(|| Error::Internal("the issuer has no host".into()))?;
    let origin = Url::parse(&issuer.origin().ascii_serialization()).map_err(|e| Error::Internal(e.to_string()))?;
    WebauthnBuilder::new(host, &origin)
        .and_then(|builder| builder.rp_name(&tenant.config.display_name).build())
        .map_err(|e| Error::Internal(format!("the relying party cannot be built: {e}")))
}

/// The WebAuthn user handle of `user`: not the subject itself (it reaches the authenticator),
/// but derived from it so that a discoverable assertion names its owner.
pub fn user_handle(user: &UserId) -> Uuid {
    let digest = Sha256::digest(user.as_str().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

fn stored_passkey(stored: &StoredPasskey) -> Result<Passkey, Error> {
    serde_json::from_str(&stored.passkey).map_err(|e| Error::Internal(format!("a stored passkey does not read: {e}")))
}

async fn begin(
    state: &AppState,
    purpose: Purpose,
    binding: &str,
    user: Option<&UserId>,
    name: Option<&str>,
    ceremony_state: String,
    options: String,
) -> Result<Started, Error> {
    let handle = state.rng.token();
    let ceremony = Ceremony {
        purpose: purpose.as_str().to_owned(),
        binding: binding.to_owned(),
        user_id: user.cloned(),
        name: name.map(str::to_owned),
        state: ceremony_state,
        expires_at: state.now().plus_seconds(CEREMONY_LIFETIME),
    };
    state
        .store
        .put_ceremony(&crate::random::hash(&handle), &ceremony, state.now())
        .await?;
    Ok(Started { handle, options })
}

/// Takes the ceremony `handle` if it is `purpose`'s, bound to `binding`, live, and (when given)
/// `user`'s.
async fn take(
    state: &AppState,
    handle: &str,
    purpose: Purpose,
    binding: &str,
    user: Option<&UserId>,
) -> Result<Result<Ceremony, Refusal>, Error> {
    // Taken (deleted) before anything is checked: an answer is judged once, right or wrong.
    let Some(ceremony) = state.store.take_ceremony(&crate::random::hash(handle)).await? else {
        return Ok(Err(Refusal::Lapsed));
    };
    if ceremony.expires_at <= state.now() {
        return Ok(Err(Refusal::Lapsed));
    }
    // A ceremony answers only for the session or sign-in (and customer) that began it.
    if ceremony.purpose != purpose.as_str()
        || ceremony.binding != binding
        || user.is_some_and(|user| ceremony.user_id.as_ref() != Some(user))
    {
        return Ok(Err(Refusal::OtherCeremony));
    }
    Ok(Ok(ceremony))
}

/// Maps webauthn-rs's verdict onto the refusals we audit.
fn refusal(error: &WebauthnError) -> Refusal {
    match error {
        WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => Refusal::OtherOrigin,
        WebauthnError::MismatchedChallenge => Refusal::OtherChallenge,
        WebauthnError::CredentialPossibleCompromise => Refusal::CounterRegression,
        other => Refusal::Invalid(other.to_string()),
    }
}

/// Begins registering a passkey for `user`, to be named `name`. `discoverable` asks for a
/// resident key (passwordless sign-in finds the account from it).
pub async fn start_registration(
    state: &AppState,
    tenant: &Tenant,
    user: &User,
    binding: &str,
    name: &str,
    discoverable: bool,
) -> Result<Started, Error> {
    let rp = relying_party(tenant)?;
    let mut exclude = Vec::new();
    for stored in state.store.passkeys(&user.id).await? {
        exclude.push(stored_passkey(&stored)?.cred_id().clone());
    }
    let (options, registration): (_, PasskeyRegistration) = rp
        .start_passkey_registration(user_handle(&user.id), &user.email, &user.email, Some(exclude))
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut options = serde_json::to_value(&options).map_err(|e| Error::Internal(e.to_string()))?;
    if discoverable && let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection") {
        // Residency is the authenticator's business: the server half checks nothing about it.
        selection["residentKey"] = "required".into();
        selection["requireResidentKey"] = true.into();
    }
    let options = json(&options)?;
    let purpose = Purpose::Register;
    begin(
        state,
        purpose,
        binding,
        Some(&user.id),
        Some(name),
        json(&registration)?,
        options,
    )
    .await
}

/// Finishes a registration with the browser's `credential` (JSON): the passkey, stored.
pub async fn finish_registration(
    state: &AppState,
    tenant: &Tenant,
    user: &User,
    binding: &str,
    handle: &str,
    credential: &str,
) -> Result<Result<StoredPasskey, Refusal>, Error> {
    let ceremony = match take(state, handle, Purpose::Register, binding, Some(&user.id)).await? {
        Ok(ceremony) => ceremony,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let registration: PasskeyRegistration =
        serde_json::from_str(&ceremony.state).map_err(|e| Error::Internal(e.to_string()))?;
    let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(credential) else {
        return Ok(Err(Refusal::Invalid("malformed credential".into())));
    };
    let passkey = match relying_party(tenant)?.finish_passkey_registration(&answer, &registration) {
        Ok(passkey) => passkey,
        Err(error) => return Ok(Err(refusal(&error))),
    };
    let fields = Credential::from(passkey.clone());
    let stored = StoredPasskey {
        id: state.rng.id(),
        user_id: user.id.clone(),
        credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref()),
        name: ceremony.name.unwrap_or_default(),
        passkey: json(&passkey)?,
        sign_count: i64::from(fields.counter),
        backup_eligible: fields.backup_eligible,
        backup_state: fields.backup_state,
        created_at: state.now(),
        last_used_at: None,
    };
    // One authenticator key, one account: a credential id is never registered twice.
    if !state.store.add_passkey(&stored).await? {
        return Ok(Err(Refusal::Taken));
    }
    Ok(Ok(stored))
}

/// Begins a second-factor assertion by one of `user`'s passkeys; `None` when they have none.
pub async fn start_second_factor(
    state: &AppState,
    tenant: &Tenant,
    user: &UserId,
    binding: &str,
) -> Result<Option<Started>, Error> {
    let mut passkeys = Vec::new();
    for stored in state.store.passkeys(user).await? {
        passkeys.push(stored_passkey(&stored)?);
    }
    if passkeys.is_empty() {
        return Ok(None);
    }
    let (options, authentication): (_, PasskeyAuthentication) = relying_party(tenant)?
        .start_passkey_authentication(&passkeys)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let options = json(&options)?;
    let purpose = Purpose::SecondFactor;
    Ok(Some(
        begin(
            state,
            purpose,
            binding,
            Some(user),
            None,
            json(&authentication)?,
            options,
        )
        .await?,
    ))
}

/// Begins a passwordless assertion: the authenticator offers the customer's discoverable keys.
pub async fn start_passwordless(state: &AppState, tenant: &Tenant, binding: &str) -> Result<Started, Error> {
    let (options, authentication): (_, DiscoverableAuthentication) = relying_party(tenant)?
        .start_discoverable_authentication()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let options = json(&options)?;
    begin(
        state,
        Purpose::Passwordless,
        binding,
        None,
        None,
        json(&authentication)?,
        options,
    )
    .await
}

/// Finishes an assertion begun by [`start_second_factor`] (`user` given) or
/// [`start_passwordless`] (`user` none).
pub async fn finish_assertion(
    state: &AppState,
    tenant: &Tenant,
    user: Option<&UserId>,
    binding: &str,
    handle: &str,
    credential: &str,
) -> Result<Result<Proven, Refusal>, Error> {
    let purpose = if user.is_some() {
        Purpose::SecondFactor
    } else {
        Purpose::Passwordless
    };
    let ceremony = match take(state, handle, purpose, binding, user).await? {
        Ok(ceremony) => ceremony,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(credential) else {
        return Ok(Err(Refusal::Invalid("malformed credential".into())));
    };
    let credential_id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
    let Some(mut stored) = state.store.passkey_by_credential(&credential_id).await? else {
        return Ok(Err(Refusal::UnknownCredential));
    };
    // A second factor is the customer's own key; a passwordless one names its owner itself.
    let owner_matches = match user {
        Some(user) => stored.user_id == *user,
        None => answer.get_user_unique_id() == Some(user_handle(&stored.user_id).as_bytes().as_slice()),
    };
    if !owner_matches {
        return Ok(Err(Refusal::UnknownCredential));
    }
    let mut passkey = stored_passkey(&stored)?;
    let rp = relying_party(tenant)?;
    let verdict = match purpose {
        Purpose::Passwordless => {
            let authentication: DiscoverableAuthentication =
                serde_json::from_str(&ceremony.state).map_err(|e| Error::Internal(e.to_string()))?;
            rp.finish_discoverable_authentication(&answer, authentication, &[DiscoverableKey::from(&passkey)])
        }
        _ => {
            let authentication: PasskeyAuthentication =
                serde_json::from_str(&ceremony.state).map_err(|e| Error::Internal(e.to_string()))?;
            rp.finish_passkey_authentication(&answer, &authentication)
        }
    };
    let result = match verdict {
        Ok(result) => result,
        Err(error) => return Ok(Err(refusal(&error))),
    };
    // The counter is checked against the stored one, not the ceremony's copy (WebAuthn 7.2
    // step 22): a use in between would make that copy stale.
    if counter_regressed(stored.sign_count, result.counter()) {
        return Ok(Err(Refusal::CounterRegression));
    }
    let seen = stored.sign_count;
    passkey.update_credential(&result);
    stored.passkey = json(&passkey)?;
    stored.sign_count = i64::from(result.counter());
    stored.backup_eligible = result.backup_eligible();
    stored.backup_state = result.backup_state();
    // A racing use of the same counter value loses: the clone is caught either way.
    if !state.store.record_passkey_use(&stored, seen, state.now()).await? {
        return Ok(Err(Refusal::CounterRegression));
    }
    Ok(Ok(Proven {
        user_id: stored.user_id,
        methods: methods(result.backup_eligible(), result.user_verified()),
    }))
}

/// Whether an asserted counter shows a cloned authenticator: once either side counts, the new
/// value must be greater than the stored one (WebAuthn 7.2 step 22).
pub fn counter_regressed(stored: i64, asserted: u32) -> bool {
    (stored > 0 || asserted > 0) && i64::from(asserted) <= stored
}

/// The `amr` of a passkey: `swk` for a key that may be synced off the device, else `hwk`;
/// `user` when the authenticator verified the user (RFC 8176).
pub fn methods(backup_eligible: bool, user_verified: bool) -> Vec<Method> {
    let mut methods = vec![if backup_eligible { Method::Swk } else { Method::Hwk }];
    if user_verified {
        methods.push(Method::User);
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_that_does_not_grow_is_a_clone() {
        assert!(counter_regressed(5, 5), "a repeated counter");
        assert!(counter_regressed(7, 3), "a counter going back");
        assert!(counter_regressed(7, 0), "a counter reset to zero");
        assert!(!counter_regressed(5, 6));
        assert!(!counter_regressed(0, 0), "authenticators without a counter send zero");
        assert!(!counter_regressed(0, 1));
    }

    #[test]
    fn webauthn_verdicts_map_to_audited_reasons() {
        assert_eq!(refusal(&WebauthnError::InvalidRPOrigin), Refusal::OtherOrigin);
        assert_eq!(refusal(&WebauthnError::InvalidRPIDHash), Refusal::OtherOrigin);
        assert_eq!(refusal(&WebauthnError::MismatchedChallenge), Refusal::OtherChallenge);
        assert_eq!(
            refusal(&WebauthnError::CredentialPossibleCompromise),
            Refusal::CounterRegression
        );
        assert!(matches!(refusal(&WebauthnError::UserNotVerified), Refusal::Invalid(_)));
        assert_eq!(
            Refusal::OtherOrigin.reason(),
            "assertion for another origin or relying party"
        );
    }

    #[test]
    fn synced_keys_are_software_keys_and_verification_adds_user() {
        assert_eq!(methods(false, true), vec![Method::Hwk, Method::User]);
        assert_eq!(methods(true, false), vec![Method::Swk]);
    }

    #[test]
    fn the_user_handle_is_stable_and_not_the_subject() {
        let id = UserId::new("user-1");
        assert_eq!(user_handle(&id), user_handle(&UserId::new("user-1")));
        assert_ne!(user_handle(&id), user_handle(&UserId::new("user-2")));
    }

    #[test]
    fn bindings_name_what_they_bind() {
        assert_eq!(session_binding("s1"), "session:s1");
        assert_eq!(browser_binding(Some("r1"), "t"), "sign-in:r1");
        assert!(browser_binding(None, "t").starts_with("browser:"));
        assert_ne!(browser_binding(None, "t"), browser_binding(None, "u"));
    }
}
