//! Redirect URI matching: exact string comparison (RFC 9700 2.1), except that a loopback
//! redirect URI matches on any port (RFC 8252 7.3).

use url::Url;

/// Whether `requested` may be used with a client that registered `registered`.
pub fn matches(registered: &[String], requested: &str) -> bool {
    registered
        .iter()
        .any(|uri| uri == requested || loopback_match(uri, requested))
}

fn loopback_match(registered: &str, requested: &str) -> bool {
    let (Ok(registered), Ok(requested)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    // RFC 8252 7.3 covers IP literals; "localhost" is included as RFC 8252 8.3 discourages but allows it.
    let loopback =
        |url: &Url| url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    loopback(&registered)
        && loopback(&requested)
        && registered.host_str() == requested.host_str()
        && registered.path() == requested.path()
        && registered.query() == requested.query()
        && requested.fragment().is_none()
}

/// `redirect_uri` with `params` appended to its query, keeping any query it had.
pub fn with_params(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return redirect_uri.to_owned();
    }
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered() -> Vec<String> {
        vec!["https://app.example.com/cb".into(), "http://127.0.0.1/cb".into()]
    }

    #[test]
    fn exact_match_only_for_non_loopback() {
        assert!(matches(&registered(), "https://app.example.com/cb"));
        assert!(!matches(&registered(), "https://app.example.com/cb/"));
        assert!(!matches(&registered(), "https://app.example.com/cb?x=1"));
        assert!(!matches(&registered(), "https://APP.example.com/cb"));
        assert!(!matches(&registered(), "https://app.example.com:444/cb"));
    }

    #[test]
    fn loopback_matches_any_port_but_nothing_else() {
        assert!(matches(&registered(), "http://127.0.0.1:53122/cb"));
        assert!(!matches(&registered(), "http://127.0.0.1:53122/other"));
        assert!(!matches(&registered(), "http://localhost:53122/cb"));
        assert!(!matches(&registered(), "https://127.0.0.1:53122/cb"));
    }

    #[test]
    fn params_are_appended_to_an_existing_query() {
        let url = with_params(
            "https://app.example.com/cb?tenant=a",
            &[("code", "x y"), ("state", "s")],
        );
        assert_eq!(url, "https://app.example.com/cb?tenant=a&code=x+y&state=s");
    }
}
