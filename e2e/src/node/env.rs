//! A container's environment and arguments, resolved as the kubelet resolves them: plain values,
//! the downward API, Secret keys, and `$(VAR)` references in arguments.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, Secret};
use kube::Api;

use super::NodeError;

/// Resolves the container's environment variables in order (later ones may refer to earlier).
pub async fn resolve(
    container: &Container,
    pod: &Pod,
    ip: &str,
    secrets: &Api<Secret>,
) -> Result<Vec<(String, String)>, NodeError> {
    let mut resolved: Vec<(String, String)> = Vec::new();
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(value), _) => expand(value, &to_map(&resolved)),
            (None, Some(source)) => {
                if let Some(field) = &source.field_ref {
                    field_value(pod, ip, &field.field_path)?
                } else if let Some(selector) = &source.secret_key_ref {
                    secret_value(secrets, &selector.name, &selector.key).await?
                } else {
                    return Err(NodeError::Unsupported(format!(
                        "env {} has a source this node does not provide",
                        var.name
                    )));
                }
            }
            (None, None) => String::new(),
        };
        resolved.push((var.name.clone(), value));
    }
    Ok(resolved)
}

fn to_map(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    pairs.iter().cloned().collect()
}

/// The container's arguments with `$(VAR)` expanded from `env`.
pub fn arguments(container: &Container, env: &[(String, String)]) -> Vec<String> {
    let map = to_map(env);
    container.args.iter().flatten().map(|arg| expand(arg, &map)).collect()
}

/// Kubernetes variable expansion: `$(NAME)` becomes the value when NAME is defined and stays as
/// written otherwise; `$$` is a literal `$`.
pub fn expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(index) = rest.find('$') {
        out.push_str(&rest[..index]);
        let after = &rest[index + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(name) = after.strip_prefix('(').and_then(|inner| inner.split_once(')')) {
            match env.get(name.0) {
                Some(value) => out.push_str(value),
                None => out.push_str(&format!("$({})", name.0)),
            }
            rest = name.1;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn field_value(pod: &Pod, ip: &str, path: &str) -> Result<String, NodeError> {
    let value = match path {
        "status.podIP" | "status.hostIP" => Some(ip.to_owned()),
        "metadata.name" => pod.metadata.name.clone(),
        "metadata.namespace" => pod.metadata.namespace.clone(),
        "spec.nodeName" => pod.spec.as_ref().and_then(|spec| spec.node_name.clone()),
        other => return Err(NodeError::Unsupported(format!("fieldRef {other}"))),
    };
    Ok(value.unwrap_or_default())
}

/// One key of a Secret, or an error the caller treats as "not yet" (the kubelet waits too).
pub async fn secret_value(secrets: &Api<Secret>, name: &str, key: &str) -> Result<String, NodeError> {
    let secret = secrets
        .get_opt(name)
        .await
        .map_err(NodeError::Api)?
        .ok_or_else(|| NodeError::Waiting(format!("Secret {name}")))?;
    let bytes = secret
        .data
        .as_ref()
        .and_then(|data| data.get(key))
        .ok_or_else(|| NodeError::Waiting(format!("key {key} of Secret {name}")))?;
    Ok(String::from_utf8_lossy(&bytes.0).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_kubelet_rules() {
        let env = BTreeMap::from([("POD_IP".to_owned(), "127.0.0.7".to_owned())]);
        assert_eq!(expand("--listen=$(POD_IP):8080", &env), "--listen=127.0.0.7:8080");
        assert_eq!(expand("$(MISSING) $$(POD_IP) $x", &env), "$(MISSING) $(POD_IP) $x");
    }
}
