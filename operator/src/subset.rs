//! "Is what we want already there?": a semantic subset test of desired JSON against live JSON.
//!
//! The API server adds defaults and status, so live objects hold more than we sent; a desired
//! object is satisfied when each of its fields is present in the live object with the same
//! meaning. Empty values match absent ones, arrays match element by element with equal length
//! (so a removed list item is noticed), and resource quantities compare by value (`0.5` is
//! `500m`).

use serde_json::Value;

/// True when every field of `desired` is in `live` with an equal value.
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    subset_at(desired, live, false)
}

fn subset_at(desired: &Value, live: &Value, quantity: bool) -> bool {
    match (desired, live) {
        (Value::Object(want), Value::Object(have)) => want.iter().all(|(key, value)| {
            let is_quantity = quantity || matches!(key.as_str(), "resources" | "requests" | "limits" | "storage");
            match have.get(key) {
                Some(live) => subset_at(value, live, is_quantity),
                None => is_empty(value),
            }
        }),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| subset_at(w, h, quantity))
        }
        (Value::String(want), Value::String(have)) if quantity && want != have => {
            match (parse_quantity(want), parse_quantity(have)) {
                (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()).max(1.0),
                _ => false,
            }
        }
        (Value::Number(want), Value::Number(have)) => want.as_f64() == have.as_f64(),
        _ if is_empty(desired) && is_empty(live) => true,
        _ => desired == live,
    }
}

/// The path of the first field of `desired` that `live` lacks or holds differently: what a log
/// line names when the operator corrects drift.
pub fn first_difference(desired: &Value, live: &Value) -> Option<String> {
    match (desired, live) {
        (Value::Object(want), Value::Object(have)) => want.iter().find_map(|(key, value)| {
            let here = have.get(key).unwrap_or(&Value::Null);
            if subset_at(value, here, false) || (here.is_null() && is_empty(value)) {
                return None;
            }
            Some(match first_difference(value, here) {
                Some(rest) if !rest.is_empty() => format!("{key}.{rest}"),
                _ => key.clone(),
            })
        }),
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => want
            .iter()
            .zip(have)
            .enumerate()
            .find_map(|(index, (w, h))| first_difference(w, h).map(|rest| format!("[{index}].{rest}"))),
        _ if subset_at(desired, live, false) => None,
        _ => Some(String::new()),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

/// The value of a Kubernetes quantity (`500m`, `1Gi`, `2e3`), or `None` if it is not one.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        "Ei" => 1024.0f64.powi(6),
        exponent => {
            let power: i32 = exponent.strip_prefix(['e', 'E'])?.parse().ok()?;
            10f64.powi(power)
        }
    };
    Some(number * factor)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_added_by_the_server_do_not_count_as_drift() {
        let desired = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "idp"}]}}}});
        let live = json!({"spec": {"replicas": 1, "revisionHistoryLimit": 10,
            "template": {"spec": {"containers": [{"name": "idp", "imagePullPolicy": "IfNotPresent"}]}}},
            "status": {"replicas": 0}});
        assert!(is_subset(&desired, &live));
    }

    #[test]
    fn a_changed_or_missing_value_is_drift() {
        let desired = json!({"spec": {"replicas": 2}});
        assert!(!is_subset(&desired, &json!({"spec": {"replicas": 1}})));
        assert!(!is_subset(&desired, &json!({"spec": {}})));
    }

    #[test]
    fn lists_must_match_in_length() {
        let desired = json!({"tolerations": [{"key": "a"}]});
        assert!(!is_subset(
            &desired,
            &json!({"tolerations": [{"key": "a"}, {"key": "b"}]})
        ));
        assert!(is_subset(
            &desired,
            &json!({"tolerations": [{"key": "a", "effect": "NoSchedule"}]})
        ));
    }

    #[test]
    fn empty_desired_values_match_absent_ones() {
        assert!(is_subset(&json!({"a": [], "b": {}, "c": null}), &json!({})));
    }

    #[test]
    fn the_first_difference_names_the_drifted_field() {
        let desired = json!({"spec": {"containers": [{"name": "idp", "image": "a"}], "replicas": 1}});
        let live = json!({"spec": {"containers": [{"name": "idp", "image": "b"}], "replicas": 1}});
        assert_eq!(
            first_difference(&desired, &live).as_deref(),
            Some("spec.containers.[0].image")
        );
        assert_eq!(first_difference(&desired, &desired), None);
        let removed = json!({"spec": {"replicas": 1}});
        assert_eq!(first_difference(&desired, &removed).as_deref(), Some("spec.containers"));
    }

    #[test]
    fn quantities_compare_by_value_only_under_resources() {
        let desired = json!({"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}}});
        let live = json!({"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}});
        assert!(is_subset(&desired, &live));
        assert!(!is_subset(&json!({"image": "a:1.0"}), &json!({"image": "a:1"})));
        assert_eq!(parse_quantity("2e3"), Some(2000.0));
        assert_eq!(parse_quantity("abc"), None);
    }
}
