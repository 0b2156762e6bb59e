//! What each message is called on the wire, and what a learner is told about it.
//!
//! One place for the teaching text, so the message flow, the narration panel and the
//! golden traces agree. Every narration names the upstream documentation it comes from.

use super::engine::{Msg, TxnOp};
use super::etcd::EventType;
use super::object;
use super::trace::{Category, Component, Narration, Payload};
use crate::sim::object::At;

/// Upstream documentation pages the narration links to.
pub mod docs {
    pub const API_ACCESS: &str = "https://kubernetes.io/docs/concepts/security/controlling-access/";
    pub const AUTHENTICATION: &str =
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/";
    pub const RBAC: &str = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/";
    pub const ADMISSION: &str =
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/";
    pub const API_CONCEPTS: &str = "https://kubernetes.io/docs/reference/using-api/api-concepts/";
    pub const ETCD: &str = "https://kubernetes.io/docs/concepts/overview/components/#etcd";
    pub const WATCH: &str = "https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes";
    pub const SCHEDULER: &str =
        "https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/";
    pub const SCHEDULING_FRAMEWORK: &str =
        "https://kubernetes.io/docs/concepts/scheduling-eviction/scheduling-framework/";
    pub const KUBELET: &str =
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/";
    pub const CRI: &str = "https://kubernetes.io/docs/concepts/architecture/cri/";
    pub const CNI: &str = "https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/";
    pub const POD_LIFECYCLE: &str =
        "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/";
    pub const IMAGES: &str = "https://kubernetes.io/docs/concepts/containers/images/";
    pub const PROBES: &str =
        "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/";
    pub const LEASES: &str = "https://kubernetes.io/docs/concepts/architecture/leases/";
    pub const KUBECTL: &str = "https://kubernetes.io/docs/reference/kubectl/";
    pub const EVENTS: &str =
        "https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/";
    pub const TERMINATION: &str =
        "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination";
    pub const CONFIGMAP: &str = "https://kubernetes.io/docs/concepts/configuration/configmap/";
    pub const SERVICES: &str = "https://kubernetes.io/docs/reference/networking/virtual-ips/";
    pub const DNS: &str =
        "https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/";
    pub const CONTROLLERS: &str = "https://kubernetes.io/docs/concepts/architecture/controller/";
    pub const DEPLOYMENTS: &str =
        "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/";
    pub const GARBAGE_COLLECTION: &str =
        "https://kubernetes.io/docs/concepts/architecture/garbage-collection/";
    pub const ENDPOINT_SLICES: &str =
        "https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/";
}

pub fn note(text: String, doc: &'static str) -> Narration {
    Narration { text, doc }
}

/// How a delivered message appears in the trace.
pub struct Described {
    pub category: Category,
    pub label: String,
    pub summary: String,
    pub payload: Option<Payload>,
    pub narration: Narration,
}

pub fn describe(from: &Component, to: &Component, msg: &Msg) -> Option<Described> {
    Some(match msg {
        Msg::Command(cmd) => Described {
            category: Category::Request,
            label: format!("$ {}", cmd.line),
            summary: "the learner runs a kubectl command".into(),
            payload: None,
            narration: note(
                format!(
                    "You run `{}`. kubectl reads its kubeconfig to find the API server and the credentials to use.",
                    cmd.line
                ),
                docs::KUBECTL,
            ),
        },
        Msg::Request(req) => {
            let what = if req.name.is_empty() {
                req.resource.plural.to_string()
            } else {
                format!("{}/{}", req.resource.plural, req.name)
            };
            Described {
                category: Category::Request,
                label: req.line(),
                summary: format!(
                    "{} {what}{} as {}",
                    req.verb.rbac(),
                    req.subresource.map(|s| format!(" ({s})")).unwrap_or_default(),
                    req.identity.user
                ),
                payload: Some(request_payload(from, req)),
                narration: note(request_story(from, to, req), if *from == Component::Kubectl { docs::API_CONCEPTS } else { docs::API_ACCESS }),
            }
        }
        Msg::Response(resp) => Described {
            category: Category::Response,
            label: resp.status_line(),
            summary: if resp.ok() {
                match object::kind(&resp.body) {
                    "" => "ok".into(),
                    kind if kind.ends_with("List") => format!(
                        "{} ({} items)",
                        kind,
                        resp.body.get("items").and_then(|i| i.as_array()).map_or(0, Vec::len)
                    ),
                    kind => format!(
                        "{kind} \"{}\" resourceVersion {}",
                        object::name(&resp.body),
                        object::str_at(&resp.body, "/metadata/resourceVersion")
                    ),
                }
            } else {
                object::str_at(&resp.body, "/message").to_string()
            },
            payload: Some(Payload::Json(resp.body.clone())),
            narration: note(
                if resp.ok() {
                    format!("{from} answers {}; {to} carries on.", resp.status_line())
                } else {
                    format!(
                        "{from} answers {}: {}",
                        resp.status_line(),
                        object::str_at(&resp.body, "/message")
                    )
                },
                docs::API_CONCEPTS,
            ),
        },
        Msg::Txn(txn) => {
            let (label, summary) = match &txn.op {
                TxnOp::Create { key, .. } => ("Txn If(mod_revision==0) Then(Put)".to_string(), format!("create {key}")),
                TxnOp::Update { key, expected, .. } => (
                    match expected {
                        Some(rev) => format!("Txn If(mod_revision=={rev}) Then(Put)"),
                        None => "Txn Put".to_string(),
                    },
                    format!("update {key}"),
                ),
                TxnOp::Delete { key } => ("Txn DeleteRange".to_string(), format!("delete {key}")),
                TxnOp::Get { key } => ("Range".to_string(), format!("read {key}")),
                TxnOp::List { prefix } => ("Range --prefix".to_string(), format!("read {prefix}*")),
            };
            Described {
                category: Category::Storage,
                label,
                summary,
                payload: match &txn.op {
                    TxnOp::Create { value, .. } | TxnOp::Update { value, .. } => Some(Payload::Stored(value.clone())),
                    _ => None,
                },
                narration: note(
                    "Only kube-apiserver talks to etcd. It writes with a transaction that compares the key's mod_revision, \
                     so two writers can never overwrite each other unseen; every write bumps etcd's global revision."
                        .into(),
                    docs::ETCD,
                ),
            }
        }
        Msg::TxnResult(result) => Described {
            category: Category::Storage,
            label: match &result.result {
                Ok(_) => "TxnResponse succeeded".into(),
                Err(e) => format!("TxnResponse failed ({e:?})"),
            },
            summary: match &result.result {
                Ok(ok) => format!("revision {}", ok.revision),
                Err(super::etcd::TxnError::AlreadyExists) => "the key already exists".into(),
                Err(super::etcd::TxnError::NotFound) => "no such key".into(),
                Err(super::etcd::TxnError::Conflict) => "mod_revision changed since it was read".into(),
            },
            payload: None,
            narration: note(
                match &result.result {
                    Ok(ok) => format!(
                        "etcd commits the transaction at revision {}. The object's resourceVersion is this revision.",
                        ok.revision
                    ),
                    Err(_) => "etcd's compare fails, so nothing is written.".into(),
                },
                docs::ETCD,
            ),
        },
        Msg::Watch(event) => Described {
            category: Category::Watch,
            label: format!("watch {} {}", event.kind.as_str(), event.resource.plural),
            summary: format!(
                "{}/{} resourceVersion {}",
                object::namespace(&event.object),
                object::name(&event.object),
                object::str_at(&event.object, "/metadata/resourceVersion")
            ),
            payload: Some(Payload::Json(event.object.clone())),
            narration: note(watch_story(to, event.kind, &event.object), docs::WATCH),
        },
        Msg::Cri(cri) => super::runtime::describe_cri(from, to, cri),
        Msg::Cni(cni) => super::runtime::describe_cni(to, cni),
        Msg::Timer(timer) => super::kubelet::describe_timer(to, timer)?,
        Msg::Admission(call) => super::webhook::describe(from, to, call),
        Msg::Tick(super::engine::Tick::ProxySync) => Described {
            category: Category::Timer,
            label: "syncProxyRules".into(),
            summary: "kube-proxy recomputes the node's rules".into(),
            payload: None,
            narration: note(
                "kube-proxy batches Service and EndpointSlice changes: it syncs its rules at most once per minSyncPeriod (1 s), \
                 from everything its informers hold."
                    .into(),
                docs::SERVICES,
            ),
        },
        Msg::Tick(super::engine::Tick::Controller { kind, namespace, name }) => Described {
            category: Category::Timer,
            label: "requeue".into(),
            summary: format!("{kind} {namespace}/{name}: the back-off has expired"),
            payload: None,
            narration: note(
                format!("The controller's work queue hands {kind} {namespace}/{name} back after its back-off, and the controller syncs it again."),
                docs::CONTROLLERS,
            ),
        },
        Msg::CloseWatch { resource } => Described {
            category: Category::Request,
            label: "close watch".into(),
            summary: format!("{from} stops watching {resource}"),
            payload: None,
            narration: note(
                format!("{from} has what it waited for and closes its watch of {resource}; the apiserver stops streaming events to it."),
                docs::WATCH,
            ),
        },
        Msg::Dns(q) => match &q.answer {
            None => Described {
                category: Category::Request,
                label: format!("DNS {} {}", qtype_name(q.qtype), q.name),
                summary: format!("query to {} (kube-dns)", super::dns::CLUSTER_DNS_IP),
                payload: None,
                narration: note(
                    format!(
                        "The pod's resolver asks the nameserver in its /etc/resolv.conf, the kube-dns Service {}, for {} records of {}.",
                        super::dns::CLUSTER_DNS_IP,
                        qtype_name(q.qtype),
                        q.name
                    ),
                    docs::DNS,
                ),
            },
            Some(answer) => {
                let records: Vec<String> = answer
                    .records
                    .iter()
                    .map(|r| match r {
                        super::dns::Record::A { ip, .. } => ip.clone(),
                        super::dns::Record::Cname { target, .. } => format!("CNAME {target}"),
                        super::dns::Record::Srv { target, port, .. } => format!("SRV {target}:{port}"),
                    })
                    .collect();
                Described {
                    category: Category::Response,
                    label: format!("DNS {} {}", answer.rcode.as_str(), q.name),
                    summary: if records.is_empty() {
                        format!("{} {}: no records", qtype_name(q.qtype), answer.rcode.as_str())
                    } else {
                        format!("{} {}", qtype_name(q.qtype), records.join(", "))
                    },
                    payload: None,
                    narration: note(
                        if records.is_empty() {
                            format!("CoreDNS has no {} record for {} ({}).", qtype_name(q.qtype), q.name, answer.rcode.as_str())
                        } else {
                            format!(
                                "CoreDNS's kubernetes plugin answers from the Services and EndpointSlices it watches: {} → {}.",
                                q.name,
                                records.join(", ")
                            )
                        },
                        docs::DNS,
                    ),
                }
            }
        },
        Msg::Exec(exec) => match &exec.output {
            None => Described {
                category: Category::Cri,
                label: "Exec".into(),
                summary: format!("{}/{} {}: {}", exec.namespace, exec.pod, exec.container, exec.command.join(" ")),
                payload: None,
                narration: note(
                    format!("The kubelet asks containerd over CRI to run `{}` inside the container's namespaces.", exec.command.join(" ")),
                    docs::CRI,
                ),
            },
            Some((output, code)) => Described {
                category: Category::Cri,
                label: "Exec → exited".into(),
                summary: format!("exit code {code}"),
                payload: Some(Payload::Text(output.clone())),
                narration: note(
                    format!("The command ends with exit code {code}; its output streams back to kubectl through the kubelet and the apiserver."),
                    docs::CRI,
                ),
            },
        },
    })
}

fn qtype_name(q: super::dns::QType) -> &'static str {
    match q {
        super::dns::QType::A => "A",
        super::dns::QType::Aaaa => "AAAA",
        super::dns::QType::Srv => "SRV",
    }
}

/// The request as it goes over the wire: request line, the headers that matter, body.
fn request_payload(from: &Component, req: &super::engine::Request) -> Payload {
    let agent = match from {
        Component::Kubectl => "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
        Component::Scheduler => "kube-scheduler/v1.33.1 (linux/amd64) kubernetes/8adc0f0/scheduler",
        Component::Kubelet(_) => "kubelet/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
        _ => "kube-controller-manager/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
    };
    let mut text = format!(
        "{} HTTP/2\nHost: 172.18.0.2:6443\nUser-Agent: {agent}\n",
        req.line()
    );
    match &req.identity.impersonator {
        Some(admin) => text.push_str(&format!(
            "Impersonate-User: {}\n(client certificate CN={admin})\n",
            req.identity.user
        )),
        None => text.push_str(&format!("(client certificate CN={})\n", req.identity.user)),
    }
    if req.body.is_some() {
        let content_type = match req.verb {
            super::engine::Verb::Patch if req.subresource.is_none() => {
                "application/strategic-merge-patch+json"
            }
            super::engine::Verb::Patch => "application/merge-patch+json",
            _ => "application/json",
        };
        text.push_str(&format!(
            "Content-Type: {content_type}\nAccept: application/json\n\n"
        ));
    } else {
        text.push_str("Accept: application/json\n");
    }
    Payload::Http {
        head: text,
        body: req.body.clone(),
    }
}

fn request_story(from: &Component, to: &Component, req: &super::engine::Request) -> String {
    match (from, req.verb, req.resource.plural, req.subresource) {
        (Component::Kubectl, _, _, _) => format!(
            "kubectl sends {} to kube-apiserver over HTTPS, authenticating as {}.",
            req.line(),
            req.identity.user
        ),
        (Component::Scheduler, _, "pods", Some("binding")) => format!(
            "kube-scheduler never changes the pod itself: it POSTs a Binding, and the apiserver sets spec.nodeName to {}.",
            req.body
                .as_ref()
                .map(|b| object::str_at(b, "/target/name"))
                .unwrap_or("")
        ),
        (_, _, "events", _) => format!(
            "{from} records an Event through the apiserver: what happened to {}, for kubectl describe and kubectl get events.",
            req.body
                .as_ref()
                .map(|b| format!(
                    "{}/{} ({})",
                    object::str_at(b, "/involvedObject/kind"),
                    object::str_at(b, "/involvedObject/name"),
                    object::str_at(b, "/reason")
                ))
                .unwrap_or_default()
        ),
        (Component::Kubelet(node), _, "pods", Some("status")) => format!(
            "The kubelet on {node} reports the pod's status to the apiserver; it is the only source of truth about what runs on its node."
        ),
        (Component::Kubelet(node), _, "leases", _) => format!(
            "The kubelet on {node} renews its Lease in kube-node-lease: the heartbeat that tells the control plane the node is alive."
        ),
        (Component::Kubelet(node), Verb::Delete, "pods", _) => format!(
            "The containers are gone, so the kubelet on {node} finishes the deletion with grace period 0 and the apiserver removes the key."
        ),
        (Component::Scheduler, _, "pods", Some("status")) => {
            "kube-scheduler could not place the pod, so it records why in the PodScheduled condition.".into()
        }
        (Component::ApiServer, _, _, Some("log")) => format!(
            "kube-apiserver does not keep logs: it proxies the request to the kubelet on the pod's node ({to}), \
             which reads the container's log file from the runtime."
        ),
        _ => format!("{from} sends {} to {to}.", req.line()),
    }
}

use super::engine::Verb;

fn watch_story(to: &Component, kind: EventType, pod: &serde_json::Value) -> String {
    let name = object::name(pod);
    match (to, kind) {
        (Component::Scheduler, _) => format!(
            "kube-scheduler's informer sees pod {name} with no spec.nodeName. It queues the pod for a scheduling cycle."
        ),
        (Component::Kubelet(node), EventType::Added) => format!(
            "The kubelet on {node} watches pods with spec.nodeName={node}. The Binding made pod {name} appear in its watch: \
             now it is the kubelet's job to run it."
        ),
        (Component::Kubelet(node), EventType::Deleted) => {
            format!("The kubelet on {node} sees pod {name} removed from the API.")
        }
        (Component::Kubelet(node), EventType::Modified) => {
            if pod.at("/metadata/deletionTimestamp").is_some() {
                format!(
                    "The kubelet on {node} sees a deletionTimestamp on pod {name}: it must stop the containers within the grace period."
                )
            } else {
                format!("The kubelet on {node} sees pod {name} change.")
            }
        }
        _ => format!("{to} is told that pod {name} was {}.", kind.as_str().to_lowercase()),
    }
}
