//! Breached-password detection settings: a k-anonymity range check against a Pwned Passwords
//! compatible API, and a local corpus for clusters without egress.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::settings::yes;
use super::social_provider::{UPSTREAM_URL_MESSAGE, UPSTREAM_URL_RULE};
use crate::rules;
use crate::validation::Checker;

/// The public Pwned Passwords service.
pub const DEFAULT_RANGE_API: &str = "https://api.pwnedpasswords.com";
/// The longest range API URL.
const MAX_URL_LENGTH: usize = 1024;
/// The longest corpus path inside its volume.
const MAX_PATH_LENGTH: usize = 1024;
/// Where the operator mounts a Tenant's corpus volume in the IdP pods (read-only).
pub const CORPUS_MOUNT_DIR: &str = "/var/lib/vestibule-breached";

/// Refusing passwords known from data breaches (NIST SP 800-63B 5.1.1.2), at registration,
/// password change and reset, and (with `atSignIn`) flagging accounts that sign in with one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreachedPasswords {
    /// Whether new passwords are checked against the breach sources below. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether the password of each sign-in is checked too: an account whose password turns out
    /// breached is emailed and must choose a new password before its sign-in finishes. Default
    /// true.
    #[serde(default = "yes")]
    pub at_sign_in: bool,
    /// A Pwned Passwords compatible range API: only the first 5 hex digits of the password's
    /// SHA-1 leave the IdP (k-anonymity).
    #[serde(default)]
    pub range_api: RangeApi,
    /// A corpus of breached hashes on a volume, for clusters without egress (a filter file built
    /// with `vestibule-idp breached-filter`). Checked before the range API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_corpus: Option<LocalCorpus>,
}

impl Default for BreachedPasswords {
    fn default() -> Self {
        Self {
            enabled: true,
            at_sign_in: true,
            range_api: RangeApi::default(),
            local_corpus: None,
        }
    }
}

/// The range API (`GET {baseUrl}/range/{first 5 hex digits of SHA-1}`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RangeApi {
    /// Whether the range API is asked. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The service's URL, without a trailing `/` (https; http only on localhost, 127.0.0.1 or
    /// [::1]). Default `https://api.pwnedpasswords.com`.
    #[serde(default = "default_range_api")]
    #[schemars(length(max = MAX_URL_LENGTH))]
    #[x_kube(validation = Rule::new(UPSTREAM_URL_RULE).message(UPSTREAM_URL_MESSAGE))]
    #[x_kube(validation = Rule::new("!self.contains('?') && !self.contains('#') && !self.contains('@') && !self.endsWith('/')").message("must not have a query, a fragment, credentials or a trailing '/'"))]
    pub base_url: String,
    /// Seconds to wait for an answer, 1 to 10. Default 2.
    #[serde(default = "default_timeout_seconds")]
    #[schemars(range(min = 1, max = 10))]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 10").message("must be between 1 and 10"))]
    pub timeout_seconds: u32,
    /// What happens when the service cannot answer in time: `open` accepts the password (and
    /// logs and counts the failure), `closed` refuses it until the service is back. Default
    /// `open`.
    #[serde(default)]
    pub fail_mode: FailMode,
}

impl Default for RangeApi {
    fn default() -> Self {
        Self {
            enabled: true,
            base_url: default_range_api(),
            timeout_seconds: default_timeout_seconds(),
            fail_mode: FailMode::Open,
        }
    }
}

fn default_range_api() -> String {
    DEFAULT_RANGE_API.into()
}

fn default_timeout_seconds() -> u32 {
    2
}

/// What an unanswered breach check means.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Accept the password: an outage of the service must not stop customers.
    #[default]
    Open,
    /// Refuse the password, asking to try again later.
    Closed,
}

/// A filter file of breached SHA-1 hashes. On a Tenant: a PersistentVolumeClaim that the
/// operator mounts read-only into the IdP pods, and the file's path inside it. In a
/// standalone IdP's config: the file's absolute path, without a claim.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.persistentVolumeClaim)").message("persistentVolumeClaim is required on a Tenant: the operator mounts this claim into the IdP pods"))]
#[x_kube(validation = Rule::new("!self.path.startsWith('/')").message("path must be relative to the claim's root"))]
#[serde(rename_all = "camelCase")]
pub struct LocalCorpus {
    /// The PersistentVolumeClaim holding the file, in the Tenant's namespace (required on a
    /// Tenant; absent in a standalone config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')").message("must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.')"))]
    pub persistent_volume_claim: Option<String>,
    /// The file: relative to the claim's root on a Tenant (no `..`), absolute in a standalone
    /// config.
    #[schemars(length(min = 1, max = MAX_PATH_LENGTH))]
    #[x_kube(validation = Rule::new("self.size() >= 1").message("must not be empty"))]
    #[x_kube(validation = Rule::new("!self.matches('(^|/)[.][.](/|$)')").message("must not contain '..'"))]
    pub path: String,
}

impl BreachedPasswords {
    /// Checks the range API; the corpus is checked where it appears (Tenant or config).
    pub(crate) fn check(&self, checker: &mut Checker, path: &str) {
        let api = &self.range_api;
        checker.merge_reason(base_url(&api.base_url), format!("{path}.rangeApi.baseUrl"));
        checker.require(
            (1..=10).contains(&api.timeout_seconds),
            format!("{path}.rangeApi.timeoutSeconds"),
            "must be between 1 and 10",
        );
        if let Some(corpus) = &self.local_corpus {
            checker.require(
                !corpus.path.is_empty() && corpus.path.len() <= MAX_PATH_LENGTH,
                format!("{path}.localCorpus.path"),
                format!("must be 1 to {MAX_PATH_LENGTH} characters"),
            );
            checker.require(
                !corpus.path.split('/').any(|segment| segment == ".."),
                format!("{path}.localCorpus.path"),
                "must not contain '..'",
            );
        }
    }

    /// On a Tenant: the corpus names its claim and a path inside it.
    pub(crate) fn check_on_tenant(&self, checker: &mut Checker, path: &str) {
        let Some(corpus) = &self.local_corpus else { return };
        match &corpus.persistent_volume_claim {
            Some(claim) => checker.merge_reason(
                rules::dns_subdomain(claim),
                format!("{path}.localCorpus.persistentVolumeClaim"),
            ),
            None => checker.fail(
                format!("{path}.localCorpus.persistentVolumeClaim"),
                "is required on a Tenant: the operator mounts this claim into the IdP pods",
            ),
        }
        checker.require(
            !corpus.path.starts_with('/'),
            format!("{path}.localCorpus.path"),
            "must be relative to the claim's root",
        );
    }

    /// In a config the IdP reads: the corpus is a file of its own file system.
    pub(crate) fn check_in_config(&self, checker: &mut Checker, path: &str) {
        let Some(corpus) = &self.local_corpus else { return };
        checker.require(
            corpus.persistent_volume_claim.is_none(),
            format!("{path}.localCorpus.persistentVolumeClaim"),
            "is for Tenants only: the IdP reads the file at path",
        );
        checker.require(
            corpus.path.starts_with('/'),
            format!("{path}.localCorpus.path"),
            "must be absolute",
        );
    }
}

/// The range API's URL: [`rules::web_url`] without a query, fragment, credentials or trailing
/// slash (the IdP appends `/range/PREFIX`).
fn base_url(value: &str) -> Result<(), String> {
    let url = rules::web_url(value)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or a fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    if value.ends_with('/') {
        return Err("must not end with '/'".into());
    }
    if value.len() > MAX_URL_LENGTH {
        return Err(format!("must be at most {MAX_URL_LENGTH} characters"));
    }
    Ok(())
}
