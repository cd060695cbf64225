//! IdP handler tests: the real router over loopback HTTP against a fresh database, every test
//! on SQLite and on PostgreSQL; plus the openid-client conformance suite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

/// Runs each named `async fn(Backend)` once per backend, as `<module>::sqlite::<name>` and
/// `<module>::postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(crate::support::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(crate::support::Backend::Postgres).await
            })*
        }
    };
}

mod account;
mod account_security;
mod audit;
mod authorize;
mod backup;
mod bounds;
mod breached;
mod capacity;
mod captcha;
mod challenge;
mod concurrency;
mod conformance;
mod data_key;
mod discovery;
mod endpoints;
mod errors;
mod flow;
mod issuer;
mod languages;
mod lockout;
mod logout;
mod mail;
mod mfa;
mod mfa_brute_force;
mod mfa_email_codes;
mod mfa_enforcement;
mod mfa_recovery_codes;
mod mfa_trusted_devices;
mod notifications;
mod passkeys;
mod privacy;
mod proxies;
mod purge;
mod rate_limits;
mod recovery;
mod registration;
mod reload;
mod security;
mod shutdown;
mod signin;
mod social;
mod support;
mod token;
