//! The audit log: every security event, with when, who, which client, and from where.

use super::{Store, StoreResult, query_error};
use crate::ids::{UnixTime, UserId};

/// A security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    /// Correct password.
    LoginSucceeded,
    /// Wrong password, unknown account (the identifier only as its SHA-256), or locked account.
    LoginFailed,
    /// The account locked after repeated failures.
    AccountLocked,
    /// A new account.
    Registered,
    /// Email address verified.
    EmailVerified,
    /// Password changed by the customer.
    PasswordChanged,
    /// A reset link was requested.
    PasswordResetRequested,
    /// Password reset by email link.
    PasswordReset,
    /// A rotated-out refresh token was used again; the grant was revoked.
    RefreshTokenReused,
    /// An authorization code was used twice; the grant was revoked.
    AuthorizationCodeReused,
    /// The customer signed out.
    Logout,
    /// A session was ended from the account page.
    SessionRevoked,
    /// The customer agreed to share scopes with a client.
    ConsentGranted,
    /// The customer updated their profile.
    ProfileUpdated,
    /// A client exchanged an authorization code for tokens.
    CodeExchanged,
    /// A client used a refresh token.
    TokenRefreshed,
    /// A client failed to authenticate at the token or revocation endpoint.
    ClientAuthenticationFailed,
    /// The customer refused to share scopes with a client.
    ConsentDenied,
    /// A client revoked a token (RFC 7009).
    TokenRevoked,
    /// A sign-in through an upstream provider failed (detail: provider and reason).
    SocialSignInFailed,
    /// An upstream identity was linked to the account (detail: provider).
    IdentityLinked,
    /// An upstream identity was unlinked from the account (detail: provider).
    IdentityUnlinked,
    /// An authenticator app was confirmed as a second factor.
    TotpEnrolled,
    /// The authenticator app was removed.
    TotpRemoved,
    /// Adaptive MFA scored a sign-in (detail: score, signals, decision).
    RiskAssessed,
    /// A sign-in was refused as too risky; the session was ended.
    SignInRefused,
    /// The customer disowned a sign-in they were told about: every session and grant ended.
    SignInDisowned,
    /// A device was trusted to skip the second factor (detail: days).
    DeviceTrusted,
    /// Trusted devices were revoked (detail: how many, and why).
    TrustedDevicesRevoked,
    /// A new set of recovery codes was generated (the old set stopped working).
    RecoveryCodesGenerated,
    /// A recovery code was spent at sign-in (detail: how many are left).
    RecoveryCodeUsed,
    /// Email codes were turned on as a second factor.
    EmailOtpEnabled,
    /// Email codes were turned off.
    EmailOtpDisabled,
    /// A sign-in code was emailed.
    EmailCodeSent,
    /// The password an account signed in with was found in a data breach (detail: source).
    PasswordBreached,
    /// A passkey was registered (detail: its name).
    PasskeyAdded,
    /// A passkey was renamed.
    PasskeyRenamed,
    /// A passkey was removed (detail: its name).
    PasskeyRemoved,
    /// A passkey answer was refused (detail: why, such as a counter regression or another
    /// origin).
    PasskeyRefused,
    /// A client address entered challenged mode (detail: its failures and accounts tried).
    AddressChallenged,
    /// The whole tenant entered challenged mode: a stuffing wave over many addresses (detail:
    /// the recent and usual outcomes).
    TenantChallenged,
    /// A sign-in challenge answer was refused (detail: why).
    ChallengeFailed,
    /// The customer accepted a document of the consent policy (detail: subject, version, how).
    DocumentAccepted,
    /// The customer declined a document of the consent policy (detail: subject, version, how).
    DocumentDeclined,
    /// The customer agreed to a processing purpose (detail: purpose, version, how, GPC).
    PurposeConsentGiven,
    /// The customer declined a processing purpose when asked (detail: purpose, version, how, GPC).
    PurposeConsentDeclined,
    /// The customer took back their agreement to a purpose (detail: purpose, version, how, GPC).
    PurposeConsentWithdrawn,
}

impl AuditEvent {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::AccountLocked => "account_locked",
            Self::Registered => "registered",
            Self::EmailVerified => "email_verified",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::AuthorizationCodeReused => "authorization_code_reused",
            Self::Logout => "logout",
            Self::SessionRevoked => "session_revoked",
            Self::ConsentGranted => "consent_granted",
            Self::ProfileUpdated => "profile_updated",
            Self::CodeExchanged => "code_exchanged",
            Self::TokenRefreshed => "token_refreshed",
            Self::ClientAuthenticationFailed => "client_authentication_failed",
            Self::ConsentDenied => "consent_denied",
            Self::TokenRevoked => "token_revoked",
            Self::SocialSignInFailed => "social_sign_in_failed",
            Self::IdentityLinked => "identity_linked",
            Self::IdentityUnlinked => "identity_unlinked",
            Self::TotpEnrolled => "totp_enrolled",
            Self::TotpRemoved => "totp_removed",
            Self::RiskAssessed => "risk_assessed",
            Self::SignInRefused => "sign_in_refused",
            Self::SignInDisowned => "sign_in_disowned",
            Self::DeviceTrusted => "device_trusted",
            Self::TrustedDevicesRevoked => "trusted_devices_revoked",
            Self::RecoveryCodesGenerated => "recovery_codes_generated",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::EmailOtpEnabled => "email_otp_enabled",
            Self::EmailOtpDisabled => "email_otp_disabled",
            Self::EmailCodeSent => "email_code_sent",
            Self::PasswordBreached => "password_breached",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRenamed => "passkey_renamed",
            Self::PasskeyRemoved => "passkey_removed",
            Self::PasskeyRefused => "passkey_refused",
            Self::AddressChallenged => "address_challenged",
            Self::TenantChallenged => "tenant_challenged",
            Self::ChallengeFailed => "challenge_failed",
            Self::DocumentAccepted => "document_accepted",
            Self::DocumentDeclined => "document_declined",
            Self::PurposeConsentGiven => "purpose_consent_given",
            Self::PurposeConsentDeclined => "purpose_consent_declined",
            Self::PurposeConsentWithdrawn => "purpose_consent_withdrawn",
        }
    }
}

/// One audit log line as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    /// When.
    pub at: UnixTime,
    /// What (`AuditEvent::as_str`).
    pub event: String,
    /// Whose account.
    pub user_id: Option<UserId>,
    /// Which client.
    pub client_id: Option<String>,
    /// From which IP address.
    pub ip: Option<String>,
    /// With which browser.
    pub user_agent: Option<String>,
    /// Anything else worth knowing (never a secret).
    pub detail: Option<String>,
}

impl Store {
    /// Appends to the audit log.
    pub async fn audit(&self, event: AuditEvent, entry: &AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, event, user_id, client_id, ip, user_agent, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.at)
        .bind(event.as_str())
        .bind(&entry.user_id)
        .bind(&entry.client_id)
        .bind(&entry.ip)
        .bind(&entry.user_agent)
        .bind(&entry.detail)
        .execute(self.pool())
        .await
        .map_err(query_error("audit"))?;
        Ok(())
    }

    /// A customer's audit log, newest first (for the account page and tests).
    pub async fn audit_of_user(&self, user_id: &UserId) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query_as::<_, AuditEntry>(
            "SELECT at, event, user_id, client_id, ip, user_agent, detail FROM audit_log WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("audit_of_user"))
    }
}
