//! The `vestibule.dev/v1alpha1` API: one module per kind, plus what they share.

mod breached;
mod captcha;
mod challenge;
mod client;
mod common;
mod consent_policy;
mod mfa_policy;
mod pod;
mod scaling;
mod settings;
mod social_provider;
mod storage;
mod tenant;

pub use breached::*;
pub use captcha::*;
pub use challenge::*;
pub use client::*;
pub use common::*;
pub use consent_policy::*;
pub use mfa_policy::*;
pub use pod::*;
pub use scaling::*;
pub use settings::*;
pub use social_provider::*;
pub use storage::*;
pub use tenant::*;
