//! `make demo`: a local Kubernetes control plane (or the cluster `KUBECONFIG` names), the Helm
//! chart, the operator, the examples, and a demo application to sign in to. Stays up until
//! Ctrl-C, then tears everything down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use vestibule_crds::v1alpha1::Tenant;
use vestibule_e2e::environment::Environment;
use vestibule_e2e::examples::{self, Overlay};
use vestibule_e2e::{TestCluster, wait_for};

const NAMESPACE: &str = "default";
const DEMO_APP: &str = "127.0.0.1:9000";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("DEMO_LOG").unwrap_or_else(|_| "warn,kube_client=off".into()))
        .init();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize()?;
    println!("Starting the control plane, the chart, the operator and the test node ...");
    let cluster = TestCluster::shared().await.context("starting the control plane")?;
    let env = Environment::start(cluster.kubeconfig_path())
        .await
        .context("installing Vestibule")?;
    let kubeconfig = root.join(".vestibule/kubeconfig");
    std::fs::create_dir_all(root.join(".vestibule"))?;
    std::fs::copy(cluster.kubeconfig_path(), &kubeconfig)?;

    let overlay = Overlay {
        issuer_ports: BTreeMap::from([
            ("demo".to_owned(), port_or_free(8080)),
            ("shop".to_owned(), port_or_free(8081)),
        ]),
        smtp_port: env.smtp.port,
    };
    create_example_secrets(&env).await?;
    apply_examples(&env, &overlay)?;
    println!("Applied examples/ to namespace {NAMESPACE}; waiting for the Tenants to be Ready ...");
    for tenant in ["demo", "shop"] {
        wait_ready(&env, tenant).await?;
    }
    let credentials = read_secret(&env, "webapp-oidc").await?;
    let app = start_demo_app(&env, &credentials)?;
    print_welcome(&overlay, &credentials, &kubeconfig);
    follow_mail(&env).await;
    drop(app);
    Ok(())
}

/// The preferred port when it is free, else any free one.
fn port_or_free(preferred: u16) -> u16 {
    if std::net::TcpListener::bind(("127.0.0.1", preferred)).is_ok() {
        preferred
    } else {
        vestibule_e2e::control_plane::free_port().unwrap_or(preferred)
    }
}

/// The Secrets the examples' comments ask for: the production database (a fresh database on
/// the local PostgreSQL) and the social providers' client secrets (placeholders: the example
/// providers are not registered upstream).
async fn create_example_secrets(env: &Environment) -> anyhow::Result<()> {
    let admin = std::env::var("VESTIBULE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let database = format!("vestibule_demo_{}", std::process::id());
    let created = Command::new("psql")
        .arg(&admin)
        .args(["-qc", &format!("CREATE DATABASE {database}")])
        .status()?;
    if !created.success() {
        bail!("creating the PostgreSQL database for the production example failed");
    }
    let url = format!(
        "{}/{database}",
        admin.rsplit_once('/').map_or(admin.as_str(), |(prefix, _)| prefix)
    );
    let secrets: Api<Secret> = Api::namespaced(env.client().await?, NAMESPACE);
    for (name, key, value) in [
        ("shop-db", "url", url),
        ("google-oauth", "clientSecret", "placeholder".into()),
        ("github-oauth", "clientSecret", "placeholder".into()),
        ("corporate-sso", "clientSecret", "placeholder".into()),
    ] {
        let mut secret = Secret::default();
        secret.metadata.name = Some(name.into());
        secret.string_data = Some([(key.to_owned(), value)].into());
        secrets
            .create(&PostParams::default(), &secret)
            .await
            .with_context(|| format!("creating Secret {name}"))?;
    }
    Ok(())
}

fn apply_examples(env: &Environment, overlay: &Overlay) -> anyhow::Result<()> {
    let mut documents = Vec::new();
    for file in examples::all_files() {
        for mut document in examples::load(&file)? {
            overlay.patch(&mut document);
            documents.push(document);
        }
    }
    examples::apply(env.kubectl(), NAMESPACE, &documents)?;
    Ok(())
}

async fn wait_ready(env: &Environment, name: &str) -> anyhow::Result<()> {
    let tenants: Api<Tenant> = Api::namespaced(env.client().await?, NAMESPACE);
    let ready = wait_for(Duration::from_secs(300), || {
        let tenants = tenants.clone();
        async move {
            let tenant = tenants.get(name).await.ok()?;
            let conditions = tenant.status?.common.conditions;
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
                .then_some(())
        }
    })
    .await;
    ready.with_context(|| format!("Tenant {name} did not become Ready; see {}", env.operator_log.display()))
}

async fn read_secret(env: &Environment, name: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let secrets: Api<Secret> = Api::namespaced(env.client().await?, NAMESPACE);
    let secret = secrets
        .get(name)
        .await
        .with_context(|| format!("reading Secret {name}"))?;
    Ok(secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, String::from_utf8_lossy(&value.0).into_owned()))
        .collect())
}

/// The demo application (openid-client), signing visitors in with the `webapp` Client.
fn start_demo_app(env: &Environment, credentials: &BTreeMap<String, String>) -> anyhow::Result<PathBuf> {
    let mut command = Command::new("node");
    command
        .arg(vestibule_e2e::smtp::node_dir().join("demo-client.mjs"))
        .env("ISSUER", &credentials["issuer"])
        .env("CLIENT_ID", &credentials["clientId"])
        .env("CLIENT_SECRET", &credentials["clientSecret"])
        .env("LISTEN", DEMO_APP)
        .env("CALLBACK_PATH", "/auth/callback");
    Ok(env.supervisor.spawn("demo-app", command)?)
}

fn print_welcome(overlay: &Overlay, credentials: &BTreeMap<String, String>, kubeconfig: &Path) {
    let issuer = overlay.issuer("demo").unwrap_or_default();
    println!();
    println!("Vestibule is running.");
    println!();
    println!("  Sign in:        http://{DEMO_APP}/   (the demo app, client \"webapp\")");
    println!("  Issuer:         {issuer}   (discovery: {issuer}/.well-known/openid-configuration)");
    println!("  Your account:   {issuer}/account");
    println!("  Client ID:      {}", credentials["clientId"]);
    println!("  Client secret:  {}", credentials["clientSecret"]);
    println!("  kubectl:        export KUBECONFIG={}", kubeconfig.display());
    println!();
    println!("Create an account on the sign-in page; the verification email will appear below.");
    println!("Press Ctrl-C to stop and remove everything.");
    println!();
}

/// Prints each new email (they go to the SMTP capture, not to the real world) until Ctrl-C
/// or SIGTERM.
async fn follow_mail(env: &Environment) {
    let mut seen = 0;
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminated => break,
            _ = ticker.tick() => {}
        }
        let messages = env.smtp.messages();
        for mail in messages.iter().skip(seen) {
            let link = mail
                .link("/verify?token=")
                .or_else(|| mail.link("/reset?token="))
                .or_else(|| mail.link("http"))
                .unwrap_or_default();
            println!("Email to {}: {}\n  {link}\n", mail.to.join(", "), mail.subject);
        }
        seen = messages.len();
    }
    println!("\nStopping ...");
}
