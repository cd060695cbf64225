//! [`TestCluster`]: the cluster a test binary's tests share, and the namespaces they own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use rand::RngExt;
use tokio::sync::OnceCell;

use crate::control_plane::{ControlPlaneError, LocalControlPlane};
use crate::crds::{self, CrdError};
use crate::kubeconfig::{self, KubeconfigError};

/// Why the test cluster is unusable.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The local control plane did not start.
    #[error(transparent)]
    ControlPlane(#[from] ControlPlaneError),
    /// The kubeconfig could not be used.
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    /// The CRDs could not be installed.
    #[error(transparent)]
    Crds(#[from] CrdError),
    /// A namespace could not be created.
    #[error("creating namespace {name} failed: {source}")]
    CreateNamespace {
        /// The namespace.
        name: String,
        /// Cause.
        source: kube::Error,
    },
}

/// A Kubernetes cluster for tests: the one `KUBECONFIG` points at if it answers, otherwise a
/// local control plane started for this test binary.
#[derive(Debug)]
pub struct TestCluster {
    kubeconfig: PathBuf,
    local: Option<LocalControlPlane>,
}

static SHARED: OnceCell<TestCluster> = OnceCell::const_new();

impl TestCluster {
    /// The cluster shared by every test of this binary, started (and given the CRDs) on first use.
    pub async fn shared() -> Result<&'static TestCluster, HarnessError> {
        SHARED.get_or_try_init(Self::start).await
    }

    async fn start() -> Result<Self, HarnessError> {
        let cluster = match external_kubeconfig().await {
            Some(kubeconfig) => Self {
                kubeconfig,
                local: None,
            },
            None => {
                let local = LocalControlPlane::start().await?;
                Self {
                    kubeconfig: local.kubeconfig_path().to_owned(),
                    local: Some(local),
                }
            }
        };
        let client = cluster.client().await?;
        crds::install(&client, crds::read_dir(&crds::chart_crd_dir())?).await?;
        Ok(cluster)
    }

    /// A client for the calling test. Each call builds a new one: a client's connections belong
    /// to the runtime that made them, and every `#[tokio::test]` has its own runtime.
    pub async fn client(&self) -> Result<kube::Client, HarnessError> {
        Ok(kubeconfig::client(&self.kubeconfig).await?)
    }

    /// The client configuration, for tests that build their own client (with extra layers).
    pub async fn client_config(&self) -> Result<kube::Config, HarnessError> {
        Ok(kubeconfig::config(&self.kubeconfig).await?)
    }

    /// The kubeconfig file, for kubectl and helm.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The local control plane, when this binary started one.
    pub fn local(&self) -> Option<&LocalControlPlane> {
        self.local.as_ref()
    }

    /// Creates a namespace with a random name (`t-` and 10 hex digits) and returns its name.
    pub async fn new_namespace(&self) -> Result<String, HarnessError> {
        let mut rng = rand::rng();
        let name: String = format!("t-{:010x}", rng.random::<u64>() & 0xff_ffff_ffff);
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("vestibule.dev/test".to_owned(), "true".to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        let api: Api<Namespace> = Api::all(self.client().await?);
        api.create(&PostParams::default(), &namespace)
            .await
            .map_err(|source| HarnessError::CreateNamespace {
                name: name.clone(),
                source,
            })?;
        Ok(name)
    }
}

/// The first file of `KUBECONFIG`, when that cluster answers within a few seconds.
async fn external_kubeconfig() -> Option<PathBuf> {
    let value = std::env::var_os("KUBECONFIG")?;
    let path = std::env::split_paths(&value).next()?;
    let client = kubeconfig::client(&path).await.ok()?;
    let version = tokio::time::timeout(Duration::from_secs(5), client.apiserver_version()).await;
    matches!(version, Ok(Ok(_))).then_some(path)
}
