//! Prometheus metrics: reconciles, failures by error category, and reconcile duration.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of the reconcile counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The kind reconciled (`Tenant`, `Client`, ...).
    pub kind: String,
}

/// Labels of the failure counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// The kind reconciled.
    pub kind: String,
    /// The error's category ([`crate::Error::category`]).
    pub category: String,
}

/// The operator's metrics and the registry that exports them.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<KindLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    duration: Family<KindLabels, Histogram>,
    leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let reconciles = Family::<KindLabels, Counter>::default();
        let failures = Family::<FailureLabels, Counter>::default();
        let duration = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 12))
        });
        let leader = Gauge::default();
        let mut registry = Registry::with_prefix("vestibule_operator");
        registry.register("reconciles", "Reconciles run, by kind", reconciles.clone());
        registry.register(
            "reconcile_failures",
            "Reconciles that failed, by kind and error category",
            failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Duration of reconciles, by kind",
            duration.clone(),
        );
        registry.register("leader", "1 while this replica holds the leader Lease", leader.clone());
        Self {
            registry,
            reconciles,
            failures,
            duration,
            leader,
        }
    }
}

impl Metrics {
    /// Records a finished reconcile of `kind`.
    pub fn reconciled(&self, kind: &str, took: Duration) {
        let labels = KindLabels { kind: kind.to_owned() };
        self.reconciles.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(took.as_secs_f64());
    }

    /// Records a failed reconcile of `kind`.
    pub fn failed(&self, kind: &str, category: &str) {
        let labels = FailureLabels {
            kind: kind.to_owned(),
            category: category.to_owned(),
        };
        self.failures.get_or_create(&labels).inc();
    }

    /// Records whether this replica leads.
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciles_and_failures_are_exported() {
        let metrics = Metrics::default();
        metrics.reconciled("Tenant", Duration::from_millis(20));
        metrics.failed("Tenant", "apply");
        let text = metrics.encode().unwrap();
        assert!(
            text.contains("vestibule_operator_reconciles_total{kind=\"Tenant\"} 1"),
            "{text}"
        );
        assert!(text.contains("category=\"apply\""), "{text}");
        assert!(
            text.contains("vestibule_operator_reconcile_duration_seconds_count"),
            "{text}"
        );
    }
}
