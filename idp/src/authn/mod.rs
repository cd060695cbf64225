//! Authentication: the sign-in as a transaction bound to the browser that started it
//! ([`transaction`]), driven through a pipeline of steps ([`pipeline`], [`steps`]) to a finished
//! [`Authentication`]; the customer's session ([`session`]); the methods and classes of an
//! authentication ([`amr`]) and the assurance a sign-in must reach ([`assurance`]); the reset
//! links that recover an account ([`recovery`]).
//!
//! A protocol (`oidc/`) starts a sign-in and drives it; the hosted pages (`login/`) record what
//! the customer did on them. Neither knows the other: both only know this module.

pub mod amr;
pub mod assurance;
pub mod notice;
pub mod pipeline;
pub mod recovery;
pub mod session;
pub mod steps;
pub mod transaction;

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue};

pub use self::amr::{Acr, Amr, Method};
pub use self::assurance::Assurance;
pub use self::pipeline::{Failure, StepKind};
pub use self::session::SignedIn;
pub use self::steps::finish::Authentication;
pub use self::transaction::{Parked, Purpose, SignIn};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::UserId;
use pipeline::{Context, Standing};

/// What driving a sign-in came to.
#[derive(Debug)]
pub enum Outcome {
    /// The customer must see a page: redirect to `location`, setting `cookie` (the binding
    /// cookie of a sign-in stored just now).
    Detour {
        /// The page, with the sign-in's id.
        location: String,
        /// The binding cookie to set.
        cookie: Option<HeaderValue>,
    },
    /// Every step is done; the sign-in is over.
    Finished(Box<Authentication>),
    /// The sign-in cannot finish; it is over.
    Failed(Failure),
    /// A page is due, but the client's network has too many sign-ins in progress.
    Busy,
    /// Another request finished this sign-in first.
    Gone,
}

/// Takes a sign-in as far as it goes for the customer signed in in this browser: stores it (or
/// its progress) when a page is due, and ends it when it finishes or fails.
pub async fn drive(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    mut sign_in: SignIn,
) -> Result<Outcome, Error> {
    let signed_in = session::current(state, tenant, headers).await?;
    sign_in.observe(signed_in.as_ref());
    let standing = pipeline::run(&Context {
        state,
        tenant,
        sign_in: &sign_in,
        signed_in: signed_in.as_ref(),
        now: state.now(),
        headers,
        address,
    })
    .await?;
    match standing {
        Standing::Complete => {
            remember_sign_in(state, tenant, headers, address, &sign_in, signed_in.as_ref()).await?;
            let authentication = steps::finish::authentication(&sign_in, signed_in)?;
            // Ending first makes finishing happen once, however many requests race to it.
            if !transaction::end(state, &sign_in).await? {
                return Ok(Outcome::Gone);
            }
            Ok(Outcome::Finished(Box::new(authentication)))
        }
        Standing::Failed(failure) => fail(state, &sign_in, failure).await,
        Standing::Due {
            step,
            route,
            due,
            silent_failure,
        } => {
            if sign_in.parked().is_some_and(|parked| parked.silent) {
                return fail(state, &sign_in, silent_failure).await;
            }
            if step != StepKind::Identify {
                sign_in.progress.user = signed_in.as_ref().map(|s| UserId::new(s.user.id.as_str()));
            }
            sign_in.due = due;
            detour(state, tenant, headers, address, sign_in, route).await
        }
    }
}

/// After a full sign-in (not one that merely reused a session: that proved nothing new), its
/// device and network become known to the account, for adaptive MFA and for telling the customer
/// about a sign-in from a device or network the account never used.
async fn remember_sign_in(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    sign_in: &SignIn,
    signed_in: Option<&SignedIn>,
) -> Result<(), Error> {
    let Some(signed_in) = signed_in else { return Ok(()) };
    let here = sign_in.progress.session.as_ref() == Some(&signed_in.session.id);
    let adaptive = crate::mfa::policy_at_sign_in(tenant, Some(sign_in))
        .is_some_and(|policy| policy.enforcement == crate::mfa::Enforcement::Adaptive);
    let notify = tenant.config.attack_protection.notifications.new_sign_in;
    if !here || !(adaptive || notify) {
        return Ok(());
    }
    let user = &signed_in.user;
    let unfamiliar = notify && crate::mfa::device::unfamiliar(state, tenant, headers, address, &user.id).await?;
    crate::mfa::device::remember_sign_in(state, tenant, headers, address, &user.id).await?;
    if unfamiliar {
        notice::new_sign_in(state, headers, user).await?;
    }
    Ok(())
}

async fn fail(state: &AppState, sign_in: &SignIn, failure: Failure) -> Result<Outcome, Error> {
    transaction::end(state, sign_in).await?;
    Ok(Outcome::Failed(failure))
}

/// Stores the sign-in (new) or its progress, and sends the customer to the page at `route`.
async fn detour(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    mut sign_in: SignIn,
    route: &str,
) -> Result<Outcome, Error> {
    let cookie = if sign_in.is_stored() {
        if !transaction::save(state, &sign_in).await? {
            return Ok(Outcome::Gone);
        }
        None
    } else {
        match transaction::store(state, tenant, headers, address, &mut sign_in).await? {
            Some(cookie) => Some(cookie),
            None => return Ok(Outcome::Busy),
        }
    };
    let location = format!(
        "{}?request={}",
        tenant.path(route),
        crate::http::redirect::url_encode(&sign_in.id)
    );
    Ok(Outcome::Detour { location, cookie })
}
