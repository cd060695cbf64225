//! A second factor: asked of every customer who enrolled an authenticator app (the `optional`
//! enforcement: once enrolled, always asked), after the first factor. An essential class that
//! the sign-in still cannot reach fails it.

use futures::future::BoxFuture;

use crate::authn::amr::{Acr, Method};
use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::error::Error;

/// The page asking for the authenticator's code.
pub const SECOND_FACTOR: &str = "/mfa";

/// The second-factor step.
#[derive(Debug)]
pub struct SecondFactor;

impl Step for SecondFactor {
    fn kind(&self) -> StepKind {
        StepKind::SecondFactor
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(verdict(context))
    }
}

async fn verdict(context: &Context<'_>) -> Result<Verdict, Error> {
    let methods = context.methods();
    if let Some(signed_in) = context.signed_in
        && !methods.contains(Method::Mfa)
        && enrolled(context, &signed_in.user.id).await?
    {
        return Ok(Verdict::Due(SECOND_FACTOR));
    }
    let achieved = Acr::achieved(&methods);
    Ok(match context.sign_in.required.minimum() {
        // OIDC Core 5.5.1.1: an essential class that cannot be met fails the authentication.
        Some(minimum) if minimum > achieved => Verdict::Fail(Failure::UnmetAssurance),
        _ => Verdict::Done,
    })
}

/// Whether the customer set up a second factor: an authenticator app or a passkey.
async fn enrolled(context: &Context<'_>, user: &crate::ids::UserId) -> Result<bool, Error> {
    let store = &context.state.store;
    Ok(store.has_totp(user).await? || store.has_passkey(user).await?)
}
