//! Per-object retry delays: a failing object waits longer after each failure (doubling from
//! the configured first delay up to a cap), so one broken object neither hammers the API server
//! nor floods its Events; a success forgets its count.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use kube::api::DynamicObject;
use kube::runtime::reflector::ObjectRef;

/// Failure counts by object.
#[derive(Debug)]
pub struct Retries {
    failures: Mutex<HashMap<ObjectRef<DynamicObject>, u32>>,
    first: Duration,
    cap: Duration,
}

impl Retries {
    /// Delays that start at `first` and double up to `cap`.
    pub fn new(first: Duration, cap: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            first,
            cap,
        }
    }

    /// Counts a failure of `object` and returns how long it waits before the next attempt.
    pub fn failed(&self, object: ObjectRef<DynamicObject>) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let count = failures.entry(object).or_insert(0);
        let delay = self.first.saturating_mul(1 << (*count).min(16)).min(self.cap);
        *count = count.saturating_add(1);
        delay
    }

    /// Forgets the failures of `object`: its next failure waits the first delay again.
    pub fn succeeded(&self, object: &ObjectRef<DynamicObject>) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(object);
    }
}

#[cfg(test)]
mod tests {
    use vestibule_crds::v1alpha1::Tenant;

    use super::*;

    fn tenant(name: &str) -> ObjectRef<DynamicObject> {
        ObjectRef::<Tenant>::new(name).within("shop").erase()
    }

    #[test]
    fn delays_double_per_object_up_to_the_cap_and_reset_on_success() {
        let retries = Retries::new(Duration::from_secs(5), Duration::from_secs(300));
        let delays: Vec<u64> = (0..9).map(|_| retries.failed(tenant("a")).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(
            retries.failed(tenant("b")).as_secs(),
            5,
            "another object has its own count"
        );
        retries.succeeded(&tenant("a"));
        assert_eq!(retries.failed(tenant("a")).as_secs(), 5);
    }
}
