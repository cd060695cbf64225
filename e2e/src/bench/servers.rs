//! The servers under test: Vestibule's IdP on a fresh SQLite or PostgreSQL database, and the
//! peer, oidc-provider on Node.js. Each runs as its own process so the kernel can account its
//! CPU time and memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sqlx::Connection;
use tokio::process::{Child, Command};

use super::fixture::{Fixture, Protection};
use super::{BenchError, procfs};
use crate::binaries::workspace_binary;
use crate::control_plane::free_port;
use crate::process::Supervisor;
use crate::wait::wait_for;

/// Which server a measurement is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Vestibule on SQLite.
    Sqlite,
    /// Vestibule on PostgreSQL.
    Postgres,
    /// oidc-provider.
    Peer,
}

impl Target {
    /// Every target, in report order.
    pub const ALL: [Target; 3] = [Target::Sqlite, Target::Postgres, Target::Peer];

    /// The column heading in the report.
    pub fn label(self) -> &'static str {
        match self {
            Target::Sqlite => "Vestibule (SQLite)",
            Target::Postgres => "Vestibule (PostgreSQL)",
            Target::Peer => "oidc-provider",
        }
    }

    /// Whether this is the peer.
    pub fn is_peer(self) -> bool {
        self == Target::Peer
    }
}

/// Where the two servers' routes differ.
#[derive(Debug, Clone)]
pub struct Routes {
    /// Authorization endpoint.
    pub authorize: &'static str,
    /// Token endpoint.
    pub token: &'static str,
    /// Introspection endpoint.
    pub introspect: &'static str,
    /// Userinfo endpoint.
    pub userinfo: &'static str,
    /// JWKS.
    pub jwks: &'static str,
}

impl Target {
    /// The routes of this server.
    pub fn routes(self) -> Routes {
        match self {
            Target::Peer => Routes {
                authorize: "/auth",
                token: "/token",
                introspect: "/token/introspection",
                userinfo: "/me",
                jwks: "/jwks",
            },
            Target::Sqlite | Target::Postgres => Routes {
                authorize: "/authorize",
                token: "/token",
                introspect: "/introspect",
                userinfo: "/userinfo",
                jwks: "/jwks",
            },
        }
    }
}

/// A running server.
pub struct Server {
    /// What it is.
    pub target: Target,
    /// `http://127.0.0.1:<port>`, also its issuer.
    pub base: String,
    /// Vestibule's admin listener (`/readyz`, `/metrics`), `http://127.0.0.1:<port>`.
    pub admin: Option<String>,
    /// Its process id.
    pub pid: u32,
    /// The PostgreSQL database it uses, if any.
    pub database: Option<Database>,
    /// Its log.
    pub log: PathBuf,
    child: Child,
}

/// A fresh PostgreSQL database for one run.
#[derive(Debug, Clone)]
pub struct Database {
    /// The admin URL it was created through.
    pub admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl Server {
    /// Stops the server (SIGKILL: nothing it holds must survive) and drops its database.
    pub async fn stop(mut self) -> Result<(), BenchError> {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        if let Some(database) = &self.database {
            drop_database(database).await?;
        }
        Ok(())
    }
}

/// Starts `target` on a free port with the fixture's clients, keys and customers; Vestibule with
/// `protection` (the peer has no such settings).
pub async fn start(
    target: Target,
    fixture: &Fixture,
    supervisor: &Supervisor,
    postgres_admin: &str,
    protection: Protection,
) -> Result<Server, BenchError> {
    let port = free_port().map_err(|e| BenchError::setup("a free port", e))?;
    let base = format!("http://127.0.0.1:{port}");
    let admin_port = free_port().map_err(|e| BenchError::setup("a free port", e))?;
    let admin = format!("127.0.0.1:{admin_port}");
    let log = fixture.dir.join(format!("{target:?}.log").to_lowercase());
    let (command, database) = match target {
        Target::Peer => (peer_command(fixture, &base)?, None),
        Target::Sqlite => {
            let url = format!("sqlite://{}", fixture.dir.join("bench-idp.db").display());
            let _ = std::fs::remove_file(fixture.dir.join("bench-idp.db"));
            super::seed::users(&url, fixture).await?;
            (vestibule_command(fixture, &base, &admin, &url, protection)?, None)
        }
        Target::Postgres => {
            let database = create_database(postgres_admin).await?;
            super::seed::users(&database.url, fixture).await?;
            (
                vestibule_command(fixture, &base, &admin, &database.url, protection)?,
                Some(database),
            )
        }
    };
    let child = spawn(command, &log, supervisor)?;
    let pid = child
        .id()
        .ok_or_else(|| BenchError::Server(format!("{target:?} exited at once")))?;
    let server = Server {
        target,
        base,
        admin: (!target.is_peer()).then(|| format!("http://{admin}")),
        pid,
        database,
        log,
        child,
    };
    wait_ready(&server).await?;
    Ok(server)
}

fn vestibule_command(
    fixture: &Fixture,
    base: &str,
    admin: &str,
    database: &str,
    protection: Protection,
) -> Result<Command, BenchError> {
    let binary = workspace_binary("vestibule-idp").map_err(|e| BenchError::setup("the IdP binary", e))?;
    let (config, keys) = fixture.write_vestibule("vestibule", base, protection)?;
    let mut command = Command::new(binary);
    command
        .arg("--config")
        .arg(config)
        .arg("--keys")
        .arg(keys)
        .args(["--listen", base.trim_start_matches("http://")])
        .args(["--admin-listen", admin])
        .args(["--database", database]);
    Ok(command)
}

/// `bench/peer` of this checkout.
pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/peer")
}

fn peer_command(fixture: &Fixture, base: &str) -> Result<Command, BenchError> {
    let setup = fixture.write_peer()?;
    let mut command = Command::new("node");
    command
        .arg(peer_dir().join("server.mjs"))
        .env("ISSUER", base)
        .env("PEER_SETUP", setup)
        .env("NODE_ENV", "production");
    Ok(command)
}

fn spawn(mut command: Command, log: &Path, supervisor: &Supervisor) -> Result<Child, BenchError> {
    let file = std::fs::File::create(log).map_err(|e| BenchError::io(log, e))?;
    let err = file.try_clone().map_err(|e| BenchError::io(log, e))?;
    command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .process_group(0)
        .kill_on_drop(true);
    let child = command
        .spawn()
        .map_err(|e| BenchError::Server(format!("starting a server: {e}")))?;
    if let Some(pid) = child.id() {
        supervisor
            .register(pid)
            .map_err(|e| BenchError::setup("the server's supervision", e))?;
    }
    Ok(child)
}

async fn wait_ready(server: &Server) -> Result<(), BenchError> {
    // Vestibule's readiness is on its admin listener; the peer has none, its discovery will do.
    let url = match &server.admin {
        Some(admin) => format!("{admin}/readyz"),
        None => format!("{}/.well-known/openid-configuration", server.base),
    };
    let client = reqwest::Client::new();
    let ready = wait_for(Duration::from_secs(60), || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let response = client.get(&url).send().await.ok()?;
            response.status().is_success().then_some(())
        }
    })
    .await;
    let tail = std::fs::read_to_string(&server.log).unwrap_or_default();
    ready.ok_or_else(|| BenchError::Server(format!("{:?} never became ready; its log:\n{tail}", server.target)))?;
    // A first sample, so a process that died after answering is noticed here.
    procfs::rss_kib(server.pid)?;
    Ok(())
}

async fn create_database(admin_url: &str) -> Result<Database, BenchError> {
    let name = format!("vestibule_bench_{}", std::process::id());
    let mut connection = sqlx::PgConnection::connect(admin_url)
        .await
        .map_err(|e| BenchError::setup("connecting to PostgreSQL", e))?;
    // Databases of earlier runs that ended before dropping theirs go first.
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'vestibule_bench_%'")
            .fetch_all(&mut connection)
            .await
            .map_err(|e| BenchError::setup("listing PostgreSQL databases", e))?;
    let drops = stale
        .iter()
        .map(|old| format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)"));
    for statement in drops.chain([format!("CREATE DATABASE {name}")]) {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut connection)
            .await
            .map_err(|e| BenchError::setup("creating the PostgreSQL database", e))?;
    }
    let prefix = admin_url.rsplit_once('/').map_or(admin_url, |(prefix, _)| prefix);
    Ok(Database {
        admin_url: admin_url.to_owned(),
        url: format!("{prefix}/{name}"),
        name,
    })
}

async fn drop_database(database: &Database) -> Result<(), BenchError> {
    let mut connection = sqlx::PgConnection::connect(&database.admin_url)
        .await
        .map_err(|e| BenchError::setup("connecting to PostgreSQL", e))?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        database.name
    )))
    .execute(&mut connection)
    .await
    .map_err(|e| BenchError::setup("dropping the PostgreSQL database", e))?;
    Ok(())
}

/// Committed plus rolled-back transactions of `database` so far (PostgreSQL's cumulative
/// statistics, flushed by each backend at most once a second: read after the load has stopped).
pub async fn transactions(database: &Database) -> Result<i64, BenchError> {
    let mut connection = sqlx::PgConnection::connect(&database.admin_url)
        .await
        .map_err(|e| BenchError::setup("connecting to PostgreSQL", e))?;
    sqlx::query_scalar("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = $1")
        .bind(&database.name)
        .fetch_one(&mut connection)
        .await
        .map_err(|e| BenchError::setup("reading pg_stat_database", e))
}
