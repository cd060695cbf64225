//! Who is asking: the client address (behind trusted proxies, from `X-Forwarded-For`) and browser.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::app::AppState;

/// The requester's address and user agent, for audit, rate limits and the account page.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// Client IP address.
    pub ip: IpAddr,
    /// `User-Agent`, truncated.
    pub user_agent: Option<String>,
}

impl RequestInfo {
    /// The address as text.
    pub fn ip_text(&self) -> String {
        self.ip.to_string()
    }

    /// The requester of a request already reduced to its client address and headers.
    pub fn from_parts(ip: IpAddr, headers: &HeaderMap) -> Self {
        Self {
            ip,
            user_agent: user_agent(headers),
        }
    }
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|agent| agent.chars().take(300).collect())
}

impl FromRequestParts<AppState> for RequestInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        let forwarded_for: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        // Only the configured proxies are believed (none by default), so a client cannot pick
        // its own address to dodge rate limits or to write someone else's into the audit log.
        let ip = state.trusted_proxies.client_address(peer, &forwarded_for);
        Ok(Self {
            ip,
            user_agent: user_agent(&parts.headers),
        })
    }
}
