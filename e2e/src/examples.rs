//! The manifests of `examples/`, applied as a user applies them, with the one overlay a machine
//! without DNS, TLS, a mail relay or egress needs: each Tenant's issuer becomes a loopback URL
//! that the [`crate::gateway`] serves, its email goes to the SMTP capture, and its breached-
//! password range API (the public Pwned Passwords service) is switched off. Nothing else changes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_yaml::Value;

/// Why a manifest could not be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    /// A file could not be read or parsed.
    #[error("reading {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        reason: String,
    },
    /// kubectl failed.
    #[error("kubectl apply failed: {0}")]
    Apply(String),
}

/// The repository's `examples/` directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Every manifest file of `examples/` (not the standalone config), sorted.
pub fn all_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| name.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The documents of one example file.
pub fn load(file: &str) -> Result<Vec<Value>, ExampleError> {
    let path = dir().join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| ExampleError::Read {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let value = serde::Deserialize::deserialize(document).map_err(|e: serde_yaml::Error| ExampleError::Read {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        documents.push(value);
    }
    Ok(documents)
}

/// The local overlay: issuer ports by Tenant name, and the SMTP capture's port.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// `http://localhost:<port>` for each Tenant name (a host name, not an address: WebAuthn takes
    /// only a domain as relying party id, so passkeys work on the local issuers too).
    pub issuer_ports: BTreeMap<String, u16>,
    /// Where tenants send email.
    pub smtp_port: u16,
}

impl Overlay {
    /// The issuer the overlay gives Tenant `name`.
    pub fn issuer(&self, name: &str) -> Option<String> {
        self.issuer_ports
            .get(name)
            .map(|port| format!("http://localhost:{port}"))
    }

    /// Applies the overlay to one document (only Tenants change).
    pub fn patch(&self, document: &mut Value) {
        if document["kind"].as_str() != Some("Tenant") {
            return;
        }
        let name = document["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let Some(issuer) = self.issuer(&name) else { return };
        let Some(spec) = document.get_mut("spec").and_then(Value::as_mapping_mut) else {
            return;
        };
        spec.insert("issuer".into(), issuer.into());
        let email = format!(
            "{{from: no-reply@{name}.example.com, smtp: {{host: 127.0.0.1, port: {}, security: none}}}}",
            self.smtp_port
        );
        spec.insert("email".into(), serde_yaml::from_str(&email).unwrap_or(Value::Null));
        // No egress: every check would wait for a service it cannot reach (and fail open).
        let attack = spec
            .entry("attackProtection".into())
            .or_insert_with(|| Value::Mapping(Default::default()));
        if let Some(attack) = attack.as_mapping_mut() {
            let breached = attack
                .entry("breachedPasswords".into())
                .or_insert_with(|| Value::Mapping(Default::default()));
            if let Some(breached) = breached.as_mapping_mut() {
                let off: Value = serde_yaml::from_str("{enabled: false}").unwrap_or(Value::Null);
                breached.insert("rangeApi".into(), off);
            }
        }
    }
}

/// `kubectl apply -n <namespace> -f -` of `documents`.
pub fn apply(mut kubectl: Command, namespace: &str, documents: &[Value]) -> Result<String, ExampleError> {
    let yaml = documents
        .iter()
        .filter_map(|document| serde_yaml::to_string(document).ok())
        .collect::<Vec<_>>()
        .join("---\n");
    let mut child = kubectl
        .args(["apply", "-n", namespace, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExampleError::Apply(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(yaml.as_bytes())
            .map_err(|e| ExampleError::Apply(e.to_string()))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| ExampleError::Apply(e.to_string()))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(ExampleError::Apply(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_changes_only_the_tenants_issuer_email_and_range_api() {
        let overlay = Overlay {
            issuer_ports: BTreeMap::from([("demo".to_owned(), 18080), ("shop".to_owned(), 18081)]),
            smtp_port: 2525,
        };
        let mut tenant = load("tenant-minimal.yaml").unwrap().remove(0);
        let before = tenant.clone();
        overlay.patch(&mut tenant);
        assert_eq!(tenant["spec"]["issuer"], "http://localhost:18080");
        assert_eq!(tenant["spec"]["email"]["smtp"]["port"], 2525);
        assert_eq!(tenant["spec"]["displayName"], before["spec"]["displayName"]);
        let range = &tenant["spec"]["attackProtection"]["breachedPasswords"]["rangeApi"];
        assert_eq!(range["enabled"], false);
        let mut production = load("tenant-production.yaml").unwrap().remove(0);
        overlay.patch(&mut production);
        let attack = &production["spec"]["attackProtection"];
        assert_eq!(attack["breachedPasswords"]["rangeApi"]["enabled"], false);
        assert_eq!(
            attack["breachedPasswords"]["atSignIn"], true,
            "the rest of the settings stay"
        );
        assert_eq!(attack["lockout"]["maxFailures"], 5);
        let mut client = load("client-webapp.yaml").unwrap().remove(0);
        let unchanged = client.clone();
        overlay.patch(&mut client);
        assert_eq!(client, unchanged);
    }
}
