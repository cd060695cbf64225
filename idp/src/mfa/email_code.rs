//! Codes by email: six digits sent during a sign-in, bound to the session that asked, valid ten
//! minutes, spent once, dead after five wrong tries; wrong tries also count toward the lockout.

use std::sync::Arc;

use subtle::ConstantTimeEq;

use super::attempts::CodeVerdict;
use super::{Factor, Policy};
use crate::app::AppState;
use crate::authn::session::SignedIn;
use crate::config::Tenant;
use crate::email;
use crate::error::Error;
use crate::request_info::RequestInfo;
use crate::risk::lockout::{self, Refusal, Verdict};
use crate::store::{AuditEvent, NewEmailCode, User};

/// How long a code works, in seconds.
pub const LIFETIME: i64 = 10 * 60;

/// Tries a code allows, right or wrong; then it is dead.
pub const MAX_TRIES: i64 = 5;

/// Codes an account may be sent per window, so the button cannot flood an inbox.
pub const SENDS_PER_WINDOW: i64 = 5;

/// The window of [`SENDS_PER_WINDOW`], in seconds.
pub const SEND_WINDOW: i64 = 3600;

/// Whether a code was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// On its way.
    Sent,
    /// The account was sent too many codes lately: none was sent.
    TooMany,
}

/// The stored form of `code`, salted with its row's `id`. Six digits would fall to an offline
/// search, so the hash only keeps a live code out of sight; what protects it is its short life
/// and its budget of tries.
fn hash(id: &str, code: &str) -> String {
    crate::random::hash(&format!("{id}:{code}"))
}

/// Whether the account page offers `user` to turn email codes on: when a policy allows them,
/// and only for an address the customer proved to receive mail at.
pub fn enrolment_offered(tenant: &Tenant, user: &User) -> bool {
    let allowed = Policy::for_account(&tenant.config).is_some_and(|policy| policy.allows(Factor::EmailOtp));
    allowed && user.email_verified
}

/// Sends the customer of `signed_in` a new code for this session (the session's earlier codes
/// stop working), unless the account was sent too many lately.
pub async fn send(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    signed_in: &SignedIn,
) -> Result<Sent, Error> {
    let user = &signed_in.user;
    let now = state.now();
    let window_over = now.minus_seconds(SEND_WINDOW);
    if state.store.count_email_code_send(&user.id, now, window_over).await? > SENDS_PER_WINDOW {
        return Ok(Sent::TooMany);
    }
    let code = crate::random::from_alphabet(b"0123456789", 6);
    let id = state.rng.id();
    state
        .store
        .issue_email_code(NewEmailCode {
            id: &id,
            user_id: &user.id,
            session_id: &signed_in.session.id,
            code_hash: &hash(&id, &code),
            now,
            expires_at: now.plus_seconds(LIFETIME),
        })
        .await?;
    let locales: Vec<String> = user.locale.iter().cloned().collect();
    let t = tenant.languages.negotiate(&locales, None);
    let mail = email::compose_code(tenant, t, &user.email, &code).map_err(|e| Error::Internal(e.to_string()))?;
    state.mailer.send(tenant.clone(), mail);
    crate::audit::record(state, AuditEvent::EmailCodeSent, Some(&user.id), None, info).await;
    Ok(Sent::Sent)
}

/// Checks `typed` against the live code of the session of `signed_in`: counted toward the
/// lockout like a password attempt, and against the code's own budget of tries.
pub async fn check(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    signed_in: &SignedIn,
    typed: &str,
) -> Result<CodeVerdict, Error> {
    let user = &signed_in.user;
    let verify = matches(state, signed_in, typed);
    match lockout::check_factor(state, tenant, info, user, verify).await? {
        Verdict::Accepted => Ok(CodeVerdict::Accepted),
        Verdict::AddressBlocked | Verdict::Refused(Refusal::Locked) => Ok(CodeVerdict::Blocked),
        Verdict::Refused(_) => {
            let detail = Some("wrong email code".into());
            crate::audit::record_detail(state, AuditEvent::LoginFailed, Some(&user.id), None, info, detail).await;
            Ok(CodeVerdict::Refused)
        }
    }
}

/// Whether `typed` is the session's live code, spending it if so.
async fn matches(state: &AppState, signed_in: &SignedIn, typed: &str) -> Result<bool, Error> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let now = state.now();
    // The try is counted before the comparison: tries at once cannot exceed the budget.
    let Some(reserved) = state
        .store
        .reserve_email_code_try(&signed_in.user.id, &signed_in.session.id, MAX_TRIES, now)
        .await?
    else {
        return Ok(false);
    };
    // Constant time: the comparison's duration says nothing about how close a guess was.
    let right = bool::from(
        hash(&reserved.id, &typed)
            .as_bytes()
            .ct_eq(reserved.code_hash.as_bytes()),
    );
    Ok(right && state.store.spend_email_code(&reserved.id, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_hash_depends_on_its_row() {
        assert_eq!(hash("a", "123456"), hash("a", "123456"));
        assert_ne!(hash("a", "123456"), hash("b", "123456"));
        assert_ne!(hash("a", "123456"), hash("a", "123457"));
    }
}
