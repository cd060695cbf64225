//! The CAPTCHA a challenged sign-in may solve instead of the proof of work: hCaptcha, Cloudflare
//! Turnstile or reCAPTCHA v2 (checkbox), verified by the IdP with the provider before any
//! password is hashed.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::SecretKeyRef;
use crate::rules;
use crate::secret::SecretString;
use crate::validation::Checker;

/// The longest site key or verify URL accepted.
const MAX_LENGTH: usize = 2048;

/// A CAPTCHA provider.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaptchaProvider {
    /// hCaptcha (`https://hcaptcha.com`).
    Hcaptcha,
    /// Cloudflare Turnstile.
    Turnstile,
    /// Google reCAPTCHA v2, the checkbox.
    Recaptcha,
}

/// A CAPTCHA shown to challenged sign-ins instead of the proof of work. On a Tenant the secret is
/// referenced (`secretRef`); in a standalone IdP's config it is given inline (`secret`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.secretRef)").message("secretRef is required on a Tenant"))]
#[serde(rename_all = "camelCase")]
pub struct Captcha {
    /// Which provider: `hcaptcha`, `turnstile` or `recaptcha` (reCAPTCHA v2 checkbox).
    pub provider: CaptchaProvider,
    /// The site key the provider issued (public: it is in the page).
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = Rule::new("self.size() >= 1").message("must not be empty"))]
    pub site_key: String,
    /// The Secret key holding the provider's secret key, in the Tenant's namespace (required on
    /// a Tenant; absent in a standalone config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretKeyRef>,
    /// The provider's secret key itself: only in a standalone IdP's config (the operator puts
    /// the referenced Secret's value here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub secret: Option<SecretString>,
    /// Another siteverify endpoint than the provider's (a proxy, or a test double): https, or
    /// http on loopback only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub verify_url: Option<String>,
}

impl CaptchaProvider {
    /// The provider's siteverify endpoint.
    pub fn verify_url(self) -> &'static str {
        match self {
            Self::Hcaptcha => "https://api.hcaptcha.com/siteverify",
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            Self::Recaptcha => "https://www.google.com/recaptcha/api/siteverify",
        }
    }

    /// The form field the provider's widget puts its answer in.
    pub fn response_field(self) -> &'static str {
        match self {
            Self::Hcaptcha => "h-captcha-response",
            Self::Turnstile => "cf-turnstile-response",
            Self::Recaptcha => "g-recaptcha-response",
        }
    }

    /// The name used in metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hcaptcha => "hcaptcha",
            Self::Turnstile => "turnstile",
            Self::Recaptcha => "recaptcha",
        }
    }
}

impl Captcha {
    /// The siteverify endpoint the IdP posts answers to.
    pub fn effective_verify_url(&self) -> &str {
        self.verify_url.as_deref().unwrap_or_else(|| self.provider.verify_url())
    }

    /// Checks what a Tenant and a config share.
    pub(crate) fn check(&self, checker: &mut Checker, path: &str) {
        checker.require(
            !self.site_key.trim().is_empty() && self.site_key.len() <= MAX_LENGTH,
            format!("{path}.siteKey"),
            format!("must be 1 to {MAX_LENGTH} characters"),
        );
        // The key is written into the page's attributes: printable ASCII only.
        checker.require(
            self.site_key.bytes().all(|byte| byte.is_ascii_graphic()),
            format!("{path}.siteKey"),
            "must be printable ASCII without spaces",
        );
        if let Some(url) = &self.verify_url {
            checker.merge_reason(verify_url(url), format!("{path}.verifyUrl"));
        }
    }

    /// On a Tenant: the secret is referenced, never inline.
    pub(crate) fn check_on_tenant(&self, checker: &mut Checker, path: &str) {
        match &self.secret_ref {
            Some(reference) => reference.check(checker, &format!("{path}.secretRef")),
            None => checker.fail(format!("{path}.secretRef"), "is required on a Tenant"),
        }
        checker.require(
            self.secret.is_none(),
            format!("{path}.secret"),
            "is for standalone configs: a Tenant refers to a Secret with secretRef",
        );
    }

    /// In a config the IdP reads: the secret is inline (the operator resolved the reference).
    pub(crate) fn check_in_config(&self, checker: &mut Checker, path: &str) {
        checker.require(
            self.secret.as_ref().is_some_and(|secret| !secret.expose().is_empty()),
            format!("{path}.secret"),
            "is required in a config (the provider's secret key)",
        );
        checker.require(
            self.secret_ref.is_none(),
            format!("{path}.secretRef"),
            "is for Tenants only: the IdP cannot read Secrets",
        );
    }
}

/// A siteverify URL: https, or http on loopback; no credentials or fragment.
fn verify_url(value: &str) -> Result<(), String> {
    let url = rules::web_url(value)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment".into());
    }
    if value.len() > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captcha(verify_url: Option<&str>) -> Captcha {
        Captcha {
            provider: CaptchaProvider::Turnstile,
            site_key: "0x4AAAAAAA".into(),
            secret_ref: None,
            secret: Some(SecretString::new("s3cret")),
            verify_url: verify_url.map(str::to_owned),
        }
    }

    fn errors(captcha: &Captcha, on_tenant: bool) -> String {
        let mut checker = Checker::default();
        captcha.check(&mut checker, "c");
        if on_tenant {
            captcha.check_on_tenant(&mut checker, "c");
        } else {
            captcha.check_in_config(&mut checker, "c");
        }
        checker.finish().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn verify_urls_are_https_or_loopback_http() {
        assert_eq!(
            errors(&captcha(Some("https://proxy.example.com/siteverify")), false),
            ""
        );
        assert_eq!(errors(&captcha(Some("http://127.0.0.1:9000/siteverify")), false), "");
        assert!(errors(&captcha(Some("http://proxy.example.com/siteverify")), false).contains("c.verifyUrl"));
        assert!(errors(&captcha(Some("https://u:p@proxy.example.com/")), false).contains("c.verifyUrl"));
    }

    #[test]
    fn a_tenant_refers_to_the_secret_and_a_config_carries_it() {
        assert!(errors(&captcha(None), true).contains("c.secretRef: is required on a Tenant"));
        assert!(errors(&captcha(None), true).contains("c.secret:"));
        let referenced = Captcha {
            secret: None,
            secret_ref: Some(SecretKeyRef {
                name: "captcha".into(),
                key: "secret".into(),
            }),
            ..captcha(None)
        };
        assert_eq!(errors(&referenced, true), "");
        assert!(errors(&referenced, false).contains("c.secret: is required in a config"));
        assert!(errors(&referenced, false).contains("c.secretRef: is for Tenants only"));
    }

    #[test]
    fn the_secret_never_appears_in_debug_output() {
        assert!(!format!("{:?}", captcha(None)).contains("s3cret"));
    }

    #[test]
    fn each_provider_has_its_endpoint_and_answer_field() {
        assert_eq!(CaptchaProvider::Hcaptcha.response_field(), "h-captcha-response");
        assert_eq!(CaptchaProvider::Turnstile.response_field(), "cf-turnstile-response");
        assert_eq!(CaptchaProvider::Recaptcha.response_field(), "g-recaptcha-response");
        assert_eq!(
            captcha(None).effective_verify_url(),
            "https://challenges.cloudflare.com/turnstile/v0/siteverify"
        );
    }
}
