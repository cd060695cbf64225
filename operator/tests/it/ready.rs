//! A Tenant is Ready only when its Deployment's rollout is complete and every ready pod serves
//! the current config generation. No kubelet runs pods here, so the test plays its part:
//! it marks the Deployment's pod Running and Ready on its own loopback address, where a tiny
//! HTTP server on the admin port answers `/readyz` with a generation the test controls.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

/// Serves `GET /readyz` with `{"status":"ready","generation":<served>}` on a random
/// 127.x.y.z at the IdP's admin port (and nothing on its public port).
async fn fake_idp(served: Arc<AtomicI64>, admin_port: u16) -> Ipv4Addr {
    let listener = loop {
        let ip = Ipv4Addr::new(127, 10 + rand_byte() % 200, rand_byte(), 1 + rand_byte() % 250);
        if let Ok(listener) = TcpListener::bind(SocketAddr::from((ip, admin_port))).await {
            break listener;
        }
    };
    let Ok(SocketAddr::V4(addr)) = listener.local_addr() else {
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

fn rand_byte() -> u8 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        % 251) as u8
}

async fn reason(client: &kube::Client, ns: &str, want: &str) -> Tenant {
    wait_object::<Tenant>(client, ns, "demo", want, |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == want)
    })
    .await
}

#[tokio::test]
async fn a_tenant_is_ready_only_when_its_pods_serve_the_current_generation() {
    let (client, ns) = namespace().await;
    let config = config(&[&ns]);
    let admin_port = config.idp_admin_port;
    let operator = start(config).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let pods = Api::<Pod>::namespaced(client.clone(), &ns);
    let pod = eventually("the Deployment's pod", || async {
        let list = pods
            .list(&ListParams::default().labels("app.kubernetes.io/instance=demo"))
            .await
            .ok()?;
        list.items.into_iter().next()
    })
    .await;

    let served = Arc::new(AtomicI64::new(0));
    let ip = fake_idp(served.clone(), admin_port).await;
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    let status = json!({"status": {
        "phase": "Running", "podIP": ip.to_string(), "podIPs": [{"ip": ip.to_string()}],
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
        ],
    }});
    let name = pod.metadata.name.unwrap();
    pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();

    // The pod runs but serves an old generation: not Ready.
    let tenant = reason(&client, &ns, "Progressing").await;
    let generation = tenant.status.as_ref().unwrap().config_generation.unwrap();
    wait_object::<Tenant>(&client, &ns, "demo", "the pod counted as running", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.2.contains("0 of 1 ready pod"))
    })
    .await;

    served.store(generation, Ordering::SeqCst);
    let tenant = reason(&client, &ns, "Available").await;
    assert_eq!(
        ready(&tenant.status.as_ref().unwrap().common.conditions).unwrap().0,
        "True"
    );
    assert_eq!(tenant.status.unwrap().ready_replicas, Some(1));

    // A new Client is a config change: not live until the pod serves it, and the Client is
    // Ready only then.
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let tenant = reason(&client, &ns, "Progressing").await;
    let next = tenant.status.unwrap().config_generation.unwrap();
    assert_eq!(next, generation + 1);
    let waiting = wait_object::<Client>(&client, &ns, "web", "the client waiting", |c| c.status.is_some()).await;
    assert_eq!(ready(&waiting.status.unwrap().common.conditions).unwrap().0, "False");
    served.store(next, Ordering::SeqCst);
    reason(&client, &ns, "Available").await;
    wait_object::<Client>(&client, &ns, "web", "the client Ready", |c| {
        c.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.0 == "True" && r.1 == "Available")
    })
    .await;
    operator.stop().await;
}
