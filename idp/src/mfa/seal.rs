//! Secrets at rest: AES-256-GCM under the IdP's data key. The data key is not a signing key; it
//! is generated once and kept in the database, so every replica reads the same one.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt;

use crate::store::{Store, StoreError};

/// The settings key of the data key.
const DATA_KEY: &str = "data_key";

/// Why a secret cannot be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Reading or storing the data key failed.
    #[error("loading the data key failed: {0}")]
    LoadDataKey(#[source] StoreError),
    /// The stored data key is not 256 bits of hex.
    #[error("the stored data key is malformed")]
    MalformedDataKey,
    /// Encryption failed.
    #[error("sealing a secret failed")]
    Seal,
    /// The sealed text was altered, belongs to another account, or is malformed.
    #[error("opening a sealed secret failed")]
    Open,
}

/// The data key, as a cipher.
pub struct DataKey(Aes256Gcm);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl DataKey {
    /// The database's data key, generated on first use (the first replica to store one wins).
    pub async fn load(store: &Store) -> Result<Self, SealError> {
        let stored = store.setting(DATA_KEY).await.map_err(SealError::LoadDataKey)?;
        let text = match stored {
            Some(text) => text,
            None => {
                let fresh: [u8; 32] = rand::rng().random();
                store
                    .setting_or_insert(DATA_KEY, &hex::encode(fresh))
                    .await
                    .map_err(SealError::LoadDataKey)?
            }
        };
        let bytes = hex::decode(text).map_err(|_| SealError::MalformedDataKey)?;
        Aes256Gcm::new_from_slice(&bytes)
            .map(Self)
            .map_err(|_| SealError::MalformedDataKey)
    }

    /// Seals `secret` for `owner`: a random nonce, then the ciphertext, base64. The owner is
    /// authenticated data, so a sealed secret copied to another account does not open.
    pub fn seal(&self, secret: &[u8], owner: &str) -> Result<String, SealError> {
        let nonce_bytes: [u8; 12] = rand::rng().random();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: secret,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    /// Opens what [`Self::seal`] sealed for `owner`.
    pub fn open(&self, sealed: &str, owner: &str) -> Result<Vec<u8>, SealError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Open)?;
        if bytes.len() < 12 {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Open)?;
        self.0
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_for_its_owner_only() {
        let key = DataKey(Aes256Gcm::new_from_slice(&[7u8; 32]).unwrap());
        let sealed = key.seal(b"twenty bytes secret!", "u1").unwrap();
        assert!(!sealed.contains("twenty"));
        assert_eq!(key.open(&sealed, "u1").unwrap(), b"twenty bytes secret!");
        assert!(key.open(&sealed, "u2").is_err(), "bound to its account");
        let other = DataKey(Aes256Gcm::new_from_slice(&[8u8; 32]).unwrap());
        assert!(other.open(&sealed, "u1").is_err());
    }
}
