//! Counting the operator's API writes soundly: the API server's own audit log, with a policy
//! that records (at `Metadata` level) every write by the operator's ServiceAccount and nothing
//! else. Every write reaches the log, whatever client library or code path sent it.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use crate::environment::{RELEASE, SYSTEM_NAMESPACE};

/// The username the operator acts as (the chart's ServiceAccount).
pub fn operator_user() -> String {
    format!("system:serviceaccount:{SYSTEM_NAMESPACE}:{RELEASE}")
}

/// The audit policy: the operator's writes, at `Metadata` level, once each (at `ResponseComplete`).
pub fn policy() -> String {
    format!(
        "apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: [\"{}\"]
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
",
        operator_user()
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    stage: String,
    verb: String,
    user: User,
    #[serde(default)]
    object_ref: Option<ObjectRef>,
    request_received_timestamp: Timestamp,
}

#[derive(Debug, Deserialize)]
struct User {
    username: String,
}

#[derive(Debug, Default, Deserialize)]
struct ObjectRef {
    #[serde(default)]
    resource: String,
    #[serde(default)]
    subresource: Option<String>,
}

/// One write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// When the API server received it.
    pub at: Timestamp,
    /// `create`, `patch`, ...
    pub verb: String,
    /// `secrets`, `clients/status`, `leases`, ...
    pub resource: String,
}

impl Write {
    /// Whether it renews the leader Lease (leader election, not reconciling).
    pub fn is_lease(&self) -> bool {
        self.resource == "leases"
    }
}

/// Every operator write in the audit log at `path`.
pub fn writes(path: &Path) -> Vec<Write> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let user = operator_user();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Event>(line).ok())
        .filter(|event| event.stage == "ResponseComplete" && event.user.username == user)
        .map(|event| {
            let object = event.object_ref.unwrap_or_default();
            let resource = match object.subresource {
                Some(sub) => format!("{}/{sub}", object.resource),
                None => object.resource,
            };
            Write {
                at: event.request_received_timestamp,
                verb: event.verb,
                resource,
            }
        })
        .collect()
}

/// Writes in `[from, to)`, counted by `verb resource`.
pub fn count_between(writes: &[Write], from: Timestamp, to: Timestamp) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for write in writes.iter().filter(|write| write.at >= from && write.at < to) {
        *counts.entry(format!("{} {}", write.verb, write.resource)).or_insert(0) += 1;
    }
    counts
}

/// The time of the last write that is not a Lease renewal.
pub fn last_reconcile_write(writes: &[Write]) -> Option<Timestamp> {
    writes
        .iter()
        .filter(|write| !write.is_lease())
        .map(|write| write.at)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_writes_are_read_and_counted_by_verb_and_resource() {
        let user = operator_user();
        let line = |verb: &str, resource: &str, sub: &str, at: &str, stage: &str| {
            let sub = if sub.is_empty() {
                String::new()
            } else {
                format!(r#","subresource":"{sub}""#)
            };
            format!(
                r#"{{"kind":"Event","stage":"{stage}","verb":"{verb}","user":{{"username":"{user}"}},"objectRef":{{"resource":"{resource}"{sub}}},"requestReceivedTimestamp":"{at}"}}"#
            )
        };
        let dir = std::env::temp_dir().join(format!("audit-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let text = [
            line("patch", "clients", "status", "2026-01-01T00:00:01Z", "ResponseComplete"),
            line("patch", "clients", "status", "2026-01-01T00:00:01Z", "ResponseStarted"),
            line("update", "leases", "", "2026-01-01T00:00:02Z", "ResponseComplete"),
            line("patch", "secrets", "", "2026-01-01T00:00:09Z", "ResponseComplete"),
            "not json".to_owned(),
        ]
        .join("\n");
        std::fs::write(&path, text).unwrap();
        let writes = writes(&path);
        assert_eq!(writes.len(), 3);
        let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let to: Timestamp = "2026-01-01T00:00:05Z".parse().unwrap();
        let counts = count_between(&writes, from, to);
        assert_eq!(counts["patch clients/status"], 1);
        assert_eq!(counts["update leases"], 1);
        assert_eq!(counts.len(), 2);
        assert_eq!(
            last_reconcile_write(&writes),
            Some("2026-01-01T00:00:09Z".parse().unwrap())
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
