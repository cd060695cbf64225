//! Who is asking: the client address (behind a proxy, from `X-Forwarded-For`) and browser.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

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
}

fn is_internal(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// The client address: the peer, unless the peer is an internal proxy (an ingress controller),
/// in which case the address that proxy saw, the last `X-Forwarded-For` entry. Only internal
/// peers are believed, so a client cannot pick its own address to dodge rate limits.
fn client_address(peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !is_internal(peer) {
        return peer;
    }
    headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

impl<S: Send + Sync> FromRequestParts<S> for RequestInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(300).collect());
        Ok(Self {
            ip: client_address(peer, &parts.headers),
            user_agent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_internal_peers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 5.6.7.8".parse().unwrap());
        assert_eq!(
            client_address(Some("10.0.0.9".parse().unwrap()), &headers),
            "5.6.7.8".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(Some("9.9.9.9".parse().unwrap()), &headers),
            "9.9.9.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(Some("127.0.0.1".parse().unwrap()), &HeaderMap::new()),
            "127.0.0.1".parse::<IpAddr>().unwrap()
        );
    }
}
