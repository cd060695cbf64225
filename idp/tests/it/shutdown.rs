//! A stopping IdP drains: after SIGTERM `/readyz` says `draining` (so the Service stops sending
//! new requests) while the listeners still serve, then the process closes them and exits cleanly.

use std::time::{Duration, Instant};

use crate::support::idp::{test_config, test_keys};
use crate::support::smtp::tempfile_dir;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_makes_the_idp_unready_first_and_serving_until_the_delay_ends() {
    let dir = tempfile_dir("shutdown");
    let (config, keys) = (dir.join("config.yaml"), dir.join("jwks.json"));
    std::fs::write(
        &config,
        serde_yaml::to_string(&test_config("http://localhost", 25)).unwrap(),
    )
    .unwrap();
    std::fs::write(&keys, serde_json::to_string(&test_keys()).unwrap()).unwrap();
    let (public, admin) = (free_port(), free_port());
    let mut idp = tokio::process::Command::new(env!("CARGO_BIN_EXE_vestibule-idp"))
        .arg("--config")
        .arg(&config)
        .arg("--keys")
        .arg(&keys)
        .arg("--database")
        .arg(format!("sqlite://{}/idp.db", dir.display()))
        .args(["--listen", &format!("127.0.0.1:{public}")])
        .args(["--admin-listen", &format!("127.0.0.1:{admin}")])
        .args(["--shutdown-delay", "3s"])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let readyz = format!("http://127.0.0.1:{admin}/readyz");
    let healthz = format!("http://127.0.0.1:{public}/healthz");
    let started = Instant::now();
    while http.get(&readyz).send().await.map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(started.elapsed() < Duration::from_secs(60), "the IdP never got ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let pid = idp.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let signalled = Instant::now();
    let draining = loop {
        let answer = http.get(&readyz).send().await.unwrap();
        if answer.status().as_u16() == 503 {
            break answer.text().await.unwrap();
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "readyz still ready after SIGTERM"
        );
    };
    assert!(draining.contains("draining"), "{draining}");
    let public_answer = http.get(&healthz).send().await.unwrap();
    assert_eq!(public_answer.status().as_u16(), 200, "still serving while draining");

    let status = tokio::time::timeout(Duration::from_secs(30), idp.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        signalled.elapsed() >= Duration::from_secs(3),
        "closed before the delay ended"
    );
    assert!(http.get(&healthz).send().await.is_err(), "the listener is closed");
}
