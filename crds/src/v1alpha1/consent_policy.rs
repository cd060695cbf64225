//! `ConsentPolicy`: what customers agree to, under which law, and for how long data is kept.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AttachedStatus, TenantRef};
use super::settings::LocalizedText;
use crate::duration::Duration;
use crate::rules;
use crate::validation::{Checker, ValidationErrors};

/// The desired state of a ConsentPolicy: documents, purposes and retention of one Tenant.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "vestibule.dev",
    version = "v1alpha1",
    kind = "ConsentPolicy",
    namespaced,
    status = "AttachedStatus",
    shortname = "cp",
    category = "vestibule",
    doc = "What customers of a Tenant agree to: documents, processing purposes, the law that applies and data retention.",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Tenant","type":"string","jsonPath":".spec.tenantRef.name"}"#,
    printcolumn = r#"{"name":"Version","type":"string","jsonPath":".spec.version"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ConsentPolicySpec {
    /// The Tenant this policy applies to.
    pub tenant_ref: TenantRef,
    /// Version of the policy, recorded with every consent, for example `2026-11`.
    #[schemars(length(max = 64), pattern(r"\S"))]
    pub version: String,
    /// The documents customers accept.
    #[serde(default)]
    pub documents: ConsentDocuments,
    /// Processing purposes customers are asked about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_PURPOSES))]
    #[x_kube(validation = Rule::new("self.all(p, self.exists_one(q, q.id == p.id))").message("purpose ids must be unique"))]
    pub purposes: Vec<Purpose>,
    /// `gdpr`: purposes are off until the customer opts in. `ccpa`: on until they opt out.
    #[serde(default)]
    pub jurisdiction: Jurisdiction,
    /// When customers are asked again.
    #[serde(default)]
    pub reconsent: Reconsent,
    /// How long data is kept.
    #[serde(default)]
    pub data_retention: DataRetention,
}

/// Links to the legal documents.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentDocuments {
    /// Privacy policy URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<String>,
    /// Terms of service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

/// The most purposes a ConsentPolicy lists.
pub const MAX_PURPOSES: usize = 50;

/// A processing purpose.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("!self.required || self.legalBasis != 'consent'")
    .message("a purpose based on consent cannot be required: consent must be freely given (GDPR Art. 7(4))"))]
#[serde(rename_all = "camelCase")]
pub struct Purpose {
    /// Stable identifier, recorded with each consent, for example `marketing-email`.
    #[schemars(length(min = 1, max = 63), pattern(crate::rules::DNS_LABEL_PATTERN))]
    pub id: String,
    /// Title by language tag, for example `{en: Newsletter, de: Newsletter}`. English (`en`),
    /// the fallback language, is required.
    #[x_kube(validation = Rule::new("'en' in self").message("must have an English (en) title, the fallback language"))]
    pub title: LocalizedText,
    /// Description by language tag.
    #[serde(default)]
    pub description: LocalizedText,
    /// Whether the service cannot be used without it (the customer cannot decline).
    #[serde(default)]
    pub required: bool,
    /// The GDPR Article 6 basis for the processing.
    pub legal_basis: LegalBasis,
    /// How long data processed for this purpose is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Duration>,
}

/// GDPR Article 6(1) legal bases.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum LegalBasis {
    /// (a) consent.
    Consent,
    /// (b) performance of a contract.
    Contract,
    /// (c) legal obligation.
    LegalObligation,
    /// (d) vital interests.
    VitalInterests,
    /// (e) public task.
    PublicTask,
    /// (f) legitimate interests.
    LegitimateInterests,
}

/// The privacy law whose defaults apply.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Jurisdiction {
    /// Opt-in: nothing optional is on until the customer agrees.
    #[default]
    Gdpr,
    /// Opt-out: optional purposes are on until the customer declines ("Do Not Sell or Share").
    Ccpa,
}

/// When consent is asked again.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reconsent {
    /// Ask again when `version` changes. Default true.
    #[serde(default = "super::settings::yes")]
    pub on_version_change: bool,
    /// Ask again this long after the last answer, for example `8760h`. Default: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
}

impl Default for Reconsent {
    fn default() -> Self {
        Self {
            on_version_change: true,
            after: None,
        }
    }
}

/// Data retention.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.inactiveAccountsWarning) || has(self.inactiveAccounts)")
    .message("inactiveAccountsWarning needs inactiveAccounts: it is the notice before an erasure for inactivity"))]
#[serde(rename_all = "camelCase")]
pub struct DataRetention {
    /// Erase accounts unused (no sign-in) for this long, for example `17520h` (two years). The
    /// customer is warned by email `inactiveAccountsWarning` before. Default: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_accounts: Option<Duration>,
    /// How long before the erasure of an unused account its customer is warned by email; a
    /// sign-in after the warning keeps the account. Must be shorter than `inactiveAccounts`.
    /// Default: `720h` (30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_accounts_warning: Option<Duration>,
    /// Keep audit log entries this long. Default: forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<Duration>,
}

/// The notice before an erasure for inactivity when `inactiveAccountsWarning` is not set.
pub const DEFAULT_INACTIVE_ACCOUNTS_WARNING: Duration = Duration::from_hours(30 * 24);

impl DataRetention {
    /// The notice given before an unused account is erased.
    pub fn warning(&self) -> Duration {
        self.inactive_accounts_warning
            .unwrap_or(DEFAULT_INACTIVE_ACCOUNTS_WARNING)
    }

    fn check(&self, checker: &mut Checker) {
        let path = "spec.dataRetention.inactiveAccountsWarning";
        match self.inactive_accounts {
            Some(inactive) => checker.require(
                self.warning() < inactive,
                path,
                format!(
                    "must be shorter than inactiveAccounts ({inactive}); the default is {DEFAULT_INACTIVE_ACCOUNTS_WARNING}"
                ),
            ),
            None => checker.require(
                self.inactive_accounts_warning.is_none(),
                path,
                "needs inactiveAccounts: it is the notice before an erasure for inactivity",
            ),
        }
    }
}

impl ConsentPolicySpec {
    /// Checks the version, documents and purposes.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        self.tenant_ref.check(&mut checker, "spec.tenantRef");
        checker.require(
            !self.version.trim().is_empty() && self.version.len() <= 64,
            "spec.version",
            "must be 1 to 64 characters, not all blank",
        );
        checker.require(
            self.purposes.len() <= MAX_PURPOSES,
            "spec.purposes",
            format!("must list at most {MAX_PURPOSES} purposes"),
        );
        for (field, url) in [("privacy", &self.documents.privacy), ("terms", &self.documents.terms)] {
            if let Some(url) = url {
                checker.merge_reason(rules::web_url(url), format!("spec.documents.{field}"));
            }
        }
        let mut ids = Vec::new();
        for (index, purpose) in self.purposes.iter().enumerate() {
            let path = format!("spec.purposes[{index}]");
            checker.merge_reason(rules::dns_label(&purpose.id), format!("{path}.id"));
            checker.require(!ids.contains(&&purpose.id), format!("{path}.id"), "must be unique");
            ids.push(&purpose.id);
            for (field, texts) in [("title", &purpose.title), ("description", &purpose.description)] {
                for (tag, text) in texts {
                    checker.require(
                        is_language_tag(tag),
                        format!("{path}.{field}"),
                        format!("{tag:?} is not a language tag such as en or de"),
                    );
                    checker.require(
                        !text.trim().is_empty(),
                        format!("{path}.{field}.{tag}"),
                        "must not be empty",
                    );
                }
            }
            checker.require(
                purpose.title.contains_key("en"),
                format!("{path}.title"),
                "must have an English (en) title, the fallback language",
            );
            checker.require(
                !(purpose.required && purpose.legal_basis == LegalBasis::Consent),
                format!("{path}.required"),
                "a purpose based on consent cannot be required: consent must be freely given (GDPR Art. 7(4))",
            );
        }
        self.data_retention.check(&mut checker);
        checker.finish()
    }
}

/// A BCP 47 language tag of the simple kind: `en`, `de`, `pt-BR`.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    let language_ok = (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    language_ok && parts.all(|part| (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric()))
}
