//! The attack's cast: which customers sign in legitimately, the leaked list the attackers
//! replay against the others, and the loopback addresses of both (Linux routes all of
//! 127.0.0.0/8 to the loopback interface, so each client can bind an address of its own).

use std::net::{IpAddr, Ipv4Addr};

use rand::seq::SliceRandom;

use crate::bench::fixture::Fixture;

/// Addresses the botnet cycles through: 127.16.0.1 onwards, each used in turn.
pub const BOTNET_ADDRESSES: usize = 4096;
/// Pairs in the leaked list (replayed from the start when used up).
pub const LEAKED_PAIRS: usize = 10_000;
/// Of every 100 leaked pairs: this many are an account's right password…
const CORRECT_PER_100: usize = 2;
/// …and this many name an account the tenant does not have; the rest are wrong passwords.
const UNKNOWN_PER_100: usize = 13;

/// One line of the leaked list.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The email address.
    pub email: String,
    /// The password leaked with it.
    pub password: String,
}

/// The customers who sign in legitimately: the first half. The leaked list holds none of them,
/// so what the attack costs them is the protection's doing, not a lockout of their account.
pub fn legitimate(fixture: &Fixture) -> &[String] {
    &fixture.emails[..fixture.emails.len() / 2]
}

/// The customers whose accounts the leaked list names: the second half.
fn victims(fixture: &Fixture) -> &[String] {
    &fixture.emails[fixture.emails.len() / 2..]
}

/// The leaked list, shuffled: mostly wrong passwords for existing accounts, some unknown
/// accounts, a few right passwords (what the attackers' successes are measured on).
pub fn pairs(fixture: &Fixture) -> Vec<Pair> {
    let victims = victims(fixture);
    let mut pairs: Vec<Pair> = (0..LEAKED_PAIRS)
        .map(|i| {
            let victim = victims[i % victims.len()].clone();
            match i % 100 {
                n if n < CORRECT_PER_100 => Pair {
                    email: victim,
                    password: fixture.password.clone(),
                },
                n if n < CORRECT_PER_100 + UNKNOWN_PER_100 => Pair {
                    email: format!("leaked{i:05}@elsewhere.example.net"),
                    password: format!("Summer{i}!"),
                },
                _ => Pair {
                    email: victim,
                    password: format!("leaked-password-{i}"),
                },
            }
        })
        .collect();
    pairs.shuffle(&mut rand::rng());
    pairs
}

/// The address of legitimate customer `index`: 127.1.0.1 onwards, one each.
pub fn customer_address(index: usize) -> IpAddr {
    loopback(1, index)
}

/// The address of the botnet's `attempt`th attempt: 127.16.0.1 onwards, cycling.
pub fn botnet_address(attempt: usize) -> IpAddr {
    loopback(16, attempt % BOTNET_ADDRESSES)
}

/// 127.`second`.x.y for `index`, skipping the .0 and .255 host parts.
fn loopback(second: u8, index: usize) -> IpAddr {
    let third = u8::try_from(index / 250).unwrap_or(u8::MAX);
    let fourth = u8::try_from(index % 250 + 1).unwrap_or(1);
    IpAddr::V4(Ipv4Addr::new(127, second, third, fourth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_loopback_hosts() {
        assert_eq!(customer_address(0).to_string(), "127.1.0.1");
        assert_eq!(customer_address(250).to_string(), "127.1.1.1");
        assert_eq!(botnet_address(249).to_string(), "127.16.0.250");
        assert_eq!(botnet_address(BOTNET_ADDRESSES), botnet_address(0), "the botnet cycles");
        let distinct: std::collections::HashSet<_> = (0..BOTNET_ADDRESSES).map(botnet_address).collect();
        assert_eq!(distinct.len(), BOTNET_ADDRESSES);
    }
}
