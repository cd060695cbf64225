//! Integration tests of the API types: the shipped examples, every validation rule, and the
//! CEL rules evaluated as an API server would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

mod cel;
mod examples;
mod rules;
mod support;
