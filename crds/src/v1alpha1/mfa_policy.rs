//! `MfaPolicy`: which second factors exist and when they are demanded.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AttachedStatus, TenantRef};
use super::settings::has_duplicates;
use crate::duration::Duration;
use crate::validation::{Checker, ValidationErrors};

/// The desired state of an MfaPolicy: strong authentication for a Tenant's customers.
#[derive(CustomResource, JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "vestibule.dev",
    version = "v1alpha1",
    kind = "MfaPolicy",
    namespaced,
    status = "AttachedStatus",
    shortname = "mfa",
    category = "vestibule",
    doc = "Multi-factor authentication for a Tenant: factors, when they are required, and passkeys.",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Tenant","type":"string","jsonPath":".spec.tenantRef.name"}"#,
    printcolumn = r#"{"name":"Enforcement","type":"string","jsonPath":".spec.enforcement"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct MfaPolicySpec {
    /// The Tenant this policy applies to.
    pub tenant_ref: TenantRef,
    /// Second factors customers may enrol.
    pub factors: Vec<Factor>,
    /// `optional`: customers choose. `required`: every sign-in. `adaptive`: when the risk
    /// score crosses `adaptive.stepUpThreshold`. Default `optional`.
    #[serde(default)]
    pub enforcement: Enforcement,
    /// Risk scoring for `adaptive` enforcement.
    #[serde(default)]
    pub adaptive: AdaptiveSettings,
    /// Skip the second factor on a device the customer marked as trusted.
    #[serde(default)]
    pub remember_device: RememberDevice,
    /// Passkeys (WebAuthn).
    #[serde(default)]
    pub passkeys: Passkeys,
    /// Limit the policy to these Clients (`client_id`s). Default: every Client of the Tenant.
    #[serde(default)]
    pub applies_to: AppliesTo,
}

/// A second factor.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Factor {
    /// Time-based one-time passwords from an authenticator app (RFC 6238).
    Totp,
    /// Security keys and platform authenticators (WebAuthn).
    Webauthn,
    /// Single-use recovery codes, for when the other factors are lost.
    RecoveryCodes,
    /// A one-time code sent by email.
    EmailOtp,
}

/// When the second factor is demanded.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Enforcement {
    /// Customers choose whether to enrol.
    #[default]
    Optional,
    /// Every sign-in.
    Required,
    /// When the sign-in looks risky.
    Adaptive,
}

/// Risk scoring: each signal adds its weight; the sum (0-100) is compared with thresholds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdaptiveSettings {
    /// Score from which a second factor is demanded. Default 40.
    #[serde(default = "default_step_up")]
    #[schemars(range(max = 100))]
    pub step_up_threshold: u32,
    /// Score from which the sign-in is refused. Default 90.
    #[serde(default = "default_deny")]
    #[schemars(range(max = 100))]
    pub deny_threshold: u32,
    /// Weight of a device never seen for this account. Default 30.
    #[serde(default = "default_new_device")]
    pub new_device_weight: u32,
    /// Weight of a network never seen for this account. Default 20.
    #[serde(default = "default_new_network")]
    pub new_network_weight: u32,
    /// Weight of recent failed attempts on the account. Default 30.
    #[serde(default = "default_failures")]
    pub recent_failures_weight: u32,
}

impl Default for AdaptiveSettings {
    fn default() -> Self {
        Self {
            step_up_threshold: default_step_up(),
            deny_threshold: default_deny(),
            new_device_weight: default_new_device(),
            new_network_weight: default_new_network(),
            recent_failures_weight: default_failures(),
        }
    }
}

fn default_step_up() -> u32 {
    40
}
fn default_deny() -> u32 {
    90
}
fn default_new_device() -> u32 {
    30
}
fn default_new_network() -> u32 {
    20
}
fn default_failures() -> u32 {
    30
}

/// Trusted devices.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RememberDevice {
    /// Whether customers may mark a device as trusted. Default false.
    #[serde(default)]
    pub enabled: bool,
    /// How long a device stays trusted. Default `720h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
}

/// Passkey settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Passkeys {
    /// Allow signing in with a passkey alone, without a password. Needs the `webauthn` factor.
    #[serde(default)]
    pub passwordless: bool,
    /// Whether authenticators must verify the user (PIN, biometrics). Default `preferred`.
    #[serde(default)]
    pub user_verification: UserVerification,
}

/// WebAuthn user verification requirement.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum UserVerification {
    /// Always.
    Required,
    /// When the authenticator can.
    #[default]
    Preferred,
    /// Never asked.
    Discouraged,
}

/// Scope of a policy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliesTo {
    /// `client_id`s the policy applies to. Empty: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
}

impl MfaPolicySpec {
    /// Checks factors, thresholds and passkey prerequisites.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut checker = Checker::default();
        self.tenant_ref.check(&mut checker, "spec.tenantRef");
        checker.require(
            !self.factors.is_empty(),
            "spec.factors",
            "must list at least one factor",
        );
        checker.require(
            !has_duplicates(&self.factors),
            "spec.factors",
            "must not repeat a factor",
        );
        checker.require(
            self.factors.iter().any(|factor| *factor != Factor::RecoveryCodes),
            "spec.factors",
            "recoveryCodes only back up another factor",
        );
        let adaptive = &self.adaptive;
        checker.require(
            adaptive.deny_threshold <= 100,
            "spec.adaptive.denyThreshold",
            "must be at most 100",
        );
        checker.require(
            adaptive.step_up_threshold < adaptive.deny_threshold,
            "spec.adaptive.stepUpThreshold",
            "must be below denyThreshold",
        );
        checker.require(
            !self.passkeys.passwordless || self.factors.contains(&Factor::Webauthn),
            "spec.passkeys.passwordless",
            "needs the webauthn factor",
        );
        checker.finish()
    }
}
