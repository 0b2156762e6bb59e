//! ClusterIP and NodePort allocation, as the kube-apiserver does it when a Service is
//! created (`pkg/registry/core/service/ipallocator`, `portallocator`, `storage/alloc.go`).
//!
//! Both ranges are split in two bands (KEP-3070, "reserve ranges for static and dynamic
//! allocation"): dynamic allocation picks a random start in the *upper* band and scans
//! forward (wrapping inside the band), falling back to the lower band only when the upper
//! one is full, so explicitly requested low addresses (`10.96.0.10` for kube-dns) rarely
//! collide. The lower band's size is `calculateRangeOffset`:
//! - IPs: `min(max(16, size/16), 256)` → 256 for `10.96.0.0/12`: static band
//!   `10.96.0.1–10.96.1.0`, dynamic band `10.96.1.1–10.111.255.254`.
//! - Ports: `min(max(16, size/32), 128)` → 86 for `30000-32767`: static band
//!   `30000–30085`, dynamic band `30086–32767`.
//!
//! The bitmap allocator (default in v1.31/v1.32) and the IPAddress-object allocator
//! (MultiCIDRServiceAllocator, default in v1.33) use the same bands and the same scan.
//!
//! Invariants: the state is a plain value ([`Allocations`], sorted sets) owned by the
//! caller; randomness only from the [`Rng`] passed in; loops are bounded by the range size;
//! a failed Service allocation releases whatever it took (the apiserver's transaction).

use crate::sim::object::At;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt;

use crate::sim::object;
use crate::sim::rand::Rng;

/// kubeadm's default `--service-cluster-ip-range`.
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// The default `--service-node-port-range`.
pub const NODE_PORT_RANGE: &str = "30000-32767";
/// The `kubernetes` Service: the first address of the range, allocated by the apiserver.
pub const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";
/// kube-dns: kubeadm takes the 10th address of the range (`constants.GetDNSIP`).
pub const KUBE_DNS_IP: &str = "10.96.0.10";

/// Why one allocation failed, with upstream's error texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// `ErrAllocated`.
    IpAllocated,
    /// `ErrNotInRange` of the bitmap allocator.
    IpNotInRange { ip: String, range: String },
    /// `portallocator.ErrAllocated`.
    PortAllocated,
    /// `portallocator.ErrNotInRange`.
    PortNotInRange { range: String },
    /// `ErrFull` of either allocator.
    Full,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::IpAllocated => write!(f, "provided IP is already allocated"),
            AllocError::IpNotInRange { ip, range } => write!(
                f,
                "the provided IP ({ip}) is not in the valid range. The range of valid IPs is {range}"
            ),
            AllocError::PortAllocated => write!(f, "provided port is already allocated"),
            AllocError::PortNotInRange { range } => write!(
                f,
                "provided port is not in the valid range. The range of valid ports is {range}"
            ),
            AllocError::Full => write!(f, "range is full"),
        }
    }
}

/// A rejected Service create, as the apiserver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// 422 for a field error, 500 for an exhausted range.
    pub code: u16,
    /// `Invalid` or `InternalError` (the Status `reason`).
    pub reason: String,
    /// The Service name.
    pub name: String,
    /// The field error (`spec.ports[0].nodePort: Invalid value: 30080: provided port is
    /// already allocated`) or the internal error text.
    pub detail: String,
}

impl ServiceError {
    /// The Status `message`: `Service "web" is invalid: …` or
    /// `Internal error occurred: …` (kubectl prefixes `The ` to the first form).
    pub fn message(&self) -> String {
        if self.code == 422 {
            format!("Service {:?} is invalid: {}", self.name, self.detail)
        } else {
            format!("Internal error occurred: {}", self.detail)
        }
    }

    fn invalid(name: &str, detail: String) -> Self {
        ServiceError {
            code: 422,
            reason: "Invalid".to_string(),
            name: name.to_string(),
            detail,
        }
    }

    fn internal(name: &str, detail: String) -> Self {
        ServiceError {
            code: 500,
            reason: "InternalError".to_string(),
            name: name.to_string(),
            detail,
        }
    }
}

fn parse_ipv4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = p.parse().ok()?;
        if n > 255 {
            return None;
        }
        out = (out << 8) | n;
    }
    Some(out)
}

fn format_ipv4(ip: u32) -> String {
    let b = ip.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// An IPv4 service range: usable addresses exclude the network and broadcast addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    pub network: u32,
    pub prefix: u8,
}

impl IpRange {
    /// Parses `a.b.c.d/n` (IPv4, prefix 8–30).
    pub fn parse(cidr: &str) -> Option<IpRange> {
        let (ip, prefix) = cidr.split_once('/')?;
        let prefix: u8 = prefix.parse().ok()?;
        if !(8..=30).contains(&prefix) {
            return None;
        }
        let mask = u32::MAX << (32 - prefix);
        Some(IpRange {
            network: parse_ipv4(ip)? & mask,
            prefix,
        })
    }

    fn cidr_size(&self) -> u64 {
        1u64 << (32 - self.prefix)
    }

    /// Usable addresses: the CIDR size minus network and broadcast.
    pub fn size(&self) -> u64 {
        self.cidr_size() - 2
    }

    /// The first usable address (network + 1), offset 0.
    pub fn first(&self) -> u32 {
        self.network + 1
    }

    /// KEP-3070 static band size (`calculateRangeOffset`, min 16, max 256, step 16).
    pub fn range_offset(&self) -> u64 {
        let size = self.cidr_size();
        if size <= 16 {
            return 0;
        }
        (size / 16).clamp(16, 256)
    }

    /// The offset of `ip` from [`first`](Self::first) if it is usable in this range.
    pub fn offset_of(&self, ip: u32) -> Option<u64> {
        let offset = u64::from(ip.checked_sub(self.first())?);
        (offset < self.size()).then_some(offset)
    }

    pub fn ip_at(&self, offset: u64) -> String {
        format_ipv4(self.first().wrapping_add(offset as u32))
    }

    pub fn cidr(&self) -> String {
        format!("{}/{}", format_ipv4(self.network), self.prefix)
    }
}

/// A port range `base-last` (both included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub base: u16,
    pub size: u16,
}

impl PortRange {
    /// Parses `30000-32767`.
    pub fn parse(s: &str) -> Option<PortRange> {
        let (a, b) = s.split_once('-')?;
        let (a, b): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        (b >= a).then(|| PortRange {
            base: a,
            size: b - a + 1,
        })
    }

    /// KEP-3070 static band size for ports (min 16, max 128, step 32).
    pub fn range_offset(&self) -> u64 {
        let size = u64::from(self.size);
        if size <= 16 {
            return 0;
        }
        (size / 32).clamp(16, 128)
    }

    pub fn contains(&self, port: u16) -> bool {
        port >= self.base && u32::from(port) < u32::from(self.base) + u32::from(self.size)
    }

    pub fn spec(&self) -> String {
        format!(
            "{}-{}",
            self.base,
            u32::from(self.base) + u32::from(self.size) - 1
        )
    }
}

/// `randomScanStrategyWithOffset.AllocateBit`: a random start in the upper band
/// `[offset, max)`, scanning forward with wrap-around; then the same in `[0, offset)`.
fn scan(max: u64, offset: u64, rng: &mut Rng, used: impl Fn(u64) -> bool) -> Option<u64> {
    let upper = max.saturating_sub(offset);
    if upper > 0 {
        let start = rng.below(upper);
        for i in 0..upper {
            let at = offset + (start + i) % upper;
            if !used(at) {
                return Some(at);
            }
        }
    }
    if offset > 0 {
        let start = rng.below(offset);
        for i in 0..offset {
            let at = (start + i) % offset;
            if !used(at) {
                return Some(at);
            }
        }
    }
    None
}

/// Which ClusterIPs and NodePorts are taken: the state the caller stores between calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocations {
    pub ip_range: IpRange,
    pub port_range: PortRange,
    /// Allocated ClusterIPs, as `u32` addresses (sorted).
    pub cluster_ips: BTreeSet<u32>,
    /// Allocated NodePorts (sorted).
    pub node_ports: BTreeSet<u16>,
}

impl Default for Allocations {
    fn default() -> Self {
        Allocations::new()
    }
}

impl Allocations {
    /// Empty allocations over kubeadm's default ranges.
    pub fn new() -> Self {
        Allocations {
            ip_range: IpRange {
                network: 0x0A60_0000, // 10.96.0.0
                prefix: 12,
            },
            port_range: PortRange {
                base: 30000,
                size: 2768,
            },
            cluster_ips: BTreeSet::new(),
            node_ports: BTreeSet::new(),
        }
    }

    /// A fresh kubeadm cluster: `kubernetes` holds 10.96.0.1 and `kube-dns` 10.96.0.10.
    pub fn kubeadm() -> Self {
        let mut a = Allocations::new();
        for ip in [KUBERNETES_SERVICE_IP, KUBE_DNS_IP] {
            if let Some(n) = parse_ipv4(ip) {
                a.cluster_ips.insert(n);
            }
        }
        a
    }

    /// Dynamic ClusterIP (`AllocateNext`).
    pub fn allocate_next_ip(&mut self, rng: &mut Rng) -> Result<String, AllocError> {
        let range = self.ip_range;
        let used = &self.cluster_ips;
        let offset = scan(range.size(), range.range_offset(), rng, |o| {
            used.contains(&range.first().wrapping_add(o as u32))
        })
        .ok_or(AllocError::Full)?;
        self.cluster_ips
            .insert(range.first().wrapping_add(offset as u32));
        Ok(range.ip_at(offset))
    }

    /// A requested ClusterIP (`Allocate`).
    pub fn allocate_ip(&mut self, ip: &str) -> Result<(), AllocError> {
        let not_in_range = || AllocError::IpNotInRange {
            ip: ip.to_string(),
            range: self.ip_range.cidr(),
        };
        let n = parse_ipv4(ip).ok_or_else(not_in_range)?;
        self.ip_range.offset_of(n).ok_or_else(not_in_range)?;
        if !self.cluster_ips.insert(n) {
            return Err(AllocError::IpAllocated);
        }
        Ok(())
    }

    /// Releases a ClusterIP; unknown or out-of-range addresses are a no-op, as upstream.
    pub fn release_ip(&mut self, ip: &str) {
        if let Some(n) = parse_ipv4(ip) {
            self.cluster_ips.remove(&n);
        }
    }

    /// Dynamic NodePort.
    pub fn allocate_next_node_port(&mut self, rng: &mut Rng) -> Result<u16, AllocError> {
        let range = self.port_range;
        let used = &self.node_ports;
        let offset = scan(u64::from(range.size), range.range_offset(), rng, |o| {
            used.contains(&(range.base + o as u16))
        })
        .ok_or(AllocError::Full)?;
        let port = range.base + offset as u16;
        self.node_ports.insert(port);
        Ok(port)
    }

    /// A requested NodePort.
    pub fn allocate_node_port(&mut self, port: u16) -> Result<(), AllocError> {
        if !self.port_range.contains(port) {
            return Err(AllocError::PortNotInRange {
                range: self.port_range.spec(),
            });
        }
        if !self.node_ports.insert(port) {
            return Err(AllocError::PortAllocated);
        }
        Ok(())
    }

    pub fn release_node_port(&mut self, port: u16) {
        self.node_ports.remove(&port);
    }

    /// Allocates what a new Service needs and returns it with the fields filled in:
    /// `spec.clusterIP`/`clusterIPs` (`None` kept for headless, nothing for
    /// `ExternalName`), `ipFamilies: [IPv4]` and `ipFamilyPolicy: SingleStack` when unset,
    /// `spec.ports[*].nodePort` for NodePort and LoadBalancer Services (a port number
    /// shared by two protocols shares its nodePort), and `spec.healthCheckNodePort` for a
    /// LoadBalancer with `externalTrafficPolicy: Local`. On error nothing stays allocated.
    pub fn allocate_service(&mut self, svc: &Value, rng: &mut Rng) -> Result<Value, ServiceError> {
        let before = self.clone();
        let result = self.allocate_service_inner(svc, rng);
        if result.is_err() {
            *self = before;
        }
        result
    }

    fn allocate_service_inner(
        &mut self,
        svc: &Value,
        rng: &mut Rng,
    ) -> Result<Value, ServiceError> {
        let mut out = svc.clone();
        let name = object::name(svc).to_string();
        let ty = match object::str_at(svc, "/spec/type") {
            "" => "ClusterIP",
            t => t,
        };
        if ty == "ExternalName" {
            return Ok(out);
        }

        // ClusterIPs first (alloc.go allocClusterIPs), then NodePorts.
        let requested: Vec<String> = match svc.at("/spec/clusterIPs").and_then(Value::as_array) {
            Some(ips) if !ips.is_empty() => ips
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => match object::str_at(svc, "/spec/clusterIP") {
                "" => Vec::new(),
                ip => vec![ip.to_string()],
            },
        };
        let cluster_ip = match requested.first().map(String::as_str) {
            Some("None") => "None".to_string(),
            Some(ip) => {
                self.allocate_ip(ip).map_err(|e| {
                    ServiceError::invalid(
                        &name,
                        format!(
                            "spec.clusterIPs: Invalid value: {}: failed to allocate IP {ip}: {e}",
                            go_string_slice(&requested)
                        ),
                    )
                })?;
                ip.to_string()
            }
            None => self.allocate_next_ip(rng).map_err(|e| {
                ServiceError::internal(&name, format!("failed to allocate a serviceIP: {e}"))
            })?,
        };
        object::set_at(&mut out, "/spec/clusterIP", json!(cluster_ip));
        object::set_at(&mut out, "/spec/clusterIPs", json!([cluster_ip]));
        if out.at("/spec/ipFamilies").is_none() {
            object::set_at(&mut out, "/spec/ipFamilies", json!(["IPv4"]));
        }
        if out.at("/spec/ipFamilyPolicy").is_none() {
            object::set_at(&mut out, "/spec/ipFamilyPolicy", json!("SingleStack"));
        }

        let allocate_node_ports = ty == "NodePort"
            || (ty == "LoadBalancer"
                && svc
                    .at("/spec/allocateLoadBalancerNodePorts")
                    .and_then(Value::as_bool)
                    .unwrap_or(true));
        let ports = svc
            .at("/spec/ports")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let port_of = |p: &Value, key: &str| p.get(key).and_then(Value::as_u64).unwrap_or(0);
        // svcPortToNodePort: a nodePort per service port number.
        let mut by_port: Vec<(u64, u16)> = Vec::new();
        for (i, p) in ports.iter().enumerate() {
            let requested = port_of(p, "nodePort");
            if requested == 0 && !allocate_node_ports {
                continue;
            }
            let number = port_of(p, "port");
            if let Some(&(_, np)) = by_port.iter().find(|(n, _)| *n == number) {
                if requested == 0 || requested == u64::from(np) {
                    object::set_at(&mut out, &format!("/spec/ports/{i}/nodePort"), json!(np));
                    continue;
                }
            }
            // findRequestedNodePort: a user value on any port with this number wins.
            let wanted = if requested != 0 {
                requested
            } else {
                ports
                    .iter()
                    .filter(|q| port_of(q, "port") == number)
                    .map(|q| port_of(q, "nodePort"))
                    .find(|&n| n != 0)
                    .unwrap_or(0)
            };
            let np = if wanted != 0 {
                let invalid = |e: AllocError| {
                    ServiceError::invalid(
                        &name,
                        format!("spec.ports[{i}].nodePort: Invalid value: {wanted}: {e}"),
                    )
                };
                let port = u16::try_from(wanted).map_err(|_| {
                    invalid(AllocError::PortNotInRange {
                        range: self.port_range.spec(),
                    })
                })?;
                self.allocate_node_port(port).map_err(invalid)?;
                port
            } else {
                self.allocate_next_node_port(rng).map_err(|e| {
                    ServiceError::internal(&name, format!("failed to allocate a nodePort: {e}"))
                })?
            };
            by_port.push((number, np));
            object::set_at(&mut out, &format!("/spec/ports/{i}/nodePort"), json!(np));
        }

        let needs_health_check =
            ty == "LoadBalancer" && object::str_at(svc, "/spec/externalTrafficPolicy") == "Local";
        if needs_health_check {
            let requested = svc
                .at("/spec/healthCheckNodePort")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let np = if requested != 0 {
                let invalid = |e: AllocError| {
                    ServiceError::invalid(
                        &name,
                        format!("spec.healthCheckNodePort: Invalid value: {requested}: {e}"),
                    )
                };
                let port = u16::try_from(requested).map_err(|_| {
                    invalid(AllocError::PortNotInRange {
                        range: self.port_range.spec(),
                    })
                })?;
                self.allocate_node_port(port).map_err(invalid)?;
                port
            } else {
                self.allocate_next_node_port(rng).map_err(|e| {
                    ServiceError::internal(
                        &name,
                        format!("failed to allocate a health check nodePort: {e}"),
                    )
                })?
            };
            object::set_at(&mut out, "/spec/healthCheckNodePort", json!(np));
        }
        Ok(out)
    }

    /// Releases everything `svc` holds (Service deletion).
    pub fn release_service(&mut self, svc: &Value) {
        for ip in svc
            .at("/spec/clusterIPs")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if let Some(ip) = ip.as_str() {
                self.release_ip(ip);
            }
        }
        self.release_ip(object::str_at(svc, "/spec/clusterIP"));
        let ports = svc
            .at("/spec/ports")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for p in ports {
            if let Some(np) = p.get("nodePort").and_then(Value::as_u64) {
                if let Ok(np) = u16::try_from(np) {
                    self.release_node_port(np);
                }
            }
        }
        if let Some(np) = svc.at("/spec/healthCheckNodePort").and_then(Value::as_u64) {
            if let Ok(np) = u16::try_from(np) {
                self.release_node_port(np);
            }
        }
    }
}

/// Go's `%#v` of a `[]string`, as field errors print a slice value: `[]string{"a", "b"}`.
fn go_string_slice(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": "default"}, "spec": spec})
    }

    #[test]
    fn bands_follow_kep_3070() {
        let a = Allocations::new();
        assert_eq!(a.ip_range.cidr(), SERVICE_CIDR);
        assert_eq!(a.ip_range.size(), 1_048_574);
        assert_eq!(a.ip_range.range_offset(), 256);
        assert_eq!(a.ip_range.ip_at(0), "10.96.0.1");
        assert_eq!(a.ip_range.ip_at(256), "10.96.1.1");
        assert_eq!(a.ip_range.ip_at(a.ip_range.size() - 1), "10.111.255.254");
        assert_eq!(a.port_range.spec(), NODE_PORT_RANGE);
        assert_eq!(a.port_range.range_offset(), 86);
        assert_eq!(IpRange::parse("10.96.0.0/12"), Some(a.ip_range));
        assert_eq!(PortRange::parse("30000-32767"), Some(a.port_range));
        // A /28 has no static band; a /24 has the minimum of 16.
        assert_eq!(
            IpRange::parse("10.0.0.0/28").map(|r| r.range_offset()),
            Some(0)
        );
        assert_eq!(
            IpRange::parse("10.0.0.0/24").map(|r| r.range_offset()),
            Some(16)
        );
    }

    #[test]
    fn dynamic_allocation_is_seeded_and_comes_from_the_upper_band() {
        let run = |seed| {
            let mut a = Allocations::kubeadm();
            let mut rng = Rng::new(seed);
            (0..20)
                .map(|_| a.allocate_next_ip(&mut rng).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        let first = run(7);
        assert_eq!(first, run(7), "same seed, same addresses");
        assert_ne!(first, run(8));
        let range = Allocations::new().ip_range;
        for ip in &first {
            let offset = parse_ipv4(ip).and_then(|n| range.offset_of(n));
            assert!(
                offset.is_some_and(|o| o >= 256),
                "{ip} is in the static band"
            );
        }
        let mut ports = Allocations::new();
        let mut rng = Rng::new(7);
        for _ in 0..50 {
            let p = ports.allocate_next_node_port(&mut rng).unwrap_or(0);
            assert!((30086..=32767).contains(&p), "{p}");
        }
        assert_eq!(ports.node_ports.len(), 50, "no port handed out twice");
    }

    #[test]
    fn a_full_upper_band_falls_back_to_the_lower_one() {
        let mut a = Allocations::new();
        a.port_range = PortRange {
            base: 30000,
            size: 40,
        }; // offset 16
        let mut rng = Rng::new(1);
        let mut got: Vec<u16> = (0..40)
            .map(|_| a.allocate_next_node_port(&mut rng).unwrap_or(0))
            .collect();
        assert!(got[..24].iter().all(|p| *p >= 30016), "{got:?}");
        assert!(got[24..].iter().all(|p| *p < 30016), "{got:?}");
        got.sort_unstable();
        assert_eq!(got, (30000..30040).collect::<Vec<u16>>());
        assert_eq!(a.allocate_next_node_port(&mut rng), Err(AllocError::Full));
    }

    #[test]
    fn requested_cluster_ip_collisions_report_upstream_errors() {
        let mut a = Allocations::kubeadm();
        let mut rng = Rng::new(3);
        let err = a
            .allocate_service(
                &svc(
                    "web",
                    json!({"clusterIP": "10.96.0.1", "ports": [{"port": 80}]}),
                ),
                &mut rng,
            )
            .err();
        assert_eq!(
            err.map(|e| e.message()).as_deref(),
            Some("Service \"web\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.1\"}: failed to allocate IP 10.96.0.1: provided IP is already allocated")
        );
        let err = a
            .allocate_service(
                &svc(
                    "web",
                    json!({"clusterIP": "1.1.1.1", "ports": [{"port": 80}]}),
                ),
                &mut rng,
            )
            .err();
        assert_eq!(
            err.map(|e| e.detail).as_deref(),
            Some("spec.clusterIPs: Invalid value: []string{\"1.1.1.1\"}: failed to allocate IP 1.1.1.1: the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12")
        );
        // The network and broadcast addresses are not usable either.
        assert!(a.allocate_ip("10.96.0.0").is_err());
        assert!(a.allocate_ip("10.111.255.255").is_err());
        assert_eq!(a.allocate_ip("10.96.0.20"), Ok(()));
        assert_eq!(a.allocate_ip("10.96.0.20"), Err(AllocError::IpAllocated));
    }

    #[test]
    fn service_allocation_fills_fields_and_rolls_back_on_error() {
        let mut a = Allocations::kubeadm();
        let mut rng = Rng::new(11);
        let web = a
            .allocate_service(
                &svc(
                    "web",
                    json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
                ),
                &mut rng,
            )
            .expect("allocates");
        let ip = object::str_at(&web, "/spec/clusterIP").to_string();
        assert!(ip.starts_with("10."), "{ip}");
        assert_eq!(web["spec"]["clusterIPs"], json!([ip]));
        assert_eq!(web["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(web["spec"]["ipFamilyPolicy"], "SingleStack");
        assert_eq!(web["spec"]["ports"][0]["nodePort"], 30080);

        let before = a.clone();
        let err = a
            .allocate_service(
                &svc(
                    "web-dup",
                    json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
                ),
                &mut rng,
            )
            .err()
            .map(|e| (e.code, e.message()));
        assert_eq!(
            err,
            Some((422, "Service \"web-dup\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated".to_string()))
        );
        assert_eq!(
            a, before,
            "the ClusterIP taken before the failure is released"
        );

        let err = a
            .allocate_service(
                &svc(
                    "bad",
                    json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 29999}]}),
                ),
                &mut rng,
            )
            .err()
            .map(|e| e.detail);
        assert_eq!(
            err.as_deref(),
            Some("spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767")
        );

        // Same port number over TCP and UDP shares one nodePort.
        let dns = a
            .allocate_service(
                &svc(
                    "dns",
                    json!({"type": "NodePort", "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}),
                ),
                &mut rng,
            )
            .expect("allocates");
        assert_eq!(
            dns["spec"]["ports"][0]["nodePort"],
            dns["spec"]["ports"][1]["nodePort"]
        );

        // Headless keeps None; ExternalName gets nothing.
        let headless = a
            .allocate_service(
                &svc(
                    "db",
                    json!({"clusterIP": "None", "ports": [{"port": 5432}]}),
                ),
                &mut rng,
            )
            .expect("headless");
        assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
        let ext = svc(
            "ext",
            json!({"type": "ExternalName", "externalName": "example.com"}),
        );
        assert_eq!(a.allocate_service(&ext, &mut rng).ok(), Some(ext));

        // Deleting frees the address and the port.
        a.release_service(&web);
        assert!(a.allocate_ip(&ip).is_ok());
        assert!(a.allocate_node_port(30080).is_ok());
    }
}
