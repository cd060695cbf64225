//! Sign-in through upstream providers (`vestibule_idp::social`): a real OpenID provider we did not
//! write (panva's oidc-provider), a GitHub-shaped OAuth 2 server, and a scriptable provider for
//! every hostile answer.

mod challenged;
mod chromium;
mod fake_github;
mod fake_op;
mod github;
mod hostile;
mod journeys;
mod oidc;
mod routes;
mod upstream_op;

use std::collections::BTreeMap;
use std::time::Duration;

use vestibule_crds::config::SocialProviderConfig;
use vestibule_crds::secret::SecretString;
use vestibule_crds::v1alpha1::{AccountLinking, SocialProviderType};
use vestibule_idp::social::{Callback, Provider, ProviderOptions, Redirect, UpstreamHttp};

use crate::support::Browser;

/// Our callback URL as the providers see it; nothing listens there, the test reads the redirect.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/social/callback";

/// A provider entry of the tenant configuration.
pub fn entry(provider_type: SocialProviderType, client_id: &str, secret: &str) -> SocialProviderConfig {
    SocialProviderConfig {
        id: "team.upstream".into(),
        provider_type,
        client_id: client_id.into(),
        client_secret: SecretString::new(secret),
        issuer: None,
        authorization_url: None,
        token_url: None,
        userinfo_url: None,
        scopes: Vec::new(),
        claim_mappings: BTreeMap::new(),
        linking: AccountLinking::VerifiedEmail,
        display_name: "Upstream".into(),
        enabled: true,
        apple: None,
    }
}

/// An OpenID provider entry for `issuer`.
pub fn oidc_entry(issuer: &str) -> SocialProviderConfig {
    SocialProviderConfig {
        issuer: Some(issuer.into()),
        ..entry(SocialProviderType::Oidc, "vestibule-rp", "upstream-secret")
    }
}

pub fn provider(config: &SocialProviderConfig) -> Provider {
    provider_with(config, ProviderOptions::default(), Duration::from_secs(5))
}

pub fn provider_with(config: &SocialProviderConfig, options: ProviderOptions, timeout: Duration) -> Provider {
    Provider::new(config, UpstreamHttp::new(timeout).unwrap(), options).unwrap()
}

/// Follows the authorization redirect through the provider (cookies kept, its own redirects
/// followed) up to the redirect to our callback, and reads the callback's parameters.
pub async fn authorize(redirect: &Redirect) -> Callback {
    let url = redirect.url.as_str();
    let origin = redirect.url.origin().ascii_serialization();
    let browser = Browser::new(&origin);
    let page = browser.follow(browser.get(url).await).await;
    let location = page.location();
    assert!(
        location.starts_with(REDIRECT_URI),
        "the provider redirected elsewhere: {location}"
    );
    callback_from(&location)
}

/// The callback parameters in a redirect URL.
pub fn callback_from(location: &str) -> Callback {
    let url = url::Url::parse(location).unwrap();
    let query = url.query().unwrap_or_default();
    serde_urlencoded_callback(query)
}

fn serde_urlencoded_callback(query: &str) -> Callback {
    let pairs: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    serde_json::from_value(serde_json::to_value(pairs).unwrap()).unwrap()
}
