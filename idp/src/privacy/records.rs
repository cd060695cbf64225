//! Consent records: the documents of a policy as subjects, answers turned into stored records
//! (with the version, the legal basis, how they were given, the address, the browser and the
//! Global Privacy Control signal), and an audit line for each.

use vestibule_crds::config::ConsentPolicyConfig;

use crate::app::AppState;
use crate::error::Error;
use crate::ids::UserId;
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, ConsentRecord, ConsentSource, ConsentState};

/// A document customers accept to use the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The terms of service.
    Terms,
    /// The privacy policy.
    Privacy,
}

impl Document {
    /// Its subject in the records.
    pub fn subject(self) -> &'static str {
        match self {
            Self::Terms => "document:terms",
            Self::Privacy => "document:privacy",
        }
    }

    /// The basis recorded with its acceptance: the terms are the contract; the privacy policy
    /// is the information GDPR Art. 13 obliges us to give.
    pub fn legal_basis(self) -> &'static str {
        match self {
            Self::Terms => "contract",
            Self::Privacy => "legalObligation",
        }
    }

    /// Its URL in `policy`, if the policy has it.
    pub fn url(self, policy: &ConsentPolicyConfig) -> Option<&str> {
        match self {
            Self::Terms => policy.documents.terms.as_deref(),
            Self::Privacy => policy.documents.privacy.as_deref(),
        }
    }
}

/// The documents `policy` links, terms first.
pub fn documents(policy: &ConsentPolicyConfig) -> Vec<Document> {
    [Document::Terms, Document::Privacy]
        .into_iter()
        .filter(|document| document.url(policy).is_some())
        .collect()
}

/// One answer about one subject, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// A document's subject or a purpose id.
    pub subject: String,
    /// The answer.
    pub state: ConsentState,
    /// The legal basis of the subject.
    pub legal_basis: &'static str,
}

impl Answer {
    /// An answer about `document`.
    pub fn document(document: Document, accepted: bool) -> Self {
        Self {
            subject: document.subject().to_owned(),
            state: if accepted {
                ConsentState::Granted
            } else {
                ConsentState::Declined
            },
            legal_basis: document.legal_basis(),
        }
    }

    /// An answer about the consent-based purpose `id`.
    pub fn purpose(id: &str, state: ConsentState) -> Self {
        Self {
            subject: id.to_owned(),
            state,
            legal_basis: super::basis_name(vestibule_crds::v1alpha1::LegalBasis::Consent),
        }
    }

    fn is_document(&self) -> bool {
        self.subject.starts_with("document:")
    }

    fn event(&self) -> AuditEvent {
        match (self.is_document(), self.state) {
            (true, ConsentState::Granted) => AuditEvent::DocumentAccepted,
            (true, _) => AuditEvent::DocumentDeclined,
            (false, ConsentState::Granted) => AuditEvent::PurposeConsentGiven,
            (false, ConsentState::Declined) => AuditEvent::PurposeConsentDeclined,
            (false, ConsentState::Withdrawn) => AuditEvent::PurposeConsentWithdrawn,
        }
    }
}

/// How answers were given: where, by which request, with which browser signal.
#[derive(Debug, Clone, Copy)]
pub struct Given<'a> {
    /// Registration, the sign-in page or the account page.
    pub source: ConsentSource,
    /// The request that carried them.
    pub info: &'a RequestInfo,
    /// The browser sent `Sec-GPC: 1`.
    pub gpc: bool,
}

/// Whether the request carries a Global Privacy Control signal (`Sec-GPC: 1`).
pub fn gpc(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-gpc")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim() == "1")
}

/// Stores `answers` of `user` to `policy` together, then audits each.
pub async fn record(
    state: &AppState,
    policy: &ConsentPolicyConfig,
    user: &UserId,
    answers: &[Answer],
    given: Given<'_>,
) -> Result<(), Error> {
    if answers.is_empty() {
        return Ok(());
    }
    let at = state.now();
    let records: Vec<ConsentRecord> = answers
        .iter()
        .map(|answer| ConsentRecord {
            user_id: user.clone(),
            subject: answer.subject.clone(),
            state: answer.state,
            policy_version: policy.version.clone(),
            legal_basis: answer.legal_basis.to_owned(),
            source: given.source,
            gpc: given.gpc,
            at,
            ip: Some(given.info.ip_text()),
            user_agent: given.info.user_agent.clone(),
        })
        .collect();
    state.store.append_consent_records(&records).await?;
    for answer in answers {
        let detail = format!(
            "subject={} version={} how={}{}",
            answer.subject,
            policy.version,
            given.source.as_str(),
            if given.gpc { " gpc=1" } else { "" }
        );
        crate::audit::record_detail(state, answer.event(), Some(user), None, given.info, Some(detail)).await;
    }
    Ok(())
}
