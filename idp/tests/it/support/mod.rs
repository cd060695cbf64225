//! Test support: an IdP on a fresh database served over loopback HTTP, a browser-like client,
//! and a real SMTP server capturing the mail.

pub mod browser;
pub mod idp;
pub mod smtp;

pub use browser::Browser;
pub use idp::{Backend, TestIdp};
