//! What the tests share: an operator running in-process on a client that records every request,
//! manifests, and waiting on conditions with a deadline.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::client::{Body, ClientBuilder, DynBody};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vestibule_crds::config::TenantConfig;
use vestibule_e2e::TestCluster;
use vestibule_operator::{OperatorConfig, RunError};

/// How long any awaited condition may take.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// Every request an operator's client sent (when, method and path), and the refused ones.
#[derive(Clone, Default)]
pub struct Requests(
    Arc<Mutex<Vec<(Instant, http::Method, String)>>>,
    Arc<Mutex<Vec<String>>>,
);

impl Requests {
    fn record(&self, request: &http::Request<Body>) {
        let path = request.uri().path().to_owned();
        self.0
            .lock()
            .unwrap()
            .push((Instant::now(), request.method().clone(), path));
    }

    /// Requests the API server answered 403 Forbidden (their responses carry no path: counted).
    pub fn forbidden(&self) -> Vec<String> {
        self.1.lock().unwrap().clone()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// Writes (POST, PUT, PATCH, DELETE), leaving out the Lease when `leases` is false.
    pub fn writes(&self, leases: bool) -> Vec<String> {
        self.writes_at(leases).into_iter().map(|(_, write)| write).collect()
    }

    /// [`Requests::writes`] with the instant each was sent.
    pub fn writes_at(&self, leases: bool) -> Vec<(Instant, String)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, method, _)| !matches!(*method, http::Method::GET | http::Method::HEAD | http::Method::OPTIONS))
            .filter(|(_, _, path)| leases || !path.contains("/leases/"))
            .map(|(at, method, path)| (*at, format!("{method} {path}")))
            .collect()
    }

    /// How many GETs of exactly `path` were sent.
    pub fn gets_of(&self, path: &str) -> usize {
        let requests = self.0.lock().unwrap();
        requests
            .iter()
            .filter(|(_, m, p)| *m == http::Method::GET && p == path)
            .count()
    }
}

/// An operator running in this test's runtime.
pub struct Operator {
    /// Its requests.
    pub requests: Requests,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), RunError>>,
}

impl Operator {
    /// Stops it gracefully and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(TIMEOUT, &mut self.task)
            .await
            .expect("the operator stops in time")
            .unwrap()
            .unwrap();
    }

    /// Whether it has exited.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until it exits by itself, and returns how it ended.
    pub async fn exited(mut self) -> Result<(), RunError> {
        // Held, not dropped: a dropped sender would ask the operator to stop.
        let _stop = self.stop.take();
        tokio::time::timeout(TIMEOUT, &mut self.task)
            .await
            .expect("the operator exits in time")
            .unwrap()
    }
}

/// Makes every Lease request of one client hang while set: a leader whose renewals stall.
#[derive(Clone, Default)]
pub struct LeaseStall(pub Arc<AtomicBool>);

impl<S> tower::Layer<S> for LeaseStall {
    type Service = Stalling<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Stalling {
            inner,
            stall: self.0.clone(),
        }
    }
}

/// The service of [`LeaseStall`].
#[derive(Clone)]
pub struct Stalling<S> {
    inner: S,
    stall: Arc<AtomicBool>,
}

impl<S> tower::Service<http::Request<Body>> for Stalling<S>
where
    S: tower::Service<http::Request<Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let stalled = self.stall.load(Ordering::SeqCst) && request.uri().path().contains("/leases/");
        let response = self.inner.call(request);
        Box::pin(async move {
            if stalled {
                std::future::pending::<()>().await;
            }
            response.await
        })
    }
}

/// Operator settings for a test acting in `namespaces`: fast polling, no Lease.
pub fn config(namespaces: &[&str]) -> OperatorConfig {
    let mut config = OperatorConfig::new("ghcr.io/vestibule-dev/vestibule-idp:test");
    config.namespaces = namespaces.iter().map(|n| n.to_string()).collect();
    config.readiness_poll = Duration::from_secs(1);
    config.error_backoff = Duration::from_secs(1);
    config.instance = format!("test-{}", namespaces.join("-"));
    config
}

/// Starts an operator with `config` on a request-recording client.
pub async fn start(config: OperatorConfig) -> Operator {
    let cluster = TestCluster::shared().await.unwrap();
    start_as(config, cluster.client_config().await.unwrap()).await
}

/// Starts an operator with `config` on a request-recording client built from `client_config`.
pub async fn start_as(config: OperatorConfig, client_config: kube::Config) -> Operator {
    start_stalling(config, client_config, LeaseStall::default()).await
}

/// [`start_as`] with Lease requests that hang while `stall` is set.
pub async fn start_stalling(config: OperatorConfig, client_config: kube::Config, stall: LeaseStall) -> Operator {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TEST_LOG").unwrap_or_else(|_| "off".into()))
        .with_test_writer()
        .try_init();
    let requests = Requests::default();
    let recorder = requests.clone();
    let layer = tower::util::MapRequestLayer::new(move |request: http::Request<Body>| {
        recorder.record(&request);
        request
    });
    let refusals = requests.1.clone();
    let responses = tower::util::MapResponseLayer::new(move |response: http::Response<Box<DynBody>>| {
        if response.status() == http::StatusCode::FORBIDDEN {
            refusals.lock().unwrap().push(response.status().to_string());
        }
        response
    });
    let client = ClientBuilder::try_from(client_config)
        .unwrap()
        .with_layer(&responses)
        .with_layer(&stall)
        .with_layer(&layer)
        .build();
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(vestibule_operator::run_with(client, config, async move {
        let _ = stopped.await;
    }));
    Operator {
        requests,
        stop: Some(stop),
        task,
    }
}

/// A fresh namespace and an admin client.
pub async fn namespace() -> (kube::Client, String) {
    let cluster = TestCluster::shared().await.unwrap();
    (cluster.client().await.unwrap(), cluster.new_namespace().await.unwrap())
}

/// Creates the object described by `yaml` in `namespace`.
pub async fn create<K>(client: &kube::Client, namespace: &str, yaml: &str) -> K
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
{
    let object: K = serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"));
    Api::<K>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("creating {yaml}: {e}"))
}

/// Merge-patches the object `name` (as a person with kubectl would, not the operator).
pub async fn merge<K>(client: &kube::Client, namespace: &str, name: &str, patch: serde_json::Value) -> K
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
{
    Api::<K>::namespaced(client.clone(), namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap()
}

/// Waits until `probe` returns `Some`, failing the test with `what` after [`TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    vestibule_e2e::wait_for(TIMEOUT, probe)
        .await
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// Waits until object `name` exists and `check` accepts it.
pub async fn wait_object<K>(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    what: &str,
    check: impl Fn(&K) -> bool,
) -> K
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
{
    let api = Api::<K>::namespaced(client.clone(), namespace);
    eventually(what, || async {
        let object = api.get_opt(name).await.ok()??;
        check(&object).then_some(object)
    })
    .await
}

/// The `Ready` condition's status and reason.
pub fn ready(conditions: &[Condition]) -> Option<(&str, &str, &str)> {
    conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| (c.status.as_str(), c.reason.as_str(), c.message.as_str()))
}

/// The config a Tenant's pods are given, parsed.
pub async fn served_config(client: &kube::Client, namespace: &str, tenant: &str) -> Option<TenantConfig> {
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(&format!("{tenant}-idp-config"))
        .await
        .ok()??;
    serde_yaml::from_slice(&secret.data?.get("config.yaml")?.0).ok()
}

/// A Secret's value at `key`.
pub fn secret_value(secret: &Secret, key: &str) -> Option<String> {
    String::from_utf8(secret.data.as_ref()?.get(key)?.0.clone()).ok()
}

/// Waits for an Event about `name` with `reason`.
pub async fn wait_event(client: &kube::Client, namespace: &str, name: &str, reason: &str) -> Event {
    let api = Api::<Event>::namespaced(client.clone(), namespace);
    eventually(&format!("an Event {reason} about {name}"), || async {
        let events = api.list(&ListParams::default()).await.ok()?;
        events.items.into_iter().find(|event| {
            event.reason.as_deref() == Some(reason)
                && event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
        })
    })
    .await
}

/// A minimal valid Tenant named `name`: an https issuer, so with the SMTP server it needs.
pub fn tenant_yaml(name: &str) -> String {
    format!(
        "apiVersion: vestibule.dev/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec:\n  issuer: https://{name}.example.com\n  email: {{from: no-reply@{name}.example.com, smtp: {{host: smtp.example.com}}}}\n"
    )
}

/// A confidential Client `name` of Tenant `tenant` (in `tenant_namespace` when given).
pub fn client_yaml(name: &str, tenant: &str, tenant_namespace: Option<&str>, extra: &str) -> String {
    let namespace = tenant_namespace
        .map(|n| format!(", namespace: {n}"))
        .unwrap_or_default();
    format!(
        "apiVersion: vestibule.dev/v1alpha1\nkind: Client\nmetadata: {{name: {name}}}\nspec:\n  tenantRef: {{name: {tenant}{namespace}}}\n  redirectUris: [https://app.example.com/callback]\n{extra}"
    )
}

/// Serves `GET /readyz` with `{"status":"ready","generation":<served>}` on a random loopback
/// address at `port`, as an IdP pod would.
pub async fn fake_idp(served: Arc<std::sync::atomic::AtomicI64>, port: u16) -> std::net::Ipv4Addr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = loop {
        let [a, b, c, _] = rand::random::<[u8; 4]>();
        let ip = std::net::Ipv4Addr::new(127, 10 + a % 200, b, 1 + c % 250);
        if let Ok(listener) = tokio::net::TcpListener::bind((ip, port)).await {
            break listener;
        }
    };
    let Ok(std::net::SocketAddr::V4(addr)) = listener.local_addr() else {
        panic!("no IPv4 address")
    };
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let served = served.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 2048];
                let _ = stream.read(&mut buffer).await;
                let body = format!(
                    "{{\"status\":\"ready\",\"generation\":{}}}",
                    served.load(Ordering::SeqCst)
                );
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    *addr.ip()
}

/// Plays the kubelet for the IdP pod of Tenant `tenant`: marks it Running and Ready on a fake
/// IdP that serves the config generation the returned number holds (0 at first).
pub async fn fake_idp_pod(
    client: &kube::Client,
    namespace: &str,
    tenant: &str,
    port: u16,
) -> Arc<std::sync::atomic::AtomicI64> {
    fake_idp_pod_where(client, namespace, tenant, port, |_| true).await
}

/// [`fake_idp_pod`] for the first pod of the Tenant that `wanted` picks (one of a rollout's new
/// pods, say).
pub async fn fake_idp_pod_where(
    client: &kube::Client,
    namespace: &str,
    tenant: &str,
    port: u16,
    wanted: impl Fn(&k8s_openapi::api::core::v1::Pod) -> bool,
) -> Arc<std::sync::atomic::AtomicI64> {
    use k8s_openapi::api::core::v1::Pod;
    let pods = Api::<Pod>::namespaced(client.clone(), namespace);
    let selector = format!("app.kubernetes.io/instance={tenant}");
    let pod = eventually("the Deployment's pod", || async {
        pods.list(&ListParams::default().labels(&selector))
            .await
            .ok()?
            .items
            .into_iter()
            .find(|pod| wanted(pod))
    })
    .await;
    let served = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let ip = fake_idp(served.clone(), port).await.to_string();
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    let status = serde_json::json!({"status": {
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
        ],
    }});
    pods.patch_status(
        &pod.metadata.name.unwrap(),
        &PatchParams::default(),
        &Patch::Merge(&status),
    )
    .await
    .unwrap();
    served
}

/// Keeps `served` at the generation of Tenant `tenant`'s config as it is written: an IdP that
/// serves every config at once. Stops when the returned task is aborted.
pub fn follow_config(
    client: &kube::Client,
    namespace: &str,
    tenant: &str,
    served: Arc<std::sync::atomic::AtomicI64>,
) -> JoinHandle<()> {
    use futures::StreamExt;
    use kube::runtime::{WatchStreamExt, watcher};
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={tenant}-idp-config"));
    tokio::spawn(async move {
        watcher::watcher(secrets, config)
            .applied_objects()
            .for_each(|secret| {
                let generation = secret
                    .ok()
                    .and_then(|secret| serde_yaml::from_slice::<TenantConfig>(&secret.data?.get("config.yaml")?.0).ok())
                    .map(|config| config.generation);
                if let Some(generation) = generation {
                    served.store(generation, Ordering::SeqCst);
                }
                futures::future::ready(())
            })
            .await;
    })
}

/// Waits until Client `name` reports `Ready` with `status` and `reason` for its current
/// generation, and returns it.
pub async fn client_ready(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    status: &str,
    reason: &str,
) -> vestibule_crds::v1alpha1::Client {
    wait_object::<vestibule_crds::v1alpha1::Client>(
        client,
        namespace,
        name,
        &format!("Client {name} {status} {reason}"),
        |c| {
            c.status.as_ref().is_some_and(|s| {
                s.common.observed_generation == c.metadata.generation
                    && ready(&s.common.conditions).is_some_and(|r| r.0 == status && r.1 == reason)
            })
        },
    )
    .await
}
