//! The container runtime (containerd, reached over CRI) and the CNI plugin chain on one
//! node.
//!
//! CRI calls are the real `runtime.v1` methods (`RunPodSandbox`, `PullImage`,
//! `CreateContainer`, `StartContainer`, `StopContainer`, `StopPodSandbox`). Pod networking
//! is the bridge plugin with host-local IPAM on the node's podCIDR (reference B.7.2): the
//! gateway is `.1` on `cni0`, pods get `.2`, `.3`, … round-robin after the last reserved
//! address, so a freed IP is not reused at once.

use std::collections::BTreeMap;

use serde_json::json;

use super::cluster::Cluster;
use super::engine::Ctx;
use super::engine::Msg;
use super::image;
use super::narrate::{docs, note, Described};
use super::trace::{Category, Component};

/// Which pod (and container) a call is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

#[allow(clippy::large_enum_variant)] // see engine::Msg
#[derive(Clone, Debug)]
pub enum Cri {
    RunPodSandbox {
        pod: PodRef,
    },
    RunPodSandboxReply {
        pod: PodRef,
        sandbox_id: String,
        result: Result<String, String>,
    },
    PullImage {
        pod: PodRef,
        container: String,
        image: String,
    },
    PullImageReply {
        pod: PodRef,
        container: String,
        image: String,
        result: Result<image::ImageInfo, String>,
    },
    CreateContainer {
        pod: PodRef,
        container: String,
        image: String,
        attempt: u32,
    },
    CreateContainerReply {
        pod: PodRef,
        container: String,
        container_id: String,
    },
    StartContainer {
        pod: PodRef,
        container: String,
        container_id: String,
    },
    StartContainerReply {
        pod: PodRef,
        container: String,
        container_id: String,
    },
    /// Stop with SIGTERM, then SIGKILL after `timeout_s`; the container's own behaviour
    /// says when it actually exits (`stop_ms`) and with which code.
    StopContainer {
        pod: PodRef,
        container: String,
        container_id: String,
        timeout_s: u64,
        stop_ms: u64,
        exit_code: i32,
    },
    StopContainerReply {
        pod: PodRef,
        container: String,
        exit_code: i32,
    },
    StopPodSandbox {
        pod: PodRef,
        sandbox_id: String,
    },
    StopPodSandboxReply {
        pod: PodRef,
    },
}

#[derive(Clone, Debug)]
pub enum Cni {
    Add {
        pod: PodRef,
        sandbox_id: String,
    },
    AddResult {
        pod: PodRef,
        sandbox_id: String,
        result: Result<(String, String), String>,
    },
    Del {
        pod: PodRef,
        sandbox_id: String,
    },
    DelResult {
        pod: PodRef,
    },
}

pub struct Runtime {
    node: String,
    /// Network part of the podCIDR (e.g. `10.244.1`) for a /24; `None` if unusable.
    subnet: Option<[u8; 3]>,
    /// host-local's `last_reserved_ip`.
    last_reserved: u8,
    /// Allocated host octets → sandbox ID.
    allocated: BTreeMap<u8, String>,
    /// Sandboxes being created: pod uid → sandbox id.
    sandboxes: BTreeMap<String, String>,
}

impl Runtime {
    pub fn new(cluster: &Cluster, index: usize) -> Runtime {
        let cidr = cluster.pod_cidr(index);
        let subnet = cidr.strip_suffix(".0/24").and_then(|net| {
            let parts: Vec<u8> = net.split('.').filter_map(|p| p.parse().ok()).collect();
            (parts.len() == 3).then(|| [parts[0], parts[1], parts[2]])
        });
        // Pods already running when the simulation starts (CoreDNS) keep their addresses.
        let reserved = super::system_pods::reserved_host_octets(cluster, index);
        Runtime {
            node: cluster.nodes[index].name.clone(),
            subnet,
            last_reserved: reserved.iter().copied().max().unwrap_or(1),
            allocated: reserved
                .into_iter()
                .map(|o| (o, "preexisting".to_string()))
                .collect(),
            sandboxes: BTreeMap::new(),
        }
    }

    pub fn handle(&mut self, ctx: &mut Ctx<'_>, from: &Component, msg: Msg) {
        let kubelet = Component::Kubelet(self.node.clone());
        match msg {
            Msg::Cri(Cri::RunPodSandbox { pod }) => {
                // The pause (sandbox) image is on every node already; the runtime creates
                // the network namespace and asks CNI to wire it.
                let sandbox_id = ctx.rng.hex(64);
                self.sandboxes.insert(pod.uid.clone(), sandbox_id.clone());
                ctx.send(
                    Component::Cni(self.node.clone()),
                    30,
                    Msg::Cni(Cni::Add { pod, sandbox_id }),
                );
            }
            Msg::Cri(Cri::PullImage {
                pod,
                container,
                image,
            }) => {
                let result = ctx
                    .cluster
                    .images
                    .resolve(&image)
                    .map_err(|e| e.message())
                    .and_then(|info| {
                        if info.exists {
                            Ok(info)
                        } else {
                            Err(info.pull_error())
                        }
                    });
                // A pull takes the image's pull time; a missing image fails after the
                // registry round trip.
                let delay = match &result {
                    Ok(info) => info.pull_ms.max(1),
                    Err(_) => 800,
                };
                ctx.send(
                    kubelet,
                    delay,
                    Msg::Cri(Cri::PullImageReply {
                        pod,
                        container,
                        image,
                        result,
                    }),
                );
            }
            Msg::Cri(Cri::CreateContainer { pod, container, .. }) => {
                let container_id = ctx.rng.hex(64);
                ctx.send(
                    kubelet,
                    40,
                    Msg::Cri(Cri::CreateContainerReply {
                        pod,
                        container,
                        container_id,
                    }),
                );
            }
            Msg::Cri(Cri::StartContainer {
                pod,
                container,
                container_id,
            }) => {
                ctx.send(
                    kubelet,
                    60,
                    Msg::Cri(Cri::StartContainerReply {
                        pod,
                        container,
                        container_id,
                    }),
                );
            }
            Msg::Cri(Cri::StopContainer {
                pod,
                container,
                stop_ms,
                exit_code,
                ..
            }) => {
                ctx.send(
                    kubelet,
                    stop_ms.max(1),
                    Msg::Cri(Cri::StopContainerReply {
                        pod,
                        container,
                        exit_code,
                    }),
                );
            }
            Msg::Cri(Cri::StopPodSandbox { pod, sandbox_id }) => {
                ctx.send(
                    Component::Cni(self.node.clone()),
                    10,
                    Msg::Cni(Cni::Del { pod, sandbox_id }),
                );
            }
            Msg::Cni(Cni::AddResult {
                pod,
                sandbox_id,
                result,
            }) => {
                ctx.send(
                    kubelet,
                    5,
                    Msg::Cri(Cri::RunPodSandboxReply {
                        pod,
                        sandbox_id,
                        result: result.map(|(ip, _)| ip),
                    }),
                );
            }
            Msg::Cni(Cni::DelResult { pod }) => {
                self.sandboxes.remove(&pod.uid);
                ctx.send(kubelet, 5, Msg::Cri(Cri::StopPodSandboxReply { pod }));
            }
            _ => {
                let _ = from;
            }
        }
    }

    /// The CNI plugin chain (bridge + host-local) on this node.
    pub fn handle_cni(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        let runtime = Component::Runtime(self.node.clone());
        match msg {
            Msg::Cni(Cni::Add { pod, sandbox_id }) => {
                let result = self.allocate(&sandbox_id);
                ctx.send(
                    runtime,
                    20,
                    Msg::Cni(Cni::AddResult {
                        pod,
                        sandbox_id,
                        result,
                    }),
                );
            }
            Msg::Cni(Cni::Del { pod, sandbox_id }) => {
                self.allocated.retain(|_, id| *id != sandbox_id);
                ctx.send(runtime, 10, Msg::Cni(Cni::DelResult { pod }));
            }
            _ => {}
        }
    }

    /// host-local: the next free address after the last reserved one, from .2 to .254.
    fn allocate(&mut self, sandbox_id: &str) -> Result<(String, String), String> {
        let Some([a, b, c]) = self.subnet else {
            return Err("failed to allocate for range 0: no podCIDR on this node".into());
        };
        for step in 1..=253u16 {
            let candidate = ((u16::from(self.last_reserved) + step - 2) % 253 + 2) as u8;
            if let std::collections::btree_map::Entry::Vacant(slot) =
                self.allocated.entry(candidate)
            {
                slot.insert(sandbox_id.to_string());
                self.last_reserved = candidate;
                return Ok((format!("{a}.{b}.{c}.{candidate}"), format!("{a}.{b}.{c}.1")));
            }
        }
        Err(format!(
            "failed to allocate for range 0: no IP addresses available in range set: {a}.{b}.{c}.1-{a}.{b}.{c}.254"
        ))
    }
}

fn pod_name(pod: &PodRef) -> String {
    format!("{}/{}", pod.namespace, pod.name)
}

pub fn describe_cri(from: &Component, to: &Component, cri: &Cri) -> Described {
    let (label, summary, text, doc) = match cri {
        Cri::RunPodSandbox { pod } => (
            "RunPodSandbox".to_string(),
            format!("sandbox for {}", pod_name(pod)),
            format!(
                "The kubelet asks the container runtime over CRI for a pod sandbox: the pause container ({}) that holds \
                 the pod's network namespace, shared by all its containers.",
                image::SANDBOX_IMAGE
            ),
            docs::CRI,
        ),
        Cri::RunPodSandboxReply { pod, result, sandbox_id } => match result {
            Ok(ip) => (
                "RunPodSandbox → ok".to_string(),
                format!("sandbox {} for {} has IP {ip}", &sandbox_id[..13.min(sandbox_id.len())], pod_name(pod)),
                format!("The sandbox is up and its network is configured: the pod's IP is {ip}."),
                docs::CRI,
            ),
            Err(e) => (
                "RunPodSandbox → error".to_string(),
                e.clone(),
                format!("The sandbox could not be created: {e}"),
                docs::CRI,
            ),
        },
        Cri::PullImage { image, .. } => (
            "PullImage".to_string(),
            image.clone(),
            format!("The kubelet asks the runtime to pull {image} from its registry."),
            docs::IMAGES,
        ),
        Cri::PullImageReply { image, result, .. } => match result {
            Ok(info) => (
                "PullImage → ok".to_string(),
                format!("{} ({} bytes)", info.image_id(), info.size_bytes),
                format!("The runtime has pulled {image}: {} bytes.", info.size_bytes),
                docs::IMAGES,
            ),
            Err(e) => (
                "PullImage → error".to_string(),
                e.clone(),
                format!("The pull of {image} failed: {e}"),
                docs::IMAGES,
            ),
        },
        Cri::CreateContainer { container, image, attempt, .. } => (
            "CreateContainer".to_string(),
            format!("{container} from {image}, attempt {attempt}"),
            format!("The kubelet asks the runtime to create container {container} in the sandbox, with its env, mounts and command."),
            docs::CRI,
        ),
        Cri::CreateContainerReply { container, container_id, .. } => (
            "CreateContainer → ok".to_string(),
            format!("{container} is containerd://{}", &container_id[..13.min(container_id.len())]),
            format!("Container {container} exists but is not running yet."),
            docs::CRI,
        ),
        Cri::StartContainer { container, .. } => (
            "StartContainer".to_string(),
            container.clone(),
            format!("The kubelet asks the runtime to start container {container}."),
            docs::CRI,
        ),
        Cri::StartContainerReply { container, .. } => (
            "StartContainer → ok".to_string(),
            format!("{container} is running"),
            format!("Container {container}'s process is running."),
            docs::CRI,
        ),
        Cri::StopContainer { container, timeout_s, .. } => (
            "StopContainer".to_string(),
            format!("{container}, timeout {timeout_s}s"),
            format!(
                "The runtime sends SIGTERM to container {container}'s main process and, if it is still running after \
                 {timeout_s} s, SIGKILL."
            ),
            docs::TERMINATION,
        ),
        Cri::StopContainerReply { container, exit_code, .. } => (
            "StopContainer → ok".to_string(),
            format!("{container} exited with code {exit_code}"),
            format!("Container {container} has stopped (exit code {exit_code})."),
            docs::TERMINATION,
        ),
        Cri::StopPodSandbox { pod, .. } => (
            "StopPodSandbox".to_string(),
            pod_name(pod),
            "The kubelet stops the sandbox; its network is torn down and the IP released.".to_string(),
            docs::CRI,
        ),
        Cri::StopPodSandboxReply { pod } => (
            "StopPodSandbox → ok".to_string(),
            pod_name(pod),
            "The sandbox is stopped.".to_string(),
            docs::CRI,
        ),
    };
    let _ = (from, to);
    Described {
        category: Category::Cri,
        label,
        summary,
        payload: None,
        narration: note(text, doc),
    }
}

pub fn describe_cni(to: &Component, cni: &Cni) -> Described {
    let node = to.node().unwrap_or_default().to_string();
    let (label, summary, payload, text) = match cni {
        Cni::Add { pod, sandbox_id } => (
            "CNI ADD".to_string(),
            format!("{} eth0", pod_name(pod)),
            Some(
                [
                    "CNI_COMMAND=ADD".to_string(),
                    format!("CNI_CONTAINERID={sandbox_id}"),
                    "CNI_NETNS=/var/run/netns/cni-…".to_string(),
                    "CNI_IFNAME=eth0".to_string(),
                    "CNI_PATH=/opt/cni/bin".to_string(),
                    format!(
                        "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE={};K8S_POD_NAME={};K8S_POD_INFRA_CONTAINER_ID={sandbox_id};K8S_POD_UID={}",
                        pod.namespace, pod.name, pod.uid
                    ),
                ]
                .join("\n"),
            ),
            format!(
                "containerd runs the CNI plugins from /etc/cni/net.d on {node}: the bridge plugin creates a veth pair, \
                 one end as eth0 in the pod's network namespace, the other on the cni0 bridge; host-local IPAM picks an \
                 address from the node's podCIDR."
            ),
        ),
        Cni::AddResult { result, .. } => match result {
            Ok((ip, gateway)) => (
                "CNI ADD result".to_string(),
                format!("{ip}/24 via {gateway}"),
                Some(
                    serde_json::to_string_pretty(&json!({
                        "cniVersion": "0.3.1",
                        "interfaces": [{"name": "cni0"}, {"name": "veth…"}, {"name": "eth0", "sandbox": "/var/run/netns/cni-…"}],
                        "ips": [{"version": "4", "address": format!("{ip}/24"), "gateway": gateway, "interface": 2}],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dns": {}
                    }))
                    .unwrap_or_default(),
                ),
                format!("The pod gets {ip}; its default route goes through the bridge's address {gateway}."),
            ),
            Err(e) => ("CNI ADD error".to_string(), e.clone(), None, format!("CNI could not set up the network: {e}")),
        },
        Cni::Del { pod, .. } => (
            "CNI DEL".to_string(),
            pod_name(pod),
            None,
            "The CNI plugins remove the veth pair and host-local releases the pod's IP.".to_string(),
        ),
        Cni::DelResult { pod } => (
            "CNI DEL result".to_string(),
            format!("{} released", pod_name(pod)),
            None,
            "The network of the sandbox is gone.".to_string(),
        ),
    };
    Described {
        category: Category::Cni,
        label,
        summary,
        payload: payload.map(super::trace::Payload::Text),
        narration: note(text, docs::CNI),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_local_hands_out_addresses_round_robin() {
        let cluster = Cluster::default();
        let mut r = Runtime::new(&cluster, 1);
        assert_eq!(
            r.allocate("a").unwrap(),
            ("10.244.1.2".to_string(), "10.244.1.1".to_string())
        );
        assert_eq!(r.allocate("b").unwrap().0, "10.244.1.3");
        r.allocated.retain(|_, id| id != "a");
        // .2 is free again but not reused at once: round-robin after the last reserved.
        assert_eq!(r.allocate("c").unwrap().0, "10.244.1.4");
    }

    #[test]
    fn a_full_range_is_an_error_not_a_panic() {
        let cluster = Cluster::default();
        let mut r = Runtime::new(&cluster, 2);
        for i in 0..253 {
            r.allocate(&format!("s{i}")).unwrap();
        }
        let err = r.allocate("one-too-many").unwrap_err();
        assert!(err.contains("no IP addresses available"), "{err}");
    }
}
