//! The sign-in as a pipeline of steps. Each step, one module of `steps/`, says whether it is
//! done, due (a page must be shown) or failed; the first step not done decides what happens.
//! Adding a step is adding a module and its line in [`PIPELINE`].

use std::net::IpAddr;

use axum::http::HeaderMap;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::amr::Amr;
use super::session::SignedIn;
use super::steps;
use super::transaction::SignIn;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::UnixTime;

/// The steps, by name (stored with a sign-in as the steps still due).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Who is signing in.
    Identify,
    /// A first factor (a password).
    FirstFactor,
    /// A second factor.
    SecondFactor,
    /// A new password, replacing one found in a data breach.
    NewPassword,
    /// The documents and purposes of the tenant's privacy consent policy.
    PrivacyConsent,
    /// Attributes the tenant asks for after some sign-ins.
    Profile,
    /// The customer's consent to the application's request.
    Consent,
}

/// Why a sign-in cannot finish, as the protocol will report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The customer must sign in, and no page may be shown.
    LoginRequired,
    /// The customer must consent, and no page may be shown.
    ConsentRequired,
    /// The customer must do something, and no page may be shown.
    InteractionRequired,
    /// The customer refused.
    AccessDenied,
    /// The essential assurance cannot be reached.
    UnmetAssurance,
}

/// What a step says about a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to do.
    Done,
    /// The customer must see the page at this route.
    Due(&'static str),
    /// The sign-in cannot finish.
    Fail(Failure),
}

/// What a step may look at.
pub struct Context<'a> {
    /// The application state.
    pub state: &'a AppState,
    /// The tenant being served.
    pub tenant: &'a Tenant,
    /// The sign-in, as observed for `signed_in`.
    pub sign_in: &'a SignIn,
    /// The customer signed in in this browser.
    pub signed_in: Option<&'a SignedIn>,
    /// Now.
    pub now: UnixTime,
    /// The request driving the sign-in (its device and trusted-device cookies).
    pub headers: &'a HeaderMap,
    /// The client address driving the sign-in.
    pub address: IpAddr,
}

impl Context<'_> {
    /// The methods of the authentication in use: the session's.
    pub fn methods(&self) -> Amr {
        self.signed_in
            .map(|signed_in| Amr::parse(&signed_in.session.amr))
            .unwrap_or_default()
    }

    /// Whether the session in use began within this sign-in.
    pub fn authenticated_here(&self) -> bool {
        self.signed_in.is_some_and(|s| {
            self.sign_in
                .progress
                .session
                .as_ref()
                .is_some_and(|own| *own == s.session.id)
        })
    }
}

/// One step of the sign-in.
pub trait Step: Sync {
    /// Its name.
    fn kind(&self) -> StepKind;

    /// Whether it is done, due or failed.
    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>>;

    /// What to answer when the step is due but no page may be shown (`prompt=none`).
    fn silent_failure(&self) -> Failure {
        Failure::InteractionRequired
    }
}

/// The steps in order. Finishing (after the last) is [`steps::finish`].
pub static PIPELINE: [&dyn Step; 7] = [
    &steps::identify::Identify,
    &steps::first_factor::FirstFactor,
    &steps::second_factor::SecondFactor,
    &steps::new_password::NewPassword,
    &steps::privacy::PrivacyConsent,
    &steps::profile::Profile,
    &steps::consent::Consent,
];

/// Where a sign-in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Every step is done.
    Complete,
    /// `step` is due at `route`; `due` lists it and the steps after it.
    Due {
        /// The step.
        step: StepKind,
        /// Its page.
        route: &'static str,
        /// The steps still due.
        due: Vec<StepKind>,
        /// What to answer instead when no page may be shown.
        silent_failure: Failure,
    },
    /// The sign-in cannot finish.
    Failed(Failure),
}

/// Runs the steps until one is not done.
pub async fn run(context: &Context<'_>) -> Result<Standing, Error> {
    for (index, step) in PIPELINE.iter().enumerate() {
        match step.check(context).await? {
            Verdict::Done => {}
            Verdict::Fail(failure) => return Ok(Standing::Failed(failure)),
            Verdict::Due(route) => {
                return Ok(Standing::Due {
                    step: step.kind(),
                    route,
                    due: PIPELINE[index..].iter().map(|step| step.kind()).collect(),
                    silent_failure: step.silent_failure(),
                });
            }
        }
    }
    Ok(Standing::Complete)
}
