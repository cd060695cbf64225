//! What kube-proxy and an ingress controller would do for the local cluster: each Tenant whose
//! issuer is a loopback URL (`http://127.0.0.1:<port>`) is served on that port, every connection
//! forwarded to a ready endpoint of the Tenant's Service (a ready pod its selector matches).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::ListParams;
use kube::runtime::watcher;
use kube::{Api, ResourceExt};
use rand::RngExt;
use tokio::net::{TcpListener, TcpStream};
use vestibule_crds::v1alpha1::Tenant;

/// Where a port's connections go: the Service `<tenant>-idp` in the Tenant's namespace.
type Routes = Arc<Mutex<HashMap<u16, (String, String)>>>;

/// The running gateway; dropping it stops it.
pub struct Gateway {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The loopback port of an issuer such as `http://127.0.0.1:8080/acme`.
pub fn loopback_port(issuer: &str) -> Option<u16> {
    let url = url::Url::parse(issuer).ok()?;
    matches!(url.host_str(), Some("127.0.0.1" | "localhost"))
        .then(|| url.port_or_known_default())
        .flatten()
}

impl Gateway {
    /// Starts routing Tenants' issuer ports to their IdP Services.
    pub fn start(client: kube::Client) -> Self {
        let routes: Routes = Arc::default();
        let task = tokio::spawn(follow_tenants(client, routes));
        Self { tasks: vec![task] }
    }
}

async fn follow_tenants(client: kube::Client, routes: Routes) {
    let tenants: Api<Tenant> = Api::all(client.clone());
    let mut listeners: HashMap<u16, tokio::task::JoinHandle<()>> = HashMap::new();
    let mut events = watcher(tenants, watcher::Config::default()).boxed();
    while let Some(event) = events.next().await {
        let (tenant, gone) = match event {
            Ok(watcher::Event::Apply(tenant) | watcher::Event::InitApply(tenant)) => (tenant, false),
            Ok(watcher::Event::Delete(tenant)) => (tenant, true),
            Ok(_) => continue,
            Err(error) => {
                tracing::debug!(%error, "tenant watch interrupted");
                continue;
            }
        };
        let Some(port) = loopback_port(&tenant.spec.issuer) else {
            continue;
        };
        let target = (
            tenant.namespace().unwrap_or_default(),
            format!("{}-idp", tenant.name_any()),
        );
        if let Ok(mut table) = routes.lock() {
            if gone {
                table.remove(&port);
            } else {
                table.insert(port, target);
            }
        }
        if !gone && !listeners.contains_key(&port) {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(listener) => {
                    listeners.insert(
                        port,
                        tokio::spawn(serve(listener, port, client.clone(), routes.clone())),
                    );
                }
                Err(error) => tracing::error!(%error, port, "the gateway cannot listen on the issuer's port"),
            }
        }
    }
}

async fn serve(listener: TcpListener, port: u16, client: kube::Client, routes: Routes) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        let target = routes.lock().ok().and_then(|table| table.get(&port).cloned());
        let Some((namespace, service)) = target else { continue };
        let client = client.clone();
        tokio::spawn(async move {
            match ready_endpoint(&client, &namespace, &service).await {
                Some(address) => forward(inbound, &address).await,
                None => tracing::warn!(%namespace, %service, "no ready endpoint; closing the connection"),
            }
        });
    }
}

/// A random ready endpoint of the Service, as `ip:port`: the ready pods its selector matches,
/// at its target port. (Computed here rather than read from the Endpoints object: the API
/// server refuses loopback addresses there, and the test node's pods live on 127.0.0.0/8.)
async fn ready_endpoint(client: &kube::Client, namespace: &str, service: &str) -> Option<String> {
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    let spec = services.get_opt(service).await.ok()??.spec?;
    let selector = spec
        .selector?
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    let target = spec.ports?.first()?.target_port.clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let listed = pods.list(&ListParams::default().labels(&selector)).await.ok()?;
    let candidates: Vec<String> = listed
        .items
        .iter()
        .filter_map(|pod| ready_address(pod, target.as_ref()))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let index = rand::rng().random_range(0..candidates.len());
    candidates.get(index).cloned()
}

/// `ip:port` of a ready pod, resolving a named target port against its containers.
pub fn ready_address(pod: &Pod, target: Option<&IntOrString>) -> Option<String> {
    let status = pod.status.as_ref()?;
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|condition| condition.type_ == "Ready" && condition.status == "True");
    if !ready || pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let ip = status.pod_ip.as_ref()?;
    let port = match target? {
        IntOrString::Int(port) => *port,
        IntOrString::String(name) => {
            pod.spec
                .as_ref()?
                .containers
                .iter()
                .flat_map(|container| container.ports.iter().flatten())
                .find(|port| port.name.as_deref() == Some(name.as_str()))?
                .container_port
        }
    };
    Some(format!("{ip}:{port}"))
}

async fn forward(mut inbound: TcpStream, address: &str) {
    if let Ok(mut outbound) = TcpStream::connect(address).await {
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_issuers_get_a_port() {
        assert_eq!(loopback_port("http://127.0.0.1:8080"), Some(8080));
        assert_eq!(loopback_port("http://localhost:9000/acme"), Some(9000));
        assert_eq!(loopback_port("https://id.example.com"), None);
    }
}
