//! A Tenant's spec and the Secrets it refers to, checked before anything is built. Pure.

use kube::ResourceExt;
use sha2::{Digest, Sha256};
use vestibule_crds::v1alpha1::Tenant;
use vestibule_crds::{SecretString, rules};

use super::dereference::Observed;
use crate::conditions::{Decided, Reason};

/// What validation resolved for the build step.
#[derive(Clone, Debug, PartialEq)]
pub struct Valid {
    /// SHA-256 of the PostgreSQL URL: a new URL rolls the pods; the URL itself stays in its Secret.
    pub database_hash: Option<String>,
    /// The SMTP password, for the config.
    pub smtp_password: Option<SecretString>,
    /// The CAPTCHA provider's secret key, for the config.
    pub captcha_secret: Option<SecretString>,
}

/// `InvalidSpec` naming the field, or `SecretNotFound`, or what the build needs.
pub fn validate(tenant: &Tenant, observed: &Observed) -> Result<Valid, Decided> {
    // The schema's CEL rule says the same; API servers before 1.25 ignore it.
    rules::tenant_name(&tenant.name_any())
        .map_err(|reason| Decided::ready(false, Reason::InvalidSpec, format!("metadata.name: {reason}")))?;
    tenant
        .spec
        .validate()
        .map_err(|errors| Decided::ready(false, Reason::InvalidSpec, errors.to_string()))?;
    require_email(tenant)?;
    let missing =
        |path: &str, message: &String| Decided::ready(false, Reason::SecretNotFound, format!("{path}: {message}"));
    let database_hash = match &observed.database_url {
        Some(Ok(url)) => Some(hex::encode(Sha256::digest(url.as_bytes()))),
        Some(Err(message)) => return Err(missing("spec.database.postgres.urlSecretRef", message)),
        None => None,
    };
    let smtp_password = match &observed.smtp_password {
        Some(Ok(password)) => Some(SecretString::new(password.clone())),
        Some(Err(message)) => return Err(missing("spec.email.smtp.passwordSecretRef", message)),
        None => None,
    };
    let captcha_secret = match &observed.captcha_secret {
        Some(Ok(secret)) => Some(SecretString::new(secret.clone())),
        Some(Err(message)) => return Err(missing("spec.attackProtection.challenge.captcha.secretRef", message)),
        None => None,
    };
    Ok(Valid {
        database_hash,
        smtp_password,
        captcha_secret,
    })
}

/// `InvalidSpec` naming `spec.email` for a Tenant the IdP would refuse to serve: without an SMTP
/// server it writes emails to its log, and only for an `http://` issuer on loopback (their
/// verification and reset links are live credentials). Refused here, the Tenant says why in its
/// status instead of its pods failing to start.
fn require_email(tenant: &Tenant) -> Result<(), Decided> {
    let spec = &tenant.spec;
    // The issuer passed its rule: http only on a loopback host, which is where the IdP logs mail.
    let development = rules::issuer(&spec.issuer).is_ok_and(|url| url.scheme() == "http");
    if spec.email.is_some() || development {
        return Ok(());
    }
    Err(Decided::ready(
        false,
        Reason::InvalidSpec,
        format!(
            "spec.email: is required for issuer {}: the IdP sends verification and password reset emails through SMTP \
             and, outside an http:// issuer on localhost, refuses to start without it; add spec.email (from and smtp)",
            spec.issuer
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "\nemail: {from: no-reply@example.com, smtp: {host: smtp.example.com}}";

    fn tenant(yaml: &str) -> Tenant {
        Tenant::new("demo", serde_yaml::from_str(&format!("{yaml}{EMAIL}")).unwrap())
    }

    #[test]
    fn an_https_tenant_without_email_is_refused_naming_spec_email() {
        let https = Tenant::new("demo", serde_yaml::from_str("issuer: https://id.example.com").unwrap());
        let refusal = validate(&https, &Observed::default()).unwrap_err();
        assert_eq!(refusal.reason, Reason::InvalidSpec);
        assert!(refusal.message.starts_with("spec.email:"), "{}", refusal.message);
        for development in ["http://localhost:8080", "http://127.0.0.1:8080/t"] {
            let local = Tenant::new("demo", serde_yaml::from_str(&format!("issuer: {development}")).unwrap());
            validate(&local, &Observed::default()).unwrap();
        }
        validate(&tenant("issuer: https://id.example.com"), &Observed::default()).unwrap();
    }

    #[test]
    fn an_invalid_spec_names_the_field() {
        let refusal = validate(&tenant("issuer: http://id.example.com"), &Observed::default()).unwrap_err();
        assert_eq!(refusal.reason, Reason::InvalidSpec);
        assert!(refusal.message.starts_with("spec.issuer:"), "{}", refusal.message);
    }

    #[test]
    fn a_name_that_cannot_name_the_children_is_refused() {
        for name in ["shop.example", "1shop", &"a".repeat(60)] {
            let mut named = tenant("issuer: https://id.example.com");
            named.metadata.name = Some(name.to_owned());
            let refusal = validate(&named, &Observed::default()).unwrap_err();
            assert_eq!(refusal.reason, Reason::InvalidSpec);
            assert!(refusal.message.starts_with("metadata.name:"), "{}", refusal.message);
        }
    }

    #[test]
    fn storage_settings_need_the_embedded_database() {
        let postgres = tenant(
            "issuer: https://id.example.com\nstorage: {retainPolicy: Delete}\ndatabase: {postgres: {urlSecretRef: {name: db, key: url}}}",
        );
        let refusal = validate(&postgres, &Observed::default()).unwrap_err();
        assert!(refusal.message.contains("spec.storage"), "{}", refusal.message);
    }

    #[test]
    fn a_missing_database_secret_is_reported_with_its_field() {
        let postgres =
            tenant("issuer: https://id.example.com\ndatabase: {postgres: {urlSecretRef: {name: db, key: url}}}");
        let observed = Observed {
            database_url: Some(Err("Secret shop/db does not exist".into())),
            ..Observed::default()
        };
        let refusal = validate(&postgres, &observed).unwrap_err();
        assert_eq!(refusal.reason, Reason::SecretNotFound);
        assert!(refusal.message.contains("spec.database.postgres.urlSecretRef"));
    }

    #[test]
    fn the_database_url_is_only_kept_as_a_hash() {
        let postgres =
            tenant("issuer: https://id.example.com\ndatabase: {postgres: {urlSecretRef: {name: db, key: url}}}");
        let observed = Observed {
            database_url: Some(Ok("postgres://u:p@db/x".into())),
            ..Observed::default()
        };
        let valid = validate(&postgres, &observed).unwrap();
        let hash = valid.database_hash.unwrap();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("postgres"));
    }
}
