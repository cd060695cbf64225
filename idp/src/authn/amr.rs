//! How a customer authenticated: the methods (`amr`, RFC 8176 names) and the assurance classes
//! they reach (`acr`, OIDC Core 2).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One authentication method, by its RFC 8176 name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A password (`pwd`).
    Pwd,
    /// A one-time password (`otp`).
    Otp,
    /// A hardware-secured key, such as a security key or a platform passkey (`hwk`).
    Hwk,
    /// A software-secured key (`swk`).
    Swk,
    /// Federated: an upstream identity provider vouched for the customer (`fed`).
    Fed,
    /// Multiple factors (`mfa`); derived, never completed on its own.
    Mfa,
    /// User presence and verification by the authenticator, such as its PIN or biometrics
    /// (`user`): a second kind of factor next to the key.
    User,
}

impl Method {
    /// The RFC 8176 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
            Self::Otp => "otp",
            Self::Hwk => "hwk",
            Self::Swk => "swk",
            Self::Fed => "fed",
            Self::Mfa => "mfa",
            Self::User => "user",
        }
    }

    /// The method named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Pwd,
            Self::Otp,
            Self::Hwk,
            Self::Swk,
            Self::Fed,
            Self::Mfa,
            Self::User,
        ]
        .into_iter()
        .find(|method| method.as_str() == name)
    }

    /// Whether the method establishes who the customer is (a first factor): a passkey does on
    /// its own (passwordless sign-in).
    pub fn is_first_factor(self) -> bool {
        matches!(self, Self::Pwd | Self::Fed | Self::Hwk | Self::Swk)
    }

    /// Whether the method is a passkey (origin-bound: phishing-resistant).
    pub fn is_passkey(self) -> bool {
        matches!(self, Self::Hwk | Self::Swk)
    }

    /// Whether the method proves possession of something (a second factor after a first).
    fn is_possession(self) -> bool {
        matches!(self, Self::Otp | Self::Hwk | Self::Swk)
    }
}

/// The methods a sign-in completed, as the `amr` claim lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct Amr(BTreeSet<Method>);

impl Amr {
    /// A single method.
    pub fn of(method: Method) -> Self {
        let mut amr = Self::default();
        amr.insert(method);
        amr
    }

    /// Adds a completed method; `mfa` follows once a possession factor joins another factor.
    pub fn insert(&mut self, method: Method) {
        if method == Method::Mfa {
            return;
        }
        self.0.insert(method);
        let possession = self.0.iter().filter(|m| m.is_possession()).count();
        let other = self
            .0
            .iter()
            .filter(|m| **m != Method::Mfa && !m.is_possession())
            .count();
        // Two factors of different kinds (RFC 8176 `mfa`); two keys alone are one kind.
        if possession >= 1 && other >= 1 {
            self.0.insert(Method::Mfa);
        }
    }

    /// Whether `method` was completed.
    pub fn contains(&self, method: Method) -> bool {
        self.0.contains(&method)
    }

    /// Whether no method was completed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a first factor was completed.
    pub fn has_first_factor(&self) -> bool {
        self.0.iter().any(|method| method.is_first_factor())
    }

    /// The methods, in a stable order.
    pub fn methods(&self) -> impl Iterator<Item = Method> + '_ {
        self.0.iter().copied()
    }

    /// The names, for the `amr` claim.
    pub fn names(&self) -> Vec<String> {
        self.methods().map(|method| method.as_str().to_owned()).collect()
    }

    /// Parses the stored, space-separated form. Unknown names are dropped: a method we cannot
    /// name cannot raise the assurance.
    pub fn parse(text: &str) -> Self {
        let mut amr = Self::default();
        for method in text.split(' ').filter_map(Method::parse) {
            amr.insert(method);
        }
        amr
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.methods().map(Method::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

impl From<Amr> for String {
    fn from(amr: Amr) -> Self {
        amr.to_string()
    }
}

impl From<String> for Amr {
    fn from(text: String) -> Self {
        Self::parse(&text)
    }
}

/// An authentication context class (`acr`): how much the IdP vouches for the authentication.
/// Ordered: a higher class satisfies a request for a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Acr {
    /// One factor (a password, or an upstream provider).
    Password,
    /// Several factors of different kinds.
    Mfa,
    /// Several factors of which one is a passkey: phishing-resistant (bound to our origin).
    Phr,
}

impl Acr {
    /// Every class this IdP knows.
    pub const ALL: [Self; 3] = [Self::Password, Self::Mfa, Self::Phr];

    /// The class's URI, the value of `acr` and `acr_values`.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Password => "urn:vestibule:acr:password",
            Self::Mfa => "urn:vestibule:acr:mfa",
            Self::Phr => "urn:vestibule:acr:phr",
        }
    }

    /// The class named `uri`.
    pub fn parse(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|acr| acr.uri() == uri)
    }

    /// The class `amr` reaches.
    pub fn achieved(amr: &Amr) -> Self {
        if amr.contains(Method::Mfa) && amr.methods().any(Method::is_passkey) {
            Self::Phr
        } else if amr.contains(Method::Mfa) {
            Self::Mfa
        } else {
            Self::Password
        }
    }

    /// The classes a sign-in at this tenant can reach: `mfa` once the tenant has an MFA policy
    /// (a client under none of them still cannot reach it: its sign-in fails an essential `mfa`),
    /// `phr` once a policy accepts passkeys.
    pub fn offered(config: &vestibule_crds::config::TenantConfig) -> Vec<Self> {
        let passkeys = config
            .mfa_policies
            .iter()
            .any(|policy| policy.factors.contains(&vestibule_crds::v1alpha1::Factor::Webauthn));
        Self::ALL
            .into_iter()
            .filter(|acr| match acr {
                Self::Password => true,
                Self::Mfa => !config.mfa_policies.is_empty(),
                Self::Phr => passkeys,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_are_the_ones_a_client_may_ask_for() {
        let uris: Vec<&str> = Acr::ALL.iter().map(|acr| acr.uri()).collect();
        assert_eq!(uris, vestibule_crds::v1alpha1::ACR_VALUES);
    }

    #[test]
    fn mfa_needs_a_possession_factor_next_to_another_kind() {
        let mut amr = Amr::of(Method::Pwd);
        assert_eq!(amr.to_string(), "pwd");
        assert_eq!(Acr::achieved(&amr), Acr::Password);
        amr.insert(Method::Otp);
        assert_eq!(amr.to_string(), "pwd otp mfa");
        assert_eq!(Acr::achieved(&amr), Acr::Mfa);
        let mut keys = Amr::of(Method::Swk);
        keys.insert(Method::Otp);
        assert!(!keys.contains(Method::Mfa), "two possession factors are one kind");
        let mut claimed = Amr::default();
        claimed.insert(Method::Mfa);
        assert!(claimed.is_empty(), "mfa is derived, never completed on its own");
    }

    #[test]
    fn stored_amr_round_trips_and_unknown_names_are_dropped() {
        assert_eq!(Amr::parse("pwd otp mfa"), {
            let mut amr = Amr::of(Method::Otp);
            amr.insert(Method::Pwd);
            amr
        });
        assert_eq!(Amr::parse("pwd retina").to_string(), "pwd");
        assert_eq!(Amr::parse("mfa").to_string(), "", "mfa alone proves nothing");
        assert_eq!(serde_json::to_string(&Amr::of(Method::Fed)).unwrap(), r#""fed""#);
    }

    #[test]
    fn mfa_is_offered_once_the_tenant_has_a_policy() {
        let base = "generation: 1\nissuer: https://id.example.com\ndisplayName: Shop\n";
        let none = vestibule_crds::config::TenantConfig::from_yaml(base).unwrap();
        assert_eq!(Acr::offered(&none), [Acr::Password]);
        let text = format!("{base}mfaPolicies:\n- {{id: a.mfa, factors: [totp]}}\n");
        let with = vestibule_crds::config::TenantConfig::from_yaml(&text).unwrap();
        assert_eq!(Acr::offered(&with), [Acr::Password, Acr::Mfa]);
    }

    #[test]
    fn a_verified_passkey_alone_is_mfa_and_phishing_resistant() {
        let mut amr = Amr::of(Method::Hwk);
        assert_eq!(
            Acr::achieved(&amr),
            Acr::Password,
            "a key without verification is one factor"
        );
        assert!(amr.has_first_factor());
        amr.insert(Method::User);
        assert_eq!(amr.to_string(), "hwk mfa user");
        assert_eq!(Acr::achieved(&amr), Acr::Phr);
        let mut second = Amr::of(Method::Pwd);
        second.insert(Method::Swk);
        assert_eq!(Acr::achieved(&second), Acr::Phr, "password and a synced passkey");
        let mut codes = Amr::of(Method::Pwd);
        codes.insert(Method::Otp);
        assert_eq!(Acr::achieved(&codes), Acr::Mfa, "a code can be phished");
        assert_eq!(Amr::parse("swk user").to_string(), "swk mfa user");
    }

    #[test]
    fn classes_are_ordered_and_parsed_by_uri() {
        assert!(Acr::Phr > Acr::Mfa);
        assert!(Acr::Mfa > Acr::Password);
        assert_eq!(Acr::parse("urn:vestibule:acr:mfa"), Some(Acr::Mfa));
        assert_eq!(Acr::parse("urn:other"), None);
    }
}
