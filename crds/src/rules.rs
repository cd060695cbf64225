//! Single-value rules shared by the custom resources and the config: URLs, names, colours.
//!
//! Each returns `Err(reason)` so callers can attach the field path.

use url::Url;

/// Hosts for which plain `http` is acceptable: the local machine only.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// True for `localhost`, `127.0.0.1` and `[::1]`.
pub fn is_loopback_host(url: &Url) -> bool {
    url.host_str().is_some_and(|host| LOOPBACK_HOSTS.contains(&host))
}

/// An OpenID issuer: https (http only on the local machine), no query, no fragment, no trailing
/// slash (OIDC Discovery 4: `<issuer>/.well-known/openid-configuration` must not double the slash).
pub fn issuer(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("is not an absolute URL ({error})"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => return Err("must use https unless the host is localhost or 127.0.0.1".into()),
        _ => return Err("must be an https URL".into()),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment (OIDC Core 2)".into());
    }
    if value.ends_with('/') {
        return Err("must not end with '/'".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    Ok(url)
}

/// A redirect URI an authorization server may send codes to (RFC 6749 3.1.2, RFC 8252 7,
/// RFC 9700 2.1): absolute, no fragment, https or loopback http or a private-use scheme.
pub fn redirect_uri(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("is not an absolute URI ({error})"))?;
    if url.fragment().is_some() {
        return Err("must not contain a fragment (RFC 6749 3.1.2)".into());
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(&url) => Ok(url),
        "http" => Err("must use https unless the host is localhost or 127.0.0.1".into()),
        // RFC 8252 7.1: native apps use a reverse-domain private-use scheme such as com.example.app.
        scheme if scheme.contains('.') => Ok(url),
        _ => Err("must be https, loopback http, or a reverse-domain scheme (RFC 8252)".into()),
    }
}

/// A plain https URL (logo, documents), http only on the local machine.
pub fn web_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("is not an absolute URL ({error})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(&url) => Ok(url),
        _ => Err("must be an https URL".into()),
    }
}

/// A web origin for CORS: scheme, host and optional port, nothing else.
pub fn origin(value: &str) -> Result<(), String> {
    let url = web_url(value)?;
    if url.path() != "/" || value.ends_with('/') || url.query().is_some() {
        return Err("must be an origin such as https://app.example.com, without a path".into());
    }
    Ok(())
}

/// A `#rrggbb` colour.
pub fn colour(value: &str) -> Result<(), String> {
    let hex = value.strip_prefix('#').ok_or("must start with '#'")?;
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err("must be a colour such as #1f6feb".into())
    }
}

/// An email address in its plain `local@domain` form.
pub fn email_address(value: &str) -> Result<(), String> {
    let (local, domain) = value.rsplit_once('@').ok_or("must be an email address")?;
    let plain = |part: &str| !part.is_empty() && !part.chars().any(|c| c.is_whitespace() || c == '<' || c == '>');
    if plain(local) && plain(domain) && domain.contains('.') || plain(local) && domain == "localhost" {
        Ok(())
    } else {
        Err("must be an email address".into())
    }
}

/// An RFC 1123 label: what Kubernetes accepts as a namespace name.
pub fn dns_label(value: &str) -> Result<(), String> {
    let valid_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !value.is_empty() && value.len() <= 63 && valid_chars && !value.starts_with('-') && !value.ends_with('-') {
        Ok(())
    } else {
        Err("must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)".into())
    }
}

/// [`dns_label`] as a schema pattern.
pub const DNS_LABEL_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// [`dns_subdomain`] as a schema pattern.
pub const DNS_SUBDOMAIN_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// An RFC 1123 subdomain: what Kubernetes accepts as most object names.
pub fn dns_subdomain(value: &str) -> Result<(), String> {
    if value.len() <= 253 && value.split('.').all(|label| dns_label(label).is_ok()) {
        Ok(())
    } else {
        Err("must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.', at most 253 characters)".into())
    }
}

/// The longest Tenant name: `<name>-idp` must still be a Service name (63 characters).
pub const MAX_TENANT_NAME: usize = 59;

/// A Tenant's name, which names its children: an RFC 1035 label (a Service name) once `-idp` is
/// appended, so a letter first, no dots, at most [`MAX_TENANT_NAME`] characters.
pub fn tenant_name(value: &str) -> Result<(), String> {
    let starts_with_letter = value.starts_with(|c: char| c.is_ascii_lowercase());
    if starts_with_letter && value.len() <= MAX_TENANT_NAME && dns_label(value).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "must be at most {MAX_TENANT_NAME} characters of a-z, 0-9 and '-', start with a letter and not end with '-': it names the IdP's Service (<name>-idp)"
        ))
    }
}

/// An OAuth client identifier: printable, no spaces, short enough to index.
pub fn client_id(value: &str) -> Result<(), String> {
    let valid_chars = value.chars().all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c));
    if !value.is_empty() && value.len() <= 128 && valid_chars {
        Ok(())
    } else {
        Err("must be 1 to 128 characters of a-z, A-Z, 0-9, '.', '_', '-', ':'".into())
    }
}

/// An OAuth scope token (RFC 6749 3.3: `%x21 / %x23-5B / %x5D-7E`).
pub fn scope_token(value: &str) -> Result<(), String> {
    let valid = |c: char| c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c);
    if !value.is_empty() && value.chars().all(valid) {
        Ok(())
    } else {
        Err("must be a scope token without spaces, quotes or backslashes (RFC 6749 3.3)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_requires_https_except_on_loopback() {
        assert!(issuer("https://id.example.com").is_ok());
        assert!(issuer("https://example.com/tenants/acme").is_ok());
        assert!(issuer("http://localhost:8080").is_ok());
        assert!(issuer("http://127.0.0.1:8080").is_ok());
        assert!(issuer("http://id.example.com").is_err());
        assert!(issuer("https://id.example.com/").is_err());
        assert!(issuer("https://id.example.com?x=1").is_err());
        assert!(issuer("https://id.example.com#x").is_err());
        assert!(issuer("id.example.com").is_err());
    }

    #[test]
    fn redirect_uris_follow_rfc_8252_and_refuse_fragments() {
        assert!(redirect_uri("https://app.example.com/callback").is_ok());
        assert!(redirect_uri("http://127.0.0.1/callback").is_ok());
        assert!(redirect_uri("com.example.app:/oauth2redirect").is_ok());
        assert!(redirect_uri("http://app.example.com/callback").is_err());
        assert!(redirect_uri("https://app.example.com/cb#frag").is_err());
        assert!(redirect_uri("javascript:alert(1)").is_err());
        assert!(redirect_uri("/relative").is_err());
    }

    #[test]
    fn names_and_tokens() {
        assert!(dns_label("team-a").is_ok());
        assert!(dns_label("Team").is_err());
        assert!(dns_subdomain("webapp.oidc").is_ok());
        assert!(tenant_name("demo-2").is_ok());
        assert!(tenant_name(&"a".repeat(59)).is_ok());
        for bad in ["shop.example", "1shop", "-shop", "shop-", "Shop", ""] {
            assert!(tenant_name(bad).is_err(), "{bad}");
        }
        assert!(tenant_name(&"a".repeat(60)).is_err());
        assert!(client_id("default.webapp").is_ok());
        assert!(client_id("bad id").is_err());
        assert!(scope_token("openid").is_ok());
        assert!(scope_token("a b").is_err());
        assert!(colour("#1f6feb").is_ok());
        assert!(colour("blue").is_err());
        assert!(email_address("support@example.com").is_ok());
        assert!(email_address("nobody").is_err());
        assert!(origin("https://app.example.com").is_ok());
        assert!(origin("https://app.example.com/path").is_err());
    }
}
