//! The MFA policy in force: the tenant's `mfaPolicies` combined into one [`Policy`] for a sign-in
//! at a client (the strictest of those that apply) or for the account page (all of them).

use std::collections::BTreeSet;

use vestibule_crds::config::{MfaPolicyConfig, TenantConfig};
pub use vestibule_crds::v1alpha1::{AdaptiveSettings, Enforcement, Factor, Passkeys, UserVerification};

/// How long a device stays trusted when the policy names no duration (`720h`).
const DEFAULT_REMEMBER_SECONDS: i64 = 720 * 3600;

/// The combined policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The factors customers may use (the union of the policies').
    pub factors: BTreeSet<Factor>,
    /// When the second factor is demanded (the strictest).
    pub enforcement: Enforcement,
    /// Risk scoring, meaningful under `adaptive` (the lowest thresholds, the highest weights).
    pub adaptive: AdaptiveSettings,
    /// How long, in seconds, a trusted device skips the second factor; `None`: devices are
    /// never trusted (unless every policy allows it).
    pub remember_device: Option<i64>,
    /// Passkeys (passwordless if any policy allows it, the strictest user verification).
    pub passkeys: Passkeys,
}

impl Policy {
    /// The policy for a sign-in at `client_id`: the strictest combination of the policies that
    /// apply to it. `None`: no second factor is asked or offered at this sign-in.
    pub fn for_client(config: &TenantConfig, client_id: &str) -> Option<Self> {
        let applicable = config.mfa_policies.iter().filter(|policy| {
            policy.applies_to.clients.is_empty() || policy.applies_to.clients.iter().any(|id| id == client_id)
        });
        Self::combine(applicable)
    }

    /// The policy for the account page: every policy of the tenant, so the page offers each
    /// factor some client accepts. `None`: the account page offers no second factor.
    pub fn for_account(config: &TenantConfig) -> Option<Self> {
        Self::combine(config.mfa_policies.iter())
    }

    /// Whether customers may use `factor`.
    pub fn allows(&self, factor: Factor) -> bool {
        self.factors.contains(&factor)
    }

    fn combine<'a>(policies: impl Iterator<Item = &'a MfaPolicyConfig>) -> Option<Self> {
        let mut combined: Option<Self> = None;
        for policy in policies {
            let next = Self::from_config(policy);
            combined = Some(match combined {
                None => next,
                Some(so_far) => so_far.stricter_with(next),
            });
        }
        combined
    }

    fn from_config(policy: &MfaPolicyConfig) -> Self {
        let remember_device = policy.remember_device.enabled.then(|| {
            policy.remember_device.duration.map_or(DEFAULT_REMEMBER_SECONDS, |d| {
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
            })
        });
        Self {
            factors: policy.factors.iter().copied().collect(),
            enforcement: policy.enforcement,
            adaptive: policy.adaptive.clone(),
            remember_device,
            passkeys: policy.passkeys.clone(),
        }
    }

    fn stricter_with(mut self, other: Self) -> Self {
        self.factors.extend(other.factors);
        self.adaptive = match (self.enforcement, other.enforcement) {
            (Enforcement::Adaptive, Enforcement::Adaptive) => strictest_scoring(&self.adaptive, &other.adaptive),
            (_, Enforcement::Adaptive) => other.adaptive,
            _ => self.adaptive,
        };
        if rank(other.enforcement) > rank(self.enforcement) {
            self.enforcement = other.enforcement;
        }
        // A device is trusted only if every policy trusts devices, and for the shortest time.
        self.remember_device = match (self.remember_device, other.remember_device) {
            (Some(mine), Some(theirs)) => Some(mine.min(theirs)),
            _ => None,
        };
        self.passkeys.passwordless |= other.passkeys.passwordless;
        if verification_rank(other.passkeys.user_verification) > verification_rank(self.passkeys.user_verification) {
            self.passkeys.user_verification = other.passkeys.user_verification;
        }
        self
    }
}

/// Strictness of an enforcement: required > adaptive > optional.
fn rank(enforcement: Enforcement) -> u8 {
    match enforcement {
        Enforcement::Optional => 0,
        Enforcement::Adaptive => 1,
        Enforcement::Required => 2,
    }
}

fn verification_rank(verification: UserVerification) -> u8 {
    match verification {
        UserVerification::Discouraged => 0,
        UserVerification::Preferred => 1,
        UserVerification::Required => 2,
    }
}

/// Two adaptive scorings as one that steps up whenever either would.
fn strictest_scoring(a: &AdaptiveSettings, b: &AdaptiveSettings) -> AdaptiveSettings {
    AdaptiveSettings {
        step_up_threshold: a.step_up_threshold.min(b.step_up_threshold),
        deny_threshold: a.deny_threshold.min(b.deny_threshold),
        new_device_weight: a.new_device_weight.max(b.new_device_weight),
        new_network_weight: a.new_network_weight.max(b.new_network_weight),
        recent_failures_weight: a.recent_failures_weight.max(b.recent_failures_weight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(policies: &str) -> TenantConfig {
        let text =
            format!("generation: 1\nissuer: https://id.example.com\ndisplayName: Shop\nmfaPolicies:\n{policies}");
        TenantConfig::from_yaml(&text).unwrap()
    }

    #[test]
    fn no_policy_means_no_second_factor() {
        let none =
            TenantConfig::from_yaml("generation: 1\nissuer: https://id.example.com\ndisplayName: Shop\n").unwrap();
        assert_eq!(Policy::for_client(&none, "web"), None);
        assert_eq!(Policy::for_account(&none), None);
    }

    #[test]
    fn policies_limited_to_other_clients_do_not_apply() {
        let config = config(
            "- {id: a.opt, factors: [totp]}\n\
             - {id: a.req, factors: [emailOtp], enforcement: required, appliesTo: {clients: [bank]}}\n",
        );
        let web = Policy::for_client(&config, "web").unwrap();
        assert_eq!(web.enforcement, Enforcement::Optional);
        assert!(web.allows(Factor::Totp) && !web.allows(Factor::EmailOtp));
        let bank = Policy::for_client(&config, "bank").unwrap();
        assert_eq!(bank.enforcement, Enforcement::Required);
        assert!(bank.allows(Factor::Totp) && bank.allows(Factor::EmailOtp));
        let account = Policy::for_account(&config).unwrap();
        assert_eq!(account.factors.len(), 2);
        assert_eq!(account.enforcement, Enforcement::Required);
    }

    #[test]
    fn the_strictest_combination_wins() {
        let config = config(
            "- {id: a.one, factors: [totp], enforcement: adaptive, adaptive: {stepUpThreshold: 50, \
             newDeviceWeight: 10}, rememberDevice: {enabled: true, duration: 48h}}\n\
             - {id: a.two, factors: [totp], enforcement: adaptive, adaptive: {stepUpThreshold: 30, denyThreshold: 95}, \
             rememberDevice: {enabled: true}, passkeys: {userVerification: required}}\n",
        );
        let policy = Policy::for_client(&config, "web").unwrap();
        assert_eq!(policy.enforcement, Enforcement::Adaptive);
        assert_eq!(policy.adaptive.step_up_threshold, 30);
        assert_eq!(policy.adaptive.deny_threshold, 90);
        assert_eq!(policy.adaptive.new_device_weight, 30);
        assert_eq!(policy.remember_device, Some(48 * 3600));
        assert_eq!(policy.passkeys.user_verification, UserVerification::Required);
        let mixed = config_with_one_not_remembering();
        assert_eq!(Policy::for_client(&mixed, "web").unwrap().remember_device, None);
    }

    fn config_with_one_not_remembering() -> TenantConfig {
        config(
            "- {id: a.one, factors: [totp], rememberDevice: {enabled: true}}\n\
             - {id: a.two, factors: [totp], enforcement: required}\n",
        )
    }

    #[test]
    fn required_outranks_adaptive_and_keeps_the_adaptive_scoring() {
        let config = config(
            "- {id: a.one, factors: [totp], enforcement: required}\n\
             - {id: a.two, factors: [totp], enforcement: adaptive, adaptive: {stepUpThreshold: 20}}\n",
        );
        let policy = Policy::for_client(&config, "web").unwrap();
        assert_eq!(policy.enforcement, Enforcement::Required);
        assert_eq!(policy.adaptive.step_up_threshold, 20);
    }
}
