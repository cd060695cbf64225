//! Size bounds on what a request may carry: the body of OAuth and form routes, and the length
//! of each authorization request parameter that is stored with a parked request or echoed.

use super::params::Params;
use crate::error::OAuthError;

/// The largest body an OAuth endpoint or hosted form accepts (413 beyond): the largest
/// legitimate one, a token request with a long redirect URI and PKCE verifier, is a few KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The longest `client_id` or `redirect_uri` looked up; beyond, the request names nothing
/// registered (client ids are at most 128 characters) and is refused on a page.
pub const IDENTIFIER_LIMIT: usize = 2048;

/// The longest value of each authorization request parameter that is stored with the parked
/// request, copied into tokens or echoed; beyond, the request is an `invalid_request`.
pub const PARAMETER_LIMITS: [(&str, usize); 7] = [
    ("state", 1024),
    ("nonce", 512),
    // An email address is at most 254 octets (RFC 5321); room for other identifiers.
    ("login_hint", 320),
    ("ui_locales", 256),
    ("scope", 1024),
    ("acr_values", 512),
    // A signed ID token with a generous set of claims.
    ("id_token_hint", 8192),
];

/// Whether `client_id` and `redirect_uri` are short enough to be looked up at all.
pub fn identifiers_fit(params: &Params) -> bool {
    ["client_id", "redirect_uri"]
        .iter()
        .all(|name| params.get(name).is_none_or(|value| value.len() <= IDENTIFIER_LIMIT))
}

/// Refuses the first parameter longer than its limit.
pub fn check(params: &Params) -> Result<(), OAuthError> {
    match PARAMETER_LIMITS
        .iter()
        .find(|(name, limit)| params.get(name).is_some_and(|value| value.len() > *limit))
    {
        Some((name, limit)) => Err(OAuthError::invalid_request(format!(
            "{name} is longer than {limit} bytes"
        ))),
        None => Ok(()),
    }
}

/// Whether `state` may be echoed to the client (an oversized one is not sent back).
pub fn state_fits(state: &str) -> bool {
    PARAMETER_LIMITS
        .iter()
        .any(|(name, limit)| *name == "state" && state.len() <= *limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parameter_is_refused_past_its_limit_and_accepted_at_it() {
        for (name, limit) in PARAMETER_LIMITS {
            let at = Params::parse(&format!("{name}={}", "a".repeat(limit))).unwrap();
            assert!(check(&at).is_ok(), "{name} at its limit");
            let past = Params::parse(&format!("{name}={}", "a".repeat(limit + 1))).unwrap();
            let error = check(&past).unwrap_err();
            assert!(error.description.starts_with(name), "{}", error.description);
        }
        assert!(state_fits(&"s".repeat(1024)) && !state_fits(&"s".repeat(1025)));
        let long_client = Params::parse(&format!("client_id={}", "c".repeat(2049))).unwrap();
        assert!(!identifiers_fit(&long_client));
    }
}
