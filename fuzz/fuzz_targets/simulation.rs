//! Any manifest on a small set of clusters (the default, no nodes, every node tainted, a
//! tiny worker) with any seed: the run ends within the step bound and keeps every
//! invariant of `sim::check`. The first byte picks the cluster, the next eight the seed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podflow::sim::{self, cluster::Cluster, limits};

fn cluster(pick: u8) -> Cluster {
    let mut c = Cluster::default();
    match pick % 4 {
        1 => c.nodes.clear(),
        2 => {
            for node in &mut c.nodes {
                node.taints.push(sim::cluster::Taint {
                    key: "fuzz".into(),
                    value: "x".into(),
                    effect: "NoSchedule".into(),
                });
            }
        }
        3 => {
            c.nodes.truncate(2);
            if let Some(node) = c.nodes.iter_mut().find(|n| !n.control_plane) {
                node.cpu = "100m".into();
                node.memory = "64Mi".into();
                node.pods = 3;
            }
        }
        _ => {}
    }
    c
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let Ok(text) = std::str::from_utf8(&data[9..]) else {
        return;
    };
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&data[1..9]);
    let mut files = std::collections::BTreeMap::new();
    files.insert(sim::MANIFEST_FILE.to_string(), text.to_string());
    let scenario = sim::Scenario {
        files,
        commands: vec![(0, format!("kubectl apply -f {}", sim::MANIFEST_FILE))],
    };
    let trace = sim::run(&scenario, &cluster(data[0]), u64::from_le_bytes(seed), 120_000);
    assert!(trace.steps.len() <= limits::MAX_STEPS);
    if let Err(why) = sim::check::trace(&trace) {
        panic!("invariant broken: {why}");
    }
});
