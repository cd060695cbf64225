//! The CAPTCHA a challenged address may solve instead of the proof of work: the provider's
//! widget on the page, and the answer verified server-side with the provider's siteverify
//! endpoint (`secret`, `response`, `remoteip`, form-encoded) before any password is hashed.

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use url::Url;
use vestibule_crds::SecretString;
use vestibule_crds::v1alpha1::{Captcha, CaptchaProvider};

use crate::social::ProviderError;
use crate::social::UpstreamError;
use crate::social::http::{Call, UpstreamHttp, upstream_url};

/// How long the provider has to answer: a challenged sign-in waits for it.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest answer token sent on: providers' tokens are a few kilobytes at most.
const MAX_RESPONSE_LENGTH: usize = 8 * 1024;

/// A tenant's CAPTCHA, ready to verify answers.
#[derive(Debug, Clone)]
pub struct CaptchaCheck {
    provider: CaptchaProvider,
    site_key: String,
    secret: SecretString,
    verify_url: Url,
    http: UpstreamHttp,
}

/// Why the CAPTCHA cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    /// The config carries no secret (the operator did not resolve it).
    #[error("attackProtection.challenge.captcha.secret is required")]
    MissingSecret,
    /// The siteverify URL is not https (http only on loopback).
    #[error("attackProtection.challenge.captcha.verifyUrl: {0}")]
    VerifyUrl(String),
    /// The HTTP client cannot be built.
    #[error(transparent)]
    Client(#[from] ProviderError),
}

/// Why an answer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The form carried no answer.
    Missing,
    /// The provider said no (wrong, expired or already used; its error codes).
    Rejected(String),
    /// The provider said yes for another site than ours.
    OtherHost(String),
}

impl Refused {
    /// The reason in the audit log.
    pub fn detail(&self) -> String {
        match self {
            Self::Missing => "captcha missing".into(),
            Self::Rejected(codes) => format!("captcha rejected ({codes})"),
            Self::OtherHost(host) => format!("captcha solved on another host ({host})"),
        }
    }
}

/// The provider did not give a verdict (down, slow, or answering something else).
#[derive(Debug, thiserror::Error)]
#[error("the CAPTCHA provider gave no verdict: {0}")]
pub struct Unavailable(String);

/// The provider's siteverify answer (the fields the three providers share).
#[derive(Debug, Deserialize)]
struct Verdict {
    success: bool,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default, rename = "error-codes")]
    error_codes: Vec<String>,
}

impl CaptchaCheck {
    /// The check the config asks for, if any.
    pub fn build(captcha: Option<&Captcha>) -> Result<Option<Self>, CaptchaError> {
        let Some(captcha) = captcha else { return Ok(None) };
        let secret = captcha.secret.clone().ok_or(CaptchaError::MissingSecret)?;
        let verify_url = upstream_url(captcha.effective_verify_url()).map_err(CaptchaError::VerifyUrl)?;
        Ok(Some(Self {
            provider: captcha.provider,
            site_key: captcha.site_key.clone(),
            secret,
            verify_url,
            http: UpstreamHttp::new(VERIFY_TIMEOUT)?,
        }))
    }

    /// The provider.
    pub fn provider(&self) -> CaptchaProvider {
        self.provider
    }

    /// The public site key the widget is rendered with.
    pub fn site_key(&self) -> &str {
        &self.site_key
    }

    /// Verifies `response` (the widget's answer) from `remote_ip` for the site `host`.
    pub async fn verify(
        &self,
        response: &str,
        remote_ip: IpAddr,
        host: &str,
    ) -> Result<Result<(), Refused>, Unavailable> {
        if response.is_empty() || response.len() > MAX_RESPONSE_LENGTH {
            return Ok(Err(Refused::Missing));
        }
        let remote_ip = remote_ip.to_string();
        let fields = [
            ("secret", self.secret.expose()),
            ("response", response),
            ("remoteip", remote_ip.as_str()),
        ];
        let call = Call::post_form(self.verify_url.clone(), &fields);
        // Errors name the operation and the provider's status, never the body we sent.
        let verdict: Verdict = self
            .http
            .json("captcha siteverify", call)
            .await
            .map_err(|error: UpstreamError| Unavailable(error.to_string()))?;
        Ok(self.judge(verdict, host))
    }

    /// Accepts only `success: true`; for hCaptcha and Turnstile the host the widget ran on must
    /// be ours when the provider names it.
    fn judge(&self, verdict: Verdict, host: &str) -> Result<(), Refused> {
        if !verdict.success {
            let codes = if verdict.error_codes.is_empty() {
                "no error codes".to_owned()
            } else {
                verdict.error_codes.join(", ")
            };
            return Err(Refused::Rejected(codes));
        }
        let checks_host = matches!(self.provider, CaptchaProvider::Hcaptcha | CaptchaProvider::Turnstile);
        match verdict.hostname {
            // A token solved on another site (a CAPTCHA farm's page with our key) is not ours.
            Some(hostname) if checks_host && !hostname.eq_ignore_ascii_case(host) => Err(Refused::OtherHost(hostname)),
            _ => Ok(()),
        }
    }
}

/// The origins a provider's widget loads scripts and frames from (and talks to), as each
/// provider documents for its Content-Security-Policy.
pub fn csp_sources(provider: CaptchaProvider) -> CspSources {
    match provider {
        CaptchaProvider::Hcaptcha => CspSources {
            script: "https://hcaptcha.com https://*.hcaptcha.com",
            frame: "https://hcaptcha.com https://*.hcaptcha.com",
            connect: "https://hcaptcha.com https://*.hcaptcha.com",
            style: "https://hcaptcha.com https://*.hcaptcha.com",
        },
        CaptchaProvider::Turnstile => CspSources {
            script: "https://challenges.cloudflare.com",
            frame: "https://challenges.cloudflare.com",
            connect: "https://challenges.cloudflare.com",
            style: "",
        },
        CaptchaProvider::Recaptcha => CspSources {
            script: "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/",
            frame: "https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/",
            connect: "https://www.google.com/recaptcha/",
            style: "",
        },
    }
}

/// Sources one provider adds to a page's policy.
#[derive(Debug, Clone, Copy)]
pub struct CspSources {
    /// `script-src`.
    pub script: &'static str,
    /// `frame-src`.
    pub frame: &'static str,
    /// `connect-src`.
    pub connect: &'static str,
    /// `style-src` (hCaptcha only).
    pub style: &'static str,
}

/// The Content-Security-Policy of a page showing `provider`'s widget: the site's own policy
/// with the provider's origins added, and nothing else.
pub fn content_security_policy(provider: CaptchaProvider) -> String {
    let sources = csp_sources(provider);
    let with = |own: &str, extra: &str| {
        if extra.is_empty() {
            own.to_owned()
        } else {
            format!("{own} {extra}")
        }
    };
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'self' https: data:; connect-src {}; \
         frame-src {}; base-uri 'none'; frame-ancestors 'none'",
        with("'self'", sources.script),
        with("'self'", sources.style),
        with("'self'", sources.connect),
        sources.frame,
    )
}

/// The provider's widget script.
pub fn script_url(provider: CaptchaProvider) -> &'static str {
    match provider {
        CaptchaProvider::Hcaptcha => "https://js.hcaptcha.com/1/api.js",
        CaptchaProvider::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/api.js",
        CaptchaProvider::Recaptcha => "https://www.google.com/recaptcha/api.js",
    }
}

/// The class of the element the provider's script renders its widget into.
pub fn widget_class(provider: CaptchaProvider) -> &'static str {
    match provider {
        CaptchaProvider::Hcaptcha => "h-captcha",
        CaptchaProvider::Turnstile => "cf-turnstile",
        CaptchaProvider::Recaptcha => "g-recaptcha",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(provider: CaptchaProvider) -> CaptchaCheck {
        let captcha = Captcha {
            provider,
            site_key: "site".into(),
            secret_ref: None,
            secret: Some(SecretString::new("s3cret")),
            verify_url: None,
        };
        CaptchaCheck::build(Some(&captcha)).unwrap().unwrap()
    }

    fn verdict(success: bool, hostname: Option<&str>) -> Verdict {
        Verdict {
            success,
            hostname: hostname.map(str::to_owned),
            error_codes: vec!["invalid-input-response".into()],
        }
    }

    #[test]
    fn only_success_on_our_host_passes() {
        let turnstile = check(CaptchaProvider::Turnstile);
        assert_eq!(
            turnstile.judge(verdict(true, Some("id.example.com")), "id.example.com"),
            Ok(())
        );
        assert_eq!(turnstile.judge(verdict(true, None), "id.example.com"), Ok(()));
        assert!(matches!(
            turnstile.judge(verdict(true, Some("farm.example.net")), "id.example.com"),
            Err(Refused::OtherHost(_))
        ));
        assert!(matches!(
            turnstile.judge(verdict(false, Some("id.example.com")), "id.example.com"),
            Err(Refused::Rejected(codes)) if codes == "invalid-input-response"
        ));
    }

    #[test]
    fn every_policy_keeps_the_site_s_own_rules_and_adds_the_provider() {
        for provider in [
            CaptchaProvider::Hcaptcha,
            CaptchaProvider::Turnstile,
            CaptchaProvider::Recaptcha,
        ] {
            let policy = content_security_policy(provider);
            let sources = csp_sources(provider);
            assert!(policy.starts_with("default-src 'none'; "), "{policy}");
            assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
            assert!(
                policy.contains(&format!("script-src 'self' {};", sources.script)),
                "{policy}"
            );
            assert!(policy.contains(&format!("frame-src {};", sources.frame)), "{policy}");
        }
        // The widget scripts load from the origins the policy admits.
        assert!(script_url(CaptchaProvider::Hcaptcha).starts_with("https://js.hcaptcha.com/"));
        assert!(script_url(CaptchaProvider::Turnstile).starts_with("https://challenges.cloudflare.com/"));
        assert!(script_url(CaptchaProvider::Recaptcha).starts_with("https://www.google.com/recaptcha/"));
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        assert!(!format!("{:?}", check(CaptchaProvider::Hcaptcha)).contains("s3cret"));
    }
}
