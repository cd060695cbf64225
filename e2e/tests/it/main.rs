//! End to end: `kubectl apply` of the examples on a real control plane, the operator running as
//! the chart's ServiceAccount, IdP pods on the test node, and customers signing in through the
//! hosted pages in headless Chromium while openid-client plays the application.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

mod support;

mod chart;
mod consent;
mod examples;
mod journey;
mod lifecycle;
mod mfa;
mod social;
