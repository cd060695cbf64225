//! The namespaces the operator watches and acts in (`--namespaces`), as `Api` handles.

use kube::{Api, Resource};

/// Every namespace, or a fixed list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole cluster.
    All,
    /// Only these namespaces.
    Namespaces(Vec<String>),
}

impl Scope {
    /// `All` for an empty list.
    pub fn new(namespaces: &[String]) -> Self {
        if namespaces.is_empty() {
            Self::All
        } else {
            Self::Namespaces(namespaces.to_vec())
        }
    }

    /// One `Api` per namespace, or a single cluster-wide one.
    pub fn apis<K>(&self, client: &kube::Client) -> Vec<Api<K>>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match self {
            Self::All => vec![Api::all(client.clone())],
            Self::Namespaces(namespaces) => namespaces
                .iter()
                .map(|namespace| Api::namespaced(client.clone(), namespace))
                .collect(),
        }
    }

    /// The namespaces to watch: `[None]` for the whole cluster.
    pub fn namespaces(&self) -> Vec<Option<String>> {
        match self {
            Self::All => vec![None],
            Self::Namespaces(namespaces) => namespaces.iter().cloned().map(Some).collect(),
        }
    }

    /// Whether `namespace` is in scope.
    pub fn contains(&self, namespace: &str) -> bool {
        match self {
            Self::All => true,
            Self::Namespaces(namespaces) => namespaces.iter().any(|n| n == namespace),
        }
    }
}
