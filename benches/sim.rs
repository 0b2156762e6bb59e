//! Speed budgets of the simulation core, measured (not asserted): `cargo bench`.
//!
//! A plain harness (no extra crates): each case runs until it has taken about a second,
//! and the mean time per run, the steps per run and the throughput are printed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use podflow::sim::{self, cluster::Cluster, scenarios};

fn measure(name: &str, unit: &str, mut f: impl FnMut() -> usize) {
    // Warm up.
    let steps = f();
    let mut runs = 0u32;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) || runs < 3 {
        black_box(f());
        runs += 1;
    }
    let per_run = start.elapsed() / runs;
    println!(
        "{name:<44} {:>10.3} ms/run  {steps:>7} {unit}  {:>9.0} {unit}/s  ({runs} runs)",
        per_run.as_secs_f64() * 1000.0,
        steps as f64 / per_run.as_secs_f64()
    );
}

fn main() {
    let cluster = Cluster::default();
    measure("parse + simulate the nginx pod", "steps", || {
        sim::simulate(scenarios::NGINX, &cluster, 42)
            .trace
            .steps
            .len()
    });
    // Part of every run: the cluster's keyspace as installed (a cache candidate).
    measure("install the default cluster only", "keys", || {
        cluster.install().len()
    });
    measure("parse only (nginx pod)", "documents", || {
        sim::manifest::parse(scenarios::NGINX).documents.len()
    });
    for id in ["crashloop", "image-not-found", "liveness"] {
        let preset = scenarios::preset(id).expect("preset");
        measure(
            &format!("preset {id} (5 simulated minutes)"),
            "steps",
            || {
                sim::run(&preset.scenario(), &cluster, 42, sim::DEFAULT_HORIZON_MS)
                    .steps
                    .len()
            },
        );
    }
}
