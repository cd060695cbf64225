//! The risk score of a sign-in under adaptive MFA: each signal present adds its policy weight,
//! capped at 100, and the sum decides between no second factor, a second factor and refusal.

use vestibule_crds::v1alpha1::AdaptiveSettings;

/// What is unusual about a sign-in, for its account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// The device never completed a sign-in to this account.
    pub new_device: bool,
    /// The network (IPv4 /24, IPv6 /64) never completed a sign-in to this account.
    pub new_network: bool,
    /// Failed attempts on the account within the lockout window.
    pub recent_failures: i64,
}

/// What the score calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Below the step-up threshold: the first factor suffices.
    Allow,
    /// At or above the step-up threshold: a second factor is due.
    StepUp,
    /// At or above the deny threshold: the sign-in is refused.
    Deny,
}

/// The score of `signals` (0 to 100).
pub fn score(settings: &AdaptiveSettings, signals: &Signals) -> u32 {
    let weight = |present: bool, weight: u32| if present { weight } else { 0 };
    let total = weight(signals.new_device, settings.new_device_weight)
        .saturating_add(weight(signals.new_network, settings.new_network_weight))
        .saturating_add(weight(signals.recent_failures > 0, settings.recent_failures_weight));
    total.min(100)
}

/// What a score of `score` calls for under `settings`.
pub fn decide(settings: &AdaptiveSettings, score: u32) -> Decision {
    if score >= settings.deny_threshold {
        Decision::Deny
    } else if score >= settings.step_up_threshold {
        Decision::StepUp
    } else {
        Decision::Allow
    }
}

impl Decision {
    /// The decision's name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::StepUp => "step_up",
            Self::Deny => "deny",
        }
    }
}

impl Signals {
    /// The signals as the audit log records them (never the device or the address itself).
    pub fn describe(&self, score: u32) -> String {
        format!(
            "score={score} new_device={} new_network={} recent_failures={}",
            self.new_device, self.new_network, self.recent_failures
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_adds_its_weight_and_the_sum_is_capped() {
        let settings = AdaptiveSettings::default();
        assert_eq!(score(&settings, &Signals::default()), 0);
        let device = Signals {
            new_device: true,
            ..Signals::default()
        };
        assert_eq!(score(&settings, &device), 30);
        let all = Signals {
            new_device: true,
            new_network: true,
            recent_failures: 4,
        };
        assert_eq!(score(&settings, &all), 80);
        let heavy = AdaptiveSettings {
            new_device_weight: 90,
            new_network_weight: 90,
            ..AdaptiveSettings::default()
        };
        assert_eq!(score(&heavy, &all), 100);
    }

    #[test]
    fn thresholds_are_inclusive() {
        let settings = AdaptiveSettings::default();
        assert_eq!(decide(&settings, 39), Decision::Allow);
        assert_eq!(decide(&settings, 40), Decision::StepUp);
        assert_eq!(decide(&settings, 89), Decision::StepUp);
        assert_eq!(decide(&settings, 90), Decision::Deny);
    }

    #[test]
    fn the_audit_detail_names_the_signals() {
        let signals = Signals {
            new_device: true,
            new_network: false,
            recent_failures: 2,
        };
        assert_eq!(
            signals.describe(60),
            "score=60 new_device=true new_network=false recent_failures=2"
        );
    }
}
