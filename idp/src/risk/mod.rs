//! Defences against credential stuffing and brute force: per-address rate limits here, account
//! lockout in the sign-in flow.

mod rate_limit;

pub use rate_limit::{Action, RateLimiter};
