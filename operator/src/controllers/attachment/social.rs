//! SocialProvider as an attachment: "Sign in with …" on its Tenant's login page. Its entry is
//! the spec with the client secret resolved from `spec.clientSecretRef` in the provider's own
//! namespace, read when the Tenant renders its config (so a rotated Secret is served without a
//! restart). Its identifier is `<namespace>.<name>`: unique by construction, so nothing is claimed.

use kube::ResourceExt;
use kube::core::DeserializeGuard;
use vestibule_crds::SecretString;
use vestibule_crds::ValidationErrors;
use vestibule_crds::config::{SocialProviderConfig, TenantConfig};
use vestibule_crds::v1alpha1::{
    CommonStatus, SecretKeyRef, SocialProvider, SocialProviderSpec, SocialProviderType, Tenant, TenantRef,
};

use super::{Attachment, Inputs, Recorded};
use crate::conditions::{Decided, Reason};
use crate::controllers::shared::{Reflected, Shared, SharedWatches, Watches};

/// The field that refers to the client secret.
pub const CLIENT_SECRET_FIELD: &str = "spec.clientSecretRef";

impl Attachment for SocialProvider {
    type Entry = SocialProviderConfig;

    fn reflected(shared: &Shared) -> &Reflected<DeserializeGuard<Self>> {
        &shared.social_providers
    }
    fn watches(watches: &SharedWatches) -> &Watches<DeserializeGuard<Self>> {
        &watches.social_providers
    }
    fn tenant_ref(&self) -> &TenantRef {
        &self.spec.tenant_ref
    }
    fn secret_refs(&self) -> Vec<(&'static str, &SecretKeyRef)> {
        vec![(CLIENT_SECRET_FIELD, &self.spec.client_secret_ref)]
    }
    fn validate(&self, _namespace: &str, _tenant: &Tenant, _recorded: &Recorded) -> Result<(), ValidationErrors> {
        self.spec.validate()
    }
    fn render(&self, namespace: &str, inputs: &Inputs<'_>) -> Result<Self::Entry, Decided> {
        let reference = &self.spec.client_secret_ref;
        let unusable = |why: &str| {
            Decided::ready(
                false,
                Reason::SecretNotFound,
                format!(
                    "{CLIENT_SECRET_FIELD}: Secret {namespace}/{} key {} {why}",
                    reference.name, reference.key
                ),
            )
        };
        let secret = match inputs.secrets.get(CLIENT_SECRET_FIELD) {
            Some(Ok(secret)) => secret,
            Some(Err(reason)) => {
                return Err(Decided::ready(
                    false,
                    Reason::SecretNotFound,
                    format!("{CLIENT_SECRET_FIELD}: {reason}"),
                ));
            }
            None => return Err(unusable("was not read")),
        };
        // An empty secret would only fail later, at the provider, on a customer's sign-in.
        if secret.trim().is_empty() {
            return Err(unusable("is empty"));
        }
        Ok(entry(
            &self.spec,
            namespace,
            &self.name_any(),
            SecretString::new(secret.clone()),
        ))
    }
    fn entries(config: &TenantConfig) -> &[Self::Entry] {
        &config.social_providers
    }
    fn entries_mut(config: &mut TenantConfig) -> &mut Vec<Self::Entry> {
        &mut config.social_providers
    }
    fn entry_id(entry: &Self::Entry) -> &str {
        &entry.id
    }
    fn common_status(&self) -> Option<&CommonStatus> {
        self.status.as_ref()
    }
}

/// The entry of the provider `namespace/name` with `spec`, whose client secret is `secret`.
pub fn entry(spec: &SocialProviderSpec, namespace: &str, name: &str, secret: SecretString) -> SocialProviderConfig {
    SocialProviderConfig {
        id: format!("{namespace}.{name}"),
        provider_type: spec.provider_type,
        client_id: spec.client_id.clone(),
        client_secret: secret,
        issuer: spec.issuer.clone(),
        authorization_url: spec.authorization_url.clone(),
        token_url: spec.token_url.clone(),
        userinfo_url: spec.userinfo_url.clone(),
        scopes: spec.scopes.clone(),
        claim_mappings: spec.claim_mappings.clone(),
        linking: spec.linking,
        display_name: display_name(spec, name),
        enabled: spec.enabled,
        apple: spec.apple.clone(),
    }
}

/// The button label: `spec.displayName`, else the provider's name (a blank label is no label).
fn display_name(spec: &SocialProviderSpec, name: &str) -> String {
    if let Some(label) = spec.display_name.as_deref().filter(|label| !label.trim().is_empty()) {
        return label.to_owned();
    }
    let preset = match spec.provider_type {
        SocialProviderType::Google => "Google",
        SocialProviderType::Github => "GitHub",
        SocialProviderType::Facebook => "Facebook",
        SocialProviderType::Apple => "Apple",
        SocialProviderType::Microsoft => "Microsoft",
        SocialProviderType::Oidc | SocialProviderType::Oauth2 => name,
    };
    preset.to_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::Timestamp;

    use super::*;

    fn provider(yaml: &str) -> SocialProvider {
        let mut provider = SocialProvider::new("google", serde_yaml::from_str(yaml).unwrap());
        provider.metadata.namespace = Some("shop".into());
        provider
    }

    const GOOGLE: &str =
        "tenantRef: {name: demo}\ntype: google\nclientId: abc\nclientSecretRef: {name: google, key: secret}\n";

    fn render(
        provider: &SocialProvider,
        secret: Option<Result<String, String>>,
    ) -> Result<SocialProviderConfig, Decided> {
        let secrets: BTreeMap<&'static str, Result<String, String>> =
            secret.map(|value| (CLIENT_SECRET_FIELD, value)).into_iter().collect();
        let inputs = Inputs {
            secrets: &secrets,
            recorded: &Recorded::default(),
            now: Timestamp::now(),
        };
        provider.render("shop", &inputs)
    }

    #[test]
    fn the_entry_carries_the_resolved_secret_and_the_preset_label() {
        let entry = render(&provider(GOOGLE), Some(Ok("s3cret".into()))).unwrap();
        assert_eq!(entry.id, "shop.google");
        assert_eq!(entry.client_secret.expose(), "s3cret");
        assert_eq!(entry.display_name, "Google");
        assert!(entry.enabled);
        entry.validate("socialProviders[0]").unwrap();
    }

    #[test]
    fn a_generic_provider_is_labelled_by_its_name_unless_it_says_otherwise() {
        let oidc = provider(&GOOGLE.replace("type: google", "type: oidc\nissuer: https://id.example.com"));
        assert_eq!(render(&oidc, Some(Ok("s".into()))).unwrap().display_name, "google");
        let labelled = provider(&format!("{GOOGLE}displayName: Corporate SSO\n"));
        assert_eq!(
            render(&labelled, Some(Ok("s".into()))).unwrap().display_name,
            "Corporate SSO"
        );
    }

    #[test]
    fn a_missing_or_empty_secret_is_secret_not_found_naming_secret_and_key() {
        let missing = render(&provider(GOOGLE), Some(Err("Secret shop/google does not exist".into()))).unwrap_err();
        assert_eq!(missing.reason, Reason::SecretNotFound);
        assert!(missing.message.contains("spec.clientSecretRef"), "{}", missing.message);
        let empty = render(&provider(GOOGLE), Some(Ok(" \n".into()))).unwrap_err();
        assert_eq!(empty.reason, Reason::SecretNotFound);
        assert!(
            empty.message.contains("shop/google key secret is empty"),
            "{}",
            empty.message
        );
    }
}
