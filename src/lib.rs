//! podflow: what really happens when you create a Kubernetes pod.
//!
//! The crate has two halves with a hard boundary between them:
//! - [`sim`], the pure, deterministic simulation core. It knows nothing about the web,
//!   clocks or entropy, and builds and tests with `--no-default-features`.
//! - [`link`], the codec of share links and the embed query, shared by the app and the
//!   `podflow link` command.
//! - `ui` (behind the default `ui` feature), the Leptos shell that renders a trace and
//!   moves a cursor through it.
//!
//! See ARCHITECTURE.md for the bird's-eye view, the code map and the invariants.

pub mod link;
pub mod sim;

#[cfg(feature = "ui")]
pub mod ui;
