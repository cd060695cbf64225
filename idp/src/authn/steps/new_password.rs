//! A new password: due for an account whose password was found in a data breach (flagged at a
//! sign-in, see [`crate::breached::at_sign_in`]), after the factors and before anything else;
//! the sign-in does not finish until the customer has chosen one.

use futures::future::BoxFuture;

use crate::authn::pipeline::{Context, Step, StepKind, Verdict};
use crate::error::Error;

/// The page asking for a new password.
pub const NEW_PASSWORD: &str = "/password/new";

/// The new-password step.
#[derive(Debug)]
pub struct NewPassword;

impl Step for NewPassword {
    fn kind(&self) -> StepKind {
        StepKind::NewPassword
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(async move { Ok(verdict(context)) })
    }
}

fn verdict(context: &Context<'_>) -> Verdict {
    match context.signed_in {
        Some(signed_in) if crate::authn::session::new_password_due(signed_in) => Verdict::Due(NEW_PASSWORD),
        _ => Verdict::Done,
    }
}
