//! The customer's consent to what the application asks for. A consent given within a sign-in
//! counts for that sign-in's customer only; `prompt=consent` asks again, first-party
//! (`skipConsent`) applications included.

use futures::future::BoxFuture;

use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::error::Error;
use crate::ids::Scopes;

/// The consent page.
pub const CONSENT: &str = "/consent";

/// The consent step.
#[derive(Debug)]
pub struct Consent;

impl Step for Consent {
    fn kind(&self) -> StepKind {
        StepKind::Consent
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(verdict(context))
    }

    fn silent_failure(&self) -> Failure {
        Failure::ConsentRequired
    }
}

async fn verdict(context: &Context<'_>) -> Result<Verdict, Error> {
    let Some(parked) = context.sign_in.parked() else {
        return Ok(Verdict::Done);
    };
    let progress = &context.sign_in.progress;
    if progress.denied {
        return Ok(Verdict::Fail(Failure::AccessDenied));
    }
    let Some(signed_in) = context.signed_in else {
        return Ok(Verdict::Due(CONSENT));
    };
    // Given here by this very customer (progress of anyone else was dropped on observing).
    if progress.consented && context.sign_in.is_for(&signed_in.user.id) {
        return Ok(Verdict::Done);
    }
    if parked.ask_consent {
        return Ok(Verdict::Due(CONSENT));
    }
    let Some(client) = context.tenant.config.client(&parked.client_id) else {
        return Ok(Verdict::Due(CONSENT));
    };
    if client.skip_consent {
        return Ok(Verdict::Done);
    }
    let stored = context
        .state
        .store
        .scope_consent(&signed_in.user.id, &client.client_id)
        .await?;
    let covered = stored.is_some_and(|(scope, _)| Scopes::parse(&scope).covers(&parked.scopes));
    Ok(if covered { Verdict::Done } else { Verdict::Due(CONSENT) })
}
