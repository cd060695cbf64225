//! A browser-like HTTP client: keeps cookies (including `Secure` ones over loopback HTTP, as
//! browsers do for localhost), never follows redirects on its own, and reads forms.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

/// A response with its body read.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub url: String,
}

impl Page {
    /// The `Location` header.
    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location on {} {}: {}", self.status, self.url, self.body))
            .to_owned()
    }

    /// The value of the hidden input `name` (first occurrence).
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name} in:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        html_unescape(&self.body[start..end])
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// The JSON body.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

fn html_unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A query value parsed from a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The browser.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    jar: Mutex<BTreeMap<String, String>>,
    pub accept_language: Option<String>,
    /// Sent as `X-Forwarded-For`, as if a proxy (or a client pretending) added it.
    pub forwarded_for: Option<String>,
    /// Sends `Sec-GPC: 1`, the Global Privacy Control signal.
    pub global_privacy_control: bool,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::from_address(base, None)
    }

    /// A browser connecting from `address` (any of 127.0.0.0/8 reaches a loopback server), so
    /// tests can act as several clients; `None` lets the system choose.
    pub fn from_address(base: &str, address: Option<std::net::IpAddr>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(address)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            http,
            jar: Mutex::new(BTreeMap::new()),
            accept_language: None,
            forwarded_for: None,
            global_privacy_control: false,
        }
    }

    /// The same browser (its cookies and language) connecting from `address`: one session
    /// spread over several client addresses, as a patient attacker would.
    pub fn moved_to(&self, address: std::net::IpAddr) -> Self {
        let mut moved = Self::from_address(&self.base, Some(address));
        moved.jar = Mutex::new(self.jar.lock().unwrap().clone());
        moved.accept_language = self.accept_language.clone();
        moved
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with("http://") || url.starts_with("https://") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        }
    }

    /// The cookie `name`, if set.
    pub fn cookie(&self, name_prefix: &str) -> Option<String> {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .find(|(name, _)| name.starts_with(name_prefix))
            .map(|(_, value)| value.clone())
    }

    async fn send(&self, method: Method, url: &str, form: Option<&[(&str, &str)]>) -> Page {
        let url = self.absolute(url);
        let mut request = self.http.request(method, &url);
        let cookies = self
            .jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookies.is_empty() {
            request = request.header(COOKIE, cookies);
        }
        if let Some(language) = &self.accept_language {
            request = request.header("accept-language", language);
        }
        if let Some(forwarded) = &self.forwarded_for {
            request = request.header("x-forwarded-for", forwarded);
        }
        if self.global_privacy_control {
            request = request.header("sec-gpc", "1");
        }
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            self.store_cookie(value.to_str().unwrap());
        }
        Page {
            status,
            headers,
            body: response.text().await.unwrap(),
            url,
        }
    }

    /// Keeps the cookie of a `Set-Cookie` value the test obtained itself (such as a trusted
    /// device's).
    pub fn set_cookie(&self, header: &str) {
        self.store_cookie(header);
    }

    fn store_cookie(&self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let expired = parts.any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
        let mut jar = self.jar.lock().unwrap();
        if expired {
            jar.remove(name.trim())
        } else {
            jar.insert(name.trim().to_owned(), value.to_owned())
        };
    }

    pub async fn get(&self, url: &str) -> Page {
        self.send(Method::GET, url, None).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, url, Some(form)).await
    }

    /// Follows redirects within the IdP; stops at the first redirect elsewhere (the client's
    /// redirect URI) or at a page. Returns the last response.
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            if !page.status.is_redirection() {
                return page;
            }
            let next = page.location();
            if next.starts_with("http") && !next.starts_with(&self.base) {
                return page;
            }
            page = self.get(&next).await;
        }
        panic!("too many redirects");
    }

    /// Submits the form on `page` that posts to `action`: its hidden inputs (CSRF token and
    /// the like), overridden and extended by `fields`.
    pub async fn submit(&self, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
        let marker = format!(r#"action="{action}""#);
        let start = page
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no form posting to {action} on:\n{}", page.body));
        let end = page.body[start..]
            .find("</form>")
            .map_or(page.body.len(), |end| start + end);
        let mut form: Vec<(String, String)> = hidden_inputs(&page.body[start..end]);
        for (name, value) in fields {
            form.retain(|(existing, _)| existing != name);
            form.push(((*name).to_owned(), (*value).to_owned()));
        }
        let pairs: Vec<(&str, &str)> = form
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        self.post(action, &pairs).await
    }
}

/// Every `<input type="hidden" name=… value=…>` in `html`.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split(r#"<input type="hidden" name=""#)
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.strip_prefix(r#" value=""#)?.split('"').next()?;
            Some((name.to_owned(), html_unescape(value)))
        })
        .collect()
}
