//! Plumbing shared by the endpoints and the hosted pages: cookies, the CSRF check, request
//! parameters, extractors, page rendering, error rendering and redirects. `oidc/`, `authn/` and
//! `login/` all build on it; of the domain it knows only the customer's session (the
//! [`extract::Customer`] extractor).

pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod extract;
pub mod page;
pub mod params;
pub mod redirect;
