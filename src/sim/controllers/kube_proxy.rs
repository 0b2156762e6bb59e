//! kube-proxy (iptables mode) on one node, as a component: its informers watch Services
//! and EndpointSlices, and a change schedules `syncProxyRules`, which runs at most once per
//! `minSyncPeriod` (1 s, kubeadm's KubeProxyConfiguration) and writes the whole ruleset
//! with `iptables-restore`. Each sync that changes the rules is a step whose payload is
//! what `iptables-save` would print (the rules themselves come from [`crate::sim::proxy`]).
//!
//! The rules in force on a node at any step are those of the node's last `iptables-restore`
//! step (or, before the first, the ones for the cluster as installed); [`node_rules`]
//! computes them from any keyspace, which is what the CLI's `rules` output uses.

use serde_json::Value;

use crate::sim::engine::{Ctx, Msg, StageNote, Tick};
use crate::sim::etcd::Snapshot;
use crate::sim::narrate::note;
use crate::sim::proxy;

/// `iptables.minSyncPeriod` in kubeadm's kube-proxy configuration.
pub const MIN_SYNC_PERIOD_MS: u64 = 1_000;

pub const DOC: &str = "https://kubernetes.io/docs/reference/networking/virtual-ips/";

#[derive(Default)]
pub struct KubeProxy {
    /// The iptables-save text of the last sync.
    last: Option<String>,
    last_sync_at: Option<u64>,
    sync_queued: bool,
}

/// The rules kube-proxy on `node` writes for the Services and EndpointSlices in `view`.
pub fn node_rules(view: &Snapshot, node: &str) -> proxy::Rules {
    let services: Vec<&Value> = view
        .range("/registry/services/specs/")
        .map(|(_, kv)| kv.value.as_ref())
        .collect();
    let slices: Vec<&Value> = view
        .range("/registry/endpointslices/")
        .map(|(_, kv)| kv.value.as_ref())
        .collect();
    proxy::rules(&services, &slices, node, cluster_cidr(view, node))
}

/// The cluster CIDR kube-proxy's local-traffic detector masquerades by (its
/// `clusterCIDR`, kubeadm's `--pod-network-cidr`): the pod network the node's podCIDR was
/// taken from (see [`crate::sim::cluster::Cluster::pod_network`]).
fn cluster_cidr(view: &Snapshot, node: &str) -> &'static str {
    use crate::sim::cluster::{DEFAULT_POD_NETWORK, LARGE_POD_NETWORK};
    let pod_cidr = view
        .get(&format!("/registry/minions/{node}"))
        .map(|kv| crate::sim::object::str_at(&kv.value, "/spec/podCIDR"));
    let second_octet = pod_cidr
        .and_then(|c| c.strip_prefix("10."))
        .and_then(|c| c.split('.').next())
        .and_then(|o| o.parse::<u8>().ok());
    match second_octet {
        Some(o) if o >= 128 => LARGE_POD_NETWORK,
        _ => DEFAULT_POD_NETWORK,
    }
}

impl KubeProxy {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, node: &str, msg: Msg) {
        match msg {
            Msg::Watch(_) => {
                if self.sync_queued {
                    return;
                }
                let due = self
                    .last_sync_at
                    .map_or(ctx.now, |at| (at + MIN_SYNC_PERIOD_MS).max(ctx.now));
                self.sync_queued = true;
                ctx.send(ctx.me.clone(), due - ctx.now, Msg::Tick(Tick::ProxySync));
            }
            Msg::Tick(Tick::ProxySync) => {
                self.sync_queued = false;
                self.last_sync_at = Some(ctx.now);
                let rules = node_rules(ctx.view, node);
                let text = rules.iptables_save();
                if self.last.as_deref() == Some(text.as_str()) {
                    return;
                }
                let services: Vec<String> = rules
                    .nat
                    .chains
                    .iter()
                    .filter(|c| c.name.starts_with("KUBE-SVC-"))
                    .map(|c| c.name.clone())
                    .collect();
                let endpoints = rules
                    .nat
                    .chains
                    .iter()
                    .filter(|c| c.name.starts_with("KUBE-SEP-"))
                    .count();
                let lines = text.lines().filter(|l| l.starts_with("-A ")).count();
                ctx.stage_with(StageNote {
                    label: "iptables-restore".into(),
                    summary: format!(
                        "{lines} rules: {} service chains, {endpoints} endpoint chains",
                        services.len()
                    ),
                    payload: Some(crate::sim::trace::Payload::Text(text.clone())),
                    narration: note(
                        format!(
                            "kube-proxy on {node} saw a Service or EndpointSlice change and rewrote the node's iptables rules \
                             in one iptables-restore: KUBE-SERVICES matches each ClusterIP:port and jumps to the service's \
                             KUBE-SVC chain, which picks one ready endpoint at random (statistic mode random) and jumps to its \
                             KUBE-SEP chain, which DNATs to the pod's IP. Nothing listens on a ClusterIP: it only exists in these rules."
                        ),
                        DOC,
                    ),
                    to: None,
                    detail: None,
                });
                self.last = Some(text);
            }
            _ => {}
        }
    }
}
