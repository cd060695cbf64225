//! Secrets at rest: AES-256-GCM under the IdP's data key, which is not a signing key. Under the
//! operator it comes from the keys Secret (mounted beside the signing keys), so a copy of the
//! database alone opens nothing; standalone, it is generated once and kept in the database, so
//! every replica reads the same one. A key kept in the database before a mounted one appeared
//! still opens what it sealed; new secrets are sealed under the mounted key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt;

use vestibule_crds::SecretString;

use crate::app::AppState;
use crate::error::Error;
use crate::store::{Store, StoreError};

/// The settings key of the data key.
const DATA_KEY: &str = "data_key";

/// Why a secret cannot be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Reading or storing the data key failed.
    #[error("loading the data key failed: {0}")]
    LoadDataKey(#[source] StoreError),
    /// The stored or mounted data key is not 256 bits of hex.
    #[error("the data key is malformed: it must be 256 bits, hex")]
    MalformedDataKey,
    /// Encryption failed.
    #[error("sealing a secret failed")]
    Seal,
    /// The sealed text was altered, belongs to another account, or is malformed.
    #[error("opening a sealed secret failed")]
    Open,
}

/// The data key, as a cipher, and a key that may still open older secrets.
pub struct DataKey {
    /// Seals, and opens first.
    current: Aes256Gcm,
    /// The key kept in the database before a mounted key replaced it: opens only.
    previous: Option<Aes256Gcm>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// The data key of the tenant being served.
pub async fn data_key(state: &AppState) -> Result<DataKey, Error> {
    let tenant = state.tenant.get();
    DataKey::load(&state.store, tenant.data_key.as_ref())
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

impl DataKey {
    /// The mounted key when there is one (with the database's, if any, to open older secrets),
    /// else the database's, generated on first use (the first replica to store one wins).
    pub async fn load(store: &Store, mounted: Option<&SecretString>) -> Result<Self, SealError> {
        let stored = store.setting(DATA_KEY).await.map_err(SealError::LoadDataKey)?;
        if let Some(mounted) = mounted {
            return Ok(Self {
                current: cipher(mounted.expose())?,
                previous: stored.as_deref().map(cipher).transpose()?,
            });
        }
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
        Ok(Self {
            current: cipher(&text)?,
            previous: None,
        })
    }

    /// Seals `secret` for `owner`: a random nonce, then the ciphertext, base64. The owner is
    /// authenticated data, so a sealed secret copied to another account does not open.
    pub fn seal(&self, secret: &[u8], owner: &str) -> Result<String, SealError> {
        let nonce_bytes: [u8; 12] = rand::rng().random();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .current
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
        let payload = || Payload {
            msg: ciphertext,
            aad: owner.as_bytes(),
        };
        self.current
            .decrypt(&nonce, payload())
            .or_else(|_| match &self.previous {
                Some(previous) => previous.decrypt(&nonce, payload()),
                None => Err(aes_gcm::Error),
            })
            .map_err(|_| SealError::Open)
    }
}

/// The cipher of a hex-encoded 256-bit key.
fn cipher(hex_key: &str) -> Result<Aes256Gcm, SealError> {
    let bytes = hex::decode(hex_key.trim()).map_err(|_| SealError::MalformedDataKey)?;
    Aes256Gcm::new_from_slice(&bytes).map_err(|_| SealError::MalformedDataKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8, previous: Option<u8>) -> DataKey {
        DataKey {
            current: Aes256Gcm::new_from_slice(&[byte; 32]).unwrap(),
            previous: previous.map(|b| Aes256Gcm::new_from_slice(&[b; 32]).unwrap()),
        }
    }

    #[test]
    fn a_sealed_secret_opens_for_its_owner_only() {
        let key = key(7, None);
        let sealed = key.seal(b"twenty bytes secret!", "u1").unwrap();
        assert!(!sealed.contains("twenty"));
        assert_eq!(key.open(&sealed, "u1").unwrap(), b"twenty bytes secret!");
        assert!(key.open(&sealed, "u2").is_err(), "bound to its account");
        assert!(super::tests::key(8, None).open(&sealed, "u1").is_err());
    }

    #[test]
    fn the_previous_key_opens_what_it_sealed_and_seals_nothing() {
        let old = key(7, None).seal(b"old", "u1").unwrap();
        let rotated = key(8, Some(7));
        assert_eq!(rotated.open(&old, "u1").unwrap(), b"old");
        let new = rotated.seal(b"new", "u1").unwrap();
        assert!(key(7, None).open(&new, "u1").is_err(), "sealed under the current key");
        assert!(cipher("not hex").is_err() && cipher("abcd").is_err());
    }
}
