//! Recovery codes: ten single-use codes a customer keeps on paper for the day their other
//! factor is lost. Shown once when generated; only their hashes are stored.

use std::sync::Arc;

use super::attempts::CodeVerdict;
use super::{Factor, Policy};
use crate::app::AppState;
use crate::config::Tenant;
use crate::email::Kind;
use crate::error::Error;
use crate::ids::UserId;
use crate::request_info::RequestInfo;
use crate::risk::lockout::{self, Refusal, Verdict};
use crate::store::{AuditEvent, User};

/// Codes in a set.
pub const SET_SIZE: usize = 10;

/// Crockford's base32: no I, L, O or U, so a code read off paper is typed right.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters of a code: 12 x 5 = 60 random bits.
const CODE_LEN: usize = 12;

/// A new set of codes, as shown to the customer: `XXXX-XXXX-XXXX`.
pub fn new_set() -> Vec<String> {
    (0..SET_SIZE)
        .map(|_| {
            let code = crate::random::from_alphabet(ALPHABET, CODE_LEN);
            format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..])
        })
        .collect()
}

/// A typed code in its canonical form: case, spaces and dashes ignored, and the letters
/// Crockford's base32 reads as digits mapped to them. `None` when it cannot be a code.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let valid = code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The stored form of a (normalized) code of `user`. 60 random bits need no slow hash: guessing
/// one offline takes ~2^59 SHA-256 per code, and the account id as salt makes that work per
/// account; a slow hash would only slow every sign-in that uses one.
pub fn hash(user: &UserId, code: &str) -> String {
    crate::random::hash(&format!("{}:{code}", user.as_str()))
}

/// Whether the account page offers `user` recovery codes: when a policy allows them and the
/// customer set up another factor it allows (codes back one up, never stand alone).
pub async fn offered(state: &AppState, tenant: &Tenant, user: &User) -> Result<bool, Error> {
    let Some(policy) = Policy::for_account(&tenant.config) else {
        return Ok(false);
    };
    if !policy.allows(Factor::RecoveryCodes) {
        return Ok(false);
    }
    let enrolled = super::enrolled(state, &user.id).await?;
    Ok(enrolled
        .iter()
        .any(|factor| *factor != Factor::RecoveryCodes && policy.allows(*factor)))
}

/// Replaces `user`'s codes by a new set, returned for showing once; only hashes are stored.
pub async fn regenerate(state: &AppState, user: &User) -> Result<Vec<String>, Error> {
    let codes = new_set();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|code| normalize(code))
        .map(|code| hash(&user.id, &code))
        .collect();
    state
        .store
        .replace_recovery_codes(&user.id, &hashes, state.now())
        .await?;
    Ok(codes)
}

/// Spends the code `typed` of `user` at sign-in: counted toward the lockout like a password
/// attempt, audited, and emailed to the customer with the number of codes left.
pub async fn redeem(
    state: &AppState,
    tenant: &Arc<Tenant>,
    info: &RequestInfo,
    user: &User,
    typed: &str,
) -> Result<CodeVerdict, Error> {
    let spend = async {
        let Some(code) = normalize(typed) else {
            return Ok(false);
        };
        // Looked up by hash, not compared: the database index sees only the hash.
        Ok(state
            .store
            .use_recovery_code(&user.id, &hash(&user.id, &code), state.now())
            .await?)
    };
    match lockout::check_factor(state, tenant, info, user, spend).await? {
        Verdict::Accepted => {}
        Verdict::AddressBlocked | Verdict::Refused(Refusal::Locked) => return Ok(CodeVerdict::Blocked),
        Verdict::Refused(_) => {
            let detail = Some("wrong recovery code".into());
            crate::audit::record_detail(state, AuditEvent::LoginFailed, Some(&user.id), None, info, detail).await;
            return Ok(CodeVerdict::Refused);
        }
    }
    let left = state.store.recovery_codes_left(&user.id).await?;
    let detail = Some(format!("{left} left"));
    crate::audit::record_detail(state, AuditEvent::RecoveryCodeUsed, Some(&user.id), None, info, detail).await;
    let left = u32::try_from(left).unwrap_or(0);
    super::notify(state, tenant, user, Kind::RecoveryCodeUsed { left })?;
    Ok(CodeVerdict::Accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_readable_codes() {
        let set = new_set();
        assert_eq!(set.len(), SET_SIZE);
        let mut distinct = set.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), SET_SIZE);
        for code in &set {
            assert_eq!(code.len(), 14, "{code}");
            assert_eq!(normalize(code).map(|c| c.len()), Some(CODE_LEN));
        }
    }

    #[test]
    fn typed_codes_forgive_case_spacing_and_lookalikes() {
        assert_eq!(normalize("abcd-efgh-0o1l").as_deref(), Some("ABCDEFGH0011"));
        assert_eq!(normalize(" ABCD EFGH 0011 ").as_deref(), Some("ABCDEFGH0011"));
        assert_eq!(normalize("ABCD-EFGH-001"), None, "too short");
        assert_eq!(normalize("ABCD-EFGH-00U1"), None, "U is not in the alphabet");
        let user = UserId::new("u1");
        assert_eq!(hash(&user, "ABCDEFGH0011"), hash(&user, "ABCDEFGH0011"));
        assert_ne!(hash(&user, "ABCDEFGH0011"), hash(&UserId::new("u2"), "ABCDEFGH0011"));
    }
}
