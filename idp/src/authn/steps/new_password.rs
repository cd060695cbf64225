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
        // An account without a password (made through a provider) has nothing to replace.
        Some(signed_in)
            if signed_in.user.password_breached_at.is_some() && !signed_in.user.password_hash.is_empty() =>
        {
            Verdict::Due(NEW_PASSWORD)
        }
        _ => Verdict::Done,
    }
}
