//! A second factor, after the first, as the MFA policy of the sign-in's client demands it:
//! `optional` asks every customer who set up a factor the policy allows; `required` asks every
//! sign-in and sends a customer with no usable factor to enrol one first (or to confirm their
//! address first, when only codes by email would do); `adaptive` scores every sign-in, asks when
//! the score reaches the step-up threshold and refuses past the deny threshold. A request for the
//! `mfa` or `phr` class (or a client's `requiredAcr`) steps up a single-factor session; a trusted
//! device skips a step-up unless the request insists, never a refusal. No policy, no second
//! factor. An essential class that the sign-in still cannot reach fails it.

use std::collections::BTreeSet;

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
/// The page asking a customer to confirm their address before codes can be sent to it.
pub const CONFIRM_ADDRESS: &str = "/mfa/address";

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
    /// Confirming the address first: codes by email are the only factor to be had.
    Verification,
    /// Nothing: the sign-in is refused.
    Refusal,
}

async fn verdict(context: &Context<'_>) -> Result<Verdict, Error> {
    if let Some(signed_in) = context.signed_in {
        match demand(context, signed_in).await? {
            Demand::Nothing => {}
            Demand::Factor => return Ok(Verdict::Due(SECOND_FACTOR)),
            Demand::Enrolment => return Ok(Verdict::Due(ENROL)),
            Demand::Verification => return Ok(Verdict::Due(CONFIRM_ADDRESS)),
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
    let Some(policy) = mfa::policy_at_sign_in(context.tenant, Some(context.sign_in)) else {
        return Ok(Demand::Nothing);
    };
    let mut offered = mfa::offered_at_sign_in(context.state, &policy, &signed_in.user).await?;
    let passkey_only = mfa::passkey_only(Some(context.sign_in), &offered);
    let methods = context.methods();
    // Two factors are enough, unless a passkey is asked for (and to be had) and none was used.
    if methods.contains(Method::Mfa) && (!passkey_only || Acr::achieved(&methods) == Acr::Phr) {
        return Ok(Demand::Nothing);
    }
    if passkey_only {
        offered.retain(|factor| *factor == mfa::Factor::Webauthn);
    }
    let wanted = if context.sign_in.purpose == Purpose::Account {
        // The account page's sign-in asks exactly what the account page demands (see
        // `session::second_factor_due`), or they would send the customer back and forth.
        policy.enforcement == Enforcement::Required || !offered.is_empty()
    } else {
        match wanted(context, signed_in, &policy, &offered).await? {
            Some(wanted) => wanted,
            None => return Ok(Demand::Refusal),
        }
    };
    Ok(if !wanted {
        Demand::Nothing
    } else if !offered.is_empty() {
        Demand::Factor
    } else if mfa::enrols_at_sign_in(&policy, Some(context.sign_in)) {
        // Whoever must show a second factor and has none sets one up now, before any code or
        // token is issued.
        Demand::Enrolment
    } else if mfa::verification_first(&policy, Some(context.sign_in), &signed_in.user) {
        // Codes go only to a confirmed address (else anyone's address would do): confirm it
        // first, instead of being sent to an enrolment that has nothing to set up.
        Demand::Verification
    } else {
        // Nothing to ask: the class check below fails the sign-in if `mfa` was essential.
        Demand::Nothing
    })
}

/// Whether an application's sign-in wants a second factor (`None`: refused as too risky).
async fn wanted(
    context: &Context<'_>,
    signed_in: &SignedIn,
    policy: &Policy,
    offered: &BTreeSet<mfa::Factor>,
) -> Result<Option<bool>, Error> {
    let required = &context.sign_in.required;
    let demanded = required.demands_second_factor() || required.essential.contains(&Acr::Mfa);
    let step_up = demanded || required.preferred.iter().any(|acr| *acr >= Acr::Mfa);
    // An explicit step-up (an essential or required class, or `prompt=login` with a class
    // asked for) outranks trust.
    let insists = demanded || (required.fresh && step_up);
    // Security: the risk is scored (and audited) on every sign-in, trusted device or not, so
    // that a score past the deny threshold is refused whatever the device.
    let decision = match policy.enforcement {
        Enforcement::Adaptive => Some(assess(context, signed_in, policy, offered.is_empty()).await?),
        Enforcement::Optional | Enforcement::Required => None,
    };
    if decision == Some(Decision::Deny) {
        refuse(context, signed_in).await?;
        return Ok(None);
    }
    // A trusted device skips only a step-up, never a refusal (above).
    if !insists && policy.remember_device.is_some() && trusted(context, signed_in).await? {
        return Ok(Some(false));
    }
    let by_policy = match policy.enforcement {
        Enforcement::Optional => !offered.is_empty(),
        Enforcement::Required => true,
        Enforcement::Adaptive => decision == Some(Decision::StepUp),
    };
    Ok(Some(by_policy || step_up))
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
