//! Sign-in through upstream identity providers: OpenID Connect (discovery, ID token checks,
//! JWKS rotation), OAuth 2 with a userinfo endpoint, and the presets Google, Microsoft, Apple,
//! GitHub and Facebook with their quirks.
//!
//! A sign-in is [`start`] (the redirect to the provider and the [`Pending`] values the sign-in
//! transaction keeps) then [`finish`] (the callback checked, the code exchanged, the
//! [`UpstreamIdentity`]). Upstream tokens are used here once and never leave this module.

mod apple;
mod discovery;
mod error;
mod flow;
mod github;
pub(crate) mod http;
mod id_token;
mod identity;
mod jwks;
mod preset;
mod provider;
mod served;
mod token;

pub use apple::AppleSigning;
pub use error::{ProviderError, UpstreamError};
pub use flow::{Callback, Pending, Redirect, challenge, finish, start};
pub use http::{UpstreamHttp, upstream_url};
pub use identity::UpstreamIdentity;
pub use provider::{Provider, ProviderOptions};
pub use served::{EntryError, Providers, Served, UPSTREAM_TIMEOUT};
