//! Reading and writing our cookies, through the `cookie` crate: `__Host-` prefixed, Secure,
//! HttpOnly, SameSite=Lax.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::time::Duration;
use cookie::{Cookie, SameSite};

/// The value of cookie `name`, if the browser sent it.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// A `Set-Cookie` value. `__Host-` forces Secure, Path=/ and no Domain, so no subdomain can
/// set or read it; HttpOnly keeps scripts away; Lax blocks cross-site POSTs.
pub fn set(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax);
    if let Some(seconds) = max_age {
        cookie = cookie.max_age(Duration::seconds(seconds));
    }
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
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
        headers.append(header::COOKIE, "b=3; broken".parse().unwrap());
        assert_eq!(get(&headers, "__Host-x").as_deref(), Some("two"));
        assert_eq!(get(&headers, "b").as_deref(), Some("3"));
        assert_eq!(get(&headers, "c"), None);
    }

    #[test]
    fn cookies_are_host_only_secure_http_only_and_lax() {
        let value = set("__Host-s", "v", Some(60));
        let text = value.to_str().unwrap();
        let cookie = Cookie::parse(text).unwrap();
        assert_eq!((cookie.name(), cookie.value()), ("__Host-s", "v"));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.max_age(), Some(Duration::seconds(60)));
        assert_eq!(cookie.domain(), None);
        assert!(clear("__Host-s").to_str().unwrap().contains("Max-Age=0"));
    }
}
