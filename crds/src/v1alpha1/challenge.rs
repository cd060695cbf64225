//! Challenged mode against credential stuffing and password spraying: an address whose failed
//! sign-ins (or distinct accounts tried) pass the thresholds, or every untrusted browser while the
//! tenant's failure ratio is far above its usual one, must solve a proof-of-work challenge (or the
//! tenant's CAPTCHA) before any password it sends is hashed.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::settings::yes;
use crate::duration::Duration;
use crate::validation::Checker;

/// The hardest proof of work we ask: 2^24 hashes take a phone tens of seconds.
const MAX_DIFFICULTY: u32 = 24;
/// The easiest that still costs something: 2^8 hashes.
const MIN_DIFFICULTY: u32 = 8;

/// When a client address (an IPv4 address or an IPv6 /64) is challenged, and how hard the
/// challenge is. Sign-ins from a browser trusted by the account (a trusted-device token) are
/// never challenged.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// Whether addresses are challenged. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Failed sign-ins from one address within `window` after which its sign-ins must solve a
    /// challenge, 1 to 1000. Default 5.
    #[serde(default = "default_failures_per_address")]
    #[schemars(range(min = 1, max = 1000))]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 1000").message("must be between 1 and 1000"))]
    pub failures_per_address: u32,
    /// Distinct accounts (known or not) that failed to sign in from one address within `window`
    /// after which its sign-ins must solve a challenge, 1 to 1000. Default 3.
    #[serde(default = "default_accounts_per_address")]
    #[schemars(range(min = 1, max = 1000))]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 1000").message("must be between 1 and 1000"))]
    pub accounts_per_address: u32,
    /// How long a failure counts: an address stays challenged until `window` after its last
    /// failure, between 1m and 1d. Default `15m`.
    #[serde(default = "default_window")]
    pub window: Duration,
    /// The leading zero bits of SHA-256(challenge || counter) the browser must find, 8 to 24:
    /// each bit doubles the work (2^16 hashes take a browser about a second). Default 16.
    #[serde(default = "default_difficulty")]
    #[schemars(range(min = 8, max = 24))]
    #[x_kube(validation = Rule::new("self >= 8 && self <= 24").message("must be between 8 and 24"))]
    pub difficulty: u32,
    /// Failed sign-ins across the tenant within the last five minutes from which the whole tenant
    /// may be challenged (when `tenantRatioFactor` also holds), 10 to 1,000,000. Default 100.
    #[serde(default = "default_tenant_failures")]
    #[schemars(range(min = 10, max = 1_000_000))]
    #[x_kube(validation = Rule::new("self >= 10 && self <= 1000000").message("must be between 10 and 1000000"))]
    pub tenant_failures: u32,
    /// How many times its usual failure ratio (failures per sign-in over the hour before, at
    /// least 10 %) the tenant's failure ratio of the last five minutes must be for every sign-in
    /// from an untrusted browser to be challenged: a wave of stuffing from many addresses, each
    /// below the per-address thresholds. 2 to 100. Default 3.
    #[serde(default = "default_tenant_ratio_factor")]
    #[schemars(range(min = 2, max = 100))]
    #[x_kube(validation = Rule::new("self >= 2 && self <= 100").message("must be between 2 and 100"))]
    pub tenant_ratio_factor: u32,
    /// A CAPTCHA (hCaptcha, Turnstile or reCAPTCHA v2) challenged sign-ins solve instead of the
    /// proof of work; verified with the provider before any password is hashed, and refused
    /// while the provider does not answer. Absent: the proof of work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha: Option<super::Captcha>,
}

impl Default for Challenge {
    fn default() -> Self {
        Self {
            enabled: true,
            failures_per_address: default_failures_per_address(),
            accounts_per_address: default_accounts_per_address(),
            window: default_window(),
            difficulty: default_difficulty(),
            tenant_failures: default_tenant_failures(),
            tenant_ratio_factor: default_tenant_ratio_factor(),
            captcha: None,
        }
    }
}

impl Challenge {
    /// Checks the bounds the CRD's rules check, for configs that did not pass the API server.
    pub(crate) fn check(&self, checker: &mut Checker, path: &str) {
        for (field, value) in [
            ("failuresPerAddress", self.failures_per_address),
            ("accountsPerAddress", self.accounts_per_address),
        ] {
            checker.require(
                (1..=1000).contains(&value),
                format!("{path}.{field}"),
                "must be between 1 and 1000",
            );
        }
        checker.require(
            self.window >= Duration::from_mins(1) && self.window <= Duration::from_hours(24),
            format!("{path}.window"),
            "must be between 1m and 1d",
        );
        checker.require(
            (MIN_DIFFICULTY..=MAX_DIFFICULTY).contains(&self.difficulty),
            format!("{path}.difficulty"),
            "must be between 8 and 24",
        );
        checker.require(
            (10..=1_000_000).contains(&self.tenant_failures),
            format!("{path}.tenantFailures"),
            "must be between 10 and 1000000",
        );
        checker.require(
            (2..=100).contains(&self.tenant_ratio_factor),
            format!("{path}.tenantRatioFactor"),
            "must be between 2 and 100",
        );
        if let Some(captcha) = &self.captcha {
            captcha.check(checker, &format!("{path}.captcha"));
        }
    }
}

fn default_failures_per_address() -> u32 {
    5
}

fn default_accounts_per_address() -> u32 {
    3
}

fn default_window() -> Duration {
    Duration::from_mins(15)
}

fn default_difficulty() -> u32 {
    16
}

fn default_tenant_failures() -> u32 {
    100
}

fn default_tenant_ratio_factor() -> u32 {
    3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_on_and_in_bounds() {
        let challenge: Challenge = serde_json::from_str("{}").unwrap();
        assert_eq!(challenge, Challenge::default());
        assert!(challenge.enabled);
        let mut checker = Checker::default();
        challenge.check(&mut checker, "challenge");
        assert!(checker.finish().is_ok());
    }

    #[test]
    fn out_of_bounds_fields_are_named() {
        let challenge = Challenge {
            failures_per_address: 0,
            window: Duration::from_secs(30),
            difficulty: 30,
            tenant_ratio_factor: 1,
            ..Challenge::default()
        };
        let mut checker = Checker::default();
        challenge.check(&mut checker, "spec.attackProtection.challenge");
        let message = checker.finish().unwrap_err().to_string();
        for field in ["failuresPerAddress", "window", "difficulty", "tenantRatioFactor"] {
            assert!(
                message.contains(&format!("spec.attackProtection.challenge.{field}")),
                "{message}"
            );
        }
        assert!(!message.contains("accountsPerAddress"), "{message}");
    }
}
