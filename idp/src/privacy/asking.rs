//! What to ask a customer and when: the purposes based on consent are asked, the others are only
//! shown; documents are accepted. Everything is asked again when the policy's version changed
//! (`reconsent.onVersionChange`), when the last answer is older than `reconsent.after`, and a
//! purpose whose agreement outlived its `retention`; a customer with no answer (an account from
//! before the policy, or made through a provider) is asked at the next sign-in.

use vestibule_crds::config::ConsentPolicyConfig;
use vestibule_crds::v1alpha1::{LegalBasis, Purpose};

use super::records::{Answer, Document, documents};
use crate::ids::UnixTime;
use crate::store::{ConsentRecord, ConsentState};

/// The purposes the customer is asked about: those based on consent.
pub fn asked(policy: &ConsentPolicyConfig) -> impl Iterator<Item = &Purpose> {
    policy
        .purposes
        .iter()
        .filter(|purpose| purpose.legal_basis == LegalBasis::Consent)
}

/// The purposes shown as information: their basis is not consent, so there is nothing to ask.
pub fn informed(policy: &ConsentPolicyConfig) -> impl Iterator<Item = &Purpose> {
    policy
        .purposes
        .iter()
        .filter(|purpose| purpose.legal_basis != LegalBasis::Consent)
}

/// What a sign-in must ask before it finishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// Documents not accepted under the current rules.
    pub documents: Vec<Document>,
    /// Whether the purposes are asked (one of them has no current answer).
    pub purposes: bool,
}

impl Due {
    /// Nothing to ask.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty() && !self.purposes
    }
}

fn latest<'a>(current: &'a [ConsentRecord], subject: &str) -> Option<&'a ConsentRecord> {
    current.iter().find(|record| record.subject == subject)
}

/// Whether `record` no longer counts as an answer to `policy` at `now`: none, given under
/// another version (when that asks again), or older than `reconsent.after`.
fn stale(policy: &ConsentPolicyConfig, record: Option<&ConsentRecord>, now: UnixTime) -> bool {
    let Some(record) = record else { return true };
    let reconsent = &policy.reconsent;
    (reconsent.on_version_change && record.policy_version != policy.version)
        || reconsent.after.is_some_and(|after| record.at.plus(after) <= now)
}

/// Whether `purpose` is agreed to at `now`: the latest answer granted it and its `retention`
/// has not run out since.
pub fn granted(purpose: &Purpose, record: Option<&ConsentRecord>, now: UnixTime) -> bool {
    record.is_some_and(|record| {
        record.state == ConsentState::Granted
            && purpose
                .retention
                .is_none_or(|retention| record.at.plus(retention) > now)
    })
}

/// What `policy` still asks of a customer whose latest records are `current`.
pub fn due(policy: &ConsentPolicyConfig, current: &[ConsentRecord], now: UnixTime) -> Due {
    let documents = documents(policy)
        .into_iter()
        .filter(|document| {
            let record = latest(current, document.subject());
            stale(policy, record, now) || record.is_some_and(|record| record.state != ConsentState::Granted)
        })
        .collect();
    let purposes = asked(policy).any(|purpose| {
        let record = latest(current, &purpose.id);
        let expired = record.is_some_and(|r| r.state == ConsentState::Granted) && !granted(purpose, record, now);
        stale(policy, record, now) || expired
    });
    Due { documents, purposes }
}

/// Whether the box of `purpose` is ticked when the form opens: as the customer's current
/// answer, else on under CCPA (opt-out) unless the browser signals GPC, and off under GDPR
/// (nothing optional is pre-ticked).
pub fn ticked_by_default(
    policy: &ConsentPolicyConfig,
    purpose: &Purpose,
    current: &[ConsentRecord],
    gpc: bool,
    now: UnixTime,
) -> bool {
    match latest(current, &purpose.id) {
        Some(record) if !stale(policy, Some(record), now) => granted(purpose, Some(record), now),
        _ => super::opt_out(policy) && !gpc,
    }
}

/// The answers of a form about every asked purpose: ticked ones granted, others declined.
/// Under CCPA, the "Do Not Sell or Share" control or a GPC signal declines them all.
pub fn purpose_answers(
    policy: &ConsentPolicyConfig,
    ticked: impl Fn(&str) -> bool,
    do_not_sell: bool,
    gpc: bool,
) -> Vec<Answer> {
    // CCPA §7025: a GPC signal is a valid request to opt out of sale and sharing.
    let opted_out = super::opt_out(policy) && (do_not_sell || gpc);
    asked(policy)
        .map(|purpose| {
            let state = if !opted_out && ticked(&purpose.id) {
                ConsentState::Granted
            } else {
                ConsentState::Declined
            };
            Answer::purpose(&purpose.id, state)
        })
        .collect()
}

/// The answers the account page records: only the purposes whose state changes (a purpose
/// agreed to and now unticked is withdrawn).
pub fn changes(
    policy: &ConsentPolicyConfig,
    current: &[ConsentRecord],
    wanted: impl Fn(&str) -> bool,
    now: UnixTime,
) -> Vec<Answer> {
    asked(policy)
        .filter_map(|purpose| {
            let record = latest(current, &purpose.id);
            let was = granted(purpose, record, now);
            match (was, wanted(&purpose.id)) {
                (false, true) => Some(Answer::purpose(&purpose.id, ConsentState::Granted)),
                (true, false) => Some(Answer::purpose(&purpose.id, ConsentState::Withdrawn)),
                _ => None,
            }
        })
        .collect()
}

/// The latest record of `subject` among `current`, for pages listing answers.
pub fn answer_of<'a>(current: &'a [ConsentRecord], subject: &str) -> Option<&'a ConsentRecord> {
    latest(current, subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::store::ConsentSource;

    fn policy(yaml: &str) -> ConsentPolicyConfig {
        serde_yaml::from_str(yaml).unwrap()
    }

    const POLICY: &str = "{id: a.b, version: '2', documents: {terms: 'https://x.example/terms'}, \
        reconsent: {after: 100s}, purposes: [\
        {id: news, title: {en: News}, legalBasis: consent, retention: 50s}, \
        {id: billing, title: {en: Billing}, legalBasis: contract, required: true}]}";

    fn record(subject: &str, state: ConsentState, version: &str, at: i64) -> ConsentRecord {
        ConsentRecord {
            user_id: UserId::new("u"),
            subject: subject.into(),
            state,
            policy_version: version.into(),
            legal_basis: "consent".into(),
            source: ConsentSource::Registration,
            gpc: false,
            at: UnixTime::from_seconds(at),
            ip: None,
            user_agent: None,
        }
    }

    #[test]
    fn a_customer_without_answers_is_asked_everything_and_information_is_not_asked() {
        let policy = policy(POLICY);
        let due = due(&policy, &[], UnixTime::from_seconds(0));
        assert_eq!(due.documents, vec![Document::Terms]);
        assert!(due.purposes);
        assert_eq!(
            asked(&policy).count(),
            1,
            "billing is based on a contract: shown, not asked"
        );
    }

    #[test]
    fn answers_are_asked_again_on_a_new_version_after_the_duration_and_past_retention() {
        let policy = policy(POLICY);
        let fresh = [
            record("document:terms", ConsentState::Granted, "2", 0),
            record("news", ConsentState::Granted, "2", 0),
        ];
        assert!(due(&policy, &fresh, UnixTime::from_seconds(10)).is_empty());
        assert!(
            due(&policy, &fresh, UnixTime::from_seconds(50)).purposes,
            "news retention ran out"
        );
        let declined = [
            record("document:terms", ConsentState::Granted, "2", 0),
            record("news", ConsentState::Declined, "2", 0),
        ];
        assert!(
            due(&policy, &declined, UnixTime::from_seconds(60)).is_empty(),
            "a no has no retention"
        );
        assert!(
            !due(&policy, &declined, UnixTime::from_seconds(100)).is_empty(),
            "reconsent.after"
        );
        let old = [
            record("document:terms", ConsentState::Granted, "1", 0),
            record("news", ConsentState::Declined, "1", 0),
        ];
        assert_eq!(
            due(&policy, &old, UnixTime::from_seconds(1)).documents,
            vec![Document::Terms]
        );
    }

    #[test]
    fn gdpr_ticks_nothing_and_ccpa_ticks_all_unless_the_browser_signals_gpc() {
        let gdpr = policy(POLICY);
        let ccpa = policy(&POLICY.replace("version: '2',", "version: '2', jurisdiction: ccpa,"));
        let news = &gdpr.purposes[0];
        let now = UnixTime::from_seconds(0);
        assert!(!ticked_by_default(&gdpr, news, &[], false, now));
        assert!(ticked_by_default(&ccpa, news, &[], false, now));
        assert!(!ticked_by_default(&ccpa, news, &[], true, now));
        let all = |_: &str| true;
        assert_eq!(
            purpose_answers(&ccpa, all, false, false)[0].state,
            ConsentState::Granted
        );
        assert_eq!(
            purpose_answers(&ccpa, all, true, false)[0].state,
            ConsentState::Declined
        );
        assert_eq!(
            purpose_answers(&ccpa, all, false, true)[0].state,
            ConsentState::Declined
        );
        assert_eq!(
            purpose_answers(&gdpr, |_| false, false, false)[0].state,
            ConsentState::Declined
        );
    }

    #[test]
    fn the_account_page_records_only_changes_and_an_unticked_agreement_is_withdrawn() {
        let policy = policy(POLICY);
        let now = UnixTime::from_seconds(1);
        let agreed = [record("news", ConsentState::Granted, "2", 0)];
        assert!(changes(&policy, &agreed, |_| true, now).is_empty());
        assert_eq!(
            changes(&policy, &agreed, |_| false, now)[0].state,
            ConsentState::Withdrawn
        );
        assert_eq!(changes(&policy, &[], |_| true, now)[0].state, ConsentState::Granted);
        assert!(changes(&policy, &[], |_| false, now).is_empty());
    }
}
