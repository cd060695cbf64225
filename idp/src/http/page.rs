//! What every hosted page shares: language, branding, CSRF token, and how pages are rendered.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::csrf;
use crate::config::Tenant;
use crate::i18n::Messages;

/// The tenant's look, as pages use it.
#[derive(Debug, Clone)]
pub struct Brand {
    /// Display name.
    pub name: String,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Privacy policy URL.
    pub privacy_url: Option<String>,
    /// Terms URL.
    pub terms_url: Option<String>,
    /// Support address.
    pub support_email: Option<String>,
    /// Changes with the config so browsers fetch new colours.
    pub style_version: i64,
}

/// A button that signs in through an upstream provider, in declared order.
#[derive(Debug, Clone)]
pub struct SocialButton {
    /// The provider entry's id (its start route is `/social/{id}/start`).
    pub id: String,
    /// "Sign in with {name}", in the page's language.
    pub label: String,
}

/// The context of one page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Texts in the negotiated language.
    pub t: &'static Messages,
    /// Title of this page.
    pub title: String,
    /// Branding.
    pub brand: Brand,
    /// CSRF token for the page's forms.
    pub csrf: String,
    /// Path prefix of our routes.
    pub base: String,
    /// The parked authorization request the customer is on the way to, if any.
    pub request: Option<String>,
    /// `?request=…` to carry the parked request along links, or empty.
    pub query: String,
    /// A CSRF cookie to set, when the browser had none.
    pub csrf_cookie: Option<HeaderValue>,
    /// The upstream providers the sign-in and registration pages offer.
    pub social: Vec<SocialButton>,
}

impl Page {
    /// The passkey script's URL: versioned by its content, so it can be cached for long.
    pub fn webauthn_script(&self) -> String {
        format!("{}/assets/webauthn.js?v={}", self.base, script_version())
    }

    /// The proof-of-work script's URL, versioned by its content like the passkey script's.
    pub fn challenge_script(&self) -> String {
        format!("{}/assets/challenge.js?v={}", self.base, challenge_script_version())
    }

    /// A page in the language of `ui_locales` or the browser.
    pub fn new(tenant: &Tenant, headers: &HeaderMap, ui_locales: &[String], request: Option<String>) -> Self {
        let branding = &tenant.config.branding;
        let (csrf, csrf_cookie) = csrf::token(tenant, headers);
        let query = request
            .as_ref()
            .map(|id| format!("?request={}", super::redirect::url_encode(id)))
            .unwrap_or_default();
        let t = Self::language(tenant, headers, ui_locales);
        let social = tenant
            .social
            .iter()
            .map(|served| SocialButton {
                id: served.id.clone(),
                label: t.sign_in_with(&served.display_name),
            })
            .collect();
        Self {
            t,
            title: String::new(),
            brand: Brand {
                name: tenant.config.display_name.clone(),
                logo_url: branding.logo_url.clone(),
                privacy_url: branding.privacy_policy_url.clone(),
                terms_url: branding.terms_url.clone(),
                support_email: branding.support_email.clone(),
                style_version: tenant.config.generation,
            },
            csrf,
            base: tenant.base_path.clone(),
            request,
            query,
            csrf_cookie,
            social,
        }
    }

    /// The language of a page for `ui_locales` and the browser's `Accept-Language`.
    pub fn language(tenant: &Tenant, headers: &HeaderMap, ui_locales: &[String]) -> &'static Messages {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok());
        tenant.languages.negotiate(ui_locales, accept)
    }

    /// The same page with a title.
    pub fn titled(mut self, title: &str) -> Self {
        self.title = title.to_owned();
        self
    }

    /// A link to one of our routes, carrying the parked request.
    pub fn link(&self, route: &str) -> String {
        format!("{}{route}{}", self.base, self.query)
    }
}

/// Renders a template with `status`, setting the CSRF cookie and any `cookies`.
pub fn render(template: &impl Template, page: &Page, status: StatusCode, cookies: &[HeaderValue]) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(error) => {
            return crate::error::Error::Internal(format!("rendering a page failed: {error}")).into_response();
        }
    };
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let headers = response.headers_mut();
    // Pages carry CSRF tokens and personal data: never cache them.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for cookie in page.csrf_cookie.iter().chain(cookies) {
        headers.append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// `response` with `Retry-After: seconds`: when a refused client may try again.
pub fn retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// A page with a heading, a sentence and an optional button link.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    /// Context.
    pub page: &'a Page,
    /// The sentence.
    pub body: &'a str,
    /// Whether it is an error.
    pub alert: bool,
    /// An optional `(href, label)` button.
    pub link: Option<(String, &'a str)>,
}

/// Renders a message page.
pub fn message(page: Page, title: &str, body: &str, link: Option<(String, &str)>, status: StatusCode) -> Response {
    let page = page.titled(title);
    let alert = !status.is_success();
    render(
        &MessagePage {
            page: &page,
            body,
            alert,
            link,
        },
        &page,
        status,
        &[],
    )
}

/// Renders an error page in the customer's language.
pub fn error(tenant: &Tenant, headers: &HeaderMap, status: StatusCode, body: &str) -> Response {
    let page = Page::new(tenant, headers, &[], None);
    let title = page.t.error_title;
    message(page, title, body, None, status)
}

/// The stylesheet with the tenant's colours.
pub fn stylesheet(tenant: &Tenant) -> Response {
    let branding = &tenant.config.branding;
    let css = format!(
        ":root {{ --primary: {}; --background: {}; }}\n{}",
        branding.primary_color,
        branding.background_color,
        include_str!("../../static/style.css")
    );
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response()
}

/// The passkey script (WebAuthn needs a browser API): served from our origin, as the CSP's
/// `script-src 'self'` requires, never inline.
const WEBAUTHN_SCRIPT: &str = include_str!("../../static/webauthn.js");

/// The first 16 hex digits of the script's SHA-256.
fn script_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| crate::random::hash(WEBAUTHN_SCRIPT)[..16].to_owned())
}

/// The passkey script, cached for a year: its URL changes with its content.
pub fn webauthn_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        WEBAUTHN_SCRIPT,
    )
        .into_response()
}

/// The proof-of-work script of challenged sign-ins (SHA-256 in WebCrypto), served from our
/// origin under the CSP's `script-src 'self'`, never inline.
const CHALLENGE_SCRIPT: &str = include_str!("../../static/challenge.js");

/// The first 16 hex digits of the challenge script's SHA-256.
fn challenge_script_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| crate::random::hash(CHALLENGE_SCRIPT)[..16].to_owned())
}

/// The proof-of-work script, cached for a year: its URL changes with its content.
pub fn challenge_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CHALLENGE_SCRIPT,
    )
        .into_response()
}
