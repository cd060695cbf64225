//! Names, labels and annotations the operator writes: one place, so children stay findable.

use std::collections::BTreeMap;

/// The `app.kubernetes.io/managed-by` label on everything the operator makes.
pub const MANAGED_BY: &str = "vestibule-operator";
/// On a Tenant: ask for new signing keys when the keys Secret is lost (`SigningKeysLost`); each
/// new value is acted on once.
pub const REGENERATE_KEYS_ANNOTATION: &str = "vestibule.dev/regenerate-keys";
/// Hash of the desired object, stamped on every applied child (see [`crate::ssa`]).
pub const DESIRED_HASH_ANNOTATION: &str = "vestibule.dev/desired-hash";
/// On a Client's credentials Secret: the Tenant (`namespace/name`) the Client was attached to.
pub const TENANT_ANNOTATION: &str = "vestibule.dev/tenant";
/// On a Client's credentials Secret: the `vestibule.dev/rotate-secret` value already handled.
pub const ROTATED_FOR_ANNOTATION: &str = "vestibule.dev/rotated-for";
/// On a Client's credentials Secret: SHA-256 of the previous secret during its grace period.
pub const PREVIOUS_HASH_ANNOTATION: &str = "vestibule.dev/previous-secret-sha256";
/// On a Client's credentials Secret: when the previous secret stops working (RFC 3339).
pub const PREVIOUS_EXPIRES_ANNOTATION: &str = "vestibule.dev/previous-secret-expires";
/// On the IdP pod template: hash of the database URL, so a new URL rolls the pods.
pub const DATABASE_HASH_ANNOTATION: &str = "vestibule.dev/database-hash";
/// Label on every child of a Tenant: the Tenant's name.
pub const TENANT_LABEL: &str = "vestibule.dev/tenant";
/// Label on a Client's credentials Secret: the Client's name.
pub const CLIENT_LABEL: &str = "vestibule.dev/client";

/// The field manager of the controller of `kind`: each controller owns the fields it writes, so
/// one controller's apply never removes what another wrote.
pub fn field_manager(kind: &str) -> String {
    format!("vestibule-{}-controller", kind.to_ascii_lowercase())
}

/// Key of the rendered `TenantConfig` in the config Secret.
pub const CONFIG_KEY: &str = "config.yaml";
/// Key of the `SigningKeySet` in the keys Secret.
pub const KEYS_KEY: &str = "jwks.json";

/// Name of a Tenant's Deployment, Service, PodDisruptionBudget and Ingress.
pub fn workload(tenant: &str) -> String {
    format!("{tenant}-idp")
}

/// Name of a Tenant's config Secret.
pub fn config_secret(tenant: &str) -> String {
    format!("{tenant}-idp-config")
}

/// Name of a Tenant's signing keys Secret.
pub fn keys_secret(tenant: &str) -> String {
    format!("{tenant}-idp-keys")
}

/// Name of a Tenant's embedded database claim.
pub fn data_claim(tenant: &str) -> String {
    format!("{tenant}-idp-data")
}

/// Labels selecting a Tenant's IdP pods.
pub fn selector_labels(tenant: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "vestibule-idp".to_owned()),
        ("app.kubernetes.io/instance".to_owned(), tenant.to_owned()),
    ])
}

/// Labels on every child of a Tenant.
pub fn tenant_labels(tenant: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(tenant);
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
    labels.insert(TENANT_LABEL.into(), tenant.to_owned());
    labels
}
