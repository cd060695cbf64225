//! What applications see of a customer's privacy choices, for the `consents` scope: the claim
//! `consents`, an object with every purpose based on consent of the served policy and whether
//! it is agreed to now (`{"newsletter": true, "analytics": false}`), and `consents_version`, the
//! policy's version. Read when a token or userinfo answer is made, so a change shows in the next.

use serde_json::{Map, Value};
use vestibule_crds::config::ConsentPolicyConfig;

use super::asking::{answer_of, asked, granted};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::{UnixTime, UserId};
use crate::store::ConsentRecord;

/// The scope that releases the claims.
pub const SCOPE: &str = "consents";
/// The claim with the purposes.
pub const CLAIM: &str = "consents";
/// The claim with the policy's version.
pub const VERSION_CLAIM: &str = "consents_version";

/// The claims of `user` for a token or userinfo answer carrying `scopes`; none without the
/// `consents` scope or without a served policy.
pub async fn for_scopes<'a>(
    state: &AppState,
    tenant: &Tenant,
    user: &UserId,
    mut scopes: impl Iterator<Item = &'a str>,
) -> Result<Map<String, Value>, Error> {
    let Some(policy) = super::policy(tenant) else {
        return Ok(Map::new());
    };
    if !scopes.any(|scope| scope == SCOPE) {
        return Ok(Map::new());
    }
    let current = state.store.current_consents(user).await?;
    Ok(claims(policy, &current, state.now()))
}

/// The claims for a customer whose latest records are `current`.
pub fn claims(policy: &ConsentPolicyConfig, current: &[ConsentRecord], now: UnixTime) -> Map<String, Value> {
    let purposes: Map<String, Value> = asked(policy)
        .map(|purpose| {
            let agreed = granted(purpose, answer_of(current, &purpose.id), now);
            (purpose.id.clone(), Value::Bool(agreed))
        })
        .collect();
    let mut claims = Map::new();
    claims.insert(CLAIM.to_owned(), Value::Object(purposes));
    claims.insert(VERSION_CLAIM.to_owned(), Value::from(policy.version.clone()));
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConsentSource, ConsentState};

    #[test]
    fn every_purpose_based_on_consent_is_named_with_whether_it_is_agreed_to_now() {
        let policy: ConsentPolicyConfig = serde_yaml::from_str(
            "{id: a.b, version: v3, purposes: [{id: news, title: {en: News}, legalBasis: consent, retention: 10s}, \
             {id: stats, title: {en: Stats}, legalBasis: consent}, {id: bill, title: {en: Bill}, legalBasis: contract}]}",
        )
        .unwrap();
        let granted = ConsentRecord {
            user_id: UserId::new("u"),
            subject: "news".into(),
            state: ConsentState::Granted,
            policy_version: "v3".into(),
            legal_basis: "consent".into(),
            source: ConsentSource::AccountPage,
            gpc: false,
            at: UnixTime::from_seconds(0),
            ip: None,
            user_agent: None,
        };
        let removed = ConsentRecord {
            subject: "gone".into(),
            ..granted.clone()
        };
        let now = claims(&policy, &[granted.clone(), removed.clone()], UnixTime::from_seconds(5));
        assert_eq!(
            Value::Object(now),
            serde_json::json!({"consents": {"news": true, "stats": false}, "consents_version": "v3"})
        );
        let later = claims(&policy, &[granted, removed], UnixTime::from_seconds(10));
        assert_eq!(later[CLAIM]["news"], false, "past its retention, the agreement is over");
    }
}
