//! Conditions and their reasons: deterministic, with `lastTransitionTime` moving only when a
//! condition's status really changes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// The condition every kind reports.
pub const READY: &str = "Ready";
/// A Tenant's PodDisruptionBudget (only when replicas > 1).
pub const DISRUPTION_BUDGET: &str = "DisruptionBudget";

/// Why a condition has its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Everything is served.
    Available,
    /// Children are being rolled out, or the pods do not serve the current config yet.
    Progressing,
    /// The spec breaks a rule; the message names the field.
    InvalidSpec,
    /// The referenced Tenant does not exist.
    TenantNotFound,
    /// The Tenant does not admit the object's namespace.
    NamespaceNotAllowed,
    /// A referenced Secret (or its key) does not exist.
    SecretNotFound,
    /// Valid and attached, but the IdP does not serve this kind yet.
    NotYetServed,
    /// The PodDisruptionBudget is applied.
    Applied,
    /// The cluster does not serve `policy/v1`, so no PodDisruptionBudget was made.
    PolicyV1Unavailable,
}

impl Reason {
    /// The CamelCase reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Progressing => "Progressing",
            Self::InvalidSpec => "InvalidSpec",
            Self::TenantNotFound => "TenantNotFound",
            Self::NamespaceNotAllowed => "NamespaceNotAllowed",
            Self::SecretNotFound => "SecretNotFound",
            Self::NotYetServed => "NotYetServed",
            Self::Applied => "Applied",
            Self::PolicyV1Unavailable => "PolicyV1Unavailable",
        }
    }

    /// Whether an Event about it is a Warning (the user must act).
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Self::InvalidSpec
                | Self::TenantNotFound
                | Self::NamespaceNotAllowed
                | Self::SecretNotFound
                | Self::PolicyV1Unavailable
        )
    }
}

/// A condition as a reconcile decides it, before times are attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    /// Condition type.
    pub type_: &'static str,
    /// `True` or `False`.
    pub status: bool,
    /// Why.
    pub reason: Reason,
    /// For humans; deterministic.
    pub message: String,
}

impl Decided {
    /// `Ready` with `status`.
    pub fn ready(status: bool, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            type_: READY,
            status,
            reason,
            message: message.into(),
        }
    }
}

/// The API conditions for `decided`, keeping each previous `lastTransitionTime` unless the
/// status changed.
pub fn merge(previous: &[Condition], decided: &[Decided], generation: Option<i64>, now: Timestamp) -> Vec<Condition> {
    decided
        .iter()
        .map(|d| {
            let status = if d.status { "True" } else { "False" };
            let old = previous.iter().find(|c| c.type_ == d.type_);
            let last_transition_time = match old {
                Some(old) if old.status == status => old.last_transition_time.clone(),
                _ => Time(now),
            };
            Condition {
                type_: d.type_.to_owned(),
                status: status.to_owned(),
                reason: d.reason.as_str().to_owned(),
                message: d.message.clone(),
                observed_generation: generation,
                last_transition_time,
            }
        })
        .collect()
}

/// The conditions in `new` whose status or reason differ from `previous`: what deserves an Event.
pub fn transitions<'a>(previous: &[Condition], new: &'a [Decided]) -> Vec<&'a Decided> {
    new.iter()
        .filter(|d| {
            let status = if d.status { "True" } else { "False" };
            !previous
                .iter()
                .any(|c| c.type_ == d.type_ && c.status == status && c.reason == d.reason.as_str())
        })
        .collect()
}

/// The `Ready` condition of a list, if any.
pub fn ready(conditions: &[Condition]) -> Option<&Condition> {
    conditions.iter().find(|c| c.type_ == READY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn transition_time_moves_only_when_status_changes() {
        let first = merge(&[], &[Decided::ready(false, Reason::Progressing, "a")], Some(1), at(10));
        assert_eq!(first[0].last_transition_time, Time(at(10)));
        let same_status = merge(
            &first,
            &[Decided::ready(false, Reason::InvalidSpec, "b")],
            Some(2),
            at(20),
        );
        assert_eq!(same_status[0].last_transition_time, Time(at(10)));
        assert_eq!(same_status[0].reason, "InvalidSpec");
        let flipped = merge(
            &same_status,
            &[Decided::ready(true, Reason::Available, "c")],
            Some(2),
            at(30),
        );
        assert_eq!(flipped[0].last_transition_time, Time(at(30)));
    }

    #[test]
    fn a_repeated_decision_is_no_transition() {
        let decided = [Decided::ready(false, Reason::TenantNotFound, "x")];
        let conditions = merge(&[], &decided, None, at(1));
        assert!(transitions(&conditions, &decided).is_empty());
        assert_eq!(transitions(&[], &decided).len(), 1);
    }
}
