//! Fixed-window rate limits per action and subject (an address, an account, the tenant), in
//! memory: the limiter of an IdP on
//! SQLite, which runs one replica. This one is kept rather than `governor`, whose quotas are fixed
//! when it is built and whose clock is its own: here the limit hot-reloads with the tenant, time
//! is passed in (tests control it), and the windows are those of [`super::SharedLimiter`] on
//! PostgreSQL, so both backends answer alike. IPv6 addresses count by their /64 (see
//! [`crate::net::limit_key`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::ids::UnixTime;

/// The length of a window, in seconds: limits are per minute.
pub const WINDOW: i64 = 60;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A password sign-in attempt.
    Login,
    /// An action that sends an email (registration, reset request, resend).
    Email,
    /// A sign-in page that starts a stored passkey ceremony.
    Ceremony,
}

impl Action {
    /// The stored name of the action.
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Email => "email",
            Self::Ceremony => "ceremony",
        }
    }
}

/// The answer to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Within the limit.
    Allowed,
    /// Over the limit until the window ends, `retry_after` seconds from now.
    Limited {
        /// Seconds until the window ends (at least 1), for `Retry-After`.
        retry_after: u64,
    },
}

impl Decision {
    /// The decision on attempt number `hits` of the window starting at `window_start`.
    pub fn of(hits: i64, per_minute: u32, window_start: UnixTime, now: UnixTime) -> Self {
        if hits <= i64::from(per_minute) {
            return Self::Allowed;
        }
        let left = window_start.plus_seconds(WINDOW).since(now).clamp(1, WINDOW);
        Self::Limited {
            retry_after: left.unsigned_abs(),
        }
    }

    /// Whether the attempt may go on.
    pub fn allowed(self) -> bool {
        self == Self::Allowed
    }
}

/// The start of the window `now` falls in.
pub fn window_start(now: UnixTime) -> UnixTime {
    UnixTime::from_seconds(now.seconds().div_euclid(WINDOW) * WINDOW)
}

/// Whose attempts a limit counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A client address (IPv6: its /64, see [`crate::net::limit_key`]).
    Address(IpAddr),
    /// An account, by the SHA-256 of the normalized email address tried (known or not, so a
    /// limit says nothing about who has an account; hashed, so no address is stored).
    Account(String),
    /// The whole tenant.
    Tenant,
}

impl Subject {
    /// The account that `email` (already normalized) names.
    pub fn account(email: &str) -> Self {
        Self::Account(crate::random::hash(email))
    }

    /// The key its counters are kept under.
    pub fn key(&self) -> String {
        match self {
            Self::Address(address) => crate::net::limit_key(*address).to_string(),
            Self::Account(hash) => format!("account:{hash}"),
            Self::Tenant => "tenant".to_owned(),
        }
    }
}

/// Counts attempts per (action, subject) in one-minute windows.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Action, String), (UnixTime, i64)>>,
}

impl RateLimiter {
    /// Records an attempt from `address` at `now` against `per_minute` (0 means unlimited).
    pub fn check(&self, action: Action, address: IpAddr, per_minute: u32, now: UnixTime) -> Decision {
        self.check_subject(action, &Subject::Address(address), per_minute, now)
    }

    /// Records an attempt of `subject` at `now` against `per_minute` (0 means unlimited).
    pub fn check_subject(&self, action: Action, subject: &Subject, per_minute: u32, now: UnixTime) -> Decision {
        if per_minute == 0 {
            return Decision::Allowed;
        }
        let start = window_start(now);
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock (a panic elsewhere) must not stop every sign-in; the lockout holds.
            return Decision::Allowed;
        };
        if windows.len() > 100_000 {
            // Bound memory under a flood of addresses: drop every stale window.
            windows.retain(|_, (window, _)| *window == start);
        }
        let entry = windows.entry((action, subject.key())).or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        Decision::of(entry.1, per_minute, start, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> UnixTime {
        UnixTime::from_seconds(seconds)
    }

    fn allow(limiter: &RateLimiter, action: Action, address: IpAddr, per_minute: u32, now: UnixTime) -> bool {
        limiter.check(action, address, per_minute, now).allowed()
    }

    #[test]
    fn allows_up_to_the_limit_per_minute_and_address() {
        let limiter = RateLimiter::default();
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(allow(&limiter, Action::Login, a, 3, at(120)));
        }
        assert_eq!(
            limiter.check(Action::Login, a, 3, at(121)),
            Decision::Limited { retry_after: 59 }
        );
        assert!(
            allow(&limiter, Action::Login, b, 3, at(121)),
            "other addresses are unaffected"
        );
        assert!(
            allow(&limiter, Action::Email, a, 3, at(121)),
            "other actions are unaffected"
        );
        assert!(
            allow(&limiter, Action::Login, a, 3, at(180)),
            "a new minute starts afresh"
        );
        assert!(allow(&limiter, Action::Login, a, 0, at(180)), "0 disables the limit");
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_limit() {
        let limiter = RateLimiter::default();
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(allow(&limiter, Action::Login, ip("2001:db8:1:2::1"), 2, at(60)));
        assert!(allow(&limiter, Action::Login, ip("2001:db8:1:2::2"), 2, at(60)));
        assert!(!allow(
            &limiter,
            Action::Login,
            ip("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            2,
            at(60)
        ));
        assert!(
            allow(&limiter, Action::Login, ip("2001:db8:1:3::1"), 2, at(60)),
            "the next /64 is another"
        );
    }

    #[test]
    fn retry_after_counts_down_to_the_end_of_the_window() {
        let start = at(600);
        assert_eq!(Decision::of(1, 1, start, at(600)), Decision::Allowed);
        assert_eq!(
            Decision::of(2, 1, start, at(600)),
            Decision::Limited { retry_after: 60 }
        );
        assert_eq!(Decision::of(2, 1, start, at(659)), Decision::Limited { retry_after: 1 });
        assert_eq!(window_start(at(659)), start);
        assert_eq!(window_start(at(-1)), at(-60));
    }
}
