//! Operator tests against a real kube-apiserver (the e2e harness's local control plane, or the
//! cluster `KUBECONFIG` points at). Each test owns a random namespace and its own in-process
//! operator limited to it, so tests run in any order and in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

mod captcha;
mod claims;
mod client;
mod consent;
mod keys;
mod last_known_good;
mod leader;
mod listing;
mod mfa;
mod ownership;
mod rbac;
mod ready;
mod retention;
mod rollouts;
mod rotation;
mod scaling;
mod serving;
mod skew;
mod social;
mod stalled;
mod steady_state;
mod support;
mod tenant;
