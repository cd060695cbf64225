//! The pace of image upgrades: when the operator's default IdP image changes, at most
//! `--max-concurrent-rollouts` Tenants roll to it at a time, so an operator upgrade never restarts
//! every identity provider at once.
//!
//! The gate lives in memory: a restarted operator forgets the rollouts in flight and may briefly
//! run up to twice the bound. A rollout that never completes leaves the gate after
//! [`STALE_AFTER`], so one broken Tenant does not hold back the others for ever.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an admitted rollout may take before its slot is given to another Tenant: past the
/// Deployment's default progress deadline (10 minutes), with room.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// The Tenants rolling to the default image now, with when each was admitted.
#[derive(Debug)]
pub struct RolloutGate {
    max: usize,
    rolling: Mutex<BTreeMap<String, Instant>>,
}

impl RolloutGate {
    /// A gate letting `max` rollouts through at once (at least one).
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            rolling: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether Tenant `id` may roll to the default image now: it already is, or a slot is free.
    pub fn admit(&self, id: &str, now: Instant) -> bool {
        let mut rolling = self.rolling.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rolling.retain(|_, admitted| now.saturating_duration_since(*admitted) < STALE_AFTER);
        if rolling.contains_key(id) {
            return true;
        }
        if rolling.len() >= self.max {
            return false;
        }
        rolling.insert(id.to_owned(), now);
        true
    }

    /// Tenant `id` has finished rolling (or needs no slot): its slot is free.
    pub fn finish(&self, id: &str) {
        let mut rolling = self.rolling.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rolling.remove(id);
    }

    /// How many rollouts hold a slot.
    pub fn in_flight(&self) -> usize {
        self.rolling
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_tenants_roll_at_once_and_a_finished_one_frees_its_slot() {
        let gate = RolloutGate::new(2);
        let now = Instant::now();
        assert!(gate.admit("a", now));
        assert!(gate.admit("b", now));
        assert!(!gate.admit("c", now), "both slots are taken");
        assert!(gate.admit("a", now), "an admitted Tenant stays admitted");
        gate.finish("a");
        assert!(gate.admit("c", now));
        assert_eq!(gate.in_flight(), 2);
    }

    #[test]
    fn a_rollout_that_never_completes_gives_up_its_slot() {
        let gate = RolloutGate::new(1);
        let now = Instant::now();
        assert!(gate.admit("stuck", now));
        assert!(!gate.admit("next", now + STALE_AFTER / 2));
        assert!(gate.admit("next", now + STALE_AFTER));
    }
}
