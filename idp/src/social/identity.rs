//! Who signed in upstream, in our claim names: the provider's claims read through the preset's
//! and the configuration's `claimMappings`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::UpstreamError;

/// A customer as an upstream provider describes them. Only `subject` identifies them; the email
/// may link to an existing account only when `email_verified` is true.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpstreamIdentity {
    /// The provider entry's id (`<namespace>.<name>`).
    pub provider_id: String,
    /// The provider's stable identifier of the customer (`sub`, GitHub's numeric `id`).
    pub subject: String,
    /// Email address.
    pub email: Option<String>,
    /// Whether the provider asserts the email verified (false when it cannot be believed).
    pub email_verified: bool,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
    /// Locale (BCP 47).
    pub locale: Option<String>,
    /// Every claim the provider gave, for mappings the sign-in may add later.
    pub claims: Map<String, Value>,
}

/// How the provider's claims are read.
pub(crate) struct Mapping<'a> {
    pub preset: &'a [(&'static str, &'static str)],
    pub configured: &'a BTreeMap<String, String>,
    pub trusts_email_verified: bool,
}

impl Mapping<'_> {
    /// The provider's name of our claim: the configuration first, then the preset, then ours.
    fn source<'n>(&'n self, ours: &'n str) -> &'n str {
        if let Some(theirs) = self.configured.get(ours) {
            return theirs;
        }
        self.preset
            .iter()
            .find(|(name, _)| *name == ours)
            .map_or(ours, |(_, theirs)| theirs)
    }

    fn value<'c>(&self, claims: &'c Map<String, Value>, ours: &str) -> Option<&'c Value> {
        let mut path = self.source(ours).split('.');
        let first = claims.get(path.next()?)?;
        path.try_fold(first, |value, part| value.get(part))
    }

    fn text(&self, claims: &Map<String, Value>, ours: &str) -> Option<String> {
        match self.value(claims, ours)? {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// Reads the identity out of `claims`.
    pub fn identity(&self, provider_id: &str, claims: Map<String, Value>) -> Result<UpstreamIdentity, UpstreamError> {
        let subject = self.text(&claims, "sub").ok_or(UpstreamError::MissingSubject)?;
        // Apple sends "true" as a string; anything but an explicit true is unverified.
        let asserted = match self.value(&claims, "email_verified") {
            Some(Value::Bool(verified)) => *verified,
            Some(Value::String(verified)) => verified == "true",
            _ => false,
        };
        Ok(UpstreamIdentity {
            provider_id: provider_id.to_owned(),
            subject,
            email: self.text(&claims, "email"),
            email_verified: asserted && self.trusts_email_verified,
            name: self.text(&claims, "name"),
            given_name: self.text(&claims, "given_name"),
            family_name: self.text(&claims, "family_name"),
            picture: self.text(&claims, "picture"),
            locale: self.text(&claims, "locale"),
            claims,
        })
    }
}

/// Adds the `extra` claims that `claims` lacks (userinfo after the ID token, never overriding it).
pub(crate) fn fill_missing(claims: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (name, value) in extra {
        claims.entry(name).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn preset_and_configured_mappings_read_nested_and_numeric_claims() {
        let configured = BTreeMap::from([("email".to_owned(), "mail".to_owned())]);
        let mapping = Mapping {
            preset: &[("sub", "id"), ("picture", "picture.data.url")],
            configured: &configured,
            trusts_email_verified: true,
        };
        let claims = map(json!({"id": 42, "mail": "a@example.com", "email_verified": "true",
            "picture": {"data": {"url": "https://img"}}}));
        let identity = mapping.identity("ns.fb", claims);
        let identity = identity.ok();
        assert_eq!(identity.as_ref().map(|i| i.subject.as_str()), Some("42"));
        assert_eq!(
            identity.as_ref().and_then(|i| i.email.as_deref()),
            Some("a@example.com")
        );
        assert_eq!(
            identity.as_ref().and_then(|i| i.picture.as_deref()),
            Some("https://img")
        );
        assert_eq!(identity.map(|i| i.email_verified), Some(true));
    }

    #[test]
    fn an_untrusted_provider_never_yields_a_verified_email() {
        let configured = BTreeMap::new();
        let mapping = Mapping {
            preset: &[],
            configured: &configured,
            trusts_email_verified: false,
        };
        let claims = map(json!({"sub": "s", "email": "a@example.com", "email_verified": true}));
        assert_eq!(
            mapping.identity("ms", claims).ok().map(|i| i.email_verified),
            Some(false)
        );
        let nobody = map(json!({"email": "a@example.com"}));
        assert!(matches!(
            mapping.identity("ms", nobody),
            Err(UpstreamError::MissingSubject)
        ));
    }
}
