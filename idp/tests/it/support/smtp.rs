//! A real SMTP server on loopback (npm `smtp-server`, see `e2e/node/smtp-capture.mjs`) whose
//! messages the tests read.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One received message.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{}", self.text))
            .to_owned()
    }
}

/// The capture server; killed on drop.
pub struct SmtpCapture {
    pub port: u16,
    dir: PathBuf,
    _child: Child,
}

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node")
}

/// Installs the Node test tools once (`npm ci`), if `make test` has not already.
pub fn ensure_node_modules() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if node_dir().join("node_modules/smtp-server").is_dir() {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(node_dir())
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci failed in e2e/node");
    });
}

impl SmtpCapture {
    /// Starts a capture server on a free port.
    pub async fn start() -> Self {
        ensure_node_modules();
        let dir = tempfile_dir("smtp");
        let mut child = Command::new("node")
            .arg(node_dir().join("smtp-capture.mjs"))
            .arg(&dir)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP capture server starts")
            .expect("its output is readable")
            .expect("it prints its port");
        let port = line
            .strip_prefix("SMTP_PORT=")
            .and_then(|port| port.parse().ok())
            .expect("SMTP_PORT=<port>");
        Self {
            port,
            dir,
            _child: child,
        }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
            .collect()
    }

    /// Waits for the `n`th (1-based) message to `to`.
    pub async fn wait_for(&self, to: &str, n: usize) -> Mail {
        for _ in 0..200 {
            let mine: Vec<Mail> = self
                .messages()
                .into_iter()
                .filter(|mail| mail.to.iter().any(|rcpt| rcpt == to))
                .collect();
            if mine.len() >= n {
                return mine[n - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message #{n} to {to} arrived within 10 s");
    }

    /// How many messages went to `to`.
    pub fn count_to(&self, to: &str) -> usize {
        self.messages()
            .iter()
            .filter(|mail| mail.to.iter().any(|rcpt| rcpt == to))
            .count()
    }
}

/// A fresh temporary directory.
pub fn tempfile_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vestibule-{prefix}-{}", vestibule_idp::random::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl SmtpCapture {
    /// Waits for a message to `to` whose subject contains `subject`.
    pub async fn wait_for_subject(&self, to: &str, subject: &str) -> Mail {
        for _ in 0..200 {
            let found = self
                .messages()
                .into_iter()
                .find(|mail| mail.to.iter().any(|rcpt| rcpt == to) && mail.subject.contains(subject));
            if let Some(mail) = found {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message to {to} about {subject:?} arrived within 10 s");
    }
}
