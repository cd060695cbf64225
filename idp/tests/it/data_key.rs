//! The data key that seals customers' secrets at rest: the operator's mounted key when there is
//! one (nothing is then kept in the database), the database's own standalone, and a secret
//! sealed under the database's key still opens once a mounted key replaces it.

use vestibule_crds::SecretString;
use vestibule_idp::mfa::seal::DataKey;

use crate::support::{Backend, TestIdp};

fn mounted(byte: &str) -> SecretString {
    SecretString::new(byte.repeat(32))
}

async fn a_mounted_data_key_keeps_nothing_in_the_database(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let key = DataKey::load(store, Some(&mounted("ab"))).await.unwrap();
    let sealed = key.seal(b"JBSWY3DPEHPK3PXP", "u1").unwrap();
    assert_eq!(
        store.setting("data_key").await.unwrap(),
        None,
        "the database holds no key"
    );
    let again = DataKey::load(store, Some(&mounted("ab"))).await.unwrap();
    assert_eq!(again.open(&sealed, "u1").unwrap(), b"JBSWY3DPEHPK3PXP");
    let other = DataKey::load(store, Some(&mounted("cd"))).await.unwrap();
    assert!(other.open(&sealed, "u1").is_err(), "another mounted key opens nothing");
    let standalone = DataKey::load(store, None).await.unwrap();
    assert!(standalone.open(&sealed, "u1").is_err(), "nor does the database's own");
}

async fn secrets_sealed_standalone_still_open_under_a_mounted_key(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let standalone = DataKey::load(store, None).await.unwrap();
    let old = standalone.seal(b"old secret", "u1").unwrap();
    assert!(
        store.setting("data_key").await.unwrap().is_some(),
        "kept for every replica"
    );
    let operator = DataKey::load(store, Some(&mounted("ef"))).await.unwrap();
    assert_eq!(operator.open(&old, "u1").unwrap(), b"old secret");
    let new = operator.seal(b"new secret", "u1").unwrap();
    let reloaded = DataKey::load(store, None).await.unwrap();
    assert!(
        reloaded.open(&new, "u1").is_err(),
        "new secrets are sealed under the mounted key"
    );
}

on_both_backends!(
    a_mounted_data_key_keeps_nothing_in_the_database,
    secrets_sealed_standalone_still_open_under_a_mounted_key,
);
