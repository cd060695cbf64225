//! A second factor, when the essential assurance needs more than one factor. No second factor
//! is served yet (a Tenant with `mfaPolicies` is refused at load), so such a sign-in cannot
//! finish; otherwise the step is skipped.

use futures::future::BoxFuture;

use crate::authn::amr::Acr;
use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::error::Error;

/// The second-factor step.
#[derive(Debug)]
pub struct SecondFactor;

impl Step for SecondFactor {
    fn kind(&self) -> StepKind {
        StepKind::SecondFactor
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(async move { Ok(verdict(context)) })
    }
}

fn verdict(context: &Context<'_>) -> Verdict {
    let achieved = Acr::achieved(&context.methods());
    match context.sign_in.required.minimum() {
        // OIDC Core 5.5.1.1: an essential class that cannot be met fails the authentication.
        Some(minimum) if minimum > achieved => Verdict::Fail(Failure::UnmetAssurance),
        _ => Verdict::Done,
    }
}
