//! The simulation core: manifests in, a trace of messages out.
//!
//! Invariants (checked by the tests, relied on by the UI):
//! - Pure: no web crates, no wall clock, no OS entropy. Time is a logical clock in
//!   milliseconds; randomness comes from [`rand::Rng`], seeded by the caller.
//! - Deterministic: the same manifests, cluster and seed give the same trace, byte for byte.
//!   Collections that are iterated are ordered (`BTreeMap`, `Vec`), never hashed.
//! - Never panics on input: parsing returns diagnostics with line and column; rejections,
//!   unschedulable pods and crashing containers are outcomes recorded in the trace.
//! - Bounded: input bytes, documents, objects, nodes and steps all have named limits
//!   ([`limits`]), and reaching one is reported in plain words.

pub mod api;
pub mod limits;
pub mod manifest;
pub mod object;
pub mod quantity;
pub mod rand;
