//! Progressive profiling: after some sign-ins, the tenant asks for attributes registration did
//! not. Never due for a request that may show no page.

use futures::future::BoxFuture;
use vestibule_crds::config::TenantConfig;

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
        Some(signed_in) if !silent && due_step(&context.tenant.config, &signed_in.user).is_some() => {
            Verdict::Due(PROFILE)
        }
        _ => Verdict::Done,
    }
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
