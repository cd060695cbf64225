//! The privacy choices as forms show them (registration, the sign-in's privacy page, the account
//! page): the documents with their links, a box per purpose based on consent, the other purposes
//! as information, and under CCPA the "Do Not Sell or Share" control; and how a form is read back.

use vestibule_crds::config::ConsentPolicyConfig;

use crate::http::params::Params;
use crate::i18n::Messages;
use crate::ids::UnixTime;
use crate::privacy::asking::{answer_of, asked, granted, informed, ticked_by_default};
use crate::privacy::records::{Answer, Document};
use crate::privacy::{localized, opt_out};
use crate::store::ConsentRecord;

/// A document and its link.
#[derive(Debug, Clone)]
pub struct DocumentLink {
    /// Its name.
    pub label: &'static str,
    /// Where to read it.
    pub url: String,
}

/// A purpose the customer decides on.
#[derive(Debug, Clone)]
pub struct PurposeChoice {
    /// The form field (`purpose-<id>`).
    pub field: String,
    /// Title in the page's language.
    pub title: String,
    /// Description in the page's language.
    pub description: String,
    /// Whether the box is ticked.
    pub checked: bool,
}

/// A purpose shown as information, with its legal basis.
#[derive(Debug, Clone)]
pub struct PurposeInfo {
    /// Title in the page's language.
    pub title: String,
    /// Description in the page's language.
    pub description: String,
    /// The legal basis, in words.
    pub basis: &'static str,
}

/// Everything the privacy part of a form shows.
#[derive(Debug, Clone)]
pub struct Choices {
    /// The documents to accept.
    pub documents: Vec<DocumentLink>,
    /// A box accepting them (registration); otherwise the page's Accept button does.
    pub documents_checkbox: bool,
    /// Whether that box is ticked.
    pub documents_ticked: bool,
    /// Why the form was refused: the documents were not accepted.
    pub documents_error: Option<&'static str>,
    /// The purposes based on consent.
    pub asked: Vec<PurposeChoice>,
    /// The other purposes.
    pub informed: Vec<PurposeInfo>,
    /// CCPA: the "Do Not Sell or Share" control is shown.
    pub ccpa: bool,
    /// Whether that control is ticked.
    pub do_not_sell: bool,
    /// The browser sent a Global Privacy Control signal (said on the page).
    pub gpc: bool,
    /// The policy's version, in words.
    pub version: String,
}

/// The form field of a purpose's box.
fn field(id: &str) -> String {
    format!("purpose-{id}")
}

/// Whether the form ticked `purpose`'s box.
pub fn ticked(form: &Params, purpose: &str) -> bool {
    form.get(&field(purpose)).is_some()
}

/// Whether the form ticked the "Do Not Sell or Share" control.
pub fn do_not_sell(form: &Params) -> bool {
    form.get("do_not_sell").is_some()
}

/// Whether the form ticked the box accepting the documents.
pub fn documents_accepted(form: &Params) -> bool {
    form.get("accept_documents").is_some()
}

/// The answers of a form that asked about every purpose (registration, the sign-in's page).
pub fn purpose_answers(policy: &ConsentPolicyConfig, form: &Params, gpc: bool) -> Vec<Answer> {
    crate::privacy::asking::purpose_answers(policy, |id| ticked(form, id), do_not_sell(form), gpc)
}

impl Choices {
    /// The choices of `policy` for a customer whose latest records are `current`, asking to
    /// accept `documents`, with the boxes as the customer left them or as the law defaults.
    pub fn new(
        t: &'static Messages,
        policy: &ConsentPolicyConfig,
        current: &[ConsentRecord],
        documents: &[Document],
        gpc: bool,
        now: UnixTime,
    ) -> Self {
        let asked = asked(policy)
            .map(|purpose| PurposeChoice {
                field: field(&purpose.id),
                title: localized(&purpose.title, t.lang).to_owned(),
                description: localized(&purpose.description, t.lang).to_owned(),
                checked: ticked_by_default(policy, purpose, current, gpc, now),
            })
            .collect();
        let informed = informed(policy)
            .map(|purpose| PurposeInfo {
                title: localized(&purpose.title, t.lang).to_owned(),
                description: localized(&purpose.description, t.lang).to_owned(),
                basis: t.basis(purpose.legal_basis),
            })
            .collect();
        Self {
            documents: documents.iter().filter_map(|d| link(t, policy, *d)).collect(),
            documents_checkbox: false,
            documents_ticked: false,
            documents_error: None,
            asked,
            informed,
            ccpa: opt_out(policy),
            do_not_sell: opt_out(policy) && gpc,
            gpc,
            version: t.privacy_policy_version(&policy.version),
        }
    }

    /// The same choices with a box accepting the documents (the registration form).
    pub fn with_documents_checkbox(mut self) -> Self {
        self.documents_checkbox = true;
        self
    }

    /// The same choices ticked as `current` records them: agreed to and not run out.
    pub fn ticked_as_recorded(
        mut self,
        policy: &ConsentPolicyConfig,
        current: &[ConsentRecord],
        now: UnixTime,
    ) -> Self {
        for (choice, purpose) in self.asked.iter_mut().zip(asked(policy)) {
            choice.checked = granted(purpose, answer_of(current, &purpose.id), now);
        }
        self.do_not_sell = false;
        self
    }

    /// The same choices as the customer submitted them in `form` (a refused form shown again).
    pub fn ticked_as_submitted(mut self, form: &Params) -> Self {
        for purpose in &mut self.asked {
            purpose.checked = form.get(&purpose.field).is_some();
        }
        self.do_not_sell = (self.gpc && self.ccpa) || do_not_sell(form);
        self.documents_ticked = documents_accepted(form);
        self
    }
}

fn link(t: &'static Messages, policy: &ConsentPolicyConfig, document: Document) -> Option<DocumentLink> {
    let label = match document {
        Document::Terms => t.terms_of_service,
        Document::Privacy => t.privacy_policy,
    };
    document.url(policy).map(|url| DocumentLink {
        label,
        url: url.to_owned(),
    })
}
