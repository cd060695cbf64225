//! Second factors: authenticator apps (TOTP, RFC 6238) that a customer enrols from the account
//! page, their secrets sealed at rest ([`seal`]), and wrong codes counted like wrong passwords
//! ([`attempts`]); passkeys (WebAuthn) as a second factor or alone ([`passkey`]).

pub mod attempts;
pub mod passkey;
pub mod seal;
pub mod totp;
