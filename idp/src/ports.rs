//! What the application state plugs in, as traits: rate limits, outgoing mail, password
//! screening and randomness (time is [`crate::clock::Clock`]). The IdP's own implementations
//! are here (the rate limiter follows the database: [`limiter_for`]); tests and later backends
//! (a breached-password service) replace them without touching the handlers.

use std::net::IpAddr;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::config::Tenant;
use crate::email::Email;
use crate::ids::UnixTime;
use crate::risk::{Action, Decision, RateLimiter, SharedLimiter, Subject};
use crate::store::{Backend, Store, StoreResult};

/// Counts attempts per action and subject: a client address, an account, the tenant.
pub trait Limiter: Send + Sync + 'static {
    /// Records an attempt of `subject` at `now` against `per_minute` (0 means unlimited).
    fn check_subject<'a>(
        &'a self,
        action: Action,
        subject: &'a Subject,
        per_minute: u32,
        now: UnixTime,
    ) -> BoxFuture<'a, StoreResult<Decision>>;

    /// Records an attempt from `address` at `now` against `per_minute` (0 means unlimited).
    fn check(
        &self,
        action: Action,
        address: IpAddr,
        per_minute: u32,
        now: UnixTime,
    ) -> BoxFuture<'_, StoreResult<Decision>> {
        Box::pin(async move {
            self.check_subject(action, &Subject::Address(address), per_minute, now)
                .await
        })
    }

    /// Records an attempt at `now`; false when it exceeds `per_minute` or cannot be counted.
    fn allow(&self, action: Action, address: IpAddr, per_minute: u32, now: UnixTime) -> BoxFuture<'_, bool> {
        let decision = self.check(action, address, per_minute, now);
        Box::pin(async move {
            decision.await.map_or_else(
                |error| {
                    // An attempt that cannot be counted is refused: an outage must not lift a limit.
                    tracing::warn!(%error, "counting a rate-limited attempt failed");
                    false
                },
                Decision::allowed,
            )
        })
    }
}

impl Limiter for RateLimiter {
    fn check_subject<'a>(
        &'a self,
        action: Action,
        subject: &'a Subject,
        per_minute: u32,
        now: UnixTime,
    ) -> BoxFuture<'a, StoreResult<Decision>> {
        let decision = RateLimiter::check_subject(self, action, subject, per_minute, now);
        Box::pin(std::future::ready(Ok(decision)))
    }
}

impl Limiter for SharedLimiter {
    fn check_subject<'a>(
        &'a self,
        action: Action,
        subject: &'a Subject,
        per_minute: u32,
        now: UnixTime,
    ) -> BoxFuture<'a, StoreResult<Decision>> {
        Box::pin(SharedLimiter::check_subject(self, action, subject, per_minute, now))
    }
}

/// The rate limiter for an IdP on `store`: the configured database decides, not a flag.
pub fn limiter_for(store: &Store) -> Arc<dyn Limiter> {
    match store.backend() {
        // Replicas share PostgreSQL: counting there makes N replicas enforce one limit, not N.
        Backend::Postgres => Arc::new(SharedLimiter::new(store.clone())),
        // SQLite runs one replica, whose memory every request shares: no write per attempt.
        Backend::Sqlite => Arc::new(RateLimiter::default()),
    }
}

/// Delivers email.
pub trait Mailer: Send + Sync + 'static {
    /// Hands `email` over for delivery in the background, as the tenant's settings say; a
    /// failure is logged, never shown (the answer must not depend on it: no enumeration).
    fn send(&self, tenant: Arc<Tenant>, email: Email);
}

/// Mail through the tenant's SMTP server (or the log, in development).
#[derive(Debug, Default, Clone, Copy)]
pub struct SmtpMailer;

impl Mailer for SmtpMailer {
    fn send(&self, tenant: Arc<Tenant>, email: Email) {
        crate::email::send_later(tenant, email);
    }
}

/// Screens new passwords against lists of known ones.
pub trait PasswordScreen: Send + Sync + 'static {
    /// Whether `password` is too well known to be used.
    fn is_known(&self, password: &str) -> bool;
}

/// The most common passwords, shipped with the IdP.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommonPasswords;

impl PasswordScreen for CommonPasswords {
    fn is_known(&self, password: &str) -> bool {
        crate::password::is_common(password)
    }
}

/// Unguessable values.
pub trait Rng: Send + Sync + 'static {
    /// 256 bits, base64url: tokens, codes, cookies.
    fn token(&self) -> String;
    /// 128 bits, base64url: identifiers.
    fn id(&self) -> String;
}

/// The operating system's generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn token(&self) -> String {
        crate::random::token()
    }

    fn id(&self) -> String {
        crate::random::id()
    }
}

macro_rules! opaque_debug {
    ($($port:ident),*) => {
        $(impl std::fmt::Debug for dyn $port {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($port))
            }
        })*
    };
}

opaque_debug!(Limiter, Mailer, PasswordScreen, Rng);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_shipped_implementations_answer() {
        let limiter: Arc<dyn Limiter> = Arc::new(RateLimiter::default());
        let address = "10.0.0.1".parse().unwrap();
        assert!(
            limiter
                .allow(Action::Login, address, 1, UnixTime::from_seconds(60))
                .await
        );
        assert!(
            !limiter
                .allow(Action::Login, address, 1, UnixTime::from_seconds(61))
                .await
        );
        assert!(CommonPasswords.is_known("Password1"));
        assert!(!CommonPasswords.is_known("correct horse battery staple"));
        assert_ne!(OsRng.token(), OsRng.token());
        assert_eq!(OsRng.id().len(), 22);
    }
}
