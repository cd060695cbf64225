//! The Vestibule operator: turns `vestibule.dev` custom resources into running, continuously
//! corrected identity providers.
//!
//! One controller per kind ([`controllers`]), each reconciling as a pipeline: dereference,
//! validate, build, apply, status. [`run`] is what the binary calls; [`run_with`] runs the same
//! operator on a given client until a shutdown future resolves, which is how tests run it
//! in-process.

pub mod conditions;
pub mod config;
pub mod context;
pub mod controllers;
pub mod error;
pub mod events;
pub mod leader;
pub mod listing;
pub mod metrics;
pub mod names;
pub mod retries;
pub mod rollouts;
pub mod runner;
pub mod scope;
pub mod server;
pub mod ssa;
pub mod subset;
pub mod tasks;

pub use config::{LeaderElection, OperatorConfig};
pub use context::Context;
pub use error::Error;
pub use runner::{RunError, run, run_with};
