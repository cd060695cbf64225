//! Vestibule's identity provider: an OpenID Connect provider with hosted pages for one tenant.
//!
//! `main` parses flags and calls [`run`]; tests build the [`app`] around their own state.

pub mod app;
pub mod audit;
pub mod authn;
pub mod breached;
pub mod cli;
pub mod clock;
pub mod config;
pub mod email;
pub mod error;
pub mod health;
pub mod http;
pub mod i18n;
pub mod ids;
#[cfg(test)]
mod layering;
pub mod login;
pub mod metrics;
pub mod mfa;
pub mod net;
pub mod oidc;
pub mod password;
pub mod ports;
pub mod privacy;
pub mod purge;
pub mod random;
pub mod request_info;
pub mod risk;
pub mod server;
pub mod signing;
pub mod social;
pub mod store;
pub mod telemetry;

pub use app::{AppState, admin_app, app};
pub use server::run;
