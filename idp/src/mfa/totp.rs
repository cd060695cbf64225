//! Authenticator-app codes (RFC 6238): SHA-1, six digits, 30-second steps, one step of clock
//! skew either way; the enrolment's `otpauth://` URI, drawn as an SVG QR code by the IdP.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngExt;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::ids::UnixTime;

/// Bytes of a secret: 160 bits, the HMAC-SHA-1 block RFC 4226 4 recommends.
pub const SECRET_LEN: usize = 20;

/// Why an authenticator cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// The parameters were refused.
    #[error("building the authenticator failed: {0}")]
    Build(String),
    /// The URI does not fit a QR code.
    #[error("drawing the QR code failed: {0}")]
    Draw(String),
}

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_LEN] {
    rand::rng().random()
}

/// The secret as the customer types it into an app: base32, in groups of four.
pub fn display_secret(secret: &[u8]) -> String {
    let text = Secret::from(secret.to_vec()).to_base32();
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn authenticator(secret: &[u8], issuer: &str, account: &str) -> Result<Totp, TotpError> {
    // The otpauth label separates issuer and account with ':'; neither may contain one.
    let clean = |text: &str| text.replace(':', " ");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .map_err(|error| TotpError::Build(error.to_string()))
}

/// The time step a `code` for `secret` matches at `now` (within one step either way), if any.
/// The comparison is constant time (totp-rs compares tokens so).
pub fn matching_step(secret: &[u8], code: &str, now: UnixTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = authenticator(secret, "-", "-").ok()?;
    let now = u64::try_from(now.seconds()).ok()?;
    totp.check(&code, now).and_then(|step| i64::try_from(step).ok())
}

/// The enrolment QR code of `secret` for `account` at `issuer`, as an SVG data URI (the CSP
/// allows `data:` images; no script draws it).
pub fn qr_data_uri(secret: &[u8], issuer: &str, account: &str) -> Result<String, TotpError> {
    let url = authenticator(secret, issuer, account)?
        .to_url()
        .map_err(|error| TotpError::Build(error.to_string()))?;
    let code = QrCode::new(url.as_bytes()).map_err(|error| TotpError::Draw(error.to_string()))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!("data:image/svg+xml;base64,{}", STANDARD.encode(image)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vectors_match_within_one_step() {
        // RFC 6238 Appendix B, SHA-1, last six digits.
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", UnixTime::from_seconds(59)), Some(1));
        assert_eq!(matching_step(secret, "287 082", UnixTime::from_seconds(89)), Some(1));
        assert_eq!(matching_step(secret, "287082", UnixTime::from_seconds(120)), None);
        assert_eq!(
            matching_step(secret, "005924", UnixTime::from_seconds(1_234_567_890)),
            Some(41_152_263)
        );
        assert_eq!(matching_step(secret, "28708x", UnixTime::from_seconds(59)), None);
    }

    #[test]
    fn the_qr_code_is_an_svg_data_uri_and_the_secret_base32() {
        let uri = qr_data_uri(&[1; SECRET_LEN], "Acme: Shop", "a@example.com").unwrap();
        assert!(uri.starts_with("data:image/svg+xml;base64,"));
        assert_eq!(
            display_secret(b"12345678901234567890"),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
    }
}
