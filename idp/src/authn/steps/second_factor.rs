//! A second factor, after the first, as the MFA policy of the sign-in's client demands it:
//! `optional` asks every customer who set up a factor the policy allows; `required` asks every
//! sign-in and sends a customer with no usable factor to enrol one first; `adaptive` asks when
//! the risk score reaches the step-up threshold and refuses past the deny threshold. A request
//! for the `mfa` class steps up a single-factor session; a trusted device skips the factor
//! unless the request insists. No policy, no second factor. An essential class that the
//! sign-in still cannot reach fails it.

use futures::future::BoxFuture;

use crate::authn::amr::{Acr, Method};
use crate::authn::pipeline::{Context, Failure, Step, StepKind, Verdict};
use crate::authn::session::SignedIn;
use crate::authn::transaction::Purpose;
use crate::error::Error;
use crate::mfa::{self, Enforcement, Policy, device};
use crate::request_info::RequestInfo;
use crate::risk::score::{self, Decision};
use crate::store::AuditEvent;

/// The page asking for a second factor.
pub const SECOND_FACTOR: &str = "/mfa";
/// The page where a customer without a usable factor sets one up (`required`).
pub const ENROL: &str = "/mfa/enrol";
/// The page telling that the sign-in was refused as too risky (`adaptive`).
pub const REFUSED: &str = "/mfa/refused";

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

/// What the policy demands of a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Demand {
    /// Nothing more.
    Nothing,
    /// A factor the customer set up.
    Factor,
    /// Setting up a factor (and proving it) first.
    Enrolment,
    /// Nothing: the sign-in is refused.
    Refusal,
}

async fn verdict(context: &Context<'_>) -> Result<Verdict, Error> {
    if let Some(signed_in) = context.signed_in {
        match demand(context, signed_in).await? {
            Demand::Nothing => {}
            Demand::Factor => return Ok(Verdict::Due(SECOND_FACTOR)),
            Demand::Enrolment => return Ok(Verdict::Due(ENROL)),
            Demand::Refusal => return Ok(Verdict::Due(REFUSED)),
        }
    }
    let achieved = Acr::achieved(&context.methods());
    Ok(match context.sign_in.required.minimum() {
        // OIDC Core 5.5.1.1: an essential class that cannot be met fails the authentication.
        Some(minimum) if minimum > achieved => Verdict::Fail(Failure::UnmetAssurance),
        _ => Verdict::Done,
    })
}

async fn demand(context: &Context<'_>, signed_in: &SignedIn) -> Result<Demand, Error> {
    let phishing_resistant = mfa::phishing_resistant_only(Some(context.sign_in));
    let methods = context.methods();
    // Two factors are enough, unless a passkey is insisted on and none was used.
    if methods.contains(Method::Mfa) && (!phishing_resistant || Acr::achieved(&methods) == Acr::Phr) {
        return Ok(Demand::Nothing);
    }
    let Some(policy) = mfa::policy_at_sign_in(context.tenant, Some(context.sign_in)) else {
        return Ok(Demand::Nothing);
    };
    let mut offered = mfa::offered_at_sign_in(context.state, &policy, &signed_in.user).await?;
    if phishing_resistant {
        offered.retain(|factor| *factor == mfa::Factor::Webauthn);
    }
    let wanted = if context.sign_in.purpose == Purpose::Account {
        // The account page's sign-in asks exactly what the account page demands (see
        // `session::second_factor_due`), or they would send the customer back and forth.
        policy.enforcement == Enforcement::Required || !offered.is_empty()
    } else {
        let required = &context.sign_in.required;
        let step_up =
            required.essential.contains(&Acr::Mfa) || required.preferred.contains(&Acr::Mfa) || phishing_resistant;
        // An explicit step-up (an essential `mfa` or `phr`, or `prompt=login` with `mfa`)
        // outranks trust.
        let insists = required.essential.contains(&Acr::Mfa) || phishing_resistant || (required.fresh && step_up);
        if !insists && policy.remember_device.is_some() && trusted(context, signed_in).await? {
            return Ok(Demand::Nothing);
        }
        let by_policy = match policy.enforcement {
            Enforcement::Optional => !offered.is_empty(),
            Enforcement::Required => true,
            Enforcement::Adaptive => match assess(context, signed_in, &policy, offered.is_empty()).await? {
                Decision::Allow => false,
                Decision::StepUp => true,
                Decision::Deny => {
                    refuse(context, signed_in).await?;
                    return Ok(Demand::Refusal);
                }
            },
        };
        by_policy || step_up
    };
    Ok(if !wanted {
        Demand::Nothing
    } else if !offered.is_empty() {
        Demand::Factor
    } else if policy.enforcement == Enforcement::Required {
        // Whoever signs in under `required` with nothing set up sets a factor up now, before
        // any code or token is issued.
        Demand::Enrolment
    } else {
        // Nothing to ask: the class check below fails the sign-in if `mfa` was essential.
        Demand::Nothing
    })
}

async fn trusted(context: &Context<'_>, signed_in: &SignedIn) -> Result<bool, Error> {
    device::is_trusted(context.state, context.tenant, context.headers, &signed_in.user.id).await
}

/// Scores the sign-in and records the score, the signals and the decision in the audit log
/// (`unprotected`: the customer has no factor to step up to, so a step-up lets them through).
async fn assess(
    context: &Context<'_>,
    signed_in: &SignedIn,
    policy: &Policy,
    unprotected: bool,
) -> Result<Decision, Error> {
    let user = &signed_in.user.id;
    let signals = device::signals(context.state, context.tenant, context.headers, context.address, user).await?;
    let score = score::score(&policy.adaptive, &signals);
    let decision = score::decide(&policy.adaptive, score);
    let info = RequestInfo::from_parts(context.address, context.headers);
    let mut detail = format!("{} decision={}", signals.describe(score), decision.as_str());
    if unprotected && decision == Decision::StepUp {
        detail.push_str(" no_factor_to_ask");
    }
    let client = context.sign_in.parked().map(|parked| parked.client_id.as_str());
    crate::audit::record_detail(
        context.state,
        AuditEvent::RiskAssessed,
        Some(user),
        client,
        &info,
        Some(detail),
    )
    .await;
    Ok(decision)
}

/// Ends the session of a sign-in refused as too risky: its password alone must reach nothing,
/// not even a client under no policy or the account page.
async fn refuse(context: &Context<'_>, signed_in: &SignedIn) -> Result<(), Error> {
    let user = &signed_in.user.id;
    context.state.store.delete_session(user, &signed_in.session.id).await?;
    let info = RequestInfo::from_parts(context.address, context.headers);
    let client = context.sign_in.parked().map(|parked| parked.client_id.as_str());
    crate::audit::record(context.state, AuditEvent::SignInRefused, Some(user), client, &info).await;
    Ok(())
}
