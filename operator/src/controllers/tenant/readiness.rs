//! Whether a Tenant's change is live: the Deployment has available replicas and every running
//! IdP pod reports the current config generation on `/readyz`.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::context::Context;
use crate::error::Error;
use crate::names::{selector_labels, workload};

/// What the Deployment and the pods say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// The Deployment's available replicas.
    pub available: i32,
    /// The Deployment's ready replicas.
    pub ready: i32,
    /// Running pods (with an IP, not terminating).
    pub running: usize,
    /// Running pods that serve the expected generation.
    pub serving: usize,
}

impl Readiness {
    /// Ready: available replicas, and every running pod serves the expected generation.
    pub fn is_ready(&self) -> bool {
        self.available > 0 && self.running > 0 && self.serving == self.running
    }

    /// A deterministic sentence for the condition message.
    pub fn describe(&self, generation: i64) -> String {
        format!(
            "{} available replica(s); {} of {} running pod(s) serve config generation {generation}",
            self.available, self.serving, self.running
        )
    }
}

#[derive(Deserialize)]
struct ReadyBody {
    generation: i64,
}

/// Reads the Deployment, lists the pods and asks each running one for its generation.
pub async fn observe(ctx: &Context, namespace: &str, tenant: &str, generation: i64) -> Result<Readiness, Error> {
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), namespace);
    let deployment = deployments
        .get_opt(&workload(tenant))
        .await
        .map_err(|source| Error::Read {
            what: format!("Deployment {namespace}/{}", workload(tenant)),
            source,
        })?;
    let status = deployment.and_then(|d| d.status).unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    let selector = selector_labels(tenant)
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|source| Error::Read {
            what: format!("Pods of Tenant {namespace}/{tenant}"),
            source,
        })?;
    let ips: Vec<String> = pods
        .items
        .iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter_map(|pod| {
            let status = pod.status.as_ref()?;
            (status.phase.as_deref() == Some("Running")).then(|| status.pod_ip.clone())?
        })
        .collect();
    let mut serving = 0;
    for ip in &ips {
        if served_generation(ip, ctx.config.idp_port).await == Some(generation) {
            serving += 1;
        }
    }
    Ok(Readiness {
        available: status.available_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        running: ips.len(),
        serving,
    })
}

/// The generation a pod's IdP serves, from `GET http://<ip>:<port>/readyz`; `None` if it does
/// not answer 200 with a generation within two seconds.
pub async fn served_generation(ip: &str, port: u16) -> Option<i64> {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    };
    let response = tokio::time::timeout(Duration::from_secs(2), http_get(&host, port, "/readyz"))
        .await
        .ok()??;
    serde_json::from_slice::<ReadyBody>(&response)
        .ok()
        .map(|body| body.generation)
}

/// A plain HTTP/1.1 GET on the pod network: the body of a 200 answer. Deliberately minimal
/// (one request per connection, `Content-Length` or chunked bodies): all it reads is `/readyz`.
async fn http_get(host: &str, port: u16, path: &str) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(format!("{host}:{port}")).await.ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut raw).await.ok()?;
    parse_response(&raw)
}

/// The body of a raw HTTP/1.1 response if its status is 200.
pub fn parse_response(raw: &[u8]) -> Option<Vec<u8>> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?.to_ascii_lowercase();
    let body = &raw[split + 4..];
    let status = head.lines().next()?.split_whitespace().nth(1)?;
    if status != "200" {
        return None;
    }
    if head
        .lines()
        .any(|line| line.starts_with("transfer-encoding:") && line.contains("chunked"))
    {
        return dechunk(body);
    }
    Some(body.to_vec())
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_answer_yields_its_body() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n{\"a\":1}";
        assert_eq!(parse_response(raw).unwrap(), b"{\"a\":1}");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), b"{\"a\":1}");
        assert!(parse_response(b"HTTP/1.1 503 Service Unavailable\r\n\r\n{}").is_none());
    }

    #[test]
    fn readiness_needs_available_replicas_and_every_running_pod_current() {
        let ready = Readiness {
            available: 1,
            ready: 1,
            running: 2,
            serving: 2,
        };
        assert!(ready.is_ready());
        assert!(
            !Readiness {
                serving: 1,
                ..ready.clone()
            }
            .is_ready()
        );
        assert!(
            !Readiness {
                available: 0,
                ..ready.clone()
            }
            .is_ready()
        );
        assert!(
            !Readiness {
                running: 0,
                serving: 0,
                ..ready
            }
            .is_ready()
        );
    }
}
