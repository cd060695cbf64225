//! The profile: the tenant's required attributes an account lacks (one made through a provider
//! that did not supply them), then progressive profiling (after some sign-ins, attributes
//! registration did not ask for). Never due for a request that may show no page.

use futures::future::BoxFuture;
use vestibule_crds::config::TenantConfig;
use vestibule_crds::v1alpha1::ProfileAttribute;

use crate::authn::pipeline::{Context, Step, StepKind, Verdict};
use crate::error::Error;
use crate::store::User;

/// The profile page.
pub const PROFILE: &str = "/profile";

/// The profile step.
#[derive(Debug)]
pub struct Profile;

impl Step for Profile {
    fn kind(&self) -> StepKind {
        StepKind::Profile
    }

    fn check<'a>(&'a self, context: &'a Context<'a>) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(async move { Ok(verdict(context)) })
    }
}

fn verdict(context: &Context<'_>) -> Verdict {
    let silent = context.sign_in.parked().is_some_and(|parked| parked.silent);
    match context.signed_in {
        Some(signed_in) if !silent && due(&context.tenant.config, &signed_in.user).is_some() => Verdict::Due(PROFILE),
        _ => Verdict::Done,
    }
}

/// What the profile page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Required attributes of registration the account lacks; cannot be skipped.
    Required,
    /// Progressive-profiling step `index`.
    Progressive(usize),
}

/// What is due for `user`, with the attributes still missing.
pub fn due(config: &TenantConfig, user: &User) -> Option<(Due, Vec<ProfileAttribute>)> {
    let missing = |attributes: &[ProfileAttribute]| -> Vec<ProfileAttribute> {
        attributes
            .iter()
            .copied()
            .filter(|attribute| user.attribute(*attribute).is_none())
            .collect()
    };
    let required = missing(&config.registration.required_attributes);
    if !required.is_empty() {
        return Some((Due::Required, required));
    }
    let index = due_step(config, user)?;
    Some((
        Due::Progressive(index),
        missing(&config.registration.progressive_profiling[index].attributes),
    ))
}

/// The first profiling step due for `user`: reached its sign-in count, not skipped, and
/// something in it still missing.
pub fn due_step(config: &TenantConfig, user: &User) -> Option<usize> {
    config
        .registration
        .progressive_profiling
        .iter()
        .enumerate()
        .find_map(|(index, step)| {
            let reached = user.login_count > i64::from(step.after_logins);
            let missing = step
                .attributes
                .iter()
                .any(|attribute| user.attribute(*attribute).is_none());
            (reached && missing && !user.skipped_step(index)).then_some(index)
        })
}
