//! Privacy consent under the tenant's ConsentPolicy: after the factors and before anything is
//! issued, a customer whose answers are missing or no longer current (a new version, older than
//! `reconsent.after`, a purpose's `retention` run out) is asked on a page; see
//! [`crate::privacy::asking`]. Sign-ins through a provider pass here too.

use futures::future::BoxFuture;

use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::error::Error;

/// The page asking for the customer's privacy choices.
pub const PRIVACY_CONSENT: &str = "/privacy/consent";

/// The privacy consent step.
#[derive(Debug)]
pub struct PrivacyConsent;

impl Step for PrivacyConsent {
    fn kind(&self) -> StepKind {
        StepKind::PrivacyConsent
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(verdict(context))
    }

    fn silent_failure(&self) -> Failure {
        Failure::ConsentRequired
    }
}

async fn verdict(context: &Context<'_>) -> Result<Verdict, Error> {
    let (Some(policy), Some(signed_in)) = (crate::privacy::policy(context.tenant), context.signed_in) else {
        return Ok(Verdict::Done);
    };
    let current = context.state.store.current_consents(&signed_in.user.id).await?;
    let due = crate::privacy::asking::due(policy, &current, context.now);
    Ok(if due.is_empty() {
        Verdict::Done
    } else {
        Verdict::Due(PRIVACY_CONSENT)
    })
}
