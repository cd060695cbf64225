//! Helpers: a namespace with the examples applied, waiting on conditions, reading Secrets.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use vestibule_e2e::environment::Environment;
use vestibule_e2e::examples::{self, Overlay};
use vestibule_e2e::{TestCluster, wait_for};

/// How long anything in these tests may take to happen.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// A test's own namespace with some examples applied.
pub struct Setup {
    pub env: &'static Environment,
    pub client: kube::Client,
    pub namespace: String,
    pub overlay: Overlay,
}

impl Setup {
    /// A fresh namespace with `files` of `examples/` applied (Tenants overlaid for this machine).
    pub async fn with_examples(files: &[&str]) -> Self {
        init_logging();
        let env = Environment::shared()
            .await
            .unwrap_or_else(|error| panic!("the e2e environment did not start: {error}"));
        let namespace = TestCluster::shared().await.unwrap().new_namespace().await.unwrap();
        let mut issuer_ports = BTreeMap::new();
        for name in ["demo", "shop"] {
            issuer_ports.insert(name.to_owned(), vestibule_e2e::control_plane::free_port().unwrap());
        }
        let overlay = Overlay {
            issuer_ports,
            smtp_port: env.smtp.port,
        };
        let setup = Self {
            env,
            client: env.client().await.unwrap(),
            namespace,
            overlay,
        };
        if !files.is_empty() {
            setup.apply_examples(files);
        }
        setup
    }

    /// Applies example files, overlaid.
    pub fn apply_examples(&self, files: &[&str]) {
        let mut documents = Vec::new();
        for file in files {
            for mut document in examples::load(file).unwrap() {
                self.overlay.patch(&mut document);
                documents.push(document);
            }
        }
        examples::apply(self.env.kubectl(), &self.namespace, &documents).unwrap_or_else(|error| panic!("{error}"));
    }

    /// Applies YAML written in the test.
    pub fn apply_yaml(&self, yaml: &str) {
        let documents: Vec<serde_yaml::Value> = vec![serde_yaml::from_str(yaml).unwrap()];
        examples::apply(self.env.kubectl(), &self.namespace, &documents).unwrap_or_else(|error| panic!("{error}"));
    }

    /// Runs kubectl in this namespace; panics on failure.
    pub fn kubectl(&self, args: &[&str]) -> String {
        let output = self
            .env
            .kubectl()
            .args(["-n", &self.namespace])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The issuer of Tenant `name` on this machine.
    pub fn issuer(&self, name: &str) -> String {
        self.overlay.issuer(name).unwrap()
    }

    /// Waits until `name` has condition `kind` with `status` (and `reason`, if given).
    pub async fn wait_condition<K>(&self, name: &str, kind: &str, status: &str, reason: Option<&str>) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let api: Api<K> = self.api();
        let found = wait_for(PATIENCE, || {
            let api = api.clone();
            async move {
                let object = api.get_opt(name).await.ok()??;
                let (found, why) = condition(&object, kind)?;
                (found == status && reason.is_none_or(|reason| why == reason)).then_some(object)
            }
        })
        .await;
        match found {
            Some(object) => object,
            None => {
                let object = api.get_opt(name).await.ok().flatten();
                let log = std::fs::read_to_string(&self.env.operator_log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                panic!(
                    "{name} never had {kind}={status} {reason:?}; it is now {:#?}\noperator log (newest first):\n{}",
                    object.map(|o| serde_json::to_value(o).unwrap()["status"].clone()),
                    tail.join("\n")
                )
            }
        }
    }

    /// The data of a Secret, as text.
    pub async fn secret(&self, name: &str) -> BTreeMap<String, String> {
        let api: Api<Secret> = self.api();
        let secret = wait_for(PATIENCE, || {
            let api = api.clone();
            async move { api.get_opt(name).await.ok().flatten() }
        })
        .await
        .unwrap_or_else(|| panic!("Secret {name} never appeared"));
        secret
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|(key, value)| (key, String::from_utf8_lossy(&value.0).into_owned()))
            .collect()
    }
}

/// The status and reason of condition `kind` on any object with `status.conditions`.
pub fn condition<K: serde::Serialize>(object: &K, kind: &str) -> Option<(String, String)> {
    let value = serde_json::to_value(object).ok()?;
    let conditions = value["status"]["conditions"].as_array()?.clone();
    let found: &Value = conditions.iter().find(|condition| condition["type"] == kind)?;
    Some((
        found["status"].as_str()?.to_owned(),
        found["reason"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// A client-credentials token request with `client_secret_post`; the HTTP status and body.
pub async fn client_credentials(issuer: &str, client_id: &str, secret: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Harness logs (the node, the gateway) to the test output, filtered by `TEST_LOG`.
fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TEST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
}
