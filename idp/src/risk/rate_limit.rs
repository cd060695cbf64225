//! Fixed-window rate limits per client address and action, in memory (per IdP pod). IPv6
//! addresses count by their /64 (see [`crate::net::limit_key`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::ids::UnixTime;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A password sign-in attempt.
    Login,
    /// An action that sends an email (registration, reset request, resend).
    Email,
}

/// Counts attempts per (action, address) in one-minute windows.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Action, IpAddr), (i64, u32)>>,
}

impl RateLimiter {
    /// Records an attempt at `now`; false when it exceeds `per_minute` (0 means unlimited).
    pub fn allow(&self, action: Action, address: IpAddr, per_minute: u32, now: UnixTime) -> bool {
        if per_minute == 0 {
            return true;
        }
        let minute = now.seconds().div_euclid(60);
        let Ok(mut windows) = self.windows.lock() else {
            return true;
        };
        if windows.len() > 100_000 {
            // Bound memory under a flood of addresses: drop every stale window.
            windows.retain(|_, (window, _)| *window == minute);
        }
        let entry = windows
            .entry((action, crate::net::limit_key(address)))
            .or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> UnixTime {
        UnixTime::from_seconds(seconds)
    }

    #[test]
    fn allows_up_to_the_limit_per_minute_and_address() {
        let limiter = RateLimiter::default();
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.allow(Action::Login, a, 3, at(120)));
        }
        assert!(!limiter.allow(Action::Login, a, 3, at(121)));
        assert!(
            limiter.allow(Action::Login, b, 3, at(121)),
            "other addresses are unaffected"
        );
        assert!(
            limiter.allow(Action::Email, a, 3, at(121)),
            "other actions are unaffected"
        );
        assert!(
            limiter.allow(Action::Login, a, 3, at(180)),
            "a new minute starts afresh"
        );
        assert!(limiter.allow(Action::Login, a, 0, at(180)), "0 disables the limit");
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_limit() {
        let limiter = RateLimiter::default();
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(limiter.allow(Action::Login, ip("2001:db8:1:2::1"), 2, at(60)));
        assert!(limiter.allow(Action::Login, ip("2001:db8:1:2::2"), 2, at(60)));
        assert!(!limiter.allow(Action::Login, ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), 2, at(60)));
        assert!(
            limiter.allow(Action::Login, ip("2001:db8:1:3::1"), 2, at(60)),
            "the next /64 is another"
        );
    }
}
