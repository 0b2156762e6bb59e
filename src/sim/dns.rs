//! Cluster DNS as a pure function: the CoreDNS `kubernetes` plugin's answers, the
//! resolver search path of a pod's `/etc/resolv.conf`, and what `nslookup` in a busybox
//! pod prints.
//!
//! Sources: reference B.8.4 (website `dns-pod-service.md`); CoreDNS
//! `plugin/kubernetes/parse.go` (name layout `[_port._proto.][endpoint.]svc.ns.svc.zone`),
//! `kubernetes.go` (`findServices`, `findPods` with `pods insecure`), `backend_lookup.go`
//! (SRV weights); kubelet `pkg/kubelet/network/dns/dns.go` (`GetPodDNS`,
//! `mergeDNSOptions`); containerd's resolv.conf writer (search, nameserver, options
//! order); busybox 1.36 `networking/nslookup.c` (output layout, search handling).
//!
//! Invariants and simplifications, each deliberate:
//! - Deterministic: headless answers keep EndpointSlice order (on a real cluster the
//!   Corefile's `loadbalance` plugin shuffles A records per reply); merged resolv.conf
//!   options are sorted by name (kubelet builds them through a Go map, so their order
//!   varies); busybox's replies are printed in query order (really: arrival order).
//! - The simulated cluster has no upstream resolver: names outside `cluster.local`, which
//!   CoreDNS would `forward` to the node's resolver, come back NXDOMAIN with
//!   [`Response::forwarded`] set, so a UI can say where the query went.
//! - IPv4 single-stack: AAAA queries for existing names get an empty NOERROR (NODATA).

use crate::sim::object::At;
use serde_json::Value;
use std::collections::BTreeSet;

use crate::sim::object;

/// kubelet's `--cluster-domain` / the Corefile zone.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// kube-dns Service ClusterIP (`--cluster-dns`), the 10th address of `10.96.0.0/12`.
pub const CLUSTER_DNS_IP: &str = "10.96.0.10";
/// The node's own `/etc/resolv.conf` that kubelet hands to `dnsPolicy: Default` pods.
/// Assumption: a kind-style node on the `172.18.0.0/16` docker network, whose resolver is
/// the network gateway.
pub const NODE_RESOLV_CONF: &str = "nameserver 172.18.0.1\noptions ndots:0\n";
/// The `ttl 30` of the Corefile's kubernetes block.
pub const TTL: u32 = 30;

/// The kubeadm Corefile (ConfigMap `coredns` in `kube-system`, key `Corefile`).
pub const COREFILE: &str = ".:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
";

/// Namespaces every kubeadm cluster has, whether or not the caller passes objects in them.
const BUILTIN_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

/// The DNS question type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum QType {
    A,
    Aaaa,
    Srv,
}

/// The response code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    NxDomain,
}

impl Rcode {
    /// As busybox and dig print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rcode::NoError => "NOERROR",
            Rcode::NxDomain => "NXDOMAIN",
        }
    }
}

/// One answer record; names are fully qualified, without the trailing dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    A {
        name: String,
        ip: String,
    },
    Srv {
        name: String,
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Cname {
        name: String,
        target: String,
    },
}

/// The reply to one question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The fully qualified name asked, without the trailing dot.
    pub name: String,
    pub qtype: QType,
    pub rcode: Rcode,
    pub records: Vec<Record>,
    /// True when the name is outside the cluster zone, so CoreDNS forwarded it upstream.
    pub forwarded: bool,
}

impl Response {
    fn nx(name: &str, qtype: QType, forwarded: bool) -> Self {
        Response {
            name: name.to_string(),
            qtype,
            rcode: Rcode::NxDomain,
            records: Vec::new(),
            forwarded,
        }
    }

    fn ok(name: &str, qtype: QType, records: Vec<Record>) -> Self {
        Response {
            name: name.to_string(),
            qtype,
            rcode: Rcode::NoError,
            records,
            forwarded: false,
        }
    }
}

/// What a pod's resolver did with one name: every question it sent, in order, and which
/// one (if any) produced the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub tried: Vec<Response>,
    /// Index into `tried` of the reply with records.
    pub answered: Option<usize>,
}

impl Answer {
    /// The records of the successful reply, empty for NXDOMAIN.
    pub fn records(&self) -> &[Record] {
        self.answered
            .and_then(|i| self.tried.get(i))
            .map_or(&[], |r| r.records.as_slice())
    }

    /// The name that answered, e.g. `my-nginx.default.svc.cluster.local`.
    pub fn canonical_name(&self) -> Option<&str> {
        self.answered
            .and_then(|i| self.tried.get(i))
            .map(|r| r.name.as_str())
    }

    /// The addresses of the A records.
    pub fn addresses(&self) -> Vec<&str> {
        self.records()
            .iter()
            .filter_map(|r| match r {
                Record::A { ip, .. } => Some(ip.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The objects CoreDNS watches.
struct World<'a> {
    services: &'a [&'a Value],
    slices: &'a [&'a Value],
    pods: &'a [&'a Value],
}

impl World<'_> {
    fn namespace_exists(&self, ns: &str) -> bool {
        BUILTIN_NAMESPACES.contains(&ns)
            || self
                .services
                .iter()
                .chain(self.pods.iter())
                .any(|o| object::namespace(o) == ns)
    }

    fn service(&self, ns: &str, name: &str) -> Option<&Value> {
        self.services
            .iter()
            .copied()
            .find(|s| object::namespace(s) == ns && object::name(s) == name)
    }

    /// The DNS name of an endpoint: its `hostname` (from the slice, or from the pod's
    /// `hostname` when its `subdomain` is this Service), else the dashed IP.
    fn endpoint_host(&self, svc_name: &str, ep: &Value, ip: &str) -> String {
        if let Some(h) = ep.get("hostname").and_then(Value::as_str) {
            if !h.is_empty() {
                return h.to_string();
            }
        }
        let target = object::str_at(ep, "/targetRef/name");
        let target_ns = object::str_at(ep, "/targetRef/namespace");
        if let Some(pod) = self
            .pods
            .iter()
            .find(|p| object::name(p) == target && object::namespace(p) == target_ns)
        {
            let hostname = object::str_at(pod, "/spec/hostname");
            if !hostname.is_empty() && object::str_at(pod, "/spec/subdomain") == svc_name {
                return hostname.to_string();
            }
        }
        ip.replace('.', "-")
    }

    /// Ready endpoints of a Service: (host label, ip, slice port entries).
    fn endpoints(&self, ns: &str, svc_name: &str) -> Vec<(String, String, Vec<Value>)> {
        let mut out = Vec::new();
        for slice in self.slices {
            if object::namespace(slice) != ns
                || object::str_at(slice, "/metadata/labels/kubernetes.io~1service-name") != svc_name
            {
                continue;
            }
            let ports = slice
                .get("ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let endpoints = slice
                .get("endpoints")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for ep in endpoints {
                let ready = ep
                    .at("/conditions/ready")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                let Some(ip) = ep.at("/addresses/0").and_then(Value::as_str) else {
                    continue;
                };
                if ready {
                    out.push((
                        self.endpoint_host(svc_name, ep, ip),
                        ip.to_string(),
                        ports.clone(),
                    ));
                }
            }
        }
        out
    }
}

fn srv_weight(n: usize) -> u16 {
    // backend_lookup.go: floor(100 / (100 * n) * 100) for n records of weight 100.
    (100 / n.max(1)) as u16
}

/// Whether the `_port._proto` labels of a request match a port (empty labels match all).
fn port_matches(want_port: &str, want_proto: &str, name: &str, proto: &str) -> bool {
    (want_port.is_empty() || want_port == name)
        && (want_proto.is_empty() || want_proto.eq_ignore_ascii_case(proto))
}

/// What CoreDNS's `kubernetes` plugin answers for a fully qualified `name` (a trailing
/// dot is optional).
pub fn lookup(
    name: &str,
    qtype: QType,
    services: &[&Value],
    slices: &[&Value],
    pods: &[&Value],
) -> Response {
    let world = World {
        services,
        slices,
        pods,
    };
    let fqdn = name.trim_end_matches('.').to_ascii_lowercase();
    let zone_suffix = format!(".{CLUSTER_DOMAIN}");
    let rest = if fqdn == CLUSTER_DOMAIN {
        ""
    } else if let Some(rest) = fqdn.strip_suffix(&zone_suffix) {
        rest
    } else {
        return Response::nx(&fqdn, qtype, true);
    };
    let segs: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('.').collect()
    };
    // parse.go: [_port._proto.][endpoint.]service.namespace.(svc|pod)
    let Some((&kind, segs)) = segs.split_last() else {
        return Response::ok(&fqdn, qtype, Vec::new());
    };
    if kind != "svc" && kind != "pod" {
        return Response::nx(&fqdn, qtype, false);
    }
    let Some((&namespace, segs)) = segs.split_last() else {
        return Response::ok(&fqdn, qtype, Vec::new());
    };
    if !world.namespace_exists(namespace) {
        return Response::nx(&fqdn, qtype, false);
    }
    let Some((&service, segs)) = segs.split_last() else {
        return Response::ok(&fqdn, qtype, Vec::new());
    };
    let strip = |s: &str| s.strip_prefix('_').unwrap_or(s).to_string();
    let (endpoint, port, proto) = match segs {
        [] => (String::new(), String::new(), String::new()),
        [e] => (e.to_string(), String::new(), String::new()),
        [p, pr] => (String::new(), strip(p), strip(pr)),
        [e, p, pr] => (strip(e), strip(p), strip(pr)),
        _ => return Response::nx(&fqdn, qtype, false),
    };

    if kind == "pod" {
        // pods insecure: the A record is the dashed IP itself, no pod lookup.
        let ip = service.replace('-', ".");
        let valid = ip.split('.').count() == 4 && ip.split('.').all(|o| o.parse::<u8>().is_ok());
        if !valid || !endpoint.is_empty() || !port.is_empty() {
            return Response::nx(&fqdn, qtype, false);
        }
        let records = match qtype {
            QType::A => vec![Record::A {
                name: fqdn.clone(),
                ip,
            }],
            _ => Vec::new(),
        };
        return Response::ok(&fqdn, qtype, records);
    }

    let Some(svc) = world.service(namespace, service) else {
        return Response::nx(&fqdn, qtype, false);
    };
    let svc_fqdn = format!("{service}.{namespace}.svc.{CLUSTER_DOMAIN}");
    if object::str_at(svc, "/spec/type") == "ExternalName" {
        if !endpoint.is_empty() || !port.is_empty() {
            return Response::nx(&fqdn, qtype, false);
        }
        let target = object::str_at(svc, "/spec/externalName").trim_end_matches('.');
        return Response::ok(
            &fqdn,
            qtype,
            vec![Record::Cname {
                name: fqdn.clone(),
                target: target.to_string(),
            }],
        );
    }
    let cluster_ip = object::str_at(svc, "/spec/clusterIP");
    let headless = cluster_ip == "None" || cluster_ip.is_empty();

    let mut records = Vec::new();
    if headless || !endpoint.is_empty() {
        let mut seen = BTreeSet::new();
        let mut srv = Vec::new();
        for (host, ip, ports) in world.endpoints(namespace, service) {
            if !endpoint.is_empty() && host != endpoint {
                continue;
            }
            for p in &ports {
                let pname = p.get("name").and_then(Value::as_str).unwrap_or("");
                let pproto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                let number = p.get("port").and_then(Value::as_u64).unwrap_or(0) as u16;
                if port_matches(&port, &proto, pname, pproto) {
                    srv.push((number, format!("{host}.{svc_fqdn}")));
                }
            }
            let any_port = ports.is_empty() && port.is_empty();
            let port_ok = any_port
                || ports.iter().any(|p| {
                    port_matches(
                        &port,
                        &proto,
                        p.get("name").and_then(Value::as_str).unwrap_or(""),
                        p.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
                    )
                });
            if port_ok && seen.insert(ip.clone()) && qtype == QType::A {
                records.push(Record::A {
                    name: fqdn.clone(),
                    ip,
                });
            }
        }
        if seen.is_empty() {
            return Response::nx(&fqdn, qtype, false);
        }
        if qtype == QType::Srv {
            let weight = srv_weight(srv.len());
            records = srv
                .into_iter()
                .map(|(p, target)| Record::Srv {
                    name: fqdn.clone(),
                    priority: 0,
                    weight,
                    port: p,
                    target,
                })
                .collect();
        }
        return Response::ok(&fqdn, qtype, records);
    }

    let ports = svc
        .at("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let matching: Vec<u16> = ports
        .iter()
        .filter(|p| {
            port_matches(
                &port,
                &proto,
                p.get("name").and_then(Value::as_str).unwrap_or(""),
                p.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
            )
        })
        .map(|p| p.get("port").and_then(Value::as_u64).unwrap_or(0) as u16)
        .collect();
    if !port.is_empty() && matching.is_empty() {
        return Response::nx(&fqdn, qtype, false);
    }
    match qtype {
        QType::A => records.push(Record::A {
            name: fqdn.clone(),
            ip: cluster_ip.to_string(),
        }),
        QType::Srv => {
            let weight = srv_weight(matching.len());
            records = matching
                .into_iter()
                .map(|p| Record::Srv {
                    name: fqdn.clone(),
                    priority: 0,
                    weight,
                    port: p,
                    target: svc_fqdn.clone(),
                })
                .collect();
        }
        QType::Aaaa => {}
    }
    Response::ok(&fqdn, qtype, records)
}

/// The search list of a `ClusterFirst` pod in `namespace`.
pub fn search_path(namespace: &str) -> Vec<String> {
    vec![
        format!("{namespace}.svc.{CLUSTER_DOMAIN}"),
        format!("svc.{CLUSTER_DOMAIN}"),
        CLUSTER_DOMAIN.to_string(),
    ]
}

/// The candidate names a libc resolver (glibc or musl) tries for `name` with the search
/// list and `ndots`: an absolute name (trailing dot) only as is; a name with at least
/// `ndots` dots as is first, then with each search domain; otherwise the search domains
/// first and the name as is last.
pub fn candidates(name: &str, search: &[String], ndots: usize) -> Vec<String> {
    if let Some(abs) = name.strip_suffix('.') {
        return vec![abs.to_string()];
    }
    let with_search = search.iter().map(|d| format!("{name}.{d}"));
    if name.matches('.').count() >= ndots {
        std::iter::once(name.to_string())
            .chain(with_search)
            .collect()
    } else {
        with_search
            .chain(std::iter::once(name.to_string()))
            .collect()
    }
}

/// Resolves `name` as an application in a `ClusterFirst` pod of `from_namespace` does
/// (`getaddrinfo` with `search <ns>.svc.cluster.local svc.cluster.local cluster.local` and
/// `options ndots:5`), stopping at the first reply with records. Names whose first label
/// starts with `_` are asked as SRV, everything else as A.
pub fn resolve(
    name: &str,
    from_namespace: &str,
    services: &[&Value],
    slices: &[&Value],
    pods: &[&Value],
) -> Answer {
    let qtype = if name.starts_with('_') {
        QType::Srv
    } else {
        QType::A
    };
    let mut tried = Vec::new();
    for candidate in candidates(name, &search_path(from_namespace), 5) {
        let r = lookup(&candidate, qtype, services, slices, pods);
        let hit = r.rcode == Rcode::NoError && !r.records.is_empty();
        tried.push(r);
        if hit {
            let answered = Some(tried.len() - 1);
            return Answer { tried, answered };
        }
    }
    Answer {
        tried,
        answered: None,
    }
}

/// `/etc/resolv.conf` of `pod`, with the node's own resolv.conf taken as
/// [`NODE_RESOLV_CONF`]. See [`resolv_conf_with_host`].
pub fn resolv_conf(pod: &Value) -> String {
    resolv_conf_with_host(pod, NODE_RESOLV_CONF)
}

fn parse_resolv(text: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut servers, mut searches, mut options) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("nameserver") => servers.extend(fields.next().map(str::to_string)),
            // The last search/domain line wins, as in libc.
            Some("search") | Some("domain") => {
                searches = fields.map(str::to_string).collect();
            }
            Some("options") => options.extend(fields.map(str::to_string)),
            _ => {}
        }
    }
    (servers, searches, options)
}

fn push_unique(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for i in items {
        if !list.contains(&i) {
            list.push(i);
        }
    }
}

/// `/etc/resolv.conf` as kubelet configures it and containerd writes it (`search`,
/// `nameserver` lines, `options`), for each `dnsPolicy`:
/// - `ClusterFirst` (default): the cluster DNS Service, the three cluster search domains
///   followed by the node's, `options ndots:5`. With `hostNetwork: true` it falls back to
///   `Default` (only `ClusterFirstWithHostNet` keeps cluster DNS on the host network).
/// - `Default`: the node's resolv.conf (`host_resolv_conf`).
/// - `None`: only what `dnsConfig` gives.
///
/// `spec.dnsConfig` is then merged in every policy: nameservers and searches appended
/// without duplicates (at most 3 nameservers, 32 search domains), options overriding by
/// name (sorted by name here; kubelet's order comes from a Go map).
pub fn resolv_conf_with_host(pod: &Value, host_resolv_conf: &str) -> String {
    let host_network = pod
        .at("/spec/hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut policy = match object::str_at(pod, "/spec/dnsPolicy") {
        "" => "ClusterFirst",
        p => p,
    };
    if policy == "ClusterFirst" && host_network {
        policy = "Default";
    }
    let (host_servers, host_searches, host_options) = parse_resolv(host_resolv_conf);
    let (mut servers, mut searches, mut options) = match policy {
        "ClusterFirst" | "ClusterFirstWithHostNet" => {
            let ns = match object::namespace(pod) {
                "" => "default",
                ns => ns,
            };
            let mut searches = search_path(ns);
            push_unique(&mut searches, host_searches);
            (
                vec![CLUSTER_DNS_IP.to_string()],
                searches,
                vec!["ndots:5".to_string()],
            )
        }
        "None" => (Vec::new(), Vec::new(), Vec::new()),
        _ => (host_servers, host_searches, host_options),
    };
    if let Some(cfg) = pod.at("/spec/dnsConfig") {
        let strings = |key: &str| -> Vec<String> {
            cfg.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        push_unique(&mut servers, strings("nameservers"));
        push_unique(&mut searches, strings("searches"));
        let extra: Vec<(String, String)> = cfg
            .get("options")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|o| {
                        let name = o.get("name").and_then(Value::as_str)?;
                        let value = o.get("value").and_then(Value::as_str).unwrap_or("");
                        Some((name.to_string(), value.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !extra.is_empty() {
            let mut merged = std::collections::BTreeMap::new();
            for o in &options {
                let (k, v) = o.split_once(':').unwrap_or((o.as_str(), ""));
                merged.insert(k.to_string(), v.to_string());
            }
            for (k, v) in extra {
                merged.insert(k, v);
            }
            options = merged
                .into_iter()
                .map(|(k, v)| if v.is_empty() { k } else { format!("{k}:{v}") })
                .collect();
        }
    }
    servers.truncate(3);
    searches.truncate(32);
    let mut out = String::new();
    if !searches.is_empty() {
        out.push_str(&format!("search {}\n", searches.join(" ")));
    }
    for s in &servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}

/// What `nslookup NAME` prints in a busybox (1.30 and later) pod of `from_namespace`
/// with a `ClusterFirst` resolv.conf. busybox does its own queries: a name without a dot
/// is tried under each search domain (never bare), a name with a dot only as is (it
/// ignores `ndots`, which is why `nslookup kubernetes.default` fails in new busybox and
/// the Kubernetes docs pin `busybox:1.28`). It sends A then AAAA for each and prints every
/// reply: answers as `Name:`/`Address:`, failures as `** server can't find …`, an empty
/// reply (NODATA) as just the blank line that follows each reply.
pub fn nslookup_output(
    name: &str,
    from_namespace: &str,
    services: &[&Value],
    slices: &[&Value],
    pods: &[&Value],
) -> String {
    let search = search_path(from_namespace);
    let names: Vec<String> = if name.contains('.') {
        vec![name.to_string()]
    } else {
        search.iter().map(|d| format!("{name}.{d}")).collect()
    };
    let mut out = format!("Server:\t\t{CLUSTER_DNS_IP}\nAddress:\t{CLUSTER_DNS_IP}:53\n\n");
    for qtype in [QType::A, QType::Aaaa] {
        for n in &names {
            let r = lookup(n, qtype, services, slices, pods);
            if r.rcode != Rcode::NoError {
                // busybox prints the name exactly as it queried it.
                out.push_str(&format!("** server can't find {n}: {}\n", r.rcode.as_str()));
            } else {
                // CoreDNS answers for its zone authoritatively: no "Non-authoritative answer:".
                for rec in &r.records {
                    match rec {
                        Record::A { name, ip } => {
                            out.push_str(&format!("Name:\t{name}\nAddress: {ip}\n"))
                        }
                        Record::Cname { name, target } => {
                            out.push_str(&format!("{name}\tcanonical name = {target}\n"))
                        }
                        Record::Srv { .. } => {}
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc(ns: &str, name: &str, ip: &str, ports: Value) -> Value {
        json!({"kind": "Service", "metadata": {"name": name, "namespace": ns},
               "spec": {"type": "ClusterIP", "clusterIP": ip, "ports": ports}})
    }

    fn slice(ns: &str, svc: &str, ports: Value, endpoints: Value) -> Value {
        json!({"kind": "EndpointSlice",
               "metadata": {"name": format!("{svc}-x1"), "namespace": ns,
                            "labels": {"kubernetes.io/service-name": svc}},
               "addressType": "IPv4", "ports": ports, "endpoints": endpoints})
    }

    struct Fixture {
        services: Vec<Value>,
        slices: Vec<Value>,
        pods: Vec<Value>,
    }

    impl Fixture {
        fn new() -> Self {
            let ports = json!([{"name": "http", "port": 80, "protocol": "TCP"}]);
            Fixture {
                services: vec![
                    svc("default", "my-nginx", "10.96.12.34", ports.clone()),
                    svc(
                        "default",
                        "kubernetes",
                        "10.96.0.1",
                        json!([{"name": "https", "port": 443, "protocol": "TCP"}]),
                    ),
                    svc(
                        "kube-system",
                        "kube-dns",
                        "10.96.0.10",
                        json!([
                        {"name": "dns", "port": 53, "protocol": "UDP"},
                        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                        {"name": "metrics", "port": 9153, "protocol": "TCP"}]),
                    ),
                    svc(
                        "default",
                        "db",
                        "None",
                        json!([{"name": "pg", "port": 5432, "protocol": "TCP"}]),
                    ),
                    json!({"kind": "Service", "metadata": {"name": "ext", "namespace": "default"},
                           "spec": {"type": "ExternalName", "externalName": "example.com"}}),
                ],
                slices: vec![slice(
                    "default",
                    "db",
                    json!([{"name": "pg", "port": 5432, "protocol": "TCP"}]),
                    json!([
                        {"addresses": ["10.244.1.5"], "conditions": {"ready": true},
                         "targetRef": {"kind": "Pod", "name": "db-0", "namespace": "default"}},
                        {"addresses": ["10.244.2.6"], "conditions": {"ready": true},
                         "hostname": "db-1"},
                        {"addresses": ["10.244.2.7"], "conditions": {"ready": false}},
                    ]),
                )],
                pods: vec![json!({"kind": "Pod",
                    "metadata": {"name": "db-0", "namespace": "default"},
                    "spec": {"hostname": "db-0", "subdomain": "db"}})],
            }
        }

        fn resolve(&self, name: &str, ns: &str) -> Answer {
            let s: Vec<&Value> = self.services.iter().collect();
            let e: Vec<&Value> = self.slices.iter().collect();
            let p: Vec<&Value> = self.pods.iter().collect();
            resolve(name, ns, &s, &e, &p)
        }

        fn nslookup(&self, name: &str, ns: &str) -> String {
            let s: Vec<&Value> = self.services.iter().collect();
            let e: Vec<&Value> = self.slices.iter().collect();
            let p: Vec<&Value> = self.pods.iter().collect();
            nslookup_output(name, ns, &s, &e, &p)
        }
    }

    #[test]
    fn short_name_resolves_through_the_search_path() {
        let f = Fixture::new();
        let a = f.resolve("my-nginx", "default");
        assert_eq!(
            a.canonical_name(),
            Some("my-nginx.default.svc.cluster.local")
        );
        assert_eq!(a.addresses(), ["10.96.12.34"]);
        assert_eq!(a.tried.len(), 1);
        // From another namespace the first search domain misses, the name with a dot
        // still resolves through the second one.
        let a = f.resolve("my-nginx.default", "kube-system");
        let names: Vec<&str> = a.tried.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "my-nginx.default.kube-system.svc.cluster.local",
                "my-nginx.default.svc.cluster.local"
            ]
        );
        assert_eq!(a.tried[0].rcode, Rcode::NxDomain);
        assert_eq!(a.addresses(), ["10.96.12.34"]);
        // A bare name from the wrong namespace: every candidate fails, ending with the
        // name as is, which CoreDNS forwards upstream.
        let a = f.resolve("my-nginx", "kube-system");
        assert_eq!(a.answered, None);
        assert_eq!(a.tried.len(), 4);
        assert_eq!(a.tried[3].name, "my-nginx");
        assert!(a.tried[3].forwarded);
        // An absolute name is asked once.
        let a = f.resolve("kubernetes.default.svc.cluster.local.", "kube-system");
        assert_eq!((a.tried.len(), a.addresses()), (1, vec!["10.96.0.1"]));
    }

    #[test]
    fn ndots_decides_what_is_tried_first() {
        let search = search_path("default");
        // Four dots is still "short" under ndots:5.
        assert_eq!(
            candidates("a.b.c.d.e", &search, 5)[0],
            "a.b.c.d.e.default.svc.cluster.local"
        );
        assert_eq!(
            candidates("a.b.c.d.e.f", &search, 5),
            [
                "a.b.c.d.e.f",
                "a.b.c.d.e.f.default.svc.cluster.local",
                "a.b.c.d.e.f.svc.cluster.local",
                "a.b.c.d.e.f.cluster.local"
            ]
        );
        assert_eq!(
            candidates("example.com", &search, 5),
            [
                "example.com.default.svc.cluster.local",
                "example.com.svc.cluster.local",
                "example.com.cluster.local",
                "example.com"
            ]
        );
    }

    #[test]
    fn headless_returns_ready_pod_ips_and_per_pod_names() {
        let f = Fixture::new();
        let a = f.resolve("db", "default");
        assert_eq!(a.addresses(), ["10.244.1.5", "10.244.2.6"]);
        // hostname from the slice, and from the pod's hostname+subdomain.
        assert_eq!(f.resolve("db-1.db", "default").addresses(), ["10.244.2.6"]);
        assert_eq!(
            f.resolve("db-0.db.default.svc.cluster.local", "x")
                .addresses(),
            ["10.244.1.5"]
        );
        // The not-ready pod is neither in the set nor resolvable by its dashed IP.
        assert_eq!(f.resolve("10-244-2-7.db", "default").answered, None);
    }

    #[test]
    fn srv_records_name_port_and_target() {
        let f = Fixture::new();
        let a = f.resolve("_http._tcp.my-nginx.default.svc.cluster.local", "default");
        assert_eq!(
            a.records(),
            [Record::Srv {
                name: "_http._tcp.my-nginx.default.svc.cluster.local".to_string(),
                priority: 0,
                weight: 100,
                port: 80,
                target: "my-nginx.default.svc.cluster.local".to_string(),
            }]
        );
        let a = f.resolve("_pg._tcp.db", "default");
        let targets: Vec<(u16, u16, String)> = a
            .records()
            .iter()
            .filter_map(|r| match r {
                Record::Srv {
                    weight,
                    port,
                    target,
                    ..
                } => Some((*weight, *port, target.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            targets,
            [
                (50, 5432, "db-0.db.default.svc.cluster.local".to_string()),
                (50, 5432, "db-1.db.default.svc.cluster.local".to_string()),
            ]
        );
        let a = f.resolve(
            "_dns._udp.kube-dns.kube-system.svc.cluster.local",
            "default",
        );
        assert_eq!(a.records().len(), 1);
        // Wrong protocol: NXDOMAIN.
        assert_eq!(f.resolve("_http._udp.my-nginx", "default").answered, None);
    }

    #[test]
    fn pod_records_and_external_name() {
        let f = Fixture::new();
        // pods insecure: any well-formed dashed IP in an existing namespace.
        let a = f.resolve("10-244-1-2.default.pod.cluster.local", "default");
        assert_eq!(a.addresses(), ["10.244.1.2"]);
        assert_eq!(
            f.resolve("10-244-1-2.nosuchns.pod.cluster.local", "default")
                .answered,
            None
        );
        assert_eq!(
            f.resolve("10-244-1.default.pod.cluster.local", "default")
                .answered,
            None
        );
        let a = f.resolve("ext", "default");
        assert_eq!(
            a.records(),
            [Record::Cname {
                name: "ext.default.svc.cluster.local".to_string(),
                target: "example.com".to_string(),
            }]
        );
    }

    #[test]
    fn resolv_conf_for_each_policy() {
        let pod = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {}});
        assert_eq!(
            resolv_conf(&pod),
            "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
        );
        let host = "nameserver 192.168.1.1\nsearch lan\n";
        assert_eq!(
            resolv_conf_with_host(&pod, host),
            "search default.svc.cluster.local svc.cluster.local cluster.local lan\nnameserver 10.96.0.10\noptions ndots:5\n"
        );
        let default =
            json!({"metadata": {"namespace": "default"}, "spec": {"dnsPolicy": "Default"}});
        assert_eq!(
            resolv_conf_with_host(&default, host),
            "search lan\nnameserver 192.168.1.1\n"
        );
        let host_net = json!({"metadata": {"namespace": "web"}, "spec": {"hostNetwork": true}});
        assert_eq!(
            resolv_conf_with_host(&host_net, host),
            "search lan\nnameserver 192.168.1.1\n"
        );
        let with_host_net = json!({"metadata": {"namespace": "web"},
            "spec": {"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"}});
        assert!(resolv_conf(&with_host_net).starts_with("search web.svc.cluster.local "));
        // The website's dnsPolicy: None example.
        let none = json!({"metadata": {"namespace": "default"}, "spec": {"dnsPolicy": "None",
            "dnsConfig": {"nameservers": ["192.0.2.1"],
                          "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
                          "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}}});
        assert_eq!(
            resolv_conf(&none),
            "search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.1\noptions edns0 ndots:2\n"
        );
    }

    #[test]
    fn nslookup_prints_like_busybox() {
        let f = Fixture::new();
        assert_eq!(
            f.nslookup("my-nginx", "default"),
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n\
             Name:\tmy-nginx.default.svc.cluster.local\nAddress: 10.96.12.34\n\n\
             ** server can't find my-nginx.svc.cluster.local: NXDOMAIN\n\n\
             ** server can't find my-nginx.cluster.local: NXDOMAIN\n\n\
             \n\
             ** server can't find my-nginx.svc.cluster.local: NXDOMAIN\n\n\
             ** server can't find my-nginx.cluster.local: NXDOMAIN\n\n"
        );
        // A dotted short name is not searched by busybox: it goes upstream and fails.
        assert_eq!(
            f.nslookup("kubernetes.default", "default"),
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n\
             ** server can't find kubernetes.default: NXDOMAIN\n\n\
             ** server can't find kubernetes.default: NXDOMAIN\n\n"
        );
    }

    #[test]
    fn corefile_is_kubeadms() {
        assert!(COREFILE.starts_with(".:53 {\n    errors\n"));
        assert!(COREFILE.contains(
            "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
        ));
        assert!(COREFILE.ends_with("    loadbalance\n}\n"));
    }
}
