//! A real SMTP server on loopback (npm `smtp-server`, `e2e/node/smtp-capture.mjs`) that keeps
//! the tenants' emails for the tests and the demo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::process::{ProcessError, Supervisor};
use crate::wait::wait_for;

/// One captured message.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

impl Mail {
    /// The first word of the text body containing `needle` (a link).
    pub fn link(&self, needle: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|word| word.contains(needle))
            .map(str::to_owned)
    }
}

/// Why the capture server did not start.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The process did not start.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// It did not report a port.
    #[error("the SMTP capture server did not start; see {0}")]
    NoPort(PathBuf),
}

/// The running capture server.
#[derive(Debug, Clone)]
pub struct SmtpCapture {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where messages land, one JSON file each.
    pub dir: PathBuf,
}

/// The Node.js tools directory of the repository.
pub fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node")
}

impl SmtpCapture {
    /// Starts it under `supervisor`.
    pub async fn start(supervisor: &Supervisor) -> Result<Self, SmtpError> {
        let dir = supervisor.dir().join("mail");
        let mut command = Command::new("node");
        command.arg(node_dir().join("smtp-capture.mjs")).arg(&dir);
        let log = supervisor.spawn("smtp-capture", command)?;
        let port = wait_for(Duration::from_secs(30), || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let port = text
                .lines()
                .find_map(|line| line.strip_prefix("SMTP_PORT=")?.trim().parse().ok());
            async move { port }
        })
        .await
        .ok_or(SmtpError::NoPort(log))?;
        Ok(Self { port, dir })
    }

    /// Every message so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|path| serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok())
            .collect()
    }

    /// The latest message to `to`, once one arrived (at most `timeout`).
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> Option<Mail> {
        wait_for(timeout, || {
            let found = self
                .messages()
                .into_iter()
                .rev()
                .find(|mail| mail.to.iter().any(|rcpt| rcpt == to));
            async move { found }
        })
        .await
    }
}
