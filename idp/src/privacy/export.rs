//! The customer's data as one JSON document: profile, linked identities, second factors (never
//! their secrets), sessions, trusted devices, consents and the audit lines about the account.

use serde::Serialize;

use crate::app::AppState;
use crate::error::Error;
use crate::ids::UnixTime;
use crate::store::{AuditEntry, ConsentRecord, LinkedIdentity, Session, StoredPasskey, TrustedDevice, User};

/// Names the document's layout, so readers can tell versions apart.
const FORMAT: &str = "vestibule-account-export/1";

/// Everything the IdP holds about one customer, as exported.
#[derive(Debug, Serialize)]
pub struct AccountExport {
    /// The layout of this document.
    pub format: &'static str,
    /// When it was made (RFC 3339).
    pub exported_at: String,
    /// The account and its profile.
    pub profile: Profile,
    /// Upstream providers linked to the account.
    pub linked_identities: Vec<Identity>,
    /// Second factors and passkeys, described without their secrets.
    pub factors: Factors,
    /// Sign-in sessions.
    pub sessions: Vec<SessionEntry>,
    /// Devices trusted to skip the second factor.
    pub trusted_devices: Vec<Device>,
    /// Scopes shared with applications (OAuth consent).
    pub application_consents: Vec<ApplicationConsent>,
    /// Every answer to the consent policy's documents and purposes, oldest first.
    pub consent_history: Vec<ConsentAnswer>,
    /// The security log of the account, newest first.
    pub audit_log: Vec<AuditLine>,
}

/// The account as exported: no password hash, no lockout counters.
#[derive(Debug, Serialize)]
pub struct Profile {
    /// Subject identifier (`sub`).
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub has_password: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub phone_number: Option<String>,
    pub birthdate: Option<String>,
    pub locale: Option<String>,
    pub sign_ins: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A linked upstream identity.
#[derive(Debug, Serialize)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: String,
    pub last_used_at: String,
}

/// Second factors: when they were set up and used, never a secret, code or key.
#[derive(Debug, Serialize)]
pub struct Factors {
    /// The authenticator app, if set up.
    pub authenticator_app: Option<AuthenticatorApp>,
    /// Unused recovery codes left (the codes themselves are never kept).
    pub recovery_codes_left: i64,
    /// Whether codes by email are on.
    pub email_codes: bool,
    /// Passkeys: public credential ids and names.
    pub passkeys: Vec<Passkey>,
}

/// An authenticator app.
#[derive(Debug, Serialize)]
pub struct AuthenticatorApp {
    pub created_at: String,
    pub confirmed_at: Option<String>,
}

/// A passkey, by its public identifiers.
#[derive(Debug, Serialize)]
pub struct Passkey {
    pub name: String,
    pub credential_id: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A session.
#[derive(Debug, Serialize)]
pub struct SessionEntry {
    pub id: String,
    pub methods: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A trusted device.
#[derive(Debug, Serialize)]
pub struct Device {
    pub label: String,
    pub created_at: String,
    pub expires_at: String,
}

/// Scopes shared with an application.
#[derive(Debug, Serialize)]
pub struct ApplicationConsent {
    pub client_id: String,
    pub scope: String,
    pub granted_at: String,
}

/// One answer to the consent policy, as recorded.
#[derive(Debug, Serialize)]
pub struct ConsentAnswer {
    pub at: String,
    pub subject: String,
    pub state: &'static str,
    pub policy_version: String,
    pub legal_basis: String,
    pub source: &'static str,
    pub gpc: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One line of the account's audit log.
#[derive(Debug, Serialize)]
pub struct AuditLine {
    pub at: String,
    pub event: String,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// An instant as RFC 3339 (UTC).
pub fn rfc3339(at: UnixTime) -> String {
    jiff::Timestamp::from_second(at.seconds()).map_or_else(|_| at.seconds().to_string(), |at| at.to_string())
}

/// Gathers everything held about `user` at the state's now.
pub async fn gather(state: &AppState, user: &User) -> Result<AccountExport, Error> {
    let store = &state.store;
    let now = state.now();
    Ok(AccountExport {
        format: FORMAT,
        exported_at: rfc3339(now),
        profile: profile(user),
        linked_identities: store
            .identities_of_user(&user.id)
            .await?
            .into_iter()
            .map(identity)
            .collect(),
        factors: factors(state, user).await?,
        sessions: store
            .sessions_of_user(&user.id)
            .await?
            .into_iter()
            .map(session)
            .collect(),
        trusted_devices: store
            .trusted_devices(&user.id, now)
            .await?
            .into_iter()
            .map(device)
            .collect(),
        application_consents: store
            .consents_of_user(&user.id)
            .await?
            .into_iter()
            .map(|(client_id, scope, granted_at)| ApplicationConsent {
                client_id,
                scope,
                granted_at: rfc3339(granted_at),
            })
            .collect(),
        consent_history: store
            .consent_history(&user.id)
            .await?
            .into_iter()
            .map(consent_answer)
            .collect(),
        audit_log: store
            .audit_of_user(&user.id)
            .await?
            .into_iter()
            .map(audit_line)
            .collect(),
    })
}

fn profile(user: &User) -> Profile {
    Profile {
        id: user.id.to_string(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        has_password: user.has_password(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        nickname: user.nickname.clone(),
        phone_number: user.phone_number.clone(),
        birthdate: user.birthdate.clone(),
        locale: user.locale.clone(),
        sign_ins: user.login_count,
        created_at: rfc3339(user.created_at),
        updated_at: rfc3339(user.updated_at),
    }
}

fn identity(identity: LinkedIdentity) -> Identity {
    Identity {
        provider: identity.provider_id,
        subject: identity.subject,
        email: identity.email,
        linked_at: rfc3339(identity.linked_at),
        last_used_at: rfc3339(identity.last_used_at),
    }
}

async fn factors(state: &AppState, user: &User) -> Result<Factors, Error> {
    let store = &state.store;
    // The sealed TOTP secret, the passkeys' serialized keys and the codes' hashes stay behind:
    // an export is a copy handed out, and secrets must not travel with it.
    let authenticator_app = store.totp(&user.id).await?.map(|totp| AuthenticatorApp {
        created_at: rfc3339(totp.created_at),
        confirmed_at: totp.confirmed_at.map(rfc3339),
    });
    Ok(Factors {
        authenticator_app,
        recovery_codes_left: store.recovery_codes_left(&user.id).await?,
        email_codes: store.email_otp_enabled(&user.id).await?,
        passkeys: store.passkeys(&user.id).await?.into_iter().map(passkey).collect(),
    })
}

fn passkey(passkey: StoredPasskey) -> Passkey {
    Passkey {
        name: passkey.name,
        credential_id: passkey.credential_id,
        created_at: rfc3339(passkey.created_at),
        last_used_at: passkey.last_used_at.map(rfc3339),
    }
}

fn session(session: Session) -> SessionEntry {
    SessionEntry {
        id: session.id.to_string(),
        methods: session.amr,
        created_at: rfc3339(session.created_at),
        last_seen_at: rfc3339(session.last_seen_at),
        expires_at: rfc3339(session.expires_at),
        ip: session.ip,
        user_agent: session.user_agent,
    }
}

fn device(device: TrustedDevice) -> Device {
    Device {
        label: device.label,
        created_at: rfc3339(device.created_at),
        expires_at: rfc3339(device.expires_at),
    }
}

fn consent_answer(record: ConsentRecord) -> ConsentAnswer {
    ConsentAnswer {
        at: rfc3339(record.at),
        subject: record.subject,
        state: record.state.as_str(),
        policy_version: record.policy_version,
        legal_basis: record.legal_basis,
        source: record.source.as_str(),
        gpc: record.gpc,
        ip: record.ip,
        user_agent: record.user_agent,
    }
}

fn audit_line(entry: AuditEntry) -> AuditLine {
    AuditLine {
        at: rfc3339(entry.at),
        event: entry.event,
        client_id: entry.client_id,
        ip: entry.ip,
        user_agent: entry.user_agent,
        detail: entry.detail,
    }
}
