//! The HTTP client for upstream calls: hyper over rustls (ring, Mozilla's roots), a timeout on
//! every call, no redirects, bounded answers, and the URL rule (https, or http on loopback).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{self, HeaderName};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;
use vestibule_crds::rules::is_loopback_host;

use super::error::{ProviderError, UpstreamError};

/// The largest upstream answer read; discovery documents, key sets and tokens are far smaller.
const MAX_BODY: usize = 512 * 1024;

/// Checks an upstream URL: https, or http on a loopback host (local development and tests).
pub fn upstream_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("is not an absolute URL ({error})"))?;
    match url.scheme() {
        "https" => {}
        // Plain http leaks codes and tokens to the network; only the local machine is exempt.
        "http" if is_loopback_host(&url) => {}
        "http" => return Err("must use https unless the host is localhost or 127.0.0.1".into()),
        _ => return Err("must be an https URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    if url.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    Ok(url)
}

/// Checks an upstream URL found in an upstream answer (discovery), reporting it as malformed.
pub(crate) fn answered_url(operation: &'static str, value: &str) -> Result<Url, UpstreamError> {
    upstream_url(value).map_err(|reason| UpstreamError::Malformed {
        operation,
        reason: format!("{value} {reason}"),
    })
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A shared client for every upstream provider of a tenant.
#[derive(Clone)]
pub struct UpstreamHttp {
    client: Client<Connector, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for UpstreamHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamHttp").field("timeout", &self.timeout).finish()
    }
}

/// One upstream request.
#[derive(Debug)]
pub(crate) struct Call {
    method: Method,
    url: Url,
    headers: Vec<(HeaderName, String)>,
    form: Option<String>,
}

impl Call {
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: vec![(header::ACCEPT, "application/json".into())],
            form: None,
        }
    }

    /// A POST of an `application/x-www-form-urlencoded` body.
    pub fn post_form(url: Url, fields: &[(&str, &str)]) -> Self {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self {
            method: Method::POST,
            form: Some(form),
            ..Self::get(url)
        }
    }

    /// Replaces a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.retain(|(existing, _)| existing != name);
        self.headers.push((name, value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION, format!("Bearer {token}"))
    }

    pub fn basic(self, user: &str, password: &str) -> Self {
        let credentials = STANDARD.encode(format!("{user}:{password}"));
        self.header(header::AUTHORIZATION, format!("Basic {credentials}"))
    }
}

/// An upstream answer read in full.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl UpstreamHttp {
    /// A client whose every call (connect, send, read) ends after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, ProviderError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(ProviderError::Tls)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(timeout));
        // http gets through only for loopback URLs: every request's URL passes `upstream_url`.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, timeout })
    }

    /// Sends `call` and reads the answer, at most [`MAX_BODY`] bytes, within the timeout.
    /// Redirects are not followed: one could lead to plain http or to an internal address.
    pub(crate) async fn send(&self, operation: &'static str, call: Call) -> Result<Answer, UpstreamError> {
        let request = build(operation, call)?;
        tokio::time::timeout(self.timeout, self.exchange(operation, request))
            .await
            .map_err(|_| UpstreamError::Timeout { operation })?
    }

    async fn exchange(&self, operation: &'static str, request: Request<Full<Bytes>>) -> Result<Answer, UpstreamError> {
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| UpstreamError::Unavailable {
                operation,
                reason: error.to_string(),
            })?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|error| UpstreamError::Malformed {
                operation,
                reason: format!("reading the answer: {error}"),
            })?
            .to_bytes()
            .to_vec();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        Ok(Answer {
            status: parts.status,
            content_type,
            body,
        })
    }

    /// Sends `call` and parses a successful JSON answer.
    pub(crate) async fn json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        call: Call,
    ) -> Result<T, UpstreamError> {
        let answer = self.send(operation, call).await?;
        if !answer.status.is_success() {
            return Err(UpstreamError::Unavailable {
                operation,
                reason: format!("HTTP {}", answer.status.as_u16()),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|error| UpstreamError::Malformed {
            operation,
            reason: error.to_string(),
        })
    }
}

fn build(operation: &'static str, call: Call) -> Result<Request<Full<Bytes>>, UpstreamError> {
    // Checked again here, wherever the URL came from, so no path leads to plain http off loopback.
    let url = answered_url(operation, call.url.as_str())?;
    let mut request = Request::builder()
        .method(call.method)
        .uri(url.as_str())
        .header(header::USER_AGENT, concat!("Vestibule/", env!("CARGO_PKG_VERSION")));
    for (name, value) in call.headers {
        request = request.header(name, value);
    }
    let body = match call.form {
        Some(form) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Full::new(Bytes::from(form))
        }
        None => Full::new(Bytes::new()),
    };
    request.body(body).map_err(|error| UpstreamError::Malformed {
        operation,
        reason: format!("building the request: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_https_or_loopback_http() {
        assert!(upstream_url("https://accounts.google.com").is_ok());
        assert!(upstream_url("http://127.0.0.1:8080/token").is_ok());
        assert!(upstream_url("http://localhost:8080/token").is_ok());
        assert!(upstream_url("http://accounts.example.com/token").is_err());
        assert!(upstream_url("ftp://accounts.example.com").is_err());
        assert!(upstream_url("https://user:pw@accounts.example.com").is_err());
        assert!(upstream_url("/relative").is_err());
    }
}
