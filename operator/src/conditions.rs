//! Conditions and their reasons: deterministic, with `lastTransitionTime` moving only when a
//! condition's status really changes.
//!
//! Every kind also reports kstatus's `Reconciling` and `Stalled`, derived from `Ready`'s reason,
//! so that Flux and Argo CD tell an object still converging from one that needs a person.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// The condition every kind reports.
pub const READY: &str = "Ready";
/// A Tenant's PodDisruptionBudget (only when replicas > 1).
pub const DISRUPTION_BUDGET: &str = "DisruptionBudget";
/// A Tenant's HorizontalPodAutoscaler (only with `spec.autoscaling`).
pub const AUTOSCALING: &str = "Autoscaling";
/// kstatus: the operator is still working towards the spec.
pub const RECONCILING: &str = "Reconciling";
/// kstatus: the operator cannot make progress until someone acts.
pub const STALLED: &str = "Stalled";

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
    /// The Tenant serves one object of the kind, and another of its objects was created first.
    Conflict,
    /// Another attachment of the same Tenant claimed the identifier first.
    ClientIdConflict,
    /// The PodDisruptionBudget is applied.
    Applied,
    /// The cluster does not serve `policy/v1`, so no PodDisruptionBudget was made.
    PolicyV1Unavailable,
    /// The cluster does not serve `autoscaling/v2`, so no HorizontalPodAutoscaler was made.
    AutoscalingV2Unavailable,
    /// An object the operator would make exists and is not the operator's; it is left alone.
    NameConflict,
    /// The status lists signing keys, but their Secret is missing or unreadable.
    SigningKeysLost,
    /// The rendered config exceeds what a Secret can hold.
    ConfigTooLarge,
    /// The API server refused a write (admission, validation, an immutable field, a quota).
    WriteRefused,
    /// A write failed for a passing reason; it is retried.
    ApplyFailed,
    /// The Deployment's rollout exceeded its progress deadline.
    ProgressDeadlineExceeded,
    /// A policy names Clients its Tenant does not serve (a warning; the rest is served).
    UnknownClients,
}

/// Where an object stands, in kstatus's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Served as specified.
    Current,
    /// Converging, or retrying a passing failure.
    Reconciling,
    /// Waiting for someone to act.
    Stalled,
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
            Self::Conflict => "Conflict",
            Self::ClientIdConflict => "ClientIdConflict",
            Self::Applied => "Applied",
            Self::PolicyV1Unavailable => "PolicyV1Unavailable",
            Self::AutoscalingV2Unavailable => "AutoscalingV2Unavailable",
            Self::NameConflict => "NameConflict",
            Self::SigningKeysLost => "SigningKeysLost",
            Self::ConfigTooLarge => "ConfigTooLarge",
            Self::WriteRefused => "WriteRefused",
            Self::ApplyFailed => "ApplyFailed",
            Self::ProgressDeadlineExceeded => "ProgressDeadlineExceeded",
            Self::UnknownClients => "UnknownClients",
        }
    }

    /// Where an object whose `Ready` has this reason stands.
    pub fn progress(self) -> Progress {
        match self {
            Self::Available | Self::Applied | Self::UnknownClients => Progress::Current,
            Self::Progressing | Self::ApplyFailed => Progress::Reconciling,
            Self::InvalidSpec
            | Self::TenantNotFound
            | Self::NamespaceNotAllowed
            | Self::SecretNotFound
            | Self::Conflict
            | Self::ClientIdConflict
            | Self::PolicyV1Unavailable
            | Self::AutoscalingV2Unavailable
            | Self::NameConflict
            | Self::SigningKeysLost
            | Self::ConfigTooLarge
            | Self::WriteRefused
            | Self::ProgressDeadlineExceeded => Progress::Stalled,
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
                | Self::ClientIdConflict
                | Self::Conflict
                | Self::PolicyV1Unavailable
                | Self::AutoscalingV2Unavailable
                | Self::NameConflict
                | Self::SigningKeysLost
                | Self::ConfigTooLarge
                | Self::WriteRefused
                | Self::ApplyFailed
                | Self::ProgressDeadlineExceeded
                | Self::UnknownClients
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
        Self::condition(READY, status, reason, message)
    }

    /// The condition `type_` with `status`.
    pub fn condition(type_: &'static str, status: bool, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            type_,
            status,
            reason,
            message: message.into(),
        }
    }
}

/// kstatus's `Reconciling` and `Stalled` for a `Ready` decision: each `True` only in its state,
/// with `Ready`'s reason and message.
pub fn kstatus(ready: &Decided) -> [Decided; 2] {
    let progress = ready.reason.progress();
    let condition = |type_, status| Decided {
        type_,
        status,
        reason: ready.reason,
        message: ready.message.clone(),
    };
    [
        condition(RECONCILING, progress == Progress::Reconciling),
        condition(STALLED, progress == Progress::Stalled),
    ]
}

/// The API conditions for `decided`, plus `Reconciling` and `Stalled` from its `Ready`, keeping
/// each previous `lastTransitionTime` unless the status changed.
pub fn merge(previous: &[Condition], decided: &[Decided], generation: Option<i64>, now: Timestamp) -> Vec<Condition> {
    let derived = decided.iter().find(|d| d.type_ == READY).map(kstatus);
    decided
        .iter()
        .chain(derived.iter().flatten())
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
    fn reconciling_and_stalled_follow_ready_in_the_kstatus_convention() {
        let status = |conditions: &[Condition], type_: &str| {
            let condition = conditions.iter().find(|c| c.type_ == type_).unwrap();
            (condition.status.clone(), condition.reason.clone())
        };
        let converging = merge(
            &[],
            &[Decided::ready(false, Reason::Progressing, "rolling out")],
            Some(1),
            at(1),
        );
        assert_eq!(status(&converging, RECONCILING), ("True".into(), "Progressing".into()));
        assert_eq!(status(&converging, STALLED).0, "False");
        let stuck = merge(
            &[],
            &[Decided::ready(false, Reason::NameConflict, "Ingress")],
            Some(1),
            at(1),
        );
        assert_eq!(status(&stuck, RECONCILING).0, "False");
        assert_eq!(status(&stuck, STALLED), ("True".into(), "NameConflict".into()));
        let served = merge(
            &[],
            &[Decided::ready(true, Reason::Available, "served")],
            Some(1),
            at(1),
        );
        assert_eq!(status(&served, RECONCILING).0, "False");
        assert_eq!(status(&served, STALLED).0, "False");
        assert_eq!(served.len(), 3);
    }

    #[test]
    fn a_repeated_decision_is_no_transition() {
        let decided = [Decided::ready(false, Reason::TenantNotFound, "x")];
        let conditions = merge(&[], &decided, None, at(1));
        assert!(transitions(&conditions, &decided).is_empty());
        assert_eq!(transitions(&[], &decided).len(), 1);
    }
}
