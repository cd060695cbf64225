//! A first factor recent enough for the request: a session's authentication serves unless the
//! request wants one within this very sign-in (`prompt=login`) or a younger one (`max_age`).

use futures::future::BoxFuture;

use super::identify::LOGIN;
use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::error::Error;

/// The first-factor step.
#[derive(Debug)]
pub struct FirstFactor;

impl Step for FirstFactor {
    fn kind(&self) -> StepKind {
        StepKind::FirstFactor
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(async move { Ok(verdict(context)) })
    }

    fn silent_failure(&self) -> Failure {
        Failure::LoginRequired
    }
}

fn verdict(context: &Context<'_>) -> Verdict {
    let Some(signed_in) = context.signed_in else {
        return Verdict::Due(LOGIN);
    };
    if context.authenticated_here() && context.methods().has_first_factor() {
        return Verdict::Done;
    }
    let required = &context.sign_in.required;
    let too_old = required
        .max_age
        .is_some_and(|age| context.now.since(signed_in.session.auth_time) > age);
    if required.fresh || too_old || !context.methods().has_first_factor() {
        Verdict::Due(LOGIN)
    } else {
        Verdict::Done
    }
}
