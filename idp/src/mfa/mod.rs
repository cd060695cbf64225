//! Second factors: authenticator apps (TOTP, RFC 6238) that a customer enrols from the account
//! page, their secrets sealed at rest ([`seal`]), and wrong codes counted like wrong passwords
//! ([`attempts`]).

pub mod attempts;
pub mod seal;
pub mod totp;
