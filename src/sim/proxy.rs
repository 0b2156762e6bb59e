//! kube-proxy in iptables mode, as a pure function: Services and EndpointSlices in, the
//! node's `filter` and `nat` tables out.
//!
//! Faithful to `pkg/proxy/iptables/proxier.go` (`syncProxyRules`,
//! `writeServiceToEndpointRules`) of v1.31–v1.33, `pkg/proxy/endpointslicecache.go` (how
//! slices become per-port endpoint lists) and `pkg/proxy/topology.go`
//! (`CategorizeEndpoints`: ready endpoints, else serving+terminating ones).
//!
//! Invariants:
//! - Chain names are the real ones: `"KUBE-SVC-" + base32(sha256(servicePortName +
//!   protocol))[:16]`, SEP adds the endpoint `ip:port` (reference B.8.3 test vectors).
//! - Deterministic order. Upstream iterates a Go map of service ports, so on a real node the
//!   order of services in `KUBE-SERVICES` varies from sync to sync; here service ports are
//!   sorted by their `ns/name:port` string, then protocol. Endpoints are sorted by their
//!   `ip:port` string, exactly as upstream's `byEndpoint` sort does.
//! - Two renderings of the same rules: the structured [`Rules`] (chains in the order
//!   kube-proxy writes them, for a UI table) and [`Rules::iptables_save`], the text
//!   `iptables-save` prints back (argument order normalised by iptables, `/32` suffixes,
//!   `--set-xmark`, `--probability 0.33333333349`, user chains sorted by name as legacy
//!   iptables lists them).
//! - Never panics on odd input: missing fields mean "no such port/endpoint".

use crate::sim::object::At;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::sim::object;

/// kube-proxy's default `--iptables-masquerade-bit` is 14, so the mark is `1 << 14`.
pub const MASQUERADE_MARK: &str = "0x4000";

/// Above this many endpoints in total kube-proxy drops the per-endpoint comments
/// (`largeClusterEndpointsThreshold` in proxier.go).
pub const LARGE_CLUSTER_ENDPOINTS_THRESHOLD: usize = 1000;

/// Default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours).
const DEFAULT_STICKY_SECONDS: u64 = 10800;

// ---------------------------------------------------------------------------------------
// Chain names
// ---------------------------------------------------------------------------------------

/// `portProtoHash`: base32(sha256(servicePortName + protocol))[:16].
pub fn port_proto_hash(service_port_name: &str, protocol: &str) -> String {
    let digest = sha256(format!("{service_port_name}{protocol}").as_bytes());
    base32(&digest)[..16].to_string()
}

/// `KUBE-SVC-…`: the chain that load-balances over endpoints with `Cluster` traffic policy.
pub fn service_chain(service_port_name: &str, protocol: &str) -> String {
    format!("KUBE-SVC-{}", port_proto_hash(service_port_name, protocol))
}

/// `KUBE-SVL-…`: the chain over node-local endpoints (`Local` traffic policy).
pub fn service_local_chain(service_port_name: &str, protocol: &str) -> String {
    format!("KUBE-SVL-{}", port_proto_hash(service_port_name, protocol))
}

/// `KUBE-EXT-…`: the entry chain for NodePort, LoadBalancer and external IP traffic.
pub fn external_chain(service_port_name: &str, protocol: &str) -> String {
    format!("KUBE-EXT-{}", port_proto_hash(service_port_name, protocol))
}

/// `KUBE-FW-…`: the loadBalancerSourceRanges firewall chain.
pub fn firewall_chain(service_port_name: &str, protocol: &str) -> String {
    format!("KUBE-FW-{}", port_proto_hash(service_port_name, protocol))
}

/// `KUBE-SEP-…`: one chain per endpoint, hashing servicePortName + protocol + `ip:port`.
pub fn endpoint_chain(service_port_name: &str, protocol: &str, endpoint: &str) -> String {
    let digest = sha256(format!("{service_port_name}{protocol}{endpoint}").as_bytes());
    format!("KUBE-SEP-{}", &base32(&digest)[..16])
}

/// `ServicePortName.String()`: `ns/name:port`, or `ns/name` when the port is unnamed
/// (`fmtPortName` in pkg/proxy/types.go). Old kube-proxy printed a trailing colon instead.
pub fn service_port_name(namespace: &str, name: &str, port_name: &str) -> String {
    if port_name.is_empty() {
        format!("{namespace}/{name}")
    } else {
        format!("{namespace}/{name}:{port_name}")
    }
}

/// The probability kube-proxy writes for endpoint `i` of `n`: `1/(n-i)` with `%0.10f`
/// (`computeProbability`).
pub fn probability(remaining: usize) -> String {
    format!("{:.10}", 1.0 / remaining.max(1) as f64)
}

/// How `iptables-save` prints a probability back: libxt_statistic stores
/// `lround(0x80000000 * p)` and prints it divided by `0x80000000` with `%.11f`, so
/// `0.3333333333` comes back as `0.33333333349`.
pub fn saved_probability(written: &str) -> String {
    let p: f64 = written.parse().unwrap_or(0.0);
    let stored = (p * 2_147_483_648.0).round();
    format!("{:.11}", stored / 2_147_483_648.0)
}

// ---------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------

/// A source or destination match; `negated` prints as `! -s …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub negated: bool,
    /// As iptables-save prints it: a bare IP gains `/32`.
    pub cidr: String,
}

/// One `-m module options…` match, options in iptables-save syntax. For `comment` the
/// single option is the comment text, quoted when rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub module: String,
    pub options: Vec<String>,
}

/// One rule of a chain, in the normalised shape `iptables-save` prints.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Rule {
    pub source: Option<Addr>,
    pub destination: Option<Addr>,
    pub protocol: Option<String>,
    pub matches: Vec<Match>,
    /// `-j` target: a chain name, `DNAT`, `REJECT`, `MARK`, …
    pub target: String,
    pub target_options: Vec<String>,
}

impl Rule {
    /// The `--comment` text, if the rule has one.
    pub fn comment(&self) -> Option<&str> {
        self.matches
            .iter()
            .find(|m| m.module == "comment")
            .and_then(|m| m.options.first())
            .map(String::as_str)
    }

    /// The `-A CHAIN …` line as `iptables-save` prints it.
    pub fn save_line(&self, chain: &str) -> String {
        let mut out = format!("-A {chain}");
        if let Some(s) = &self.source {
            out.push_str(if s.negated { " ! -s " } else { " -s " });
            out.push_str(&s.cidr);
        }
        if let Some(d) = &self.destination {
            out.push_str(if d.negated { " ! -d " } else { " -d " });
            out.push_str(&d.cidr);
        }
        if let Some(p) = &self.protocol {
            out.push_str(" -p ");
            out.push_str(p);
        }
        for m in &self.matches {
            out.push_str(" -m ");
            out.push_str(&m.module);
            if m.module == "comment" {
                out.push_str(" --comment ");
                out.push_str(&save_string(m.options.first().map_or("", String::as_str)));
            } else {
                for o in &m.options {
                    out.push(' ');
                    out.push_str(o);
                }
            }
        }
        if !self.target.is_empty() {
            out.push_str(" -j ");
            out.push_str(&self.target);
        }
        for o in &self.target_options {
            out.push(' ');
            out.push_str(o);
        }
        out
    }
}

/// `xtables_save_string`: bare when only `[A-Za-z0-9_-]`, else double-quoted with `"` and
/// `\` escaped.
fn save_string(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A chain and its rules. Built-in chains (`PREROUTING`, `INPUT`, …) have a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    pub policy: Option<String>,
    pub rules: Vec<Rule>,
}

/// One iptables table, chains in the order kube-proxy writes them (built-ins first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub chains: Vec<Chain>,
}

impl Table {
    fn new(name: &str, builtins: &[&str]) -> Self {
        Table {
            name: name.to_string(),
            chains: builtins
                .iter()
                .map(|b| Chain {
                    name: b.to_string(),
                    policy: Some("ACCEPT".to_string()),
                    rules: Vec::new(),
                })
                .collect(),
        }
    }

    /// The chain called `name`, if present.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// Declares a user chain (once) so it appears even when empty.
    fn declare(&mut self, name: &str) {
        if self.chain(name).is_none() {
            self.chains.push(Chain {
                name: name.to_string(),
                policy: None,
                rules: Vec::new(),
            });
        }
    }

    fn add(&mut self, chain: &str, rule: Rule) {
        self.declare(chain);
        if let Some(c) = self.chains.iter_mut().find(|c| c.name == chain) {
            c.rules.push(rule);
        }
    }

    /// The table as `iptables-save` prints it: `*name`, chain declarations (built-ins
    /// first, then user chains sorted by name), rules grouped by chain in that order,
    /// `COMMIT`. The `# Generated by` comment lines are left out: they carry a wall-clock
    /// date.
    pub fn iptables_save(&self) -> String {
        let mut order: Vec<&Chain> = self.chains.iter().filter(|c| c.policy.is_some()).collect();
        let mut user: Vec<&Chain> = self.chains.iter().filter(|c| c.policy.is_none()).collect();
        user.sort_by(|a, b| a.name.cmp(&b.name));
        order.extend(user);
        let mut out = format!("*{}\n", self.name);
        for c in &order {
            match &c.policy {
                Some(p) => out.push_str(&format!(":{} {} [0:0]\n", c.name, p)),
                None => out.push_str(&format!(":{} - [0:0]\n", c.name)),
            }
        }
        for c in &order {
            for r in &c.rules {
                out.push_str(&r.save_line(&c.name));
                out.push('\n');
            }
        }
        out.push_str("COMMIT\n");
        out
    }
}

/// The node's kube-proxy rules: the `filter` and `nat` tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub filter: Table,
    pub nat: Table,
}

impl Rules {
    /// `iptables-save` output for both tables (filter first, as kube-proxy restores them).
    pub fn iptables_save(&self) -> String {
        format!(
            "{}{}",
            self.filter.iptables_save(),
            self.nat.iptables_save()
        )
    }
}

// ---------------------------------------------------------------------------------------
// Services and endpoints as kube-proxy sees them
// ---------------------------------------------------------------------------------------

/// One endpoint of one service port (`BaseEndpointInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: String,
    pub port: u16,
    pub node_name: String,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub local: bool,
}

impl Endpoint {
    /// `ip:port`, the string hashed into the SEP chain name and shown in comments.
    pub fn address(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

/// One port of one Service (`servicePortInfo`), with what the rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    pub namespace: String,
    pub name: String,
    pub port_name: String,
    /// `TCP`, `UDP` or `SCTP`, as in the API.
    pub protocol: String,
    pub cluster_ip: String,
    pub port: u16,
    pub node_port: u16,
    pub external_ips: Vec<String>,
    pub load_balancer_ips: Vec<String>,
    pub load_balancer_source_ranges: Vec<String>,
    pub health_check_node_port: u16,
    pub external_policy_local: bool,
    pub internal_policy_local: bool,
    pub session_affinity_seconds: Option<u64>,
}

impl ServicePort {
    /// `ns/name:port` (or `ns/name`).
    pub fn name_string(&self) -> String {
        service_port_name(&self.namespace, &self.name, &self.port_name)
    }

    /// Lower-case protocol, as used in chain hashes and `-p`.
    pub fn proto(&self) -> String {
        self.protocol.to_ascii_lowercase()
    }

    fn externally_accessible(&self) -> bool {
        self.node_port != 0 || !self.load_balancer_ips.is_empty() || !self.external_ips.is_empty()
    }

    fn external_local(&self) -> bool {
        self.externally_accessible() && self.external_policy_local
    }

    fn uses_cluster_endpoints(&self) -> bool {
        !self.internal_policy_local || (self.externally_accessible() && !self.external_local())
    }

    fn uses_local_endpoints(&self) -> bool {
        self.internal_policy_local || self.external_local()
    }
}

fn u16_at(v: &Value, key: &str) -> u16 {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .unwrap_or(0)
}

fn strings_at(v: &Value, pointer: &str) -> Vec<String> {
    v.at(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The service ports kube-proxy programs for `svc`: none for headless (`clusterIP: None`),
/// unallocated, or `ExternalName` Services (`ShouldSkipService`).
pub fn service_ports(svc: &Value) -> Vec<ServicePort> {
    let ty = object::str_at(svc, "/spec/type");
    let cluster_ip = object::str_at(svc, "/spec/clusterIP");
    if ty == "ExternalName" || cluster_ip.is_empty() || cluster_ip == "None" {
        return Vec::new();
    }
    let load_balancer = ty == "LoadBalancer";
    let external_policy_local = object::str_at(svc, "/spec/externalTrafficPolicy") == "Local";
    let internal_policy_local = object::str_at(svc, "/spec/internalTrafficPolicy") == "Local";
    let session_affinity_seconds = (object::str_at(svc, "/spec/sessionAffinity") == "ClientIP")
        .then(|| {
            svc.at("/spec/sessionAffinityConfig/clientIP/timeoutSeconds")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_STICKY_SECONDS)
        });
    let load_balancer_ips: Vec<String> = svc
        .at("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| i.get("ip").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let health_check_node_port = svc
        .at("/spec/healthCheckNodePort")
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|_| load_balancer && external_policy_local)
        .unwrap_or(0);
    let ports = svc
        .at("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    ports
        .iter()
        .map(|p| ServicePort {
            namespace: object::namespace(svc).to_string(),
            name: object::name(svc).to_string(),
            port_name: p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            protocol: p
                .get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("TCP")
                .to_string(),
            cluster_ip: cluster_ip.to_string(),
            port: u16_at(p, "port"),
            node_port: u16_at(p, "nodePort"),
            external_ips: strings_at(svc, "/spec/externalIPs"),
            load_balancer_ips: if load_balancer {
                load_balancer_ips.clone()
            } else {
                Vec::new()
            },
            load_balancer_source_ranges: strings_at(svc, "/spec/loadBalancerSourceRanges"),
            health_check_node_port,
            external_policy_local,
            internal_policy_local,
            session_affinity_seconds,
        })
        .collect()
}

/// The endpoints of one service port, from the EndpointSlices labelled
/// `kubernetes.io/service-name=<svc>` in its namespace: one per distinct `ip:port`,
/// sorted by that string (endpointslicecache.go). Conditions default as upstream does:
/// `ready` and `serving` absent mean true, `terminating` absent means false.
pub fn endpoints_for(sp: &ServicePort, slices: &[&Value], node_name: &str) -> Vec<Endpoint> {
    let mut by_address: BTreeMap<String, Endpoint> = BTreeMap::new();
    for slice in slices {
        if object::namespace(slice) != sp.namespace
            || object::str_at(slice, "/metadata/labels/kubernetes.io~1service-name") != sp.name
        {
            continue;
        }
        let address_type = object::str_at(slice, "/addressType");
        if !address_type.is_empty() && address_type != "IPv4" {
            continue;
        }
        let ports = slice
            .get("ports")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for port in ports {
            let name = port.get("name").and_then(Value::as_str).unwrap_or("");
            let proto = port
                .get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("TCP");
            let number = u16_at(port, "port");
            if name != sp.port_name || proto != sp.protocol || number == 0 {
                continue;
            }
            let endpoints = slice
                .get("endpoints")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for ep in endpoints {
                let Some(ip) = ep.at("/addresses/0").and_then(Value::as_str) else {
                    continue;
                };
                let cond = |k: &str, default: bool| {
                    ep.at(&format!("/conditions/{k}"))
                        .and_then(Value::as_bool)
                        .unwrap_or(default)
                };
                let ep_node = ep.get("nodeName").and_then(Value::as_str).unwrap_or("");
                let local = !node_name.is_empty() && ep_node == node_name;
                let endpoint = Endpoint {
                    ip: ip.to_string(),
                    port: number,
                    node_name: ep_node.to_string(),
                    ready: cond("ready", true),
                    serving: cond("serving", true),
                    terminating: cond("terminating", false),
                    local,
                };
                let key = endpoint.address();
                // Overlapping endpoints are deduplicated, favouring a local one.
                if !by_address.contains_key(&key) || local {
                    by_address.insert(key, endpoint);
                }
            }
        }
    }
    // BTreeMap order is byte order of "ip:port", the same as Go's string `<`.
    by_address.into_values().collect()
}

/// `CategorizeEndpoints` without topology hints: cluster endpoints are the ready ones, or
/// if none is ready the serving-and-terminating ones; local endpoints likewise among the
/// node's own. Returns (cluster, local, all reachable, has any endpoints).
pub fn categorize_endpoints(
    sp: &ServicePort,
    endpoints: &[Endpoint],
) -> (Vec<Endpoint>, Vec<Endpoint>, Vec<Endpoint>, bool) {
    let filter = |f: &dyn Fn(&Endpoint) -> bool| -> Vec<Endpoint> {
        endpoints.iter().filter(|e| f(e)).cloned().collect()
    };
    let mut cluster = Vec::new();
    let mut has_any = false;
    if sp.uses_cluster_endpoints() {
        cluster = filter(&|e| e.ready);
        if cluster.is_empty() {
            cluster = filter(&|e| e.serving && e.terminating);
        }
        has_any = !cluster.is_empty();
    }
    if !sp.uses_local_endpoints() {
        let all = cluster.clone();
        return (cluster, Vec::new(), all, has_any);
    }
    let mut local_ready = false;
    let mut local_serving_terminating = false;
    for e in endpoints {
        if e.ready {
            has_any = true;
            local_ready |= e.local;
        } else if e.serving && e.terminating {
            has_any = true;
            local_serving_terminating |= e.local;
        }
    }
    let local = if local_ready {
        filter(&|e| e.local && e.ready)
    } else if local_serving_terminating {
        filter(&|e| e.local && e.serving && e.terminating)
    } else {
        Vec::new()
    };
    if !sp.uses_cluster_endpoints() {
        let all = local.clone();
        return (cluster, local, all, has_any);
    }
    // Upstream unions the two sets through a Go map (random order); sorted here.
    let mut union: BTreeMap<String, Endpoint> = BTreeMap::new();
    for e in cluster.iter().chain(local.iter()) {
        union.insert(e.address(), e.clone());
    }
    (cluster, local, union.into_values().collect(), has_any)
}

// ---------------------------------------------------------------------------------------
// syncProxyRules
// ---------------------------------------------------------------------------------------

fn host(ip: &str) -> Addr {
    Addr {
        negated: false,
        cidr: if ip.contains('/') {
            ip.to_string()
        } else {
            format!("{ip}/32")
        },
    }
}

fn m(module: &str, options: &[&str]) -> Match {
    Match {
        module: module.to_string(),
        options: options.iter().map(|s| s.to_string()).collect(),
    }
}

fn comment(text: &str) -> Match {
    m("comment", &[text])
}

fn jump(target: &str) -> Rule {
    Rule {
        target: target.to_string(),
        ..Rule::default()
    }
}

/// A rule matching `-d dest -p proto --dport port` with a comment, in the shape of
/// kube-proxy's KUBE-SERVICES captures.
fn service_match(dest: Option<&str>, proto: &str, comment_text: &str, port: u16) -> Rule {
    Rule {
        destination: dest.map(host),
        protocol: Some(proto.to_string()),
        matches: vec![
            comment(comment_text),
            m(proto, &["--dport", &port.to_string()]),
        ],
        ..Rule::default()
    }
}

fn with_target(mut rule: Rule, target: &str, options: &[&str]) -> Rule {
    rule.target = target.to_string();
    rule.target_options = options.iter().map(|s| s.to_string()).collect();
    rule
}

fn reject_or_drop(rule: Rule, target: &str) -> Rule {
    if target == "REJECT" {
        // iptables-save prints REJECT's default explicitly.
        with_target(rule, "REJECT", &["--reject-with", "icmp-port-unreachable"])
    } else {
        with_target(rule, target, &[])
    }
}

/// The node's kube-proxy rules for `services` and `slices`, as kube-proxy on `node_name`
/// would write them. `cluster_cidr` (kubeadm's `--pod-network-cidr`, e.g. `10.244.0.0/16`)
/// drives the "masquerade off-cluster traffic" rules; empty means no local-traffic
/// detector, as upstream.
pub fn rules(services: &[&Value], slices: &[&Value], node_name: &str, cluster_cidr: &str) -> Rules {
    let mut filter = Table::new("filter", &["INPUT", "FORWARD", "OUTPUT"]);
    let mut nat = Table::new("nat", &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]);
    let mark = format!("{MASQUERADE_MARK}/{MASQUERADE_MARK}");

    // Jumps from the built-in chains (iptablesJumpChains, each EnsureRule(Prepend), so the
    // last listed ends up first), then the kubelet's KUBE-FIREWALL jumps it appended before
    // kube-proxy started.
    let new = || m("conntrack", &["--ctstate", "NEW"]);
    let builtin_jump = |pre: Vec<Match>, text: &str, target: &str| {
        let mut matches = pre;
        matches.push(comment(text));
        Rule {
            matches,
            target: target.to_string(),
            ..Rule::default()
        }
    };
    let lb_fw = "kubernetes load balancer firewall";
    let portals = "kubernetes service portals";
    let ext_portals = "kubernetes externally-visible service portals";
    for (chain, rule) in [
        (
            "INPUT",
            builtin_jump(vec![new()], lb_fw, "KUBE-PROXY-FIREWALL"),
        ),
        (
            "INPUT",
            builtin_jump(
                vec![],
                "kubernetes health check service ports",
                "KUBE-NODEPORTS",
            ),
        ),
        (
            "INPUT",
            builtin_jump(vec![new()], ext_portals, "KUBE-EXTERNAL-SERVICES"),
        ),
        ("INPUT", jump("KUBE-FIREWALL")),
        (
            "FORWARD",
            builtin_jump(vec![new()], lb_fw, "KUBE-PROXY-FIREWALL"),
        ),
        (
            "FORWARD",
            builtin_jump(vec![], "kubernetes forwarding rules", "KUBE-FORWARD"),
        ),
        (
            "FORWARD",
            builtin_jump(vec![new()], portals, "KUBE-SERVICES"),
        ),
        (
            "FORWARD",
            builtin_jump(vec![new()], ext_portals, "KUBE-EXTERNAL-SERVICES"),
        ),
        (
            "OUTPUT",
            builtin_jump(vec![new()], lb_fw, "KUBE-PROXY-FIREWALL"),
        ),
        (
            "OUTPUT",
            builtin_jump(vec![new()], portals, "KUBE-SERVICES"),
        ),
        ("OUTPUT", jump("KUBE-FIREWALL")),
    ] {
        filter.add(chain, rule);
    }
    for (chain, rule) in [
        ("PREROUTING", builtin_jump(vec![], portals, "KUBE-SERVICES")),
        ("OUTPUT", builtin_jump(vec![], portals, "KUBE-SERVICES")),
        (
            "POSTROUTING",
            builtin_jump(vec![], "kubernetes postrouting rules", "KUBE-POSTROUTING"),
        ),
    ] {
        nat.add(chain, rule);
    }

    // Top-level chains, in the order syncProxyRules writes their chain lines.
    for c in [
        "KUBE-SERVICES",
        "KUBE-EXTERNAL-SERVICES",
        "KUBE-FORWARD",
        "KUBE-NODEPORTS",
        "KUBE-PROXY-FIREWALL",
    ] {
        filter.declare(c);
    }
    for c in [
        "KUBE-SERVICES",
        "KUBE-NODEPORTS",
        "KUBE-POSTROUTING",
        "KUBE-MARK-MASQ",
    ] {
        nat.declare(c);
    }
    // The canary chains kube-proxy's iptables monitor creates (always empty).
    filter.declare("KUBE-PROXY-CANARY");
    nat.declare("KUBE-PROXY-CANARY");

    nat.add(
        "KUBE-POSTROUTING",
        Rule {
            matches: vec![m("mark", &["!", "--mark", &mark])],
            target: "RETURN".to_string(),
            ..Rule::default()
        },
    );
    nat.add(
        "KUBE-POSTROUTING",
        with_target(
            Rule::default(),
            "MARK",
            &["--set-xmark", &format!("{MASQUERADE_MARK}/0x0")],
        ),
    );
    nat.add(
        "KUBE-POSTROUTING",
        with_target(
            Rule {
                matches: vec![comment("kubernetes service traffic requiring SNAT")],
                ..Rule::default()
            },
            "MASQUERADE",
            &["--random-fully"],
        ),
    );
    nat.add(
        "KUBE-MARK-MASQ",
        with_target(Rule::default(), "MARK", &["--set-xmark", &mark]),
    );

    // localhostNodePorts (default true, IPv4): the anti-martian rule kubelet also writes.
    filter.add(
        "KUBE-FIREWALL",
        with_target(
            Rule {
                source: Some(Addr {
                    negated: true,
                    cidr: "127.0.0.0/8".to_string(),
                }),
                destination: Some(host("127.0.0.0/8")),
                matches: vec![
                    comment("block incoming localnet connections"),
                    m("conntrack", &["!", "--ctstate", "RELATED,ESTABLISHED,DNAT"]),
                ],
                ..Rule::default()
            },
            "DROP",
            &[],
        ),
    );

    let mut ports: Vec<ServicePort> = services.iter().flat_map(|s| service_ports(s)).collect();
    ports.sort_by_key(|p| (p.name_string(), p.proto()));
    let endpoint_lists: Vec<Vec<Endpoint>> = ports
        .iter()
        .map(|sp| endpoints_for(sp, slices, node_name))
        .collect();
    let total: usize = endpoint_lists.iter().map(Vec::len).sum();
    let large_cluster = total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
    let detector = (!cluster_cidr.is_empty()).then_some(cluster_cidr);

    for (sp, endpoints) in ports.iter().zip(&endpoint_lists) {
        write_service(
            &mut filter,
            &mut nat,
            sp,
            endpoints,
            detector,
            large_cluster,
        );
    }

    // The tail call to KUBE-NODEPORTS (nodePortAddresses match all, localhostNodePorts).
    nat.add(
        "KUBE-SERVICES",
        Rule {
            matches: vec![
                comment(
                    "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
                ),
                m("addrtype", &["--dst-type", "LOCAL"]),
            ],
            target: "KUBE-NODEPORTS".to_string(),
            ..Rule::default()
        },
    );

    filter.add(
        "KUBE-FORWARD",
        with_target(
            Rule {
                matches: vec![m("conntrack", &["--ctstate", "INVALID"])],
                ..Rule::default()
            },
            "DROP",
            &[],
        ),
    );
    filter.add(
        "KUBE-FORWARD",
        with_target(
            Rule {
                matches: vec![
                    comment("kubernetes forwarding rules"),
                    m("mark", &["--mark", &mark]),
                ],
                ..Rule::default()
            },
            "ACCEPT",
            &[],
        ),
    );
    filter.add(
        "KUBE-FORWARD",
        with_target(
            Rule {
                matches: vec![
                    comment("kubernetes forwarding conntrack rule"),
                    m("conntrack", &["--ctstate", "RELATED,ESTABLISHED"]),
                ],
                ..Rule::default()
            },
            "ACCEPT",
            &[],
        ),
    );

    Rules { filter, nat }
}

/// The per-service-port part of `syncProxyRules`.
fn write_service(
    filter: &mut Table,
    nat: &mut Table,
    sp: &ServicePort,
    endpoints: &[Endpoint],
    detector: Option<&str>,
    large_cluster: bool,
) {
    let proto = sp.proto();
    let name = sp.name_string();
    let (cluster_eps, local_eps, reachable, has_endpoints) = categorize_endpoints(sp, endpoints);

    let cluster_chain = service_chain(&name, &proto);
    let local_chain = service_local_chain(&name, &proto);
    let ext_chain = external_chain(&name, &proto);
    let fw_chain = firewall_chain(&name, &proto);
    let uses_cluster_chain = !cluster_eps.is_empty() && sp.uses_cluster_endpoints();
    let uses_local_chain = !local_eps.is_empty() && sp.uses_local_endpoints();

    let mut internal_chain = cluster_chain.clone();
    let mut has_internal = has_endpoints;
    if sp.internal_policy_local {
        internal_chain = local_chain.clone();
        has_internal &= !local_eps.is_empty();
    }
    let mut external_policy_chain = cluster_chain.clone();
    let mut has_external = has_endpoints;
    if sp.external_local() {
        external_policy_chain = local_chain.clone();
        has_external &= !local_eps.is_empty();
    }
    let uses_ext_chain = has_endpoints && sp.externally_accessible();
    let uses_fw_chain = has_endpoints
        && !sp.load_balancer_ips.is_empty()
        && !sp.load_balancer_source_ranges.is_empty();
    let lb_chain = if uses_fw_chain {
        fw_chain.clone()
    } else {
        ext_chain.clone()
    };

    let (internal_filter, internal_comment, external_filter, external_comment) = if !has_endpoints {
        let c = format!("{name} has no endpoints");
        ("REJECT", c.clone(), "REJECT", c)
    } else {
        let c = format!("{name} has no local endpoints");
        ("DROP", c.clone(), "DROP", c)
    };

    let cluster_ip_comment = format!("{name} cluster IP");
    // Capture the clusterIP.
    let cluster_match = service_match(Some(&sp.cluster_ip), &proto, &cluster_ip_comment, sp.port);
    if has_internal {
        nat.add(
            "KUBE-SERVICES",
            with_target(cluster_match.clone(), &internal_chain, &[]),
        );
    } else {
        filter.add(
            "KUBE-SERVICES",
            reject_or_drop(
                service_match(Some(&sp.cluster_ip), &proto, &internal_comment, sp.port),
                internal_filter,
            ),
        );
    }

    // Capture externalIPs.
    for ip in &sp.external_ips {
        if has_endpoints {
            nat.add(
                "KUBE-SERVICES",
                with_target(
                    service_match(Some(ip), &proto, &format!("{name} external IP"), sp.port),
                    &ext_chain,
                    &[],
                ),
            );
        }
        if !has_external {
            filter.add(
                "KUBE-EXTERNAL-SERVICES",
                reject_or_drop(
                    service_match(Some(ip), &proto, &external_comment, sp.port),
                    external_filter,
                ),
            );
        }
    }

    // Capture load-balancer ingress.
    for ip in &sp.load_balancer_ips {
        if has_endpoints {
            nat.add(
                "KUBE-SERVICES",
                with_target(
                    service_match(
                        Some(ip),
                        &proto,
                        &format!("{name} loadbalancer IP"),
                        sp.port,
                    ),
                    &lb_chain,
                    &[],
                ),
            );
        }
        if uses_fw_chain {
            filter.add(
                "KUBE-PROXY-FIREWALL",
                with_target(
                    service_match(
                        Some(ip),
                        &proto,
                        &format!("{name} traffic not accepted by {fw_chain}"),
                        sp.port,
                    ),
                    "DROP",
                    &[],
                ),
            );
        }
    }
    if !has_external {
        for ip in &sp.load_balancer_ips {
            filter.add(
                "KUBE-EXTERNAL-SERVICES",
                reject_or_drop(
                    service_match(Some(ip), &proto, &external_comment, sp.port),
                    external_filter,
                ),
            );
        }
    }

    // Capture nodeports.
    if sp.node_port != 0 {
        if has_endpoints {
            nat.add(
                "KUBE-NODEPORTS",
                with_target(
                    service_match(None, &proto, &name, sp.node_port),
                    &ext_chain,
                    &[],
                ),
            );
        }
        if !has_external {
            let rule = Rule {
                protocol: Some(proto.clone()),
                matches: vec![
                    comment(&external_comment),
                    m("addrtype", &["--dst-type", "LOCAL"]),
                    m(&proto, &["--dport", &sp.node_port.to_string()]),
                ],
                ..Rule::default()
            };
            filter.add(
                "KUBE-EXTERNAL-SERVICES",
                reject_or_drop(rule, external_filter),
            );
        }
    }

    // Capture healthCheckNodePorts.
    if sp.health_check_node_port != 0 {
        filter.add(
            "KUBE-NODEPORTS",
            with_target(
                service_match(
                    None,
                    "tcp",
                    &format!("{name} health check node port"),
                    sp.health_check_node_port,
                ),
                "ACCEPT",
                &[],
            ),
        );
    }

    // Internal traffic handling: masquerade traffic to the VIP from outside the cluster.
    if has_internal {
        if let Some(cidr) = detector {
            let mut rule = with_target(cluster_match.clone(), "KUBE-MARK-MASQ", &[]);
            rule.source = Some(Addr {
                negated: true,
                cidr: cidr.to_string(),
            });
            nat.add(&internal_chain, rule);
        }
    }

    // External traffic handling.
    if uses_ext_chain {
        nat.declare(&ext_chain);
        let commented = |text: String, target: &str| Rule {
            matches: vec![comment(&text)],
            target: target.to_string(),
            ..Rule::default()
        };
        if !sp.external_local() {
            nat.add(
                &ext_chain,
                commented(
                    format!("masquerade traffic for {name} external destinations"),
                    "KUBE-MARK-MASQ",
                ),
            );
        } else {
            if let Some(cidr) = detector {
                let mut rule = commented(
                    format!("pod traffic for {name} external destinations"),
                    &cluster_chain,
                );
                rule.source = Some(host(cidr));
                nat.add(&ext_chain, rule);
            }
            let src_local = |text: String, target: &str| Rule {
                matches: vec![comment(&text), m("addrtype", &["--src-type", "LOCAL"])],
                target: target.to_string(),
                ..Rule::default()
            };
            nat.add(
                &ext_chain,
                src_local(
                    format!("masquerade LOCAL traffic for {name} external destinations"),
                    "KUBE-MARK-MASQ",
                ),
            );
            nat.add(
                &ext_chain,
                src_local(
                    format!("route LOCAL traffic for {name} external destinations"),
                    &cluster_chain,
                ),
            );
        }
        if has_external {
            nat.add(&ext_chain, jump(&external_policy_chain));
        }
    }

    // Firewall chain for loadBalancerSourceRanges.
    if uses_fw_chain {
        nat.declare(&fw_chain);
        let lb_comment = format!("{name} loadbalancer IP");
        for range in &sp.load_balancer_source_ranges {
            nat.add(
                &fw_chain,
                Rule {
                    source: Some(host(range)),
                    matches: vec![comment(&lb_comment)],
                    target: ext_chain.clone(),
                    ..Rule::default()
                },
            );
        }
        nat.add(
            &fw_chain,
            Rule {
                matches: vec![comment(&format!(
                    "other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL"
                ))],
                ..Rule::default()
            },
        );
    }

    let maybe_comment = |text: String| -> Vec<Match> {
        if large_cluster {
            Vec::new()
        } else {
            vec![comment(&text)]
        }
    };
    let write_to_endpoints = |nat: &mut Table, chain: &str, eps: &[Endpoint]| {
        nat.declare(chain);
        let sep = |e: &Endpoint| endpoint_chain(&name, &proto, &e.address());
        if let Some(seconds) = sp.session_affinity_seconds {
            for e in eps {
                let mut matches = maybe_comment(format!("{name} -> {}", e.address()));
                matches.push(m(
                    "recent",
                    &[
                        "--rcheck",
                        "--seconds",
                        &seconds.to_string(),
                        "--reap",
                        "--name",
                        &sep(e),
                        "--mask",
                        "255.255.255.255",
                        "--rsource",
                    ],
                ));
                nat.add(
                    chain,
                    Rule {
                        matches,
                        target: sep(e),
                        ..Rule::default()
                    },
                );
            }
        }
        let n = eps.len();
        for (i, e) in eps.iter().enumerate() {
            let mut matches = maybe_comment(format!("{name} -> {}", e.address()));
            if i + 1 < n {
                let p = saved_probability(&probability(n - i));
                matches.push(m("statistic", &["--mode", "random", "--probability", &p]));
            }
            nat.add(
                chain,
                Rule {
                    matches,
                    target: sep(e),
                    ..Rule::default()
                },
            );
        }
    };
    if uses_cluster_chain {
        write_to_endpoints(nat, &cluster_chain, &cluster_eps);
    }
    if uses_local_chain {
        write_to_endpoints(nat, &local_chain, &local_eps);
    }

    // Per-endpoint chains: hairpin masquerade, then DNAT.
    for e in &reachable {
        let chain = endpoint_chain(&name, &proto, &e.address());
        nat.add(
            &chain,
            Rule {
                source: Some(host(&e.ip)),
                matches: maybe_comment(name.clone()),
                target: "KUBE-MARK-MASQ".to_string(),
                ..Rule::default()
            },
        );
        let mut matches = maybe_comment(name.clone());
        if sp.session_affinity_seconds.is_some() {
            matches.push(m(
                "recent",
                &[
                    "--set",
                    "--name",
                    &chain,
                    "--mask",
                    "255.255.255.255",
                    "--rsource",
                ],
            ));
        }
        matches.push(m(&proto, &[]));
        nat.add(
            &chain,
            Rule {
                protocol: Some(proto.clone()),
                matches,
                target: "DNAT".to_string(),
                target_options: vec!["--to-destination".to_string(), e.address()],
                ..Rule::default()
            },
        );
    }
}

// ---------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4) and base32 (RFC 4648), just enough for chain names
// ---------------------------------------------------------------------------------------

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// RFC 4648 base32 (standard alphabet, `=` padding), as Go's `base32.StdEncoding`.
pub fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(ns: &str, name: &str, ty: &str, ip: &str, ports: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"type": ty, "clusterIP": ip, "clusterIPs": [ip], "ports": ports}})
    }

    fn slice(ns: &str, svc: &str, ports: Value, endpoints: Value) -> Value {
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
               "metadata": {"name": format!("{svc}-abcde"), "namespace": ns,
                            "labels": {"kubernetes.io/service-name": svc}},
               "addressType": "IPv4", "ports": ports, "endpoints": endpoints})
    }

    fn ep(ip: &str, node: &str, ready: bool) -> Value {
        json!({"addresses": [ip], "nodeName": node,
               "conditions": {"ready": ready, "serving": ready, "terminating": false}})
    }

    fn lines(rules: &Rules) -> Vec<String> {
        rules.iptables_save().lines().map(str::to_string).collect()
    }

    #[test]
    fn sha256_and_base32_match_their_standards() {
        // FIPS 180-4 example "abc"; RFC 4648 section 10 "foobar".
        let d = sha256(b"abc");
        assert_eq!(
            d[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "sha256(abc) starts ba7816bf"
        );
        assert_eq!(d[28..], [0xf2, 0x00, 0x15, 0xad]);
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"f"), "MY======");
        // A 64-byte input exercises the two-block padding path.
        assert_eq!(sha256(&[b'a'; 64])[..2], [0xff, 0xe0]);
    }

    #[test]
    fn chain_names_match_real_clusters() {
        // Reference B.8.3: captured on real clusters and re-computed.
        assert_eq!(
            service_chain("default/kubernetes:https", "tcp"),
            "KUBE-SVC-NPX46M4PTMTKRN6Y"
        );
        assert_eq!(
            service_chain("kube-system/kube-dns:dns", "udp"),
            "KUBE-SVC-TCOU7JCQXEZGVUNU"
        );
        assert_eq!(
            service_chain("kube-system/kube-dns:dns-tcp", "tcp"),
            "KUBE-SVC-ERIFXISQEP7F7OF4"
        );
        assert_eq!(
            service_chain("kube-system/kube-dns:metrics", "tcp"),
            "KUBE-SVC-JD5MR3NA4I4DYORP"
        );
        assert_eq!(
            service_chain("default/nginx-svc", "tcp"),
            "KUBE-SVC-HL5LMXD5JFHQZ6LN"
        );
        assert_eq!(
            service_chain("default/nginx-svc:", "tcp"),
            "KUBE-SVC-R2VK7O5AFVLRAXSH"
        );
        assert_eq!(
            service_chain("default/test:", "tcp"),
            "KUBE-SVC-IOIC7CRUMQYLZ32S"
        );
        assert_eq!(
            endpoint_chain("default/test:", "tcp", "10.244.2.5:8080"),
            "KUBE-SEP-BO7YT2KMVIOH6WRF"
        );
        // The other prefixes share the hash.
        assert_eq!(
            external_chain("default/nginx-svc", "tcp"),
            "KUBE-EXT-HL5LMXD5JFHQZ6LN"
        );
        assert_eq!(
            service_local_chain("default/nginx-svc", "tcp"),
            "KUBE-SVL-HL5LMXD5JFHQZ6LN"
        );
        assert_eq!(
            firewall_chain("default/nginx-svc", "tcp"),
            "KUBE-FW-HL5LMXD5JFHQZ6LN"
        );
        // Modern servicePortName format: no trailing colon for an unnamed port.
        assert_eq!(
            service_port_name("default", "nginx-svc", ""),
            "default/nginx-svc"
        );
        assert_eq!(
            service_port_name("default", "kubernetes", "https"),
            "default/kubernetes:https"
        );
    }

    #[test]
    fn probabilities_as_written_and_as_saved() {
        assert_eq!(probability(3), "0.3333333333");
        assert_eq!(probability(2), "0.5000000000");
        assert_eq!(saved_probability("0.3333333333"), "0.33333333349");
        assert_eq!(saved_probability("0.5000000000"), "0.50000000000");
        assert_eq!(saved_probability(&probability(4)), "0.25000000000");
    }

    fn webpod() -> (Value, Value) {
        let svc = service(
            "default",
            "webpod",
            "ClusterIP",
            "10.96.100.200",
            json!([{"port": 80, "protocol": "TCP", "targetPort": 80}]),
        );
        let sl = slice(
            "default",
            "webpod",
            json!([{"name": "", "port": 80, "protocol": "TCP"}]),
            json!([
                ep("10.244.2.5", "worker2", true),
                ep("10.244.1.4", "worker", true),
                ep("10.244.2.9", "worker2", false),
                ep("10.244.1.3", "worker", true)
            ]),
        );
        (svc, sl)
    }

    #[test]
    fn three_ready_endpoints_split_one_third_one_half_rest() {
        let (svc, sl) = webpod();
        let r = rules(&[&svc], &[&sl], "worker", "10.244.0.0/16");
        let svc_chain = r.nat.chain("KUBE-SVC-CNZCPOCNCNOROALA").expect("SVC chain");
        let got: Vec<String> = svc_chain
            .rules
            .iter()
            .map(|x| x.save_line("KUBE-SVC-CNZCPOCNCNOROALA"))
            .collect();
        assert_eq!(
            got,
            [
                "-A KUBE-SVC-CNZCPOCNCNOROALA ! -s 10.244.0.0/16 -d 10.96.100.200/32 -p tcp -m comment --comment \"default/webpod cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ",
                "-A KUBE-SVC-CNZCPOCNCNOROALA -m comment --comment \"default/webpod -> 10.244.1.3:80\" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-SVF7XOS5TDWJWJZZ",
                "-A KUBE-SVC-CNZCPOCNCNOROALA -m comment --comment \"default/webpod -> 10.244.1.4:80\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-NBAMRQIHYPBRH37V",
                "-A KUBE-SVC-CNZCPOCNCNOROALA -m comment --comment \"default/webpod -> 10.244.2.5:80\" -j KUBE-SEP-VYCEXS5XBFDZ6KM6",
            ]
        );
        let text = lines(&r);
        assert!(text.contains(&"-A KUBE-SERVICES -d 10.96.100.200/32 -p tcp -m comment --comment \"default/webpod cluster IP\" -m tcp --dport 80 -j KUBE-SVC-CNZCPOCNCNOROALA".to_string()));
        assert!(text.contains(&"-A KUBE-SEP-NBAMRQIHYPBRH37V -s 10.244.1.4/32 -m comment --comment \"default/webpod\" -j KUBE-MARK-MASQ".to_string()));
        assert!(text.contains(&"-A KUBE-SEP-NBAMRQIHYPBRH37V -p tcp -m comment --comment \"default/webpod\" -m tcp -j DNAT --to-destination 10.244.1.4:80".to_string()));
        // The not-ready endpoint gets no chain at all.
        assert!(!r.iptables_save().contains("10.244.2.9"));
        // The NodePorts tail call is the last KUBE-SERVICES rule.
        let services = r.nat.chain("KUBE-SERVICES").expect("KUBE-SERVICES");
        assert_eq!(
            services.rules.last().map(|x| x.save_line("KUBE-SERVICES")).as_deref(),
            Some("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")
        );
    }

    #[test]
    fn fixed_chains_and_save_layout() {
        let (svc, sl) = webpod();
        let text = rules(&[&svc], &[&sl], "worker", "10.244.0.0/16").iptables_save();
        for line in [
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            ":KUBE-MARK-MASQ - [0:0]",
            "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
            "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
            "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
            "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
            "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully",
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT",
            "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP",
            "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL",
            "COMMIT",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Filter comes first; user chains are declared in name order.
        assert!(text.starts_with("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n"));
        let nat_decls: Vec<&str> = text
            .split("*nat\n")
            .nth(1)
            .unwrap_or("")
            .lines()
            .filter(|l| l.starts_with(":KUBE"))
            .collect();
        let mut sorted = nat_decls.clone();
        sorted.sort();
        assert_eq!(nat_decls, sorted);
    }

    #[test]
    fn service_without_endpoints_is_rejected_in_filter() {
        let dns = service(
            "kube-system",
            "kube-dns",
            "ClusterIP",
            "10.96.0.10",
            json!([{"name": "dns", "port": 53, "protocol": "UDP"}]),
        );
        let r = rules(&[&dns], &[], "worker", "10.244.0.0/16");
        assert_eq!(
            r.filter
                .chain("KUBE-SERVICES")
                .map(|c| c.rules.iter().map(|x| x.save_line("KUBE-SERVICES")).collect::<Vec<_>>()),
            Some(vec![
                "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns has no endpoints\" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable".to_string()
            ])
        );
        // No nat chain for it.
        assert!(r.nat.chain("KUBE-SVC-TCOU7JCQXEZGVUNU").is_none());
        assert!(!r.iptables_save().contains("KUBE-SVC-TCOU7JCQXEZGVUNU"));
    }

    #[test]
    fn nodeport_goes_through_the_ext_chain() {
        let svc = service(
            "default",
            "nginx",
            "NodePort",
            "10.103.4.5",
            json!([{"port": 80, "protocol": "TCP", "nodePort": 30080}]),
        );
        let sl = slice(
            "default",
            "nginx",
            json!([{"name": "", "port": 80, "protocol": "TCP"}]),
            json!([ep("10.244.1.7", "worker", true)]),
        );
        let text = lines(&rules(&[&svc], &[&sl], "worker", "10.244.0.0/16"));
        for line in [
            "-A KUBE-NODEPORTS -p tcp -m comment --comment \"default/nginx\" -m tcp --dport 30080 -j KUBE-EXT-2CMXP7HKUVJN7L6M",
            "-A KUBE-EXT-2CMXP7HKUVJN7L6M -m comment --comment \"masquerade traffic for default/nginx external destinations\" -j KUBE-MARK-MASQ",
            "-A KUBE-EXT-2CMXP7HKUVJN7L6M -j KUBE-SVC-2CMXP7HKUVJN7L6M",
            // A single endpoint: no statistic match.
            "-A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment \"default/nginx -> 10.244.1.7:80\" -j KUBE-SEP-DST4PJJC54MIXJRG",
        ] {
            assert!(text.contains(&line.to_string()), "missing {line:?}");
        }
        // Without endpoints the nodePort is rejected in KUBE-EXTERNAL-SERVICES instead.
        let text = lines(&rules(&[&svc], &[], "worker", "10.244.0.0/16"));
        assert!(text.contains(&"-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/nginx has no endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable".to_string()));
        assert!(!text.iter().any(|l| l.starts_with("-A KUBE-NODEPORTS")));
    }

    #[test]
    fn local_external_policy_uses_svl_chain_of_this_node_only() {
        let mut svc = service(
            "default",
            "nginx",
            "NodePort",
            "10.103.4.5",
            json!([{"port": 80, "protocol": "TCP", "nodePort": 30080}]),
        );
        svc["spec"]["externalTrafficPolicy"] = json!("Local");
        let sl = slice(
            "default",
            "nginx",
            json!([{"name": "", "port": 80, "protocol": "TCP"}]),
            json!([
                ep("10.244.1.7", "worker", true),
                ep("10.244.2.8", "worker2", true)
            ]),
        );
        let r = rules(&[&svc], &[&sl], "worker2", "10.244.0.0/16");
        let svl = r.nat.chain("KUBE-SVL-2CMXP7HKUVJN7L6M").expect("SVL chain");
        assert_eq!(svl.rules.len(), 1);
        assert_eq!(
            svl.rules[0].comment(),
            Some("default/nginx -> 10.244.2.8:80")
        );
        let text = lines(&r);
        assert!(text.contains(&"-A KUBE-EXT-2CMXP7HKUVJN7L6M -s 10.244.0.0/16 -m comment --comment \"pod traffic for default/nginx external destinations\" -j KUBE-SVC-2CMXP7HKUVJN7L6M".to_string()));
        assert!(
            text.contains(&"-A KUBE-EXT-2CMXP7HKUVJN7L6M -j KUBE-SVL-2CMXP7HKUVJN7L6M".to_string())
        );
        // On a node without a local endpoint external traffic is dropped.
        let r = rules(&[&svc], &[&sl], "controlplane", "10.244.0.0/16");
        assert!(lines(&r).contains(&"-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/nginx has no local endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP".to_string()));
    }

    #[test]
    fn terminating_endpoints_are_a_fallback_only() {
        let (svc, _) = webpod();
        let terminating = json!({"addresses": ["10.244.1.9"], "nodeName": "worker",
            "conditions": {"ready": false, "serving": true, "terminating": true}});
        let sl = slice(
            "default",
            "webpod",
            json!([{"name": "", "port": 80, "protocol": "TCP"}]),
            json!([terminating.clone()]),
        );
        let r = rules(&[&svc], &[&sl], "worker", "");
        let chain = r
            .nat
            .chain("KUBE-SVC-CNZCPOCNCNOROALA")
            .expect("fallback endpoints");
        // No cluster CIDR: no masquerade rule, just the one endpoint.
        assert_eq!(chain.rules.len(), 1);
        assert_eq!(
            chain.rules[0].comment(),
            Some("default/webpod -> 10.244.1.9:80")
        );
        let sl = slice(
            "default",
            "webpod",
            json!([{"name": "", "port": 80, "protocol": "TCP"}]),
            json!([terminating, ep("10.244.2.5", "worker2", true)]),
        );
        let r = rules(&[&svc], &[&sl], "worker", "");
        assert!(!r.iptables_save().contains("10.244.1.9"));
    }

    #[test]
    fn headless_and_external_name_services_are_not_proxied() {
        let headless = service(
            "default",
            "db",
            "ClusterIP",
            "None",
            json!([{"port": 5432}]),
        );
        let mut ext = service("default", "ext", "ExternalName", "", json!([]));
        ext["spec"]["externalName"] = json!("example.com");
        assert!(service_ports(&headless).is_empty());
        assert!(service_ports(&ext).is_empty());
        let r = rules(&[&headless, &ext], &[], "worker", "10.244.0.0/16");
        assert!(!r.iptables_save().contains("default/db"));
    }

    #[test]
    fn services_are_ordered_by_port_name() {
        let k8s = service(
            "default",
            "kubernetes",
            "ClusterIP",
            "10.96.0.1",
            json!([{"name": "https", "port": 443, "protocol": "TCP"}]),
        );
        let k8s_slice = slice(
            "default",
            "kubernetes",
            json!([{"name": "https", "port": 6443, "protocol": "TCP"}]),
            json!([{"addresses": ["172.18.0.2"], "conditions": {"ready": true}}]),
        );
        let (web, web_slice) = webpod();
        let r = rules(
            &[&web, &k8s],
            &[&web_slice, &k8s_slice],
            "worker",
            "10.244.0.0/16",
        );
        let services = r.nat.chain("KUBE-SERVICES").expect("chain");
        assert_eq!(
            services.rules[0].save_line("KUBE-SERVICES"),
            "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y"
        );
        assert_eq!(
            services.rules[1].comment(),
            Some("default/webpod cluster IP")
        );
        // Same input, same bytes.
        assert_eq!(
            r,
            rules(
                &[&web, &k8s],
                &[&web_slice, &k8s_slice],
                "worker",
                "10.244.0.0/16"
            )
        );
    }

    #[test]
    fn client_ip_affinity_adds_recent_matches() {
        let (mut svc, sl) = webpod();
        svc["spec"]["sessionAffinity"] = json!("ClientIP");
        let text = lines(&rules(&[&svc], &[&sl], "worker", "10.244.0.0/16"));
        assert!(text.contains(&"-A KUBE-SVC-CNZCPOCNCNOROALA -m comment --comment \"default/webpod -> 10.244.1.3:80\" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-SVF7XOS5TDWJWJZZ --mask 255.255.255.255 --rsource -j KUBE-SEP-SVF7XOS5TDWJWJZZ".to_string()));
        assert!(text.contains(&"-A KUBE-SEP-SVF7XOS5TDWJWJZZ -p tcp -m comment --comment \"default/webpod\" -m recent --set --name KUBE-SEP-SVF7XOS5TDWJWJZZ --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.3:80".to_string()));
    }
}
