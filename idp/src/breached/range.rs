//! The Pwned Passwords range API (k-anonymity): `GET {baseUrl}/range/{PREFIX}` with the first 5
//! hex digits of the password's SHA-1; the answer lists `SUFFIX:COUNT` for every breached hash
//! with that prefix, and the suffix is compared here. Neither the password nor the rest of its
//! hash leaves the process.

use http::header::{ACCEPT, HeaderName};
use url::Url;

use crate::social::UpstreamError;
use crate::social::http::{Call, UpstreamHttp};

/// The length of the prefix sent: 5 hex digits, 20 bits (about 800 hashes answer each prefix).
pub const PREFIX_LEN: usize = 5;

/// A range API client.
#[derive(Debug, Clone)]
pub struct RangeApi {
    base: String,
    http: UpstreamHttp,
}

/// Why the range API gave no verdict.
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    /// No answer in time.
    #[error("the range API did not answer in time")]
    Timeout,
    /// The service could not be reached, or answered an error status.
    #[error("the range API is unavailable: {0}")]
    Unavailable(String),
    /// The answer is not a range listing.
    #[error("the range API answered something else than a range listing: {0}")]
    Malformed(String),
}

impl RangeError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Unavailable(_) => "unavailable",
            Self::Malformed(_) => "malformed",
        }
    }
}

impl RangeApi {
    /// A client of the service at `base` (already validated: https, or http on loopback).
    pub fn new(base: &str, http: UpstreamHttp) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// Whether the hash whose upper-case hex is `sha1_hex` is listed (with a count above zero).
    pub async fn is_listed(&self, sha1_hex: &str) -> Result<bool, RangeError> {
        let (prefix, suffix) = sha1_hex.split_at(PREFIX_LEN);
        let url = Url::parse(&format!("{}/range/{prefix}", self.base))
            .map_err(|error| RangeError::Malformed(error.to_string()))?;
        // Padding makes every answer about the same size, so its length on the wire does not
        // tell an observer which prefix was asked.
        let call = Call::get(url)
            .header(ACCEPT, "text/plain")
            .header(HeaderName::from_static("add-padding"), "true");
        let answer = self
            .http
            .send("breached password range", call)
            .await
            .map_err(|error| match error {
                UpstreamError::Timeout { .. } => RangeError::Timeout,
                UpstreamError::Malformed { reason, .. } => RangeError::Malformed(reason),
                other => RangeError::Unavailable(other.to_string()),
            })?;
        if !answer.status.is_success() {
            return Err(RangeError::Unavailable(format!("HTTP {}", answer.status.as_u16())));
        }
        let body = std::str::from_utf8(&answer.body).map_err(|_| RangeError::Malformed("not UTF-8".into()))?;
        listed(body, suffix)
    }
}

/// Whether `suffix` is among the lines of a range answer with a count above zero (padding lines
/// carry a count of zero).
fn listed(body: &str, suffix: &str) -> Result<bool, RangeError> {
    for line in body.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (candidate, count) = line
            .split_once(':')
            .ok_or_else(|| RangeError::Malformed("a line without ':'".into()))?;
        let count: u64 = count
            .trim()
            .parse()
            .map_err(|_| RangeError::Malformed("a count that is not a number".into()))?;
        if count > 0 && candidate.eq_ignore_ascii_case(suffix) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_lines_do_not_count_and_case_does_not_matter() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n";
        assert!(listed(body, "0018a45c4d1def81644b54ab7f969b88d65").unwrap());
        assert!(!listed(body, "00D4F6E8FA6EECAD2A3AA415EEC418D38EC").unwrap());
        assert!(!listed(body, "FFFFF6E8FA6EECAD2A3AA415EEC418D38EC").unwrap());
        assert!(listed("<html>", "00").is_err());
    }
}
