//! The whole local installation the end-to-end tests and `make demo` use: the cluster, the Helm
//! chart, the operator running as the chart's ServiceAccount, the node for IdP pods, the gateway
//! for issuer ports, and an SMTP server capturing the tenants' email.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use tokio::sync::OnceCell;

use crate::binaries::{MissingBinary, workspace_binary};
use crate::cluster::{HarnessError, TestCluster};
use crate::control_plane::free_port;
use crate::gateway::Gateway;
use crate::install::{InstallError, ensure_helm_kubectl};
use crate::kubeconfig::{self, KubeconfigError};
use crate::node::{LocalNode, NodeConfig, NodeError};
use crate::process::{ProcessError, Supervisor};
use crate::smtp::{SmtpCapture, SmtpError};

/// The namespace the chart is installed in.
pub const SYSTEM_NAMESPACE: &str = "vestibule-system";
/// The Helm release (and so the operator's ServiceAccount) name.
pub const RELEASE: &str = "vestibule";

/// Why the environment did not come up.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    /// The cluster is unusable.
    #[error(transparent)]
    Cluster(#[from] HarnessError),
    /// A binary of ours is not built.
    #[error(transparent)]
    Binary(#[from] MissingBinary),
    /// helm or kubectl is missing.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// A process did not start.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The SMTP capture did not start.
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    /// A kubeconfig could not be written or read.
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    /// The node did not register.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A step failed.
    #[error("{step} failed: {reason}")]
    Step {
        /// What was being done.
        step: &'static str,
        /// Cause.
        reason: String,
    },
}

fn step(step: &'static str) -> impl Fn(String) -> EnvironmentError {
    move |reason| EnvironmentError::Step { step, reason }
}

/// The running installation.
pub struct Environment {
    kubeconfig: PathBuf,
    /// kubectl.
    pub kubectl: PathBuf,
    /// helm.
    pub helm: PathBuf,
    /// The captured email.
    pub smtp: SmtpCapture,
    /// Processes (operator, SMTP capture, IdP pods) end with this process.
    pub supervisor: Arc<Supervisor>,
    /// The operator's log.
    pub operator_log: PathBuf,
    /// Where the operator serves `/metrics` and `/healthz`.
    pub operator_listen: std::net::SocketAddr,
    /// The node's work directory (pod logs in `pods/<namespace>_<name>/`).
    pub node_dir: PathBuf,
}

static SHARED: OnceCell<Environment> = OnceCell::const_new();

impl Environment {
    /// One environment per test binary, on [`TestCluster::shared`].
    pub async fn shared() -> Result<&'static Environment, EnvironmentError> {
        SHARED
            .get_or_try_init(|| async {
                let cluster = TestCluster::shared().await?;
                Self::start(cluster.kubeconfig_path()).await
            })
            .await
    }

    /// Installs the chart and starts the operator, the node, the gateway and the SMTP capture
    /// against the cluster of `kubeconfig`.
    pub async fn start(kubeconfig: &Path) -> Result<Self, EnvironmentError> {
        let (helm, kubectl) = tokio::task::spawn_blocking(ensure_helm_kubectl)
            .await
            .map_err(|e| step("installing helm")(e.to_string()))??;
        let dir = std::env::temp_dir().join(format!(
            "vestibule-env-{}-{}",
            std::process::id(),
            free_port().unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| step("creating the work directory")(e.to_string()))?;
        let supervisor = Arc::new(Supervisor::new(&dir)?);
        helm_install(&helm, kubeconfig)?;
        let operator_kubeconfig = service_account_kubeconfig(kubeconfig, &dir).await?;
        let (operator_log, operator_listen) = start_operator(&supervisor, &operator_kubeconfig)?;
        let smtp = SmtpCapture::start(&supervisor).await?;
        let node_dir = dir.join("node");
        start_background(kubeconfig.to_owned(), node_dir.clone(), supervisor.clone()).await?;
        Ok(Self {
            kubeconfig: kubeconfig.to_owned(),
            kubectl,
            helm,
            smtp,
            supervisor,
            operator_log,
            operator_listen,
            node_dir,
        })
    }

    /// The admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// A client for the calling runtime.
    pub async fn client(&self) -> Result<kube::Client, EnvironmentError> {
        Ok(kubeconfig::client(&self.kubeconfig).await?)
    }

    /// `kubectl` with the admin kubeconfig.
    pub fn kubectl(&self) -> Command {
        let mut command = Command::new(&self.kubectl);
        command.env("KUBECONFIG", &self.kubeconfig);
        command
    }
}

/// `helm install` of the chart in this checkout. The CRDs may be present already (the harness
/// installs them for every test binary); Helm then leaves them alone.
fn helm_install(helm: &Path, kubeconfig: &Path) -> Result<(), EnvironmentError> {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/vestibule");
    let output = Command::new(helm)
        .args(["upgrade", "--install", RELEASE])
        .arg(&chart)
        .args(["--namespace", SYSTEM_NAMESPACE, "--create-namespace"])
        // Kubernetes 1.20 refuses server-side apply of objects with fields it does not know.
        .arg("--server-side=false")
        // The test cluster installed the CRDs already, fitted to its Kubernetes version.
        .args(["--set", "crds.install=false"])
        .env("KUBECONFIG", kubeconfig)
        .output()
        .map_err(|e| step("running helm")(e.to_string()))?;
    if !output.status.success() {
        return Err(step("helm install")(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    Ok(())
}

/// A kubeconfig holding a token of the chart's ServiceAccount, so the operator runs with
/// exactly the chart's permissions.
async fn service_account_kubeconfig(admin: &Path, dir: &Path) -> Result<PathBuf, EnvironmentError> {
    let client = kubeconfig::client(admin).await?;
    let accounts: Api<ServiceAccount> = Api::namespaced(client, SYSTEM_NAMESPACE);
    let request = json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": { "expirationSeconds": 86_400 },
    });
    let issued: serde_json::Value = accounts
        .create_subresource("token", RELEASE, &PostParams::default(), &request)
        .await
        .map_err(|e| step("requesting the operator's token")(e.to_string()))?;
    let token = issued["status"]["token"]
        .as_str()
        .ok_or_else(|| step("requesting the operator's token")("no token in the answer".into()))?;
    let config = kubeconfig::config(admin).await?;
    let path = dir.join("operator.kubeconfig");
    kubeconfig::write(&path, config.cluster_url.to_string().trim_end_matches('/'), token)?;
    Ok(path)
}

/// The operator's process name under the supervisor.
pub const OPERATOR_PROCESS: &str = "operator";

fn start_operator(
    supervisor: &Supervisor,
    kubeconfig: &Path,
) -> Result<(PathBuf, std::net::SocketAddr), EnvironmentError> {
    let binary = workspace_binary("vestibule-operator")?;
    let port = free_port().map_err(|e| step("a port for the operator")(e.to_string()))?;
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut command = Command::new(binary);
    command
        .args(["--listen", &listen.to_string()])
        .args(["--log-format", "text"])
        .env("KUBECONFIG", kubeconfig)
        .env("POD_NAMESPACE", SYSTEM_NAMESPACE)
        .env("POD_NAME", "vestibule-local")
        .env(
            "RUST_LOG",
            std::env::var("OPERATOR_LOG").unwrap_or_else(|_| "info".into()),
        );
    Ok((supervisor.spawn(OPERATOR_PROCESS, command)?, listen))
}

/// Runs the node and the gateway on a runtime of their own, so they outlive any one test.
async fn start_background(
    kubeconfig: PathBuf,
    node_dir: PathBuf,
    supervisor: Arc<Supervisor>,
) -> Result<(), EnvironmentError> {
    let (ready, started) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = ready.send(Err(step("starting the node's runtime")(error.to_string())));
                return;
            }
        };
        runtime.block_on(async move {
            let outcome = async {
                let client = kubeconfig::client(&kubeconfig).await?;
                let config = NodeConfig {
                    name: "vestibule-node".into(),
                    image: "vestibule-idp".into(),
                    binary: workspace_binary("vestibule-idp")?,
                    dir: node_dir,
                };
                let node = LocalNode::start(client.clone(), config, supervisor).await?;
                Ok::<_, EnvironmentError>((node, Gateway::start(client)))
            }
            .await;
            match outcome {
                Ok(running) => {
                    let _ = ready.send(Ok(()));
                    let _keep = running;
                    std::future::pending::<()>().await;
                }
                Err(error) => {
                    let _ = ready.send(Err(error));
                }
            }
        });
    });
    tokio::time::timeout(Duration::from_secs(60), started)
        .await
        .map_err(|_| step("starting the node")("timed out".into()))?
        .map_err(|_| step("starting the node")("its thread ended".into()))?
}
