//! Proof-of-work challenges for the sign-in form of a challenged address: the server issues a
//! random challenge bound to the address and the sign-in transaction, the browser finds a counter
//! such that SHA-256(challenge || counter) starts with `difficulty` zero bits, and the server
//! redeems the challenge once before any password is hashed, so an attack costs the attacker
//! more work than it costs us.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::ids::UnixTime;
use crate::store::{NewChallenge, Store, StoreResult};

/// How long a challenge may be answered, in seconds: long enough for a slow phone to solve one,
/// short enough that solutions cannot be stockpiled.
pub const LIFETIME: i64 = 600;
/// The most digits a counter may have: 10^16 tries are far beyond any difficulty we set.
const MAX_COUNTER_DIGITS: usize = 16;
/// Live challenges kept per address: one per tab or retry a customer may have open; an address
/// reloading the page more often loses its oldest, so the table stays bounded.
pub const KEPT_PER_ADDRESS: i64 = 20;
/// The length of a challenge: 256 random bits, base64url.
const CHALLENGE_LENGTH: usize = 43;

/// A challenge handed to the sign-in form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The challenge the browser hashes its counters with.
    pub challenge: String,
    /// The leading zero bits an answer's hash must have.
    pub difficulty: u32,
    /// When it stops being accepted.
    pub expires_at: UnixTime,
}

/// Why an answer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The challenge or the counter is not of the shape we issue.
    Malformed,
    /// No live challenge of this address and transaction: never issued, already used, expired,
    /// or issued to another address or transaction.
    Unknown,
    /// The counter does not solve the challenge.
    Unsolved,
}

impl Refused {
    /// The name used in metrics and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Unknown => "unknown",
            Self::Unsolved => "unsolved",
        }
    }
}

/// Issues a challenge of `difficulty` bits to `address` for the sign-in `transaction_id`.
pub async fn issue(
    store: &Store,
    address: IpAddr,
    transaction_id: &str,
    difficulty: u32,
    now: UnixTime,
) -> StoreResult<Issued> {
    let challenge = crate::random::token();
    let expires_at = now.plus_seconds(LIFETIME);
    // Stored hashed: a leaked table holds no challenge anyone could answer.
    let new = NewChallenge {
        challenge_hash: &crate::random::hash(&challenge),
        limit_key: &crate::net::limit_key(address).to_string(),
        transaction_id,
        difficulty,
        expires_at,
    };
    store.insert_challenge(new, KEPT_PER_ADDRESS).await?;
    Ok(Issued {
        challenge,
        difficulty,
        expires_at,
    })
}

/// Redeems `challenge` answered with `counter` from `address` in the sign-in `transaction_id`.
/// The challenge is used up whether or not the counter solves it, so each one gets one answer.
pub async fn redeem(
    store: &Store,
    address: IpAddr,
    transaction_id: &str,
    (challenge, counter): (&str, &str),
    now: UnixTime,
) -> StoreResult<Result<(), Refused>> {
    if !well_formed(challenge, counter) {
        return Ok(Err(Refused::Malformed));
    }
    let limit_key = crate::net::limit_key(address).to_string();
    let redeemed = store
        .redeem_challenge(&crate::random::hash(challenge), &limit_key, transaction_id, now)
        .await?;
    Ok(match redeemed {
        None => Err(Refused::Unknown),
        Some(difficulty) if solves(challenge, counter, difficulty) => Ok(()),
        Some(_) => Err(Refused::Unsolved),
    })
}

/// Whether SHA-256(`challenge` || `counter`) starts with `difficulty` zero bits.
pub fn solves(challenge: &str, counter: &str, difficulty: u32) -> bool {
    let digest = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(counter.as_bytes())
        .finalize();
    leading_zero_bits(&digest) >= difficulty
}

/// The zero bits `digest` starts with.
fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if *byte != 0 {
            break;
        }
    }
    bits
}

/// A challenge of the shape we issue (base64url) and a counter of decimal digits.
fn well_formed(challenge: &str, counter: &str) -> bool {
    let base64url = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    challenge.len() == CHALLENGE_LENGTH
        && challenge.bytes().all(base64url)
        && (1..=MAX_COUNTER_DIGITS).contains(&counter.len())
        && counter.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(challenge: &str, difficulty: u32) -> String {
        (0_u64..)
            .map(|counter| counter.to_string())
            .find(|counter| solves(challenge, counter, difficulty))
            .unwrap()
    }

    #[test]
    fn leading_zero_bits_count_across_bytes() {
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0x01, 0xff]), 7);
        assert_eq!(leading_zero_bits(&[0x00, 0x00, 0x10]), 19);
        assert_eq!(leading_zero_bits(&[0x00, 0x00]), 16);
    }

    #[test]
    fn a_found_counter_solves_its_challenge_only() {
        let challenge = "a".repeat(CHALLENGE_LENGTH);
        let counter = solve(&challenge, 12);
        assert!(solves(&challenge, &counter, 12));
        let digest = Sha256::digest(format!("{challenge}{counter}").as_bytes());
        assert!(leading_zero_bits(&digest) >= 12, "the hash of challenge || counter");
        assert!(
            !solves(&"b".repeat(CHALLENGE_LENGTH), &counter, 12),
            "another challenge is not solved by it"
        );
    }

    #[test]
    fn only_the_issued_shapes_are_well_formed() {
        let challenge = crate::random::token();
        assert!(well_formed(&challenge, "0"));
        assert!(well_formed(&challenge, "1234567890123456"));
        assert!(!well_formed(&challenge, ""), "no counter");
        assert!(!well_formed(&challenge, "12345678901234567"), "too long");
        assert!(!well_formed(&challenge, "-1"));
        assert!(!well_formed(&challenge, "0x10"));
        assert!(!well_formed(&challenge[1..], "1"), "short challenge");
        assert!(!well_formed(&format!("{}=", &challenge[1..]), "1"), "not base64url");
    }
}
