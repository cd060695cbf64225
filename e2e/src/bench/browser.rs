//! The little of a browser a sign-in needs: a cookie jar (sent back over plain HTTP on loopback,
//! `Secure` or not), redirects followed by hand, and the sign-in form read from the page.

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};

use super::BenchError;

/// One browser's cookies, by name.
#[derive(Debug, Default, Clone)]
pub struct Jar(BTreeMap<String, String>);

impl Jar {
    /// Takes the `Set-Cookie` headers of `response`; a cookie set to expire is removed.
    pub fn store(&mut self, response: &Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.trim().split_once('=')) else {
                continue;
            };
            let expired = parts.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute == "max-age=0" || attribute.starts_with("expires=thu, 01 jan 1970")
            });
            if expired || value.is_empty() {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// Drops the session cookies (any whose name says `session`), as signing out does: the
    /// browser keeps its other cookies (Vestibule's device cookie among them).
    pub fn forget_sessions(&mut self) {
        self.0.retain(|name, _| !name.to_ascii_lowercase().contains("session"));
    }

    /// The `Cookie` header value, if there are cookies.
    pub fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// `request` with this jar's cookies.
    pub fn attach(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.header() {
            Some(cookies) => request.header(COOKIE, cookies),
            None => request,
        }
    }
}

/// The absolute URL a redirect points to, resolved against `base`.
pub fn location(response: &Response) -> Option<String> {
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    response.url().join(location).ok().map(String::from)
}

/// A GET with the jar, following redirects until an answer that is not one, or one leaving for
/// `stop_at` (the client's redirect URI, never followed). Returns the final response or the
/// stop URL.
pub async fn get_following(
    client: &reqwest::Client,
    jar: &mut Jar,
    mut url: String,
    stop_at: &str,
) -> Result<Followed, BenchError> {
    for _ in 0..8 {
        if url.starts_with(stop_at) {
            return Ok(Followed::Left(url));
        }
        let response = jar
            .attach(client.get(&url))
            .send()
            .await
            .map_err(|e| BenchError::flow("GET", &url, e))?;
        jar.store(&response);
        if !response.status().is_redirection() {
            return Ok(Followed::Page(response));
        }
        url = location(&response).ok_or_else(|| BenchError::flow("a redirect", &url, "without Location"))?;
    }
    Err(BenchError::flow("redirects", &url, "more than 8"))
}

/// Where following redirects ended.
pub enum Followed {
    /// A page (or an error) of the server.
    Page(Response),
    /// A redirect to the client's redirect URI.
    Left(String),
}

/// A sign-in form: where it posts and its hidden fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The `action`, resolved against the page's URL.
    pub action: String,
    /// `name=value` of every hidden input.
    pub hidden: Vec<(String, String)>,
    /// The proof of work the form carries (Vestibule's challenged mode), if any.
    pub puzzle: Option<Puzzle>,
}

/// A proof-of-work puzzle of a sign-in form: its `data-challenge` and `data-difficulty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Puzzle {
    /// The challenge the counter is appended to.
    pub challenge: String,
    /// The leading zero bits the SHA-256 must have.
    pub difficulty: u32,
}

impl Form {
    /// Sets the hidden field `name` (added when missing).
    pub fn set(&mut self, name: &str, value: String) {
        match self.hidden.iter_mut().find(|(field, _)| field == name) {
            Some((_, old)) => *old = value,
            None => self.hidden.push((name.to_owned(), value)),
        }
    }
}

/// The form of `html` (served at `page_url`) that has a password field.
pub fn sign_in_form(html: &str, page_url: &str) -> Option<Form> {
    let form = html
        .split("<form")
        .skip(1)
        .map(|rest| rest.split("</form>").next().unwrap_or(rest))
        .find(|form| form.contains(r#"type="password""#))?;
    let action = attribute(form, "action")?;
    let action = url::Url::parse(page_url)
        .ok()?
        .join(&unescape(&action))
        .ok()?
        .to_string();
    let hidden = form
        .split("<input")
        .skip(1)
        .filter(|input| attribute(input, "type").as_deref() == Some("hidden"))
        .filter_map(|input| {
            Some((
                unescape(&attribute(input, "name")?),
                unescape(&attribute(input, "value")?),
            ))
        })
        .collect();
    let puzzle = attribute(form, "data-challenge").and_then(|challenge| {
        Some(Puzzle {
            challenge: unescape(&challenge),
            difficulty: attribute(form, "data-difficulty")?.parse().ok()?,
        })
    });
    Some(Form { action, hidden, puzzle })
}

/// The value of `name="…"` in a tag's text (up to its closing `>`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let tag = tag.split('>').next()?;
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

/// Undoes HTML escaping of attribute values (`&amp;`, `&#38;`, `&#x26;` and friends).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        // An entity is `&`, up to 8 name characters (letters, digits, `#`), then `;`.
        let name_length = tail[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(tail.len() - 1);
        let end = name_length + 1;
        let Some(end) = (tail[end..].starts_with(';') && name_length <= 8).then_some(end) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        match decode_entity(&tail[1..end]) {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

fn decode_entity(entity: &str) -> Option<char> {
    match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = entity.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Whether a status is a redirect a form post may answer with.
pub fn is_redirect(status: StatusCode) -> bool {
    status.is_redirection()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_form_and_its_hidden_fields_are_found() {
        let html = r#"<form method="get" action="/search"><input type="text" name="q"></form>
<form method="post" action="/login?request=a&amp;b">
<input type="hidden" name="csrf" value="x&#43;y">
<input type="hidden" name="request" value="r1">
<input type="email" name="email"><input type="password" name="password"></form>"#;
        let form = sign_in_form(html, "http://127.0.0.1:9/login?request=r1").unwrap();
        assert_eq!(form.action, "http://127.0.0.1:9/login?request=a&b");
        assert_eq!(
            form.hidden,
            vec![("csrf".into(), "x+y".into()), ("request".into(), "r1".into())]
        );
        assert_eq!(form.puzzle, None);
    }

    #[test]
    fn a_challenged_form_carries_its_puzzle() {
        let html = r#"<form method="post" action="/login" novalidate data-challenge="abc-_" data-difficulty="16">
<input type="hidden" name="challenge" value="abc-_"><input type="hidden" name="challenge_counter" value="">
<input type="password" name="password"></form>"#;
        let mut form = sign_in_form(html, "http://127.0.0.1:9/login").unwrap();
        let puzzle = Puzzle {
            challenge: "abc-_".into(),
            difficulty: 16,
        };
        assert_eq!(form.puzzle, Some(puzzle));
        form.set("challenge_counter", "42".into());
        assert!(form.hidden.contains(&("challenge_counter".into(), "42".into())));
    }

    #[test]
    fn entities_are_decoded_and_stray_ampersands_kept() {
        assert_eq!(unescape("a&amp;b&#x2F;c & d&lt;"), "a&b/c & d<");
    }
}
