//! Who is signing in: the customer signed in in this browser, unless the application expects
//! someone else (`id_token_hint`); otherwise the sign-in page finds out.

use futures::future::BoxFuture;

use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::error::Error;

/// The sign-in page, where a customer is identified and gives a first factor.
pub const LOGIN: &str = "/login";

/// The identify step.
#[derive(Debug)]
pub struct Identify;

impl Step for Identify {
    fn kind(&self) -> StepKind {
        StepKind::Identify
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
    match &context.sign_in.required.subject {
        // OIDC Core 3.1.2.1: the session of another customer than the hint names is not reused,
        // and a sign-in here as someone else is an error for the application.
        Some(subject) if *subject != signed_in.user.id => {
            if context.authenticated_here() {
                Verdict::Fail(Failure::LoginRequired)
            } else {
                Verdict::Due(LOGIN)
            }
        }
        _ => Verdict::Done,
    }
}
