//! Privacy: the customer's data rights (export, erasure) and the tenant's data retention.

pub mod erasure;
pub mod export;
pub mod retention;
