//! Reading and writing our cookies: `__Host-` prefixed, Secure, HttpOnly, SameSite=Lax.

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name`, if the browser sent it.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value. `__Host-` forces Secure, Path=/ and no Domain, so no subdomain can
/// set or read it; HttpOnly keeps scripts away; Lax blocks cross-site POSTs.
pub fn set(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let age = max_age
        .map(|seconds| format!("; Max-Age={seconds}"))
        .unwrap_or_default();
    let text = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax{age}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that deletes cookie `name`.
pub fn clear(name: &str) -> HeaderValue {
    set(name, "", Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; __Host-x=two".parse().unwrap());
        headers.append(header::COOKIE, "b=3".parse().unwrap());
        assert_eq!(get(&headers, "__Host-x").as_deref(), Some("two"));
        assert_eq!(get(&headers, "b").as_deref(), Some("3"));
        assert_eq!(get(&headers, "c"), None);
    }

    #[test]
    fn cookies_are_host_only_secure_http_only_and_lax() {
        let value = set("__Host-s", "v", Some(60));
        assert_eq!(value, "__Host-s=v; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=60");
    }
}
