//! Defences against credential stuffing and brute force: per-address rate limits, and the
//! lockout of accounts and throttle of addresses after failed sign-ins.

pub mod lockout;
mod rate_limit;

pub use rate_limit::{Action, RateLimiter};
