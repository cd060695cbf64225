//! Defences against credential stuffing and brute force: per-address rate limits (in memory on
//! SQLite, shared in the database on PostgreSQL), and the lockout of accounts and throttle of
//! addresses after failed sign-ins.

pub mod captcha;
pub mod lockout;
pub mod proof_of_work;
mod rate_limit;
pub mod score;
mod shared_limit;
pub mod stuffing;

pub use rate_limit::{Action, Decision, RateLimiter, Subject, WINDOW};
pub use shared_limit::SharedLimiter;
