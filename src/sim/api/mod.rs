//! The kube-apiserver's pure object-processing stages for the kinds podflow accepts, in
//! the order a create request goes through them (reference B.2.1):
//! [`decode::strict_decode`] → [`defaults::apply_defaults`] → mutating admission
//! ([`admission`]) → [`validation::validate`].
//!
//! Every function here is pure over `serde_json::Value`: no clock, no global mutable
//! state, randomness only through a passed-in [`crate::sim::rand::Rng`].

pub mod admission;
pub mod decode;
pub mod defaults;
pub mod schema;
pub mod validation;
