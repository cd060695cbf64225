//! `Tenant`: one isolated identity realm, served by its own IdP Deployment.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ResourceRequirements, Toleration};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{CommonStatus, SecretKeyRef};
use super::pod::PodSettings;
use super::scaling::Autoscaling;
use super::settings::{
    AttackProtection, Branding, PasswordPolicy, Registration, SessionSettings, SigningAlgorithm, TokenSettings,
};
use super::storage::{RetainPolicy, StorageSettings};
use crate::duration::Duration;
use crate::rules;
use crate::validation::{Checker, ValidationErrors};

/// The desired state of a Tenant: an OpenID Connect provider with its own users, pages and keys.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "vestibule.dev",
    version = "v1alpha1",
    kind = "Tenant",
    namespaced,
    status = "TenantStatus",
    shortname = "tn",
    category = "vestibule",
    doc = "An isolated identity realm: an OpenID Connect provider with its own users, hosted pages and signing keys.",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Issuer","type":"string","jsonPath":".spec.issuer"}"#,
    printcolumn = r#"{"name":"Replicas","type":"integer","jsonPath":".status.readyReplicas"}"#,
    printcolumn = r#"{"name":"Served","type":"integer","description":"Generation of the configuration every pod serves","jsonPath":".status.servedGeneration"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    validation = Rule::new("self.metadata.name.size() <= 59 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')")
        .message("metadata.name must be at most 59 characters of a-z, 0-9 and '-', start with a letter and not end with '-': it names the IdP's Service (<name>-idp)")
)]
#[x_kube(validation = Rule::new("self.replicas <= 1 || (has(self.database) && has(self.database.postgres))")
    .message("replicas > 1 needs database.postgres: the embedded database serves a single replica"))]
#[x_kube(validation = Rule::new("!has(self.autoscaling) || self.autoscaling.maxReplicas <= 1 || (has(self.database) && has(self.database.postgres))")
    .message("autoscaling.maxReplicas > 1 needs database.postgres: the embedded database serves a single replica"))]
#[x_kube(validation = Rule::new("!has(self.storage) || !has(self.database) || !has(self.database.postgres)")
    .message("storage applies to the embedded database only"))]
#[serde(rename_all = "camelCase")]
pub struct TenantSpec {
    /// Public issuer URL of this tenant, for example `https://id.example.com`. https is required
    /// unless the host is localhost or 127.0.0.1. Tokens carry it as `iss`; changing it
    /// invalidates every token issued before.
    #[x_kube(validation = Rule::new(
        "self.startsWith('https://') || self.matches('^http://(localhost|127\\\\.0\\\\.0\\\\.1)(:[0-9]+)?(/.*)?$')"
    ).message("issuer must use https unless the host is localhost or 127.0.0.1"))]
    pub issuer: String,

    /// Name shown to customers on the hosted pages and in emails. Defaults to the Tenant's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,

    /// Number of IdP pods. More than one requires `database.postgres`. Default 1.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: i32,

    /// Scale the IdP pods with their CPU use: a HorizontalPodAutoscaler sets `replicas` through
    /// the Tenant's scale subresource (leave `replicas` out of the manifests a GitOps tool applies,
    /// or tell it to ignore the field). Omit to keep `replicas` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,

    /// Where the IdP keeps users, sessions and tokens. Default: an embedded SQLite database on a
    /// PersistentVolumeClaim (single replica).
    #[serde(default)]
    pub database: Database,

    /// What becomes of the embedded database's volume. Only with the embedded database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSettings>,

    /// Look of the hosted pages and emails.
    #[serde(default)]
    pub branding: Branding,

    /// Self-service registration and progressive profiling.
    #[serde(default)]
    pub registration: Registration,

    /// Rules new passwords must follow.
    #[serde(default)]
    pub password_policy: PasswordPolicy,

    /// Lifetimes of customers' sign-in sessions.
    #[serde(default)]
    pub sessions: SessionSettings,

    /// Lifetimes of codes and tokens, and refresh-token rotation.
    #[serde(default)]
    pub tokens: TokenSettings,

    /// Algorithms and rotation of the keys that sign tokens. The operator generates and rotates
    /// the keys; they never leave the cluster.
    #[serde(default)]
    pub signing_keys: SigningKeySettings,

    /// Outgoing email (verification and recovery). Without it, emails are written to the IdP's
    /// log, which suits development only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,

    /// Defences against credential stuffing and brute force.
    #[serde(default)]
    pub attack_protection: AttackProtection,

    /// Namespaces whose Clients, SocialProviders and policies may attach to this Tenant, besides
    /// the Tenant's own namespace. `"*"` admits every namespace. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_namespaces: Vec<String>,

    /// An Ingress for the issuer host. Omit to expose the Service some other way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSettings>,

    /// Compute resources of the IdP container. Default: requests of 50m CPU and 64Mi memory, a
    /// memory limit of 256Mi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Node labels the IdP pods must run on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,

    /// Tolerations of the IdP pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,

    /// What the IdP pods get besides the operator's settings: affinity, topology spread, priority
    /// class, image pull secrets, annotations and labels, extra environment and read-only files,
    /// the termination grace period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodSettings>,

    /// IdP container image. Default: the image matching the operator's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

fn default_replicas() -> i32 {
    1
}

/// Where the IdP stores its data: `embedded` or `postgres`, not both. Empty means embedded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("!(has(self.embedded) && has(self.postgres))")
    .message("set either database.embedded or database.postgres, not both"))]
#[serde(rename_all = "camelCase")]
pub struct Database {
    /// An SQLite database on a PersistentVolumeClaim: no moving parts, one replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<EmbeddedDatabase>,
    /// A PostgreSQL database shared by all replicas: high availability and horizontal scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresDatabase>,
}

impl Default for Database {
    fn default() -> Self {
        Self {
            embedded: Some(EmbeddedDatabase::default()),
            postgres: None,
        }
    }
}

/// The embedded SQLite database's volume.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedDatabase {
    /// Size of the PersistentVolumeClaim. Default `1Gi`.
    #[serde(default = "default_storage_size")]
    pub storage_size: String,
    /// StorageClass of the claim. Default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

impl Default for EmbeddedDatabase {
    fn default() -> Self {
        Self {
            storage_size: default_storage_size(),
            storage_class_name: None,
        }
    }
}

fn default_storage_size() -> String {
    "1Gi".into()
}

/// A PostgreSQL database.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostgresDatabase {
    /// Secret key holding the connection URL (`postgres://user:password@host/db?sslmode=require`).
    pub url_secret_ref: SecretKeyRef,
}

/// Which database a Tenant uses, once defaults are resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DatabaseChoice<'a> {
    /// SQLite on a PersistentVolumeClaim.
    Embedded(&'a EmbeddedDatabase),
    /// PostgreSQL from a Secret.
    Postgres(&'a PostgresDatabase),
}

impl Database {
    /// The chosen backend; an empty `database` means embedded with defaults.
    pub fn choice(&self) -> DatabaseChoice<'_> {
        static DEFAULT_EMBEDDED: std::sync::LazyLock<EmbeddedDatabase> =
            std::sync::LazyLock::new(EmbeddedDatabase::default);
        match (&self.postgres, &self.embedded) {
            (Some(postgres), _) => DatabaseChoice::Postgres(postgres),
            (None, Some(embedded)) => DatabaseChoice::Embedded(embedded),
            (None, None) => DatabaseChoice::Embedded(&DEFAULT_EMBEDDED),
        }
    }
}

/// How the signing keys are made and rotated.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeySettings {
    /// Algorithms to keep a key for. Must include `RS256` (OIDC Core 15.1). The first one signs
    /// access tokens; ID tokens use each Client's `idTokenSignedResponseAlg`. Default `[RS256]`.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<SigningAlgorithm>,
    /// How long a key signs before the next one takes over. The next key is published in the
    /// JWKS a quarter of this interval (at most 1h) before it signs; a retired key stays
    /// published until every token it signed has expired. Default `720h`, at least `1m`.
    #[serde(default = "default_rotation_interval")]
    pub rotation_interval: Duration,
}

impl Default for SigningKeySettings {
    fn default() -> Self {
        Self {
            algorithms: default_algorithms(),
            rotation_interval: default_rotation_interval(),
        }
    }
}

fn default_algorithms() -> Vec<SigningAlgorithm> {
    vec![SigningAlgorithm::Rs256]
}

fn default_rotation_interval() -> Duration {
    Duration::from_hours(720)
}

/// Outgoing email.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettings {
    /// Sender address, for example `no-reply@example.com`.
    pub from: String,
    /// Reply-To address, for example the support mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The SMTP server that relays the mail.
    pub smtp: SmtpSettings,
}

/// An SMTP relay.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmtpSettings {
    /// Host name of the server.
    pub host: String,
    /// Port. Default 587.
    #[serde(default = "default_smtp_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// Transport security. Default `starttls`.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// User name for SMTP authentication. Omit for an unauthenticated relay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Secret key holding the SMTP password. Required with `username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
}

fn default_smtp_port() -> u16 {
    587
}

/// How the SMTP connection is secured.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SmtpSecurity {
    /// Upgrade a plain connection with STARTTLS; refuse to send if the server cannot.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption. Only for a relay on the same host or in tests.
    None,
}

/// An Ingress for the issuer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressSettings {
    /// IngressClass to use. Default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Secret with the TLS certificate for the issuer host. Omit when TLS ends elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_secret_name: Option<String>,
    /// Annotations for the Ingress, for example for cert-manager.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// What the operator observed of a Tenant.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantStatus {
    /// Conditions and the generation they describe.
    #[serde(flatten)]
    pub common: CommonStatus,
    /// The issuer being served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The OpenID Connect discovery document's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_url: Option<String>,
    /// The IdP image of the Deployment: the image running, or the one it rolls to. A changed
    /// default image of the operator replaces it at the pace of `--max-concurrent-rollouts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A newer default image of the operator that waits for a rollout slot (see `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_image: Option<String>,
    /// IdP pods the Deployment has (the scale subresource's `status.replicas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The label selector of the IdP pods, for the scale subresource and autoscalers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// IdP pods that are ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// Generation of the rendered configuration; `Ready` means every pod serves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_generation: Option<i64>,
    /// Generation of the configuration every ready pod serves: it follows `configGeneration` once
    /// a rollout of the configuration is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_generation: Option<i64>,
    /// Clients attached to this Tenant and served by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<i32>,
    /// Signing keys published in the JWKS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<SigningKeyStatus>,
    /// The `vestibule.dev/regenerate-keys` annotation value already acted on: each new value
    /// replaces lost signing keys once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_regenerated_for: Option<String>,
}

/// One signing key as the status reports it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyStatus {
    /// Key id (`kid`).
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlgorithm,
    /// `next` (published, not signing yet), `active` (signing) or `retired` (published until
    /// the tokens it signed expire).
    pub state: crate::keys::KeyState,
}

impl TenantSpec {
    /// Checks every rule of the schema, including those older API servers do not enforce.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        checker.merge_reason(rules::issuer(&self.issuer), "spec.issuer");
        if let Some(name) = &self.display_name {
            checker.require(!name.trim().is_empty(), "spec.displayName", "must not be blank");
        }
        checker.require(
            (1..=100).contains(&self.replicas),
            "spec.replicas",
            "must be between 1 and 100",
        );
        self.check_database(&mut checker);
        if let Some(autoscaling) = &self.autoscaling {
            autoscaling.check(&mut checker, "spec.autoscaling");
            checker.require(
                autoscaling.max_replicas <= 1 || matches!(self.database.choice(), DatabaseChoice::Postgres(_)),
                "spec.autoscaling.maxReplicas",
                "more than 1 needs database.postgres: the embedded database serves a single replica",
            );
        }
        checker.require(
            self.storage.is_none() || matches!(self.database.choice(), DatabaseChoice::Embedded(_)),
            "spec.storage",
            "applies to the embedded database only",
        );
        checker.merge(self.branding.validate("spec.branding"));
        checker.merge(self.registration.validate("spec.registration"));
        checker.merge(self.password_policy.validate("spec.passwordPolicy"));
        checker.merge(self.sessions.validate("spec.sessions"));
        checker.merge(self.tokens.validate("spec.tokens"));
        self.signing_keys.check(&mut checker);
        if let Some(email) = &self.email {
            email.check(&mut checker);
        }
        checker.merge(self.attack_protection.validate("spec.attackProtection"));
        self.attack_protection
            .breached_passwords
            .check_on_tenant(&mut checker, "spec.attackProtection.breachedPasswords");
        if let Some(captcha) = &self.attack_protection.challenge.captcha {
            captcha.check_on_tenant(&mut checker, "spec.attackProtection.challenge.captcha");
        }
        if let Some(pod) = &self.pod {
            pod.check(&mut checker, "spec.pod");
        }
        for (index, namespace) in self.allowed_namespaces.iter().enumerate() {
            if namespace != "*" {
                checker.merge_reason(rules::dns_label(namespace), format!("spec.allowedNamespaces[{index}]"));
            }
        }
        checker.finish()
    }

    fn check_database(&self, checker: &mut Checker) {
        let both = self.database.embedded.is_some() && self.database.postgres.is_some();
        checker.require(!both, "spec.database", "set either embedded or postgres, not both");
        match self.database.choice() {
            DatabaseChoice::Postgres(postgres) => postgres
                .url_secret_ref
                .check(checker, "spec.database.postgres.urlSecretRef"),
            DatabaseChoice::Embedded(_) => checker.require(
                self.replicas <= 1,
                "spec.replicas",
                "replicas > 1 needs database.postgres: the embedded database serves a single replica",
            ),
        }
    }

    /// What becomes of the embedded database's volume when the Tenant is deleted.
    pub fn retain_policy(&self) -> RetainPolicy {
        self.storage
            .as_ref()
            .map_or_else(RetainPolicy::default, |storage| storage.retain_policy)
    }

    /// Whether an object in `namespace` may attach to this Tenant, which lives in `own_namespace`.
    pub fn admits_namespace(&self, own_namespace: &str, namespace: &str) -> bool {
        namespace == own_namespace
            || self
                .allowed_namespaces
                .iter()
                .any(|allowed| allowed == "*" || allowed == namespace)
    }
}

impl SigningKeySettings {
    fn check(&self, checker: &mut Checker) {
        let path = "spec.signingKeys";
        checker.require(
            self.algorithms.contains(&SigningAlgorithm::Rs256),
            format!("{path}.algorithms"),
            "must include RS256 (OIDC Core 15.1)",
        );
        let mut seen = self.algorithms.clone();
        seen.sort();
        seen.dedup();
        checker.require(
            seen.len() == self.algorithms.len(),
            format!("{path}.algorithms"),
            "must not repeat an algorithm",
        );
        checker.require(
            self.rotation_interval >= Duration::from_mins(1),
            format!("{path}.rotationInterval"),
            "must be at least 1m",
        );
    }

    /// How long before signing a new key is published: a quarter of the interval, at most 1h.
    pub fn publication_lead(&self) -> Duration {
        Duration::from_secs((self.rotation_interval.as_secs() / 4).min(3600))
    }
}

impl EmailSettings {
    fn check(&self, checker: &mut Checker) {
        checker.merge_reason(rules::email_address(&self.from), "spec.email.from");
        if let Some(reply_to) = &self.reply_to {
            checker.merge_reason(rules::email_address(reply_to), "spec.email.replyTo");
        }
        checker.require(
            !self.smtp.host.trim().is_empty(),
            "spec.email.smtp.host",
            "must not be empty",
        );
        checker.require(
            self.smtp.port > 0,
            "spec.email.smtp.port",
            "must be between 1 and 65535",
        );
        checker.require(
            self.smtp.username.is_some() == self.smtp.password_secret_ref.is_some(),
            "spec.email.smtp.passwordSecretRef",
            "username and passwordSecretRef go together",
        );
        if let Some(reference) = &self.smtp.password_secret_ref {
            reference.check(checker, "spec.email.smtp.passwordSecretRef");
        }
    }
}
