//! The one integration-test binary: the CLI and the app in a real headless Chromium.
//! (Unit tests of the pure core live next to the code in `src/sim`.)

mod browser;
mod cli;
mod corpus;
mod fuzz;
mod golden;
mod hostile;
mod kubelet;
mod scenarios;
mod workloads;
