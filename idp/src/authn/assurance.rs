//! What a sign-in must achieve before it may finish: how fresh, how strong, and for whom.

use serde::{Deserialize, Serialize};
use vestibule_crds::config::ClientConfig;

use super::amr::Acr;
use crate::ids::UserId;

/// The assurance a sign-in requires, gathered from the request that started it (`prompt=login`,
/// `max_age`, `acr_values`, an essential `acr`, `id_token_hint`) and what its client registered
/// (defaults, and the class it requires).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assurance {
    /// Only an authentication completed within this sign-in counts (`prompt=login`).
    pub fresh: bool,
    /// The authentication may be at most this many seconds old (`max_age`).
    pub max_age: Option<i64>,
    /// Classes of which one must be met (an essential `acr`); empty when nothing is essential.
    pub essential: Vec<Acr>,
    /// Classes asked for in order of preference (`acr_values`), met when possible.
    pub preferred: Vec<Acr>,
    /// The customer the client expects (the `sub` of `id_token_hint`).
    pub subject: Option<UserId>,
    /// The least class the client requires of every sign-in (`requiredAcr`), essential
    /// whatever the request says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<Acr>,
}

impl Assurance {
    /// Adds what `client` registered for requests that leave it out (OIDC Dynamic Client
    /// Registration 2 `default_max_age`, `default_acr_values`); a request's own values win. The
    /// class the client requires applies whatever the request says.
    pub fn with_client_defaults(mut self, client: &ClientConfig) -> Self {
        // Security: a request cannot lower what the client's owner requires of every sign-in.
        self.floor = client.required_acr.as_deref().and_then(Acr::parse);
        if self.max_age.is_none() {
            self.max_age = client.default_max_age;
        }
        if self.preferred.is_empty() {
            self.preferred = client
                .default_acr_values
                .iter()
                .filter_map(|uri| Acr::parse(uri))
                .collect();
        }
        self
    }

    /// The least class that meets the essential demand (the request's and the client's), if
    /// there is one.
    pub fn minimum(&self) -> Option<Acr> {
        self.essential.iter().min().copied().max(self.floor)
    }

    /// Whether the sign-in fails without a second factor (an essential class of `mfa` or above).
    pub fn demands_second_factor(&self) -> bool {
        self.minimum().is_some_and(|minimum| minimum >= Acr::Mfa)
    }

    /// Whether the essential demand can be met by a sign-in reaching one of `offered`.
    pub fn is_satisfiable(&self, offered: &[Acr]) -> bool {
        self.minimum()
            .is_none_or(|minimum| offered.iter().any(|offered| *offered >= minimum))
    }

    /// The class to report in the ID token for an authentication that `achieved` a class: the
    /// strongest essential class met, else the first preferred one met, else what was achieved
    /// (OIDC Core 5.5.1.1: the `acr` must be one of the requested values when it can be), never
    /// one below what the client requires.
    pub fn reported(&self, achieved: Acr) -> Acr {
        // The client relies on `acr` to see its `requiredAcr` met: a lower requested class
        // would hide that it was.
        let met = |acr: &&Acr| **acr <= achieved && Some(**acr) >= self.floor;
        if !self.essential.is_empty() {
            return self.essential.iter().filter(met).max().copied().unwrap_or(achieved);
        }
        self.preferred.iter().find(met).copied().unwrap_or(achieved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_essential_class_beyond_what_is_offered_cannot_be_met() {
        let mfa = Assurance {
            essential: vec![Acr::Mfa],
            ..Assurance::default()
        };
        assert!(!mfa.is_satisfiable(&[Acr::Password]));
        assert!(mfa.is_satisfiable(&Acr::ALL));
        let either = Assurance {
            essential: vec![Acr::Mfa, Acr::Password],
            ..Assurance::default()
        };
        assert!(either.is_satisfiable(&[Acr::Password]));
        assert_eq!(either.minimum(), Some(Acr::Password));
        assert!(Assurance::default().is_satisfiable(&[Acr::Password]));
    }

    #[test]
    fn client_defaults_apply_only_where_the_request_is_silent() {
        let mut client: ClientConfig = serde_yaml::from_str(
            "clientId: web\ndisplayName: Web\ntype: public\ngrantTypes: [authorization_code]\n\
             scopes: [openid]\ntokenEndpointAuthMethod: none\nidTokenSignedResponseAlg: RS256\n\
             requirePkce: true\nskipConsent: false\n",
        )
        .unwrap();
        client.default_max_age = Some(300);
        client.default_acr_values = vec![Acr::Mfa.uri().to_owned(), "urn:unknown".to_owned()];
        let silent = Assurance::default().with_client_defaults(&client);
        assert_eq!(silent.max_age, Some(300));
        assert_eq!(silent.preferred, [Acr::Mfa]);
        let explicit = Assurance {
            max_age: Some(0),
            preferred: vec![Acr::Password],
            ..Assurance::default()
        };
        assert_eq!(explicit.clone().with_client_defaults(&client), explicit);
    }

    #[test]
    fn a_required_class_is_essential_whatever_the_request_says() {
        let mut client: ClientConfig = serde_yaml::from_str(
            "clientId: web\ndisplayName: Web\ntype: public\ngrantTypes: [authorization_code]\n\
             scopes: [openid]\ntokenEndpointAuthMethod: none\nidTokenSignedResponseAlg: RS256\n\
             requirePkce: true\nskipConsent: false\nrequiredAcr: urn:vestibule:acr:mfa\n",
        )
        .unwrap();
        let silent = Assurance::default().with_client_defaults(&client);
        assert_eq!(silent.minimum(), Some(Acr::Mfa));
        assert!(silent.demands_second_factor());
        assert!(!silent.is_satisfiable(&[Acr::Password]));
        let lower = Assurance {
            essential: vec![Acr::Password],
            preferred: vec![Acr::Password],
            ..Assurance::default()
        }
        .with_client_defaults(&client);
        assert_eq!(lower.minimum(), Some(Acr::Mfa), "a request cannot lower it");
        assert_eq!(lower.reported(Acr::Mfa), Acr::Mfa, "nor what the token reports");
        let higher = Assurance {
            essential: vec![Acr::Phr],
            ..Assurance::default()
        }
        .with_client_defaults(&client);
        assert_eq!(higher.minimum(), Some(Acr::Phr), "a request can raise it");
        client.required_acr = None;
        assert!(
            !Assurance::default()
                .with_client_defaults(&client)
                .demands_second_factor()
        );
    }

    #[test]
    fn the_reported_class_is_a_requested_one_when_met() {
        let preferred = Assurance {
            preferred: vec![Acr::Mfa, Acr::Password],
            ..Assurance::default()
        };
        assert_eq!(preferred.reported(Acr::Password), Acr::Password);
        assert_eq!(preferred.reported(Acr::Mfa), Acr::Mfa);
        let essential = Assurance {
            essential: vec![Acr::Password],
            ..Assurance::default()
        };
        assert_eq!(
            essential.reported(Acr::Mfa),
            Acr::Password,
            "mfa meets a password request"
        );
        assert_eq!(Assurance::default().reported(Acr::Password), Acr::Password);
        let phishing_resistant = Assurance {
            preferred: vec![Acr::Phr],
            ..Assurance::default()
        };
        assert_eq!(
            phishing_resistant.reported(Acr::Mfa),
            Acr::Mfa,
            "a voluntary class not met is not claimed"
        );
        assert_eq!(phishing_resistant.reported(Acr::Phr), Acr::Phr);
    }
}
