//! The steps of a sign-in, one module each, in the order of [`super::pipeline::PIPELINE`].

pub mod consent;
pub mod federated;
pub mod finish;
pub mod first_factor;
pub mod identify;
pub mod new_password;
pub mod privacy;
pub mod profile;
pub mod second_factor;
