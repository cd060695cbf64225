//! An IdP serving a test tenant on loopback HTTP, on a fresh SQLite or PostgreSQL database.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::Connection;
use vestibule_crds::config::{ClientConfig, ClientSecretHash, EmailConfig, TenantConfig};
use vestibule_crds::keys::{KeyState, SigningKey, SigningKeySet};
use vestibule_crds::v1alpha1::{ClientType, GrantType, SigningAlgorithm, SmtpSecurity, TokenEndpointAuthMethod};
use vestibule_idp::clock::OffsetClock;
use vestibule_idp::config::Tenant;
use vestibule_idp::store::{NewUser, ProfileUpdate, Store, User};
use vestibule_idp::{AppState, admin_app, app};

use super::browser::Browser;
use super::smtp::{SmtpCapture, tempfile_dir};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The secret of the confidential test client `web`.
pub const WEB_SECRET: &str = "web-secret-0123456789abcdefghijklmnopqrstuv";
/// The secret of the third-party confidential client `partner`.
pub const PARTNER_SECRET: &str = "partner-secret-0123456789abcdefghijklmnopq";
/// The secret of the service client `service`.
pub const SERVICE_SECRET: &str = "service-secret-0123456789abcdefghijklmnopq";
/// The redirect URI of the test clients.
pub const REDIRECT: &str = "https://app.example.com/callback";
/// The password of users made by [`TestIdp::user`].
pub const PASSWORD: &str = "correct horse battery staple";

/// The IdP under test.
pub struct TestIdp {
    pub base: String,
    /// The admin listener (`/readyz`, `/metrics`).
    pub admin: String,
    pub state: AppState,
    pub clock: Arc<OffsetClock>,
    pub smtp: Arc<SmtpCapture>,
    pub keys: SigningKeySet,
    /// The database URL, for [`TestIdp::replica`].
    pub database: String,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

fn client(
    client_id: &str,
    client_type: ClientType,
    method: TokenEndpointAuthMethod,
    secret: Option<&str>,
) -> ClientConfig {
    ClientConfig {
        client_id: client_id.into(),
        display_name: format!("{client_id} app"),
        client_type,
        redirect_uris: vec![REDIRECT.into(), "http://127.0.0.1/callback".into()],
        post_logout_redirect_uris: vec!["https://app.example.com/".into()],
        allowed_cors_origins: vec!["https://app.example.com".into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: ["openid", "profile", "email", "offline_access"]
            .map(String::from)
            .to_vec(),
        token_endpoint_auth_method: method,
        id_token_signed_response_alg: SigningAlgorithm::Rs256,
        require_pkce: true,
        skip_consent: false,
        secrets: secret
            .map(|secret| vec![ClientSecretHash::of(secret, None)])
            .unwrap_or_default(),
        access_token_lifetime: None,
        id_token_lifetime: None,
        refresh_token_lifetime: None,
        default_max_age: None,
        default_acr_values: Vec::new(),
        required_acr: None,
    }
}

/// The test tenant: a first-party confidential client `web`, a third-party `partner`, a
/// public `spa`, and a service client `service`.
pub fn test_config(issuer: &str, smtp_port: u16) -> TenantConfig {
    let mut web = client(
        "web",
        ClientType::Confidential,
        TokenEndpointAuthMethod::ClientSecretBasic,
        Some(WEB_SECRET),
    );
    web.skip_consent = true;
    let partner = client(
        "partner",
        ClientType::Confidential,
        TokenEndpointAuthMethod::ClientSecretPost,
        Some(PARTNER_SECRET),
    );
    let spa = client("spa", ClientType::Public, TokenEndpointAuthMethod::None, None);
    let mut service = client(
        "service",
        ClientType::Confidential,
        TokenEndpointAuthMethod::ClientSecretBasic,
        Some(SERVICE_SECRET),
    );
    service.grant_types = vec![GrantType::ClientCredentials];
    service.redirect_uris.clear();
    service.scopes = vec!["orders:read".into(), "orders:write".into()];
    let mut config: TenantConfig =
        serde_yaml::from_str(&format!("generation: 1\nissuer: {issuer}\ndisplayName: Test Shop\n")).unwrap();
    config.signing_algorithms = vec![
        SigningAlgorithm::Rs256,
        SigningAlgorithm::Es256,
        SigningAlgorithm::EdDsa,
    ];
    config.clients = vec![web, partner, spa, service];
    config.email = Some(EmailConfig {
        from: "no-reply@shop.example.com".into(),
        reply_to: None,
        host: "127.0.0.1".into(),
        port: smtp_port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
    });
    // No test reaches the public Pwned Passwords service: those that check breaches point the
    // range API at a local server of their own.
    config.attack_protection.breached_passwords.enabled = false;
    config.validate().unwrap();
    config
}

/// Active keys for every algorithm, and a data key.
pub fn test_keys() -> SigningKeySet {
    static KEYS: std::sync::OnceLock<SigningKeySet> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let now = jiff::Timestamp::now();
        let keys = [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ]
        .map(|alg| SigningKey::generate(alg, KeyState::Active, now).unwrap());
        SigningKeySet {
            keys: keys.to_vec(),
            // As the operator mounts them: a data key beside the signing keys.
            data_key: Some(SigningKeySet::generate_data_key()),
        }
    })
    .clone()
}

/// A fresh, empty database URL for `backend`.
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/idp.db", tempfile_dir("db").display()),
        Backend::Postgres => {
            let admin = std::env::var("VESTIBULE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let pid = std::process::id();
            let name = format!(
                "vestibule_test_{pid}_{}",
                vestibule_idp::random::id().to_lowercase().replace(['-', '_'], "")
            );
            let mut connection = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL is reachable (VESTIBULE_TEST_POSTGRES_URL)");
            drop_stale_databases(&mut connection, pid).await;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut connection)
                .await
                .unwrap();
            let (prefix, _) = admin.rsplit_once('/').unwrap();
            format!("{prefix}/{name}")
        }
    }
}

/// What the replicas of one IdP share.
struct Replica {
    database: String,
    config: TenantConfig,
    clock: Arc<OffsetClock>,
    smtp: Arc<SmtpCapture>,
}

impl TestIdp {
    /// The test tenant on `backend`.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// The test tenant, changed by `edit`, on `backend`.
    pub async fn start_with(backend: Backend, edit: impl FnOnce(&mut TenantConfig)) -> Self {
        Self::start_adjusted(backend, edit, |_| {}).await
    }

    /// The test tenant, changed by `edit`, on `backend`, with its state changed by `adjust`
    /// before serving.
    pub async fn start_adjusted(
        backend: Backend,
        edit: impl FnOnce(&mut TenantConfig),
        adjust: impl FnOnce(&mut AppState),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let smtp = Arc::new(SmtpCapture::start().await);
        let mut config = test_config(&base, smtp.port);
        edit(&mut config);
        let replica = Replica {
            database: fresh_database(backend).await,
            config,
            clock: OffsetClock::new(),
            smtp,
        };
        Self::serve(listener, base, replica, adjust).await
    }

    /// Another replica of this IdP, as behind a Service: the same tenant, database, clock and
    /// mail capture, with a state of its own (in-memory caches, limiter, metrics) and a port.
    pub async fn replica(&self) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let replica = Replica {
            database: self.database.clone(),
            config: self.tenant().config.clone(),
            clock: self.clock.clone(),
            smtp: self.smtp.clone(),
        };
        Self::serve(listener, base, replica, |_| {}).await
    }

    async fn serve(
        listener: tokio::net::TcpListener,
        base: String,
        replica: Replica,
        adjust: impl FnOnce(&mut AppState),
    ) -> Self {
        let Replica {
            database,
            config,
            clock,
            smtp,
        } = replica;
        let keys = test_keys();
        let store = Store::connect(&database).await.unwrap();
        let mut state = AppState::new(Tenant::new(config, &keys).unwrap(), store).unwrap();
        state.clock = clock.clone();
        adjust(&mut state);
        let router = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = format!("http://{}", admin_listener.local_addr().unwrap());
        let admin_router = admin_app(state.clone());
        let servers = vec![
            tokio::spawn(async move {
                axum::serve(listener, router).await.unwrap();
            }),
            tokio::spawn(async move {
                axum::serve(admin_listener, admin_router).await.unwrap();
            }),
        ];
        Self {
            base,
            admin,
            state,
            clock,
            smtp,
            keys,
            database,
            servers,
        }
    }

    /// A browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser with an empty cookie jar connecting from 127.0.0.`n`: each `n` is another
    /// client address to the IdP.
    pub fn browser_from(&self, n: u8) -> Browser {
        Browser::from_address(&self.base, Some(std::net::Ipv4Addr::new(127, 0, 0, n).into()))
    }

    /// A browser with an empty cookie jar connecting from `address` (any of 127.0.0.0/8), for
    /// tests that need clients in different networks.
    pub fn browser_at(&self, address: std::net::Ipv4Addr) -> Browser {
        Browser::from_address(&self.base, Some(address.into()))
    }

    /// `GET` on the admin listener: status and body.
    pub async fn admin_get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("{}{path}", self.admin)).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// An absolute URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A verified customer with [`PASSWORD`].
    pub async fn user(&self, email: &str) -> User {
        let hash = self
            .state
            .hasher
            .hash(&vestibule_crds::SecretString::new(PASSWORD))
            .await
            .unwrap();
        let profile = ProfileUpdate {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            ..Default::default()
        };
        let user = NewUser {
            email: email.into(),
            password_hash: hash,
            profile,
            email_verified: true,
            locale: Some("en".into()),
        };
        self.state
            .store
            .create_user(user, self.state.now())
            .await
            .unwrap()
            .expect("the address is new")
    }

    /// The tenant being served.
    pub fn tenant(&self) -> Arc<Tenant> {
        self.state.tenant.get()
    }
}

/// Drops the databases of earlier test runs (another process id), once per run.
async fn drop_stale_databases(connection: &mut sqlx::PgConnection, pid: u32) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'vestibule_test_%'")
                .fetch_all(&mut *connection)
                .await
                .unwrap_or_default();
        // Only databases of test processes that have exited: another test run on this machine
        // (a parallel `cargo test`) still uses its own.
        let stale = |name: &str| {
            let owner = name
                .trim_start_matches("vestibule_test_")
                .split('_')
                .next()
                .unwrap_or_default();
            owner != pid.to_string() && !std::path::Path::new(&format!("/proc/{owner}")).exists()
        };
        for name in names.into_iter().filter(|name| stale(name)) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *connection)
            .await;
        }
    })
    .await;
}
