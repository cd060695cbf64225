//! Unguessable values: tokens, codes, identifiers, and the hashes they are stored under.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};

/// 256 bits of randomness, base64url: tokens, codes, session cookies.
pub fn token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// 128 bits of randomness, base64url: identifiers (users, sessions, grants).
pub fn id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `len` characters drawn uniformly from `alphabet`: codes a person reads and types.
pub fn from_alphabet(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// The SHA-256 of a secret as lowercase hex: how tokens and codes are stored, so a database
/// leak does not leak usable credentials.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_url_safe() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(id().len(), 22);
        assert_eq!(hash("abc").len(), 64);
        let code = from_alphabet(b"0123456789", 6);
        assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
    }
}
