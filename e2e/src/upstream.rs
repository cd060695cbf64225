//! An upstream OpenID provider on loopback for social sign-in: panva's `oidc-provider`
//! (`e2e/node/upstream-op.mjs`), with one registered client whose secret can be rotated.

use std::fs::File;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::smtp::node_dir;

/// The upstream's account, as its sign-in form (with [`Options::login_page`]) asks for it.
pub const ACCOUNT_EMAIL: &str = "alice@example.com";
/// The password of [`ACCOUNT_EMAIL`].
pub const ACCOUNT_PASSWORD: &str = "wonderland";

/// Why the provider did not start or did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// `node` could not be started or talked to.
    #[error("running the upstream OpenID provider (node upstream-op.mjs): {0}")]
    Io(#[from] std::io::Error),
    /// It exited or closed its output before answering.
    #[error("the upstream OpenID provider exited before {0}; is oidc-provider installed (scripts/setup.sh)?")]
    Exited(&'static str),
}

/// What the provider registers.
pub struct Options<'a> {
    /// The client's id.
    pub client_id: &'a str,
    /// The client's secret.
    pub client_secret: &'a str,
    /// The one redirect URI registered for the client.
    pub redirect_uri: &'a str,
    /// The port to listen on; any free one if `None`.
    pub port: Option<u16>,
    /// Ask for the account's email and password on a page instead of signing it in at once.
    pub login_page: bool,
    /// Where its warnings go; the caller's stderr if `None`.
    pub log: Option<PathBuf>,
}

/// The running provider; stopped when dropped.
pub struct UpstreamOp {
    /// Its issuer, `http://127.0.0.1:<port>`.
    pub issuer: String,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl UpstreamOp {
    /// Starts it and waits until it listens.
    pub async fn start(options: Options<'_>) -> Result<Self, UpstreamError> {
        let mut command = Command::new("node");
        command
            .arg(node_dir().join("upstream-op.mjs"))
            .env("CLIENT_ID", options.client_id)
            .env("CLIENT_SECRET", options.client_secret)
            .env("REDIRECT_URI", options.redirect_uri)
            .env("PORT", options.port.unwrap_or(0).to_string())
            .env("LOGIN_PAGE", if options.login_page { "1" } else { "0" })
            .env("CONTROL", "stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(match &options.log {
                Some(path) => Stdio::from(File::create(path)?),
                None => Stdio::inherit(),
            })
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let stdin = child.stdin.take().ok_or(UpstreamError::Exited("starting"))?;
        let stdout = child.stdout.take().ok_or(UpstreamError::Exited("starting"))?;
        let mut stdout = BufReader::new(stdout).lines();
        let ready = next_json(&mut stdout, "listening").await?;
        let issuer = ready["issuer"]
            .as_str()
            .ok_or(UpstreamError::Exited("naming its issuer"))?
            .to_owned();
        Ok(Self {
            issuer,
            stdin,
            stdout,
            _child: child,
        })
    }

    /// Replaces the client's secret: from now on only `secret` authenticates it.
    pub async fn rotate_client_secret(&mut self, secret: &str) -> Result<(), UpstreamError> {
        let line = format!("{}\n", serde_json::json!({ "clientSecret": secret }));
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.flush().await?;
        next_json(&mut self.stdout, "rotating the client secret").await?;
        Ok(())
    }
}

/// The next line of `lines` that is a JSON object (oidc-provider may print warnings).
async fn next_json(lines: &mut Lines<BufReader<ChildStdout>>, doing: &'static str) -> Result<Value, UpstreamError> {
    while let Some(line) = lines.next_line().await? {
        if let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(&line) {
            return Ok(value);
        }
    }
    Err(UpstreamError::Exited(doing))
}
