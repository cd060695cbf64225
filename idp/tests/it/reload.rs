//! Hot reload of the config and key files: a valid change is served without a restart, an
//! invalid one is refused and the previous config keeps serving.

use std::sync::Arc;
use std::time::Duration;

use vestibule_crds::keys::{KeyState, SigningKey};
use vestibule_crds::v1alpha1::SigningAlgorithm;
use vestibule_idp::config::watch::{Sources, watch};
use vestibule_idp::store::Store;

use crate::support::Backend;
use crate::support::idp::{fresh_database, test_config, test_keys};
use crate::support::smtp::tempfile_dir;

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out after 60 s waiting until {what}");
}

/// Replaces a file the way a Kubernetes Secret volume does: the new content appears at once.
fn write_atomically(path: &std::path::Path, content: impl AsRef<[u8]>) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, content).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

async fn changed_files_are_served_and_invalid_ones_refused(backend: Backend) {
    let dir = tempfile_dir("reload");
    let (config_path, keys_path) = (dir.join("config.yaml"), dir.join("jwks.json"));
    let mut config = test_config("http://127.0.0.1:1", 25);
    write_atomically(&config_path, serde_yaml::to_string(&config).unwrap());
    let mut keys = test_keys();
    write_atomically(&keys_path, serde_json::to_string(&keys).unwrap());

    let store = Store::connect(&fresh_database(backend).await).await.unwrap();
    let sources = Sources {
        config: config_path.clone(),
        keys: Some(keys_path.clone()),
        dev: false,
    };
    let (tenant, loaded) = sources.load(&store).await.unwrap();
    let state = vestibule_idp::AppState::new(tenant, store.clone()).unwrap();
    let task = tokio::spawn(watch(
        sources,
        loaded,
        store,
        state.tenant.clone(),
        state.metrics.clone(),
        Duration::from_millis(50),
    ));
    let live = state.tenant.clone();

    config.generation = 2;
    config.display_name = "Renamed Shop".into();
    write_atomically(&config_path, serde_yaml::to_string(&config).unwrap());
    wait_until("generation 2 is served", || live.get().config.generation == 2).await;
    assert_eq!(live.get().config.display_name, "Renamed Shop");

    let invalid = serde_yaml::to_string(&config)
        .unwrap()
        .replace("generation: 2", "generation: 3")
        .replace("http://127.0.0.1:1", "http://shop.example.com");
    write_atomically(&config_path, invalid);
    let metrics = state.metrics.clone();
    wait_until("the invalid config is refused", || metrics.reloads(false) >= 1).await;
    assert_eq!(live.get().config.generation, 2, "the previous config keeps serving");

    let new_key = SigningKey::generate(SigningAlgorithm::Es256, KeyState::Next, jiff::Timestamp::now()).unwrap();
    keys.keys.push(new_key.clone());
    write_atomically(&keys_path, serde_json::to_string(&keys).unwrap());
    write_atomically(&config_path, serde_yaml::to_string(&config).unwrap());
    wait_until("the new key is published", || {
        Arc::clone(&live).get().signer.jwks().contains(&new_key.kid)
    })
    .await;
    task.abort();
}

on_both_backends!(changed_files_are_served_and_invalid_ones_refused);
