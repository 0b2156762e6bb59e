//! CoreDNS as a component, and `kubectl exec POD -- nslookup NAME` end to end:
//! kubectl → kube-apiserver (`POST pods/NAME/exec`, proxied to the pod's kubelet) →
//! kubelet → the runtime's CRI `Exec` → the command runs in the container: busybox's
//! `nslookup` sends its DNS questions to the pod's nameserver (the kube-dns ClusterIP,
//! 10.96.0.10, which kube-proxy DNATs to a CoreDNS pod) → CoreDNS answers from the
//! Services, EndpointSlices and pods it watches ([`crate::sim::dns`]) → the output goes
//! back the same way and kubectl prints it.
//!
//! What the container can run: `nslookup NAME` in an image that has it (busybox), and
//! `cat /etc/resolv.conf`; anything else fails as a real runtime does when the
//! executable is not in the image.

use crate::sim::object::At;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::sim::dns::{self, QType};
use crate::sim::engine::{Ctx, Msg, Response};
use crate::sim::narrate::note;
use crate::sim::object;
use crate::sim::trace::Component;

pub const DOC: &str = "https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/";

/// One DNS question from a pod's resolver, and CoreDNS's reply once answered.
#[derive(Clone, Debug)]
pub struct Dns {
    pub id: u64,
    pub name: String,
    pub qtype: QType,
    pub answer: Option<dns::Response>,
}

/// A CRI `Exec` of a command in a pod's container, and its output once done.
#[derive(Clone, Debug)]
pub struct Exec {
    /// The kubelet's request id (what it answers the apiserver with).
    pub id: u64,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub command: Vec<String>,
    /// (output, exit code) once the command has run.
    pub output: Option<(String, i32)>,
}

/// The exit code of a command the runtime cannot start (`executable file not found`).
pub const EXEC_NOT_FOUND: i32 = 126;

#[derive(Default)]
pub struct CoreDns {
    /// Execs waiting for their DNS answers: exec id → (the exec, the reply-to, questions left).
    sessions: BTreeMap<u64, (Exec, Component, usize)>,
    /// DNS question id → exec id.
    questions: BTreeMap<u64, u64>,
}

/// The kubelet's exec endpoint: hands the command to the runtime over CRI.
pub fn kubelet_exec(ctx: &mut Ctx<'_>, req: crate::sim::engine::Request) {
    let Some(node) = ctx.me.node().map(str::to_string) else {
        return;
    };
    let command: Vec<String> = req
        .query
        .iter()
        .filter(|(k, _)| *k == "command")
        .map(|(_, v)| v.clone())
        .collect();
    let container = req
        .query
        .iter()
        .find(|(k, _)| *k == "container")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    ctx.send(
        Component::Runtime(node),
        1,
        Msg::Exec(Exec {
            id: req.id,
            namespace: req.namespace.clone(),
            pod: req.name.clone(),
            container,
            command,
            output: None,
        }),
    );
}

/// The runtime's answer reaches the kubelet, which streams it back to the apiserver.
pub fn kubelet_exec_done(ctx: &mut Ctx<'_>, exec: Exec) {
    let (output, code) = exec.output.unwrap_or_default();
    let body = serde_json::json!({"stdout": output, "exitCode": code});
    ctx.send(
        Component::ApiServer,
        1,
        Msg::Response(Response {
            id: exec.id,
            code: 200,
            body: std::sync::Arc::new(body),
        }),
    );
}

fn objects<'a>(view: &'a crate::sim::etcd::Snapshot, prefix: &str) -> Vec<&'a Value> {
    view.range(prefix)
        .map(|(_, kv)| kv.value.as_ref())
        .collect()
}

/// The names busybox's nslookup asks, in order: a name without a dot under each search
/// domain, one with a dot as is; A then AAAA (see [`dns::nslookup_output`]).
pub fn nslookup_questions(name: &str, namespace: &str) -> Vec<(String, QType)> {
    let names: Vec<String> = if name.contains('.') {
        vec![name.to_string()]
    } else {
        dns::search_path(namespace)
            .iter()
            .map(|d| format!("{name}.{d}"))
            .collect()
    };
    let mut out = Vec::new();
    for qtype in [QType::A, QType::Aaaa] {
        for n in &names {
            out.push((n.clone(), qtype));
        }
    }
    out
}

impl CoreDns {
    /// CoreDNS answers a question from the objects its `kubernetes` plugin watches.
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, from: &Component, msg: Msg) {
        let Msg::Dns(mut q) = msg else { return };
        let services = objects(ctx.view, "/registry/services/specs/");
        let slices = objects(ctx.view, "/registry/endpointslices/");
        let pods = objects(ctx.view, "/registry/pods/");
        q.answer = Some(dns::lookup(&q.name, q.qtype, &services, &slices, &pods));
        ctx.send(from.clone(), 1, Msg::Dns(q));
    }

    /// The runtime runs the command in the container.
    pub fn runtime_exec(&mut self, ctx: &mut Ctx<'_>, mut exec: Exec) {
        let pod = ctx
            .view
            .get(&format!("/registry/pods/{}/{}", exec.namespace, exec.pod))
            .map(|kv| (*kv.value).clone())
            .unwrap_or(Value::Null);
        let image = pod
            .at("/spec/containers")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter().find(|c| {
                    exec.container.is_empty() || object::str_at(c, "/name") == exec.container
                })
            })
            .map(|c| object::str_at(c, "/image").to_string())
            .unwrap_or_default();
        let words: Vec<&str> = exec.command.iter().map(String::as_str).collect();
        let reply_to = Component::Kubelet(ctx.me.node().unwrap_or_default().to_string());
        match words.as_slice() {
            ["nslookup", name, ..] if image.contains("busybox") => {
                let questions = nslookup_questions(name, &exec.namespace);
                let id = exec.id;
                ctx.stage(
                    "exec",
                    format!("nslookup {name} in {}: {} DNS questions to {}", exec.pod, questions.len(), dns::CLUSTER_DNS_IP),
                    note(
                        format!(
                            "containerd runs nslookup inside the pod's namespaces. The pod's /etc/resolv.conf (written by the kubelet) \
                             names {} as its nameserver and the search domains {}; busybox tries the name under each domain, \
                             A then AAAA. The packets go to the kube-dns ClusterIP, which kube-proxy's rules DNAT to a CoreDNS pod.",
                            dns::CLUSTER_DNS_IP,
                            dns::search_path(&exec.namespace).join(" ")
                        ),
                        DOC,
                    ),
                );
                for (name, qtype) in &questions {
                    let qid = ctx.id();
                    self.questions.insert(qid, id);
                    ctx.send(
                        Component::CoreDns,
                        1,
                        Msg::Dns(Dns {
                            id: qid,
                            name: name.clone(),
                            qtype: *qtype,
                            answer: None,
                        }),
                    );
                }
                self.sessions.insert(id, (exec, reply_to, questions.len()));
            }
            ["cat", "/etc/resolv.conf"] => {
                exec.output = Some((dns::resolv_conf(&pod), 0));
                ctx.send(reply_to, 1, Msg::Exec(exec));
            }
            [program, ..] => {
                let text = format!(
                    "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown"
                );
                exec.output = Some((text, EXEC_NOT_FOUND));
                ctx.send(reply_to, 1, Msg::Exec(exec));
            }
            [] => {
                exec.output = Some((String::new(), 0));
                ctx.send(reply_to, 1, Msg::Exec(exec));
            }
        }
    }

    /// A DNS reply reaches the pod; when the last one is in, nslookup prints its output.
    pub fn runtime_dns(&mut self, ctx: &mut Ctx<'_>, dns_reply: Dns) {
        let Some(exec_id) = self.questions.remove(&dns_reply.id) else {
            return;
        };
        let done = match self.sessions.get_mut(&exec_id) {
            Some((_, _, left)) => {
                *left = left.saturating_sub(1);
                *left == 0
            }
            None => false,
        };
        if !done {
            return;
        }
        let Some((mut exec, reply_to, _)) = self.sessions.remove(&exec_id) else {
            return;
        };
        let services = objects(ctx.view, "/registry/services/specs/");
        let slices = objects(ctx.view, "/registry/endpointslices/");
        let pods = objects(ctx.view, "/registry/pods/");
        let name = exec.command.get(1).cloned().unwrap_or_default();
        let text = dns::nslookup_output(&name, &exec.namespace, &services, &slices, &pods);
        // busybox exits 1 when no question got an answer.
        let answered = dns::resolve(&name, &exec.namespace, &services, &slices, &pods)
            .answered
            .is_some();
        exec.output = Some((text, if answered { 0 } else { 1 }));
        ctx.send(reply_to, 1, Msg::Exec(exec));
    }
}
