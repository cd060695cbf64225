//! HTTP readiness probes, as the kubelet runs them: a GET to the pod's address; 2xx and 3xx
//! mean ready.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The port and path of the container's readiness probe, with named ports resolved.
pub fn target(container: &Container) -> Option<(u16, String)> {
    let probe: &Probe = container.readiness_probe.as_ref()?;
    let get = probe.http_get.as_ref()?;
    let port = match &get.port {
        IntOrString::Int(number) => u16::try_from(*number).ok()?,
        IntOrString::String(name) => {
            let port = container
                .ports
                .iter()
                .flatten()
                .find(|port| port.name.as_deref() == Some(name.as_str()))?;
            u16::try_from(port.container_port).ok()?
        }
    };
    Some((port, get.path.clone().unwrap_or_else(|| "/".into())))
}

/// Whether `GET http://ip:port/path` answers 2xx or 3xx within a second.
pub async fn ready(ip: &str, port: u16, path: &str) -> bool {
    tokio::time::timeout(Duration::from_secs(1), get_status(ip, port, path))
        .await
        .ok()
        .flatten()
        .is_some_and(|status| (200..400).contains(&status))
}

async fn get_status(ip: &str, port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect((ip, port)).await.ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nUser-Agent: kube-probe/1.20\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = [0_u8; 32];
    let read = stream.read(&mut head).await.ok()?;
    let line = std::str::from_utf8(&head[..read]).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}
