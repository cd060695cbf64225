//! IP networks: the trusted proxies whose `X-Forwarded-For` is believed, and the aggregation of
//! addresses into the keys that rate limits count under.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare address is a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a network did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid network {0:?}: expected an address or CIDR such as 10.0.0.0/8 or fd00::/8")]
pub struct CidrError(String);

impl Cidr {
    /// Whether `address` lies in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                mask(u128::from(u32::from(network)), 32, self.prefix)
                    == mask(u128::from(u32::from(address)), 32, self.prefix)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                mask(u128::from(network), 128, self.prefix) == mask(u128::from(address), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` of the `width` low bits of `value`.
fn mask(value: u128, width: u8, prefix: u8) -> u128 {
    let host_bits = u32::from(width.saturating_sub(prefix));
    value.checked_shr(host_bits).unwrap_or(0)
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || CidrError(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network = canonical(address.parse::<IpAddr>().map_err(|_| invalid())?);
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= width).ok_or_else(invalid)?,
            None => width,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The proxies in front of the IdP (an ingress controller, a load balancer) whose
/// `X-Forwarded-For` entries are believed. Empty: the header is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Trusts these networks.
    pub fn new(networks: Vec<Cidr>) -> Self {
        Self(networks)
    }

    /// Whether `address` is a trusted proxy.
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client's address: starting from the peer, each trusted hop's word (the entry it
    /// appended to `X-Forwarded-For`, read from the right) is taken for the hop before it, until
    /// an untrusted address is reached. Entries left of that were written by the client itself
    /// and are never believed, so a client cannot pick its own address to dodge rate limits.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut current = canonical(peer);
        let hops = forwarded_for
            .iter()
            .rev()
            .flat_map(|value| value.rsplit(','))
            .map(str::trim);
        for hop in hops {
            if !self.trusts(current) {
                break;
            }
            match hop.parse::<IpAddr>() {
                Ok(address) => current = canonical(address),
                Err(_) => break,
            }
        }
        current
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they are.
pub fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The key a rate limit counts `address` under: an IPv4 address itself; for IPv6 its /64,
/// since one subscriber usually holds a whole /64 and could otherwise rotate through 2^64
/// addresses to dodge every per-address limit.
pub fn limit_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

/// The network `address` belongs to as adaptive MFA sees it: an IPv4 /24 or an IPv6 /64 (a
/// household or an office rather than one address, which changes with every reconnection).
pub fn network_prefix(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V4(v4) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v4) & 0xffff_ff00)),
        v6 => limit_key(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain_their_addresses() {
        let private: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(private.contains(ip("10.200.3.4")));
        assert!(private.contains(ip("::ffff:10.1.1.1")));
        assert!(!private.contains(ip("11.0.0.1")));
        let host: Cidr = "192.0.2.7".parse().unwrap();
        assert_eq!(host.to_string(), "192.0.2.7/32");
        assert!(host.contains(ip("192.0.2.7")) && !host.contains(ip("192.0.2.8")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12:3456::1")) && !v6.contains(ip("fe80::1")));
        let everything: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("203.0.113.1")) && !everything.contains(ip("2001:db8::1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "example.com", "10.0.0.0/x", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_hops() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(ip("10.0.0.9"), &["1.2.3.4"]), ip("10.0.0.9"));
        let ingress = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(
            ingress.client_address(ip("10.0.0.9"), &["1.2.3.4, 5.6.7.8"]),
            ip("5.6.7.8"),
            "the entry the ingress appended"
        );
        assert_eq!(
            ingress.client_address(ip("9.9.9.9"), &["5.6.7.8"]),
            ip("9.9.9.9"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            ingress.client_address(ip("10.0.0.9"), &["6.6.6.6", "10.0.0.3, 5.6.7.8"]),
            ip("5.6.7.8"),
            "one header per hop, read from the last"
        );
        assert_eq!(
            ingress.client_address(ip("10.0.0.9"), &["6.6.6.6, 10.1.1.1"]),
            ip("6.6.6.6"),
            "a chain of trusted proxies is walked"
        );
        assert_eq!(ingress.client_address(ip("10.0.0.9"), &["junk"]), ip("10.0.0.9"));
        assert_eq!(ingress.client_address(ip("10.0.0.9"), &[]), ip("10.0.0.9"));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_ipv4_by_itself() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2:ffff::9")), limit_key(ip("2001:db8:1:2::1")));
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
        assert_eq!(limit_key(ip("203.0.113.5")), ip("203.0.113.5"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.5")), ip("203.0.113.5"));
    }

    #[test]
    fn a_network_is_an_ipv4_slash_24_or_an_ipv6_slash_64() {
        assert_eq!(network_prefix(ip("203.0.113.5")), ip("203.0.113.0"));
        assert_eq!(network_prefix(ip("::ffff:203.0.113.77")), ip("203.0.113.0"));
        assert_ne!(network_prefix(ip("203.0.114.5")), network_prefix(ip("203.0.113.5")));
        assert_eq!(network_prefix(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
    }
}
