//! etcd, kube-apiserver and kube-controller-manager on free loopback ports, in a temporary
//! directory, as `LOCAL-CLUSTER.md` describes. There is no scheduler and no kubelet: pods stay
//! Pending unless a test (or, later, the harness's fake node) plays the kubelet's part.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rand::RngExt;

use crate::install::{Binaries, InstallError, ensure_binaries};
use crate::kubeconfig::{self, KubeconfigError};
use crate::process::{ProcessError, Supervisor};
use crate::wait::wait_for;

/// Why the control plane did not start.
#[derive(Debug, thiserror::Error)]
pub enum ControlPlaneError {
    /// The binaries are missing and could not be installed.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// A process did not start.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The kubeconfig could not be written or used.
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    /// Preparing the work directory (files, keys, ports) failed.
    #[error("preparing {what} failed: {reason}")]
    Prepare {
        /// What was being prepared.
        what: &'static str,
        /// Cause.
        reason: String,
    },
    /// The API server did not become ready.
    #[error("kube-apiserver was not ready within {timeout:?}; log tail of {log}:\n{tail}")]
    NotReady {
        /// How long the harness waited.
        timeout: Duration,
        /// The API server's log.
        log: String,
        /// Its last lines.
        tail: String,
    },
}

/// A running local control plane. Its processes end with the test binary.
#[derive(Debug)]
pub struct LocalControlPlane {
    supervisor: Supervisor,
    kubeconfig: PathBuf,
    binaries: Binaries,
    audit_log: Option<PathBuf>,
}

/// How the control plane is started; the default is what the tests use.
#[derive(Debug, Clone, Default)]
pub struct ControlPlaneOptions {
    /// An audit policy (`audit.k8s.io/v1` Policy, YAML): the API server then writes the events
    /// it selects, one JSON object per line, to [`LocalControlPlane::audit_log`].
    pub audit_policy: Option<String>,
}

fn prepare(what: &'static str) -> impl Fn(String) -> ControlPlaneError {
    move |reason| ControlPlaneError::Prepare { what, reason }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, ControlPlaneError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|error| prepare("a free port")(error.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|error| prepare("a free port")(error.to_string()))?
        .port();
    Ok(port)
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

fn run(program: &str, args: &[&str]) -> Result<(), ControlPlaneError> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|error| prepare("the service-account key")(format!("{program}: {error}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(prepare("the service-account key")(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl LocalControlPlane {
    /// Installs what is missing, then starts etcd, kube-apiserver and kube-controller-manager
    /// and waits until the API server is ready.
    pub async fn start() -> Result<Self, ControlPlaneError> {
        Self::start_with(ControlPlaneOptions::default()).await
    }

    /// [`Self::start`] with `options`.
    pub async fn start_with(options: ControlPlaneOptions) -> Result<Self, ControlPlaneError> {
        let binaries = tokio::task::spawn_blocking(ensure_binaries)
            .await
            .map_err(|error| prepare("the binaries")(error.to_string()))??;
        let dir = std::env::temp_dir().join(format!("vestibule-cp-{}-{}", std::process::id(), random_hex(4)));
        std::fs::create_dir_all(dir.join("certs")).map_err(|error| prepare("the work directory")(error.to_string()))?;
        let supervisor = Supervisor::new(&dir)?;
        let token = random_hex(16);
        std::fs::write(
            dir.join("tokens.csv"),
            format!("{token},admin,admin,\"system:masters\"\n"),
        )
        .map_err(|error| prepare("tokens.csv")(error.to_string()))?;
        let key = dir.join("sa.key").display().to_string();
        let public = dir.join("sa.pub").display().to_string();
        run("openssl", &["genrsa", "-out", &key, "2048"])?;
        run("openssl", &["rsa", "-in", &key, "-pubout", "-out", &public])?;

        let etcd_port = free_port()?;
        start_etcd(&supervisor, &binaries, etcd_port, free_port()?)?;
        let api_port = free_port()?;
        let audit_log = match &options.audit_policy {
            Some(policy) => {
                std::fs::write(dir.join("audit-policy.yaml"), policy)
                    .map_err(|error| prepare("the audit policy")(error.to_string()))?;
                Some(dir.join("audit.log"))
            }
            None => None,
        };
        let api_log = start_apiserver(&supervisor, &binaries, etcd_port, api_port, audit_log.is_some())?;
        let kubeconfig = dir.join("kubeconfig");
        kubeconfig::write(&kubeconfig, &format!("https://127.0.0.1:{api_port}"), &token)?;
        let plane = Self {
            supervisor,
            kubeconfig,
            binaries,
            audit_log,
        };
        plane.wait_ready(&api_log).await?;
        plane.start_controller_manager()?;
        Ok(plane)
    }

    /// The kubeconfig file (admin token) for clients, kubectl and helm.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The paths of the installed binaries (kubectl and helm among them).
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// The API server's audit log, when started with an audit policy.
    pub fn audit_log(&self) -> Option<&Path> {
        self.audit_log.as_deref()
    }

    /// The supervisor, for starting more processes that must die with the test binary.
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    async fn wait_ready(&self, log: &Path) -> Result<(), ControlPlaneError> {
        let client = kubeconfig::client(&self.kubeconfig).await?;
        let timeout = Duration::from_secs(120);
        let ready = wait_for(timeout, || async {
            if !self.supervisor.exited().is_empty() {
                return Some(false);
            }
            let request = http_get("/readyz")?;
            client.request_text(request).await.ok().map(|_| true)
        })
        .await;
        match ready {
            Some(true) => Ok(()),
            _ => Err(ControlPlaneError::NotReady {
                timeout,
                log: log.display().to_string(),
                tail: tail(log, 30),
            }),
        }
    }

    fn start_controller_manager(&self) -> Result<(), ControlPlaneError> {
        let dir = self.supervisor.dir();
        let mut command = Command::new(&self.binaries.kube_controller_manager);
        command.args([
            format!("--kubeconfig={}", self.kubeconfig.display()),
            format!("--service-account-private-key-file={}", dir.join("sa.key").display()),
            "--use-service-account-credentials=false".into(),
            "--controllers=*,-nodeipam,-nodelifecycle".into(),
            "--leader-elect=false".into(),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={}", free_port()?),
            "--port=0".into(),
            format!("--cert-dir={}", dir.join("certs-kcm").display()),
        ]);
        self.supervisor.spawn("kube-controller-manager", command)?;
        Ok(())
    }
}

fn http_get(path: &str) -> Option<http::Request<Vec<u8>>> {
    http::Request::builder().method("GET").uri(path).body(Vec::new()).ok()
}

fn start_etcd(supervisor: &Supervisor, binaries: &Binaries, client: u16, peer: u16) -> Result<(), ControlPlaneError> {
    let data = supervisor.dir().join("etcd");
    let mut command = Command::new(&binaries.etcd);
    command.args([
        format!("--data-dir={}", data.display()),
        format!("--listen-client-urls=http://127.0.0.1:{client}"),
        format!("--advertise-client-urls=http://127.0.0.1:{client}"),
        format!("--listen-peer-urls=http://127.0.0.1:{peer}"),
        format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"),
        format!("--initial-cluster=default=http://127.0.0.1:{peer}"),
    ]);
    supervisor.spawn("etcd", command)?;
    Ok(())
}

fn start_apiserver(
    supervisor: &Supervisor,
    binaries: &Binaries,
    etcd: u16,
    port: u16,
    audit: bool,
) -> Result<PathBuf, ControlPlaneError> {
    let dir = supervisor.dir();
    let path = |name: &str| dir.join(name).display().to_string();
    let mut command = Command::new(&binaries.kube_apiserver);
    command.args([
        format!("--etcd-servers=http://127.0.0.1:{etcd}"),
        "--bind-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
        "--insecure-port=0".into(),
        format!("--cert-dir={}", path("certs")),
        format!("--token-auth-file={}", path("tokens.csv")),
        "--authorization-mode=RBAC".into(),
        format!("--service-account-key-file={}", path("sa.pub")),
        format!("--service-account-signing-key-file={}", path("sa.key")),
        "--service-account-issuer=https://kubernetes.default.svc".into(),
        "--service-cluster-ip-range=10.0.0.0/24".into(),
        "--allow-privileged".into(),
    ]);
    if audit {
        command.args([
            format!("--audit-policy-file={}", path("audit-policy.yaml")),
            format!("--audit-log-path={}", path("audit.log")),
            "--audit-log-format=json".into(),
        ]);
    }
    Ok(supervisor.spawn("kube-apiserver", command)?)
}
