//! The kubeconfig file of a local control plane (token auth, TLS verification skipped: the API
//! server's certificate is self-signed for this run), and clients built from a kubeconfig file.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

/// Why a kubeconfig could not be written or used.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// Writing the file failed.
    #[error("writing kubeconfig {path} failed: {source}")]
    Write {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file does not parse or lacks a cluster.
    #[error("loading kubeconfig {path} failed: {source}")]
    Load {
        /// The file.
        path: String,
        /// Cause.
        source: kube::config::KubeconfigError,
    },
    /// The client could not be built.
    #[error("building a client from {path} failed: {source}")]
    Client {
        /// The file.
        path: String,
        /// Cause.
        source: kube::Error,
    },
}

/// The kubeconfig text for an admin token on `server`.
pub fn render(server: &str, token: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
  - name: vestibule-test
    cluster:
      server: {server}
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      token: {token}
contexts:
  - name: vestibule-test
    context:
      cluster: vestibule-test
      user: admin
      namespace: default
current-context: vestibule-test
"
    )
}

/// Writes [`render`]'s text to `path`.
pub fn write(path: &Path, server: &str, token: &str) -> Result<(), KubeconfigError> {
    std::fs::write(path, render(server, token)).map_err(|source| KubeconfigError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// The client configuration of the current context of the kubeconfig at `path`.
pub async fn config(path: &Path) -> Result<kube::Config, KubeconfigError> {
    install_crypto_provider();
    let display = || path.display().to_string();
    let kubeconfig = Kubeconfig::read_from(path).map_err(|source| KubeconfigError::Load {
        path: display(),
        source,
    })?;
    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|source| KubeconfigError::Load {
            path: display(),
            source,
        })
}

/// A client for the current context of the kubeconfig at `path`.
pub async fn client(path: &Path) -> Result<kube::Client, KubeconfigError> {
    let config = config(path).await?;
    kube::Client::try_from(config).map_err(|source| KubeconfigError::Client {
        path: path.display().to_string(),
        source,
    })
}

/// Selects rustls' ring provider for the process. Cargo unifies features across the workspace,
/// so rustls may be built with two providers, and then it refuses to guess.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
