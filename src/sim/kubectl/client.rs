//! kubectl as a client: command lines → the real HTTP requests, responses → what kubectl
//! prints. Client-side failures stay client-side with kubectl's own messages (YAML syntax,
//! unknown kinds, type errors kubectl decodes itself, missing apiVersion/kind).
//!
//! Requests are the real ones (reference B.1.2): `kubectl create -f` POSTs with
//! `fieldManager=kubectl-create&fieldValidation=Strict`; `kubectl apply -f` GETs the object
//! and then POSTs (`fieldManager=kubectl-client-side-apply`) or PATCHes it, keeping the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation; `kubectl run` POSTs the
//! pod its generator builds with `fieldManager=kubectl-run`.

use crate::sim::object::At;
use std::collections::{BTreeMap, VecDeque};

use serde_json::{json, Map, Value};

use crate::sim::api;
use crate::sim::engine::{
    resource_for, resource_named, Ctx, Identity, Msg, Request, Resource, Response, Verb,
};
use crate::sim::manifest;
use crate::sim::object;
use crate::sim::trace::Component;

/// The annotation client-side apply keeps the applied manifest in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A kubectl command, parsed, with the files it reads already loaded.
#[derive(Clone, Debug)]
pub struct Command {
    /// The command line as typed.
    pub line: String,
    pub action: Action,
    /// `--as`: the user to impersonate.
    pub as_user: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Action {
    Apply {
        file: String,
        text: String,
    },
    Create {
        file: String,
        text: String,
    },
    DeleteFile {
        file: String,
        text: String,
    },
    Run {
        pod: Value,
    },
    Delete {
        resource: Resource,
        namespace: String,
        name: String,
    },
    /// `kubectl get KIND [NAME] [-o wide|yaml]`.
    Get {
        resource: Resource,
        namespace: String,
        name: String,
        output: String,
        watch: bool,
    },

    /// `kubectl describe pod NAME`.
    Describe {
        namespace: String,
        name: String,
    },
    /// `kubectl logs NAME [-c CONTAINER]`.
    Logs {
        namespace: String,
        name: String,
        container: String,
    },
    /// `kubectl label node`, `cordon`, `uncordon`: a merge patch and what kubectl prints.
    PatchNode {
        name: String,
        patch: Value,
        done: &'static str,
        check_labels: Vec<(String, String)>,
        overwrite: bool,
    },
    /// `kubectl create deployment NAME --image=… [--replicas=N]`: the object its
    /// generator builds, POSTed with `fieldManager=kubectl-create`.
    CreateObject {
        doc: Value,
    },
    /// `kubectl expose deployment NAME --port=… [--target-port=…] [--type=…]`.
    Expose {
        resource: Resource,
        namespace: String,
        name: String,
        port: i64,
        target_port: Option<String>,
        type_: Option<String>,
    },
    /// `kubectl scale deployment NAME --replicas=N`.
    Scale {
        resource: Resource,
        namespace: String,
        name: String,
        replicas: i64,
    },
    /// `kubectl rollout status deployment/NAME`.
    RolloutStatus {
        namespace: String,
        name: String,
    },
    /// `kubectl drain NODE [--ignore-daemonsets]`.
    Drain {
        node: String,
        ignore_daemonsets: bool,
    },
    /// `kubectl get KIND,KIND…` or `kubectl get all`: one table per kind.
    GetMany {
        resources: Vec<Resource>,
        namespace: String,
        output: String,
    },
    /// `kubectl exec POD [-c C] -- COMMAND…`.
    Exec {
        namespace: String,
        pod: String,
        container: String,
        command: Vec<String>,
    },
}

#[derive(Clone, Debug)]
enum Op {
    /// Client-side apply, step 1: read the live object.
    ApplyGet {
        file: String,
        doc: Value,
        resource: Resource,
    },
    Post {
        file: Option<String>,
        doc: Value,
        resource: Resource,
        manager: &'static str,
        verb_word: &'static str,
    },
    Patch {
        file: String,
        doc: Value,
        resource: Resource,
        patch: Value,
    },
    Delete {
        file: Option<String>,
        resource: Resource,
        namespace: String,
        name: String,
    },
    Get {
        resource: Resource,
        namespace: String,
        name: String,
        output: String,
        watch: bool,
    },
    /// `get -w`, after the list: the watch from the list's resourceVersion.
    Watch {
        resource: Resource,
        namespace: String,
        resource_version: String,
    },
    /// describe, step 1: the pod; step 2: its events.
    DescribeGet {
        namespace: String,
        name: String,
    },
    DescribeEvents {
        pod: Value,
    },
    Logs {
        namespace: String,
        name: String,
        container: String,
    },
    PatchNode {
        name: String,
        patch: Value,
        done: &'static str,
        check_labels: Vec<(String, String)>,
        overwrite: bool,
    },
    /// expose, step 1: read the object to expose.
    ExposeGet {
        resource: Resource,
        namespace: String,
        name: String,
        port: i64,
        target_port: Option<String>,
        type_: Option<String>,
    },
    Scale {
        resource: Resource,
        namespace: String,
        name: String,
        replicas: i64,
    },
    /// rollout status: read the Deployment, then watch it until it has rolled out.
    RolloutGet {
        namespace: String,
        name: String,
    },
    /// drain: list the node's pods, then evict them.
    DrainList {
        node: String,
        ignore_daemonsets: bool,
    },
    Evict {
        namespace: String,
        name: String,
    },
    /// One table of a multi-kind get; `last` prints the empty notice if nothing showed.
    GetPart {
        resource: Resource,
        namespace: String,
        output: String,
        last: bool,
    },
    ExecGet {
        namespace: String,
        pod: String,
        container: String,
        command: Vec<String>,
    },
    Exec {
        namespace: String,
        pod: String,
        container: String,
        command: Vec<String>,
    },
    /// Something kubectl prints without asking the server (a client-side error).
    Print {
        line: String,
        failed: bool,
    },
}

/// kubectl's state: the output so far, and the command being carried out.
#[derive(Default)]
pub struct Kubectl {
    pub output: Vec<String>,
    /// True once any command failed (the CLI's exit status).
    pub failed: bool,
    queue: VecDeque<Op>,
    inflight: BTreeMap<u64, Op>,
    identity: Option<Identity>,
    /// `kubectl get pods -w` in progress: prints a row per watch event.
    watcher: Option<super::print::PodWatchPrinter>,
    /// `kubectl rollout status` in progress: the Deployment (namespace, name) and the
    /// last line printed.
    rollout: Option<(String, String)>,
    /// A multi-kind get printed a table already (the next one is set off by a blank line).
    printed_part: bool,
}

impl Kubectl {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        match msg {
            Msg::Command(command) => {
                let admin = ctx.cluster.users.first().cloned();
                self.identity = Some(match (&command.as_user, admin) {
                    (Some(user), admin) => Identity {
                        user: user.clone(),
                        groups: vec!["system:authenticated".into()],
                        impersonator: admin.map(|a| a.name),
                    },
                    (None, Some(u)) => Identity {
                        user: u.name,
                        groups: u.groups,
                        impersonator: None,
                    },
                    (None, None) => Identity {
                        user: "".into(),
                        groups: vec![],
                        impersonator: None,
                    },
                });
                self.printed_part = false;
                self.queue.extend(plan(&command));
                self.next(ctx);
            }
            Msg::Watch(event) if event.resource.plural == "deployments" => {
                let Some((ns, name)) = self.rollout.clone() else {
                    return;
                };
                if object::name(&event.object) != name || object::namespace(&event.object) != ns {
                    return;
                }
                let (line, done) = rollout_status(&event.object);
                self.print(line, false);
                if done {
                    self.rollout = None;
                    ctx.send(
                        Component::ApiServer,
                        1,
                        Msg::CloseWatch {
                            resource: "deployments",
                        },
                    );
                }
            }
            Msg::Watch(event) => {
                if let Some(printer) = self.watcher.as_mut() {
                    let row = printer.row(&event.object, ctx.now);
                    self.print(row.trim_end().to_string(), false);
                }
            }
            Msg::Response(response) => {
                if let Some(op) = self.inflight.remove(&response.id) {
                    self.on_response(ctx, op, response);
                }
                self.next(ctx);
            }
            _ => {}
        }
    }

    fn print(&mut self, line: String, failed: bool) {
        self.failed |= failed;
        self.output.push(line);
    }

    /// Sends the next operation; kubectl works through a file's documents one by one.
    fn next(&mut self, ctx: &mut Ctx<'_>) {
        while self.inflight.is_empty() {
            let Some(op) = self.queue.pop_front() else {
                return;
            };
            let identity = self.identity.clone().unwrap_or(Identity {
                user: String::new(),
                groups: vec![],
                impersonator: None,
            });
            let id = ctx.id();
            let request = match &op {
                Op::Print { line, failed } => {
                    self.print(line.clone(), *failed);
                    continue;
                }
                Op::ApplyGet { doc, resource, .. } => Request::new(id, Verb::Get, *resource, namespace_of(doc, resource), object::name(doc).to_string(), identity).detailed(),
                Op::Post {
                    doc,
                    resource,
                    manager,
                    ..
                } => {
                    let mut query = vec![("fieldManager", manager.to_string())];
                    if *manager != "kubectl-run" {
                        query.push(("fieldValidation", "Strict".to_string()));
                    }
                    Request::new(id, Verb::Create, *resource, namespace_of(doc, resource), String::new(), identity).query(query).body(doc.clone()).detailed()
                }
                Op::Patch {
                    doc,
                    resource,
                    patch,
                    ..
                } => Request::new(id, Verb::Patch, *resource, namespace_of(doc, resource), object::name(doc).to_string(), identity).query(vec![
                        ("fieldManager", "kubectl-client-side-apply".to_string()),
                        ("fieldValidation", "Strict".to_string()),
                    ]).body(patch.clone()).detailed(),
                Op::Watch {
                    resource,
                    namespace,
                    resource_version,
                } => {
                    // A watch is answered by its stream of events, not by one response.
                    let request = Request::new(id, Verb::List, *resource, namespace.clone(), String::new(), identity).query(vec![
                            ("resourceVersion", resource_version.clone()),
                            ("watch", "true".to_string()),
                        ]).detailed();
                    ctx.send(Component::ApiServer, 2, Msg::Request(request));
                    continue;
                }
                Op::Get { resource, namespace, name, .. } => Request::new(id, if name.is_empty() { Verb::List } else { Verb::Get }, *resource, namespace.clone(), name.clone(), identity).query(if name.is_empty() { vec![("limit", "500".to_string())] } else { vec![] }).detailed(),
                Op::DescribeGet { namespace, name } => Request::new(id, Verb::Get, resource_named("", "pods").expect("pods are served"), namespace.clone(), name.clone(), identity).detailed(),
                Op::DescribeEvents { pod } => Request::new(id, Verb::List, resource_named("", "events").expect("events are served"), object::namespace(pod).to_string(), String::new(), identity).query(vec![(
                        "fieldSelector",
                        format!(
                            "involvedObject.name={},involvedObject.namespace={},involvedObject.uid={}",
                            object::name(pod),
                            object::namespace(pod),
                            object::str_at(pod, "/metadata/uid")
                        ),
                    )]).detailed(),
                Op::Logs { namespace, name, container } => Request::new(id, Verb::Get, resource_named("", "pods").expect("pods are served"), namespace.clone(), name.clone(), identity).subresource("log").query(if container.is_empty() { vec![] } else { vec![("container", container.clone())] }).detailed(),
                Op::PatchNode {
                    name,
                    patch,
                    check_labels,
                    overwrite,
                    ..
                } => Request {
                    id,
                    // Without --overwrite, kubectl reads the node first to refuse changing a label.
                    verb: if !*overwrite && !check_labels.is_empty() { Verb::Get } else { Verb::Patch },
                    resource: resource_named("", "nodes").expect("nodes are served"),
                    namespace: String::new(),
                    name: name.clone(),
                    subresource: None,
                    query: vec![],
                    body: if !*overwrite && !check_labels.is_empty() { None } else { Some(std::sync::Arc::new(patch.clone())) },
                    identity,
                    detailed: true,
                },
                Op::ExposeGet {
                    resource,
                    namespace,
                    name,
                    ..
                } => Request::new(id, Verb::Get, *resource, namespace.clone(), name.clone(), identity).detailed(),
                Op::Scale {
                    resource,
                    namespace,
                    name,
                    replicas,
                } => Request::new(id, Verb::Patch, *resource, namespace.clone(), name.clone(), identity).subresource("scale").body(json!({"spec": {"replicas": replicas}})).detailed(),
                Op::RolloutGet { namespace, name } => Request::new(id, Verb::Get, resource_named("apps", "deployments").expect("deployments are served"), namespace.clone(), name.clone(), identity).detailed(),
                Op::DrainList { node, .. } => Request::new(id, Verb::List, resource_named("", "pods").expect("pods are served"), String::new(), String::new(), identity).query(vec![("fieldSelector", format!("spec.nodeName%3D{node}"))]).detailed(),
                Op::Evict { namespace, name } => Request::new(id, Verb::Create, resource_named("", "pods").expect("pods are served"), namespace.clone(), name.clone(), identity).subresource("eviction").body(json!({"apiVersion": "policy/v1", "kind": "Eviction",
                                      "metadata": {"name": name, "namespace": namespace}})).detailed(),
                Op::GetPart {
                    resource,
                    namespace,
                    ..
                } => Request::new(id, Verb::List, *resource, if resource.namespaced { namespace.clone() } else { String::new() }, String::new(), identity).query(vec![("limit", "500".to_string())]).detailed(),
                Op::ExecGet { namespace, pod, .. } => Request::new(id, Verb::Get, resource_named("", "pods").expect("pods are served"), namespace.clone(), pod.clone(), identity).detailed(),
                Op::Exec {
                    namespace,
                    pod,
                    container,
                    command,
                } => {
                    // url.Values.Encode sorts the keys: command…, container, stderr, stdout.
                    let mut query: Vec<(&'static str, String)> =
                        command.iter().map(|c| ("command", c.clone())).collect();
                    query.push(("container", container.clone()));
                    query.push(("stderr", "true".into()));
                    query.push(("stdout", "true".into()));
                    Request::new(id, Verb::Create, resource_named("", "pods").expect("pods are served"), namespace.clone(), pod.clone(), identity).subresource("exec").query(query).detailed()
                }
                Op::Delete {
                    resource,
                    namespace,
                    name,
                    ..
                } => Request::new(id, Verb::Delete, *resource, namespace.clone(), name.clone(), identity).body(
                        json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}),
                    ).detailed(),
            };
            self.inflight.insert(id, op);
            ctx.send(Component::ApiServer, 2, Msg::Request(request));
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, op: Op, response: Response) {
        match op {
            Op::ApplyGet {
                file,
                doc,
                resource,
            } => match response.code {
                404 => {
                    let mut doc = doc;
                    annotate_last_applied(&mut doc);
                    self.queue.push_front(Op::Post {
                        file: Some(file),
                        doc,
                        resource,
                        manager: "kubectl-client-side-apply",
                        verb_word: "created",
                    });
                }
                200 => {
                    let live = &response.body;
                    let previous = object::str_at(
                        live,
                        &format!("/metadata/annotations/{}", LAST_APPLIED.replace('/', "~1")),
                    );
                    let mut applied = doc.clone();
                    annotate_last_applied(&mut applied);
                    let now = object::str_at(
                        &applied,
                        &format!("/metadata/annotations/{}", LAST_APPLIED.replace('/', "~1")),
                    );
                    if previous == now {
                        let line = format!("{} unchanged", kind_name(&doc, &resource));
                        self.print(line, false);
                    } else {
                        let patch = three_way_patch(previous, &applied);
                        self.queue.push_front(Op::Patch {
                            file,
                            doc,
                            resource,
                            patch,
                        });
                    }
                }
                _ => {
                    // apply.go: "error when retrieving current configuration of:\n%s\nfrom
                    // server for: %q: %v", with the resource.Info's String().
                    let gv = if resource.group.is_empty() {
                        format!("/{}", resource.version)
                    } else {
                        resource.api_version()
                    };
                    let info = format!(
                        "Resource: \"{gv}, Resource={}\", GroupVersionKind: \"{gv}, Kind={}\"\nName: \"{}\", Namespace: \"{}\"",
                        resource.plural,
                        resource.kind,
                        object::name(&doc),
                        namespace_of(&doc, &resource),
                    );
                    let line = if response.code == 401 {
                        "error: You must be logged in to the server (Unauthorized)".to_string()
                    } else {
                        format!(
                            "Error from server ({}): error when retrieving current configuration of:\n{info}\nfrom server for: \"{file}\": {}",
                            object::str_at(&response.body, "/reason"),
                            object::str_at(&response.body, "/message")
                        )
                    };
                    self.print(line, true);
                }
            },
            Op::Post {
                file,
                doc,
                resource,
                verb_word,
                ..
            } => {
                if response.ok() {
                    let line = format!("{} {verb_word}", kind_name(&response.body, &resource));
                    self.print(line, false);
                } else {
                    let _ = doc;
                    self.error(&response, file.as_deref(), "creating");
                }
            }
            Op::Patch {
                file,
                doc,
                resource,
                ..
            } => {
                if response.ok() {
                    self.print(format!("{} configured", kind_name(&doc, &resource)), false);
                } else {
                    self.error(&response, Some(&file), "applying patch to");
                }
            }
            Op::Delete {
                file,
                resource,
                name,
                ..
            } => {
                if response.ok() {
                    // `pod "nginx" deleted` (v1.31–1.34; ≥1.35 adds "from default namespace").
                    self.print(
                        format!("{} \"{name}\" deleted", kind_word(&resource)),
                        false,
                    );
                } else {
                    self.error(&response, file.as_deref(), "deleting");
                }
            }
            Op::Get {
                resource,
                namespace,
                name,
                output,
                watch,
            } => {
                if !response.ok() {
                    self.error(&response, None, "");
                } else if watch {
                    // get -w: the rows so far, then one row per watch event, aligned as
                    // the watch printer remembers column widths.
                    let items = response.body["items"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    let mut printer = super::print::PodWatchPrinter::new(output == "wide");
                    let rows: Vec<String> = items.iter().map(|p| printer.row(p, ctx.now)).collect();
                    if !rows.is_empty() {
                        self.print(rows.concat().trim_end().to_string(), false);
                    }
                    self.watcher = Some(printer);
                    let resource_version =
                        object::str_at(&response.body, "/metadata/resourceVersion").to_string();
                    self.queue.push_front(Op::Watch {
                        resource,
                        namespace,
                        resource_version,
                    });
                } else {
                    let items: Vec<Value> = if name.is_empty() {
                        response.body["items"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                    } else {
                        vec![(*response.body).clone()]
                    };
                    if output == "yaml" {
                        let doc = if name.is_empty() {
                            serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items,
                                               "metadata": {"resourceVersion": ""}})
                        } else {
                            (*response.body).clone()
                        };
                        self.print(super::print::to_yaml(&doc).trim_end().to_string(), false);
                    } else {
                        let refs: Vec<&Value> = items.iter().collect();
                        let ns = if resource.namespaced {
                            namespace.as_str()
                        } else {
                            ""
                        };
                        match super::print::get_table(
                            resource.kind,
                            &refs,
                            ns,
                            ctx.now,
                            output == "wide",
                        ) {
                            Some(out) => {
                                let text = format!("{}{}", out.stdout, out.stderr);
                                self.print(text.trim_end().to_string(), false);
                            }
                            None => self.print(
                                format!("error: podflow cannot print {} yet", resource.plural),
                                true,
                            ),
                        }
                    }
                }
            }
            Op::DescribeGet { .. } => {
                if response.ok() {
                    self.queue.push_front(Op::DescribeEvents {
                        pod: (*response.body).clone(),
                    });
                } else {
                    self.error(&response, None, "");
                }
            }
            Op::DescribeEvents { pod } => {
                let events: Vec<Value> = response.body["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let refs: Vec<&Value> = events.iter().collect();
                let text = super::print::describe_pod(&pod, &refs, ctx.now);
                self.print(text.trim_end().to_string(), false);
            }
            Op::Logs { .. } => {
                if response.ok() {
                    let text = response
                        .body
                        .as_str()
                        .unwrap_or_default()
                        .trim_end()
                        .to_string();
                    self.print(text, false);
                } else {
                    self.error(&response, None, "");
                }
            }
            Op::PatchNode {
                name,
                patch,
                done,
                check_labels,
                overwrite,
            } => {
                if !response.ok() {
                    self.error(&response, None, "");
                } else if !overwrite && !check_labels.is_empty() {
                    // label.go: an existing key with another value needs --overwrite.
                    for (key, value) in &check_labels {
                        let current = response.body["metadata"]["labels"][key.as_str()].as_str();
                        if let Some(current) = current.filter(|c| c != value) {
                            let line = format!("error: '{key}' already has a value ({current}), and --overwrite is false");
                            self.print(line, true);
                            return;
                        }
                    }
                    self.queue.push_front(Op::PatchNode {
                        name,
                        patch,
                        done,
                        check_labels,
                        overwrite: true,
                    });
                } else {
                    self.print(format!("node/{name} {done}"), false);
                }
            }
            Op::ExposeGet {
                resource,
                namespace,
                name,
                port,
                target_port,
                type_,
            } => {
                if !response.ok() {
                    self.error(&response, None, "");
                    return;
                }
                match expose_service(
                    &response.body,
                    &name,
                    port,
                    target_port.as_deref(),
                    type_.as_deref(),
                ) {
                    Ok(doc) => {
                        let _ = (resource, namespace);
                        if let Some(services) = resource_named("", "services") {
                            self.queue.push_front(Op::Post {
                                file: None,
                                doc,
                                resource: services,
                                manager: "kubectl-expose",
                                verb_word: "exposed",
                            });
                        }
                    }
                    Err(line) => self.print(line, true),
                }
            }
            Op::Scale { resource, name, .. } => {
                if response.ok() {
                    self.print(format!("{}/{name} scaled", kind_word(&resource)), false);
                } else {
                    self.error(&response, None, "");
                }
            }
            Op::RolloutGet { namespace, name } => {
                if !response.ok() {
                    self.error(&response, None, "");
                    return;
                }
                let (line, done) = rollout_status(&response.body);
                self.print(line, false);
                if !done {
                    // watchtools.UntilWithSync: watch the one Deployment from here on.
                    self.rollout = Some((namespace.clone(), name.clone()));
                    let resource_version =
                        object::str_at(&response.body, "/metadata/resourceVersion").to_string();
                    if let Some(resource) = resource_named("apps", "deployments") {
                        self.queue.push_front(Op::Watch {
                            resource,
                            namespace,
                            resource_version,
                        });
                    }
                }
            }
            Op::DrainList {
                node,
                ignore_daemonsets,
            } => {
                if !response.ok() {
                    self.error(&response, None, "");
                    return;
                }
                let pods: Vec<Value> = response.body["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| object::str_at(p, "/spec/nodeName") == node)
                    .filter(|p| {
                        !matches!(object::str_at(p, "/status/phase"), "Succeeded" | "Failed")
                    })
                    .collect();
                let owner_kind = |p: &Value| -> String {
                    p.at("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
                        .map(|r| object::str_at(r, "/kind").to_string())
                        .unwrap_or_default()
                };
                let id = |p: &Value| format!("{}/{}", object::namespace(p), object::name(p));
                let daemons: Vec<String> = pods
                    .iter()
                    .filter(|p| owner_kind(p) == "DaemonSet")
                    .map(id)
                    .collect();
                let bare: Vec<String> = pods
                    .iter()
                    .filter(|p| owner_kind(p).is_empty())
                    .map(id)
                    .collect();
                // drain.go GetPodsForDeletion: the filters' errors, then their warnings.
                let mut errors = Vec::new();
                if !bare.is_empty() {
                    errors.push(format!(
                        "cannot delete Pods that declare no controller (use --force to override): {}",
                        bare.join(", ")
                    ));
                }
                if !daemons.is_empty() && !ignore_daemonsets {
                    errors.push(format!(
                        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
                        daemons.join(", ")
                    ));
                }
                if !errors.is_empty() {
                    let line = format!(
                        "error: unable to drain node \"{node}\" due to error: [{}], continuing command...\nThere are pending nodes to be drained:\n {node}\n{}",
                        errors.join(", "),
                        errors.join("\n")
                    );
                    self.print(line, true);
                    return;
                }
                if !daemons.is_empty() {
                    self.print(
                        format!(
                            "Warning: ignoring DaemonSet-managed Pods: {}",
                            daemons.join(", ")
                        ),
                        false,
                    );
                }
                let mut ops = Vec::new();
                for p in pods.iter().filter(|p| owner_kind(p) != "DaemonSet") {
                    self.print(format!("evicting pod {}", id(p)), false);
                    ops.push(Op::Evict {
                        namespace: object::namespace(p).to_string(),
                        name: object::name(p).to_string(),
                    });
                }
                ops.push(Op::Print {
                    line: format!("node/{node} drained"),
                    failed: false,
                });
                for op in ops.into_iter().rev() {
                    self.queue.push_front(op);
                }
            }
            Op::Evict { name, .. } => {
                if response.ok() {
                    self.print(format!("pod/{name} evicted"), false);
                } else {
                    self.error(&response, None, "");
                }
            }
            Op::GetPart {
                resource,
                namespace,
                output,
                last,
            } => {
                if !response.ok() {
                    self.error(&response, None, "");
                    return;
                }
                let mut items: Vec<Value> = response.body["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                // With several kinds, kubectl names each row `kind.group/name`.
                for item in &mut items {
                    let name = format!("{}/{}", kind_word(&resource), object::name(item));
                    object::set_at(item, "/metadata/name", json!(name));
                }
                let refs: Vec<&Value> = items.iter().collect();
                let ns = if resource.namespaced {
                    namespace.as_str()
                } else {
                    ""
                };
                if !items.is_empty() {
                    if let Some(out) =
                        super::print::get_table(resource.kind, &refs, ns, ctx.now, output == "wide")
                    {
                        let lead = if self.printed_part { "\n" } else { "" };
                        self.print(format!("{lead}{}", out.stdout.trim_end()), false);
                        self.printed_part = true;
                    }
                }
                if last && !self.printed_part {
                    self.print(
                        super::print::no_resources_found(&namespace)
                            .trim_end()
                            .to_string(),
                        false,
                    );
                }
            }
            Op::ExecGet {
                namespace,
                pod,
                container,
                command,
            } => {
                if !response.ok() {
                    self.error(&response, None, "");
                    return;
                }
                let phase = object::str_at(&response.body, "/status/phase");
                if matches!(phase, "Succeeded" | "Failed") {
                    self.print(
                        format!("error: cannot exec into a container in a completed pod; current phase is {phase}"),
                        true,
                    );
                    return;
                }
                let container = if container.is_empty() {
                    object::str_at(&response.body, "/spec/containers/0/name").to_string()
                } else {
                    container
                };
                self.queue.push_front(Op::Exec {
                    namespace,
                    pod,
                    container,
                    command,
                });
            }
            Op::Exec { .. } => {
                if !response.ok() {
                    // remotecommand's upgrade error is printed as kubectl's own.
                    let message = object::str_at(&response.body, "/message");
                    self.print(format!("error: {message}"), true);
                    return;
                }
                let stdout = object::str_at(&response.body, "/stdout")
                    .trim_end()
                    .to_string();
                if !stdout.is_empty() {
                    self.print(stdout, false);
                }
                let code = response.body["exitCode"].as_i64().unwrap_or(0);
                if code != 0 {
                    self.print(format!("command terminated with exit code {code}"), true);
                }
            }
            Op::Print { .. } | Op::Watch { .. } => {}
        }
    }

    /// kubectl's message for a failed request (cmdutil.CheckErr → StandardErrorMessage).
    fn error(&mut self, response: &Response, file: Option<&str>, doing: &str) {
        let body = &response.body;
        let reason = object::str_at(body, "/reason");
        let message = object::str_at(body, "/message");
        let line = match (response.code, reason) {
            (401, _) => "error: You must be logged in to the server (Unauthorized)".to_string(),
            (422, "Invalid") => {
                let kind = object::str_at(body, "/details/kind");
                let name = object::str_at(body, "/details/name");
                let causes: Vec<String> = body
                    .at("/details/causes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        let field = object::str_at(c, "/field");
                        let m = object::str_at(c, "/message");
                        if field.is_empty() {
                            m.to_string()
                        } else {
                            format!("{field}: {m}")
                        }
                    })
                    .collect();
                match causes.as_slice() {
                    [one] => format!("The {kind} \"{name}\" is invalid: {one}"),
                    many => format!(
                        "The {kind} \"{name}\" is invalid: \n{}",
                        many.iter()
                            .map(|c| format!("* {c}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                }
            }
            // A status without a reason (a 500 the apiserver passed on, such as etcd's
            // `request is too large`): kubectl's StandardErrorMessage leaves out the brackets.
            (_, "") => match file {
                Some(f) => format!("Error from server: error when {doing} \"{f}\": {message}"),
                None => format!("Error from server: {message}"),
            },
            _ => match file {
                Some(f) => {
                    format!("Error from server ({reason}): error when {doing} \"{f}\": {message}")
                }
                None => format!("Error from server ({reason}): {message}"),
            },
        };
        self.print(line, true);
    }
}

fn namespace_of(doc: &Value, resource: &Resource) -> String {
    if !resource.namespaced {
        return String::new();
    }
    match object::namespace(doc) {
        "" => "default".to_string(),
        ns => ns.to_string(),
    }
}

/// `pod/nginx`, `deployment.apps/web`.
fn kind_name(obj: &Value, resource: &Resource) -> String {
    format!("{}/{}", kind_word(resource), object::name(obj))
}

fn kind_word(resource: &Resource) -> String {
    let kind = resource.kind.to_lowercase();
    if resource.group.is_empty() {
        kind
    } else {
        format!("{kind}.{}", resource.group)
    }
}

/// Stores the manifest, compact, in the last-applied annotation (without the annotation
/// itself), as client-side apply does.
fn annotate_last_applied(doc: &mut Value) {
    let mut clean = doc.clone();
    if let Some(a) = clean
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove(LAST_APPLIED);
        if a.is_empty() {
            if let Some(m) = clean.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("annotations");
            }
        }
    }
    let text = format!("{}\n", serde_json::to_string(&clean).unwrap_or_default());
    let Some(metadata) = doc.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(a) = annotations.as_object_mut() {
        a.insert(LAST_APPLIED.to_string(), Value::String(text));
    }
}

/// The patch client-side apply sends: the new manifest, plus nulls for the fields that
/// were in the previous last-applied configuration and are gone now.
fn three_way_patch(previous: &str, applied: &Value) -> Value {
    let mut patch = applied.clone();
    if let Ok(prev) = serde_json::from_str::<Value>(previous) {
        add_deletions(&prev, &mut patch);
    }
    patch
}

fn add_deletions(prev: &Value, patch: &mut Value) {
    if let (Some(p), Some(n)) = (prev.as_object(), patch.as_object_mut()) {
        for (k, v) in p {
            match n.get_mut(k) {
                None => {
                    n.insert(k.clone(), Value::Null);
                }
                Some(nv) => add_deletions(v, nv),
            }
        }
    }
}

/// Turns a command into operations; client-side errors become printed lines.
fn plan(command: &Command) -> Vec<Op> {
    match &command.action {
        Action::Apply { file, text }
        | Action::Create { file, text }
        | Action::DeleteFile { file, text } => {
            let parsed = manifest::parse(text);
            if let Some(d) = parsed.diagnostics.first() {
                return vec![Op::Print {
                    line: d.kubectl_message(file),
                    failed: true,
                }];
            }
            let mut ops = Vec::new();
            for document in &parsed.documents {
                let doc = &document.value;
                match client_side_check(file, doc) {
                    Err(line) => ops.push(Op::Print { line, failed: true }),
                    Ok(resource) => ops.push(match &command.action {
                        Action::Apply { .. } => Op::ApplyGet {
                            file: file.clone(),
                            doc: doc.clone(),
                            resource,
                        },
                        Action::Create { .. } => Op::Post {
                            file: Some(file.clone()),
                            doc: doc.clone(),
                            resource,
                            manager: "kubectl-create",
                            verb_word: "created",
                        },
                        _ => Op::Delete {
                            file: Some(file.clone()),
                            resource,
                            namespace: namespace_of(doc, &resource),
                            name: object::name(doc).to_string(),
                        },
                    }),
                }
            }
            if parsed.documents.is_empty() {
                ops.push(Op::Print {
                    line: format!("error: no objects passed to {}", verb_of(&command.action)),
                    failed: true,
                });
            }
            ops
        }
        Action::Run { pod } => match resource_named("", "pods") {
            Some(resource) => vec![Op::Post {
                file: None,
                doc: pod.clone(),
                resource,
                manager: "kubectl-run",
                verb_word: "created",
            }],
            None => vec![],
        },
        Action::Get {
            resource,
            namespace,
            name,
            output,
            watch,
        } => vec![Op::Get {
            resource: *resource,
            namespace: namespace.clone(),
            name: name.clone(),
            output: output.clone(),
            watch: *watch,
        }],
        Action::Describe { namespace, name } => vec![Op::DescribeGet {
            namespace: namespace.clone(),
            name: name.clone(),
        }],
        Action::Logs {
            namespace,
            name,
            container,
        } => vec![Op::Logs {
            namespace: namespace.clone(),
            name: name.clone(),
            container: container.clone(),
        }],
        Action::PatchNode {
            name,
            patch,
            done,
            check_labels,
            overwrite,
        } => vec![Op::PatchNode {
            name: name.clone(),
            patch: patch.clone(),
            done,
            check_labels: check_labels.clone(),
            overwrite: *overwrite,
        }],
        Action::Delete {
            resource,
            namespace,
            name,
        } => vec![Op::Delete {
            file: None,
            resource: *resource,
            namespace: namespace.clone(),
            name: name.clone(),
        }],
        Action::CreateObject { doc } => {
            match resource_for(object::api_version(doc), object::kind(doc)) {
                Some(resource) => vec![Op::Post {
                    file: None,
                    doc: doc.clone(),
                    resource,
                    manager: "kubectl-create",
                    verb_word: "created",
                }],
                None => vec![],
            }
        }
        Action::Expose {
            resource,
            namespace,
            name,
            port,
            target_port,
            type_,
        } => vec![Op::ExposeGet {
            resource: *resource,
            namespace: namespace.clone(),
            name: name.clone(),
            port: *port,
            target_port: target_port.clone(),
            type_: type_.clone(),
        }],
        Action::Scale {
            resource,
            namespace,
            name,
            replicas,
        } => vec![Op::Scale {
            resource: *resource,
            namespace: namespace.clone(),
            name: name.clone(),
            replicas: *replicas,
        }],
        Action::RolloutStatus { namespace, name } => vec![Op::RolloutGet {
            namespace: namespace.clone(),
            name: name.clone(),
        }],
        Action::Drain {
            node,
            ignore_daemonsets,
        } => vec![
            Op::PatchNode {
                name: node.clone(),
                patch: json!({"spec": {"unschedulable": true}}),
                done: "cordoned",
                check_labels: vec![],
                overwrite: true,
            },
            Op::DrainList {
                node: node.clone(),
                ignore_daemonsets: *ignore_daemonsets,
            },
        ],
        Action::GetMany {
            resources,
            namespace,
            output,
        } => resources
            .iter()
            .enumerate()
            .map(|(i, r)| Op::GetPart {
                resource: *r,
                namespace: namespace.clone(),
                output: output.clone(),
                last: i + 1 == resources.len(),
            })
            .collect(),
        Action::Exec {
            namespace,
            pod,
            container,
            command,
        } => vec![Op::ExecGet {
            namespace: namespace.clone(),
            pod: pod.clone(),
            container: container.clone(),
            command: command.clone(),
        }],
    }
}

/// What `kubectl rollout status` prints for a Deployment, and whether it is done
/// (kubectl/pkg/polymorphichelpers/rollout_status.go DeploymentStatusViewer).
pub fn rollout_status(d: &Value) -> (String, bool) {
    let name = object::name(d);
    let int = |p: &str| d.at(p).and_then(Value::as_i64).unwrap_or(0);
    let generation = int("/metadata/generation");
    let observed = int("/status/observedGeneration");
    if generation > observed {
        return (
            "Waiting for deployment spec update to be observed...".to_string(),
            false,
        );
    }
    let progressing_failed = d
        .at("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded")
        });
    if progressing_failed {
        return (
            format!("error: deployment \"{name}\" exceeded its progress deadline"),
            true,
        );
    }
    let replicas = d.at("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
    let updated = int("/status/updatedReplicas");
    let total = int("/status/replicas");
    let available = int("/status/availableReplicas");
    if updated < replicas {
        return (
            format!("Waiting for deployment \"{name}\" rollout to finish: {updated} out of {replicas} new replicas have been updated..."),
            false,
        );
    }
    if total > updated {
        return (
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
                total - updated
            ),
            false,
        );
    }
    if available < updated {
        return (
            format!("Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."),
            false,
        );
    }
    (
        format!("deployment \"{name}\" successfully rolled out"),
        true,
    )
}

/// The Service `kubectl expose` builds from a Deployment (or ReplicaSet): its selector's
/// matchLabels and labels, the port, and the target port (the port when not given).
pub fn expose_service(
    obj: &Value,
    name: &str,
    port: i64,
    target_port: Option<&str>,
    type_: Option<&str>,
) -> Result<Value, String> {
    let Some(selector) = obj
        .at("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
    else {
        return Err(format!(
            "error: couldn't retrieve selectors via --selector flag or introspection: the {} has no selector",
            object::kind(obj).to_lowercase()
        ));
    };
    let target = match target_port {
        Some(t) => match t.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => json!(t),
        },
        None => json!(port),
    };
    let mut spec = json!({
        "ports": [{"port": port, "protocol": "TCP", "targetPort": target}],
        "selector": selector,
    });
    if let Some(t) = type_ {
        spec["type"] = json!(t);
    }
    let mut metadata = json!({"name": name});
    if let Some(labels) = obj.at("/metadata/labels").filter(|l| l.is_object()) {
        metadata["labels"] = labels.clone();
    }
    if !object::namespace(obj).is_empty() {
        metadata["namespace"] = json!(object::namespace(obj));
    }
    Ok(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec,
              "status": {"loadBalancer": {}}}),
    )
}

/// What `kubectl create deployment NAME --image=IMAGE [--replicas=N]` builds
/// (kubectl/pkg/cmd/create/create_deployment.go): label `app: NAME`, the container
/// named after the image.
pub fn create_deployment(
    name: &str,
    images: &[String],
    replicas: i64,
    namespace: Option<&str>,
) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .map(|image| {
            // buildPodSpec: the image's last path element without tag or digest.
            let base = image.rsplit('/').next().unwrap_or(image);
            let base = base.split(['@', ':']).next().unwrap_or(base);
            json!({"image": image, "name": base, "resources": {}})
        })
        .collect();
    let mut metadata = json!({"labels": {"app": name}, "name": name});
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": containers}},
        },
        "status": {},
    })
}

fn verb_of(action: &Action) -> &'static str {
    match action {
        Action::Apply { .. } => "apply",
        Action::Create { .. } => "create",
        _ => "delete",
    }
}

/// What kubectl checks before sending anything: apiVersion and kind are set, the kind is
/// served (resource mapping), and the parts kubectl decodes itself have the right types.
fn client_side_check(file: &str, doc: &Value) -> Result<Resource, String> {
    let api_version = object::api_version(doc);
    let kind = object::kind(doc);
    let mut missing = Vec::new();
    if api_version.is_empty() {
        missing.push("apiVersion not set");
    }
    if kind.is_empty() {
        missing.push("kind not set");
    }
    if !missing.is_empty() {
        return Err(format!(
            "error: error validating \"{file}\": error validating data: [{}]; if you choose to ignore these errors, turn validation off with --validate=false",
            missing.join(", ")
        ));
    }
    let Some(resource) = resource_for(api_version, kind) else {
        return Err(format!(
            "error: resource mapping not found for name: \"{}\" namespace: \"{}\" from \"{file}\": no matches for kind \"{kind}\" in version \"{api_version}\"\nensure CRDs are installed first",
            object::name(doc),
            object::namespace(doc)
        ));
    };
    if let Err(e) = api::decode::strict_decode(doc) {
        if e.client_side {
            return Err(e.kubectl_message(file, object::name(doc), object::namespace(doc)));
        }
    }
    Ok(resource)
}

/// What `kubectl run NAME --image=IMAGE [flags] [-- args]` builds (the BasicPod generator,
/// staging/src/k8s.io/kubectl/pkg/generate/versioned/run.go).
pub fn run_pod(name: &str, flags: &RunFlags) -> Value {
    let mut labels = Map::new();
    if flags.labels.is_empty() {
        labels.insert("run".into(), json!(name));
    } else {
        for (k, v) in &flags.labels {
            labels.insert(k.clone(), json!(v));
        }
    }
    let mut container = Map::new();
    container.insert("name".into(), json!(name));
    container.insert("image".into(), json!(flags.image));
    container.insert("resources".into(), json!({}));
    if !flags.args.is_empty() {
        let key = if flags.command { "command" } else { "args" };
        container.insert(key.into(), json!(flags.args));
    }
    if !flags.env.is_empty() {
        let env: Vec<Value> = flags
            .env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        container.insert("env".into(), json!(env));
    }
    if let Some(port) = flags.port {
        container.insert("ports".into(), json!([{"containerPort": port}]));
    }
    let mut metadata = json!({"name": name, "labels": labels});
    if let Some(ns) = &flags.namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [Value::Object(container)],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": flags.restart.clone().unwrap_or_else(|| "Always".into()),
        },
        "status": {},
    })
}

#[derive(Clone, Debug, Default)]
pub struct RunFlags {
    pub image: String,
    pub port: Option<u16>,
    pub labels: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    pub restart: Option<String>,
    pub command: bool,
    pub args: Vec<String>,
    pub namespace: Option<String>,
}

/// The resource a kubectl type name or short name means (`po`, `pods`, `deploy`, …).
pub fn resource_alias(kind: &str) -> Result<Resource, String> {
    let (group, plural) = match kind.to_lowercase().as_str() {
        "po" | "pod" | "pods" => ("", "pods"),
        "no" | "node" | "nodes" => ("", "nodes"),
        "ev" | "event" | "events" => ("", "events"),
        "ns" | "namespace" | "namespaces" => ("", "namespaces"),
        "cm" | "configmap" | "configmaps" => ("", "configmaps"),
        "secret" | "secrets" => ("", "secrets"),
        "sa" | "serviceaccount" | "serviceaccounts" => ("", "serviceaccounts"),
        "svc" | "service" | "services" => ("", "services"),
        "deploy" | "deployment" | "deployments" => ("apps", "deployments"),
        "rs" | "replicaset" | "replicasets" => ("apps", "replicasets"),
        "ds" | "daemonset" | "daemonsets" => ("apps", "daemonsets"),
        "job" | "jobs" => ("batch", "jobs"),
        "endpointslice" | "endpointslices" => ("discovery.k8s.io", "endpointslices"),
        _ => {
            return Err(format!(
                "error: the server doesn't have a resource type \"{kind}\""
            ))
        }
    };
    resource_named(group, plural)
        .ok_or_else(|| format!("error: the server doesn't have a resource type \"{kind}\""))
}

/// `KIND NAME` or `KIND/NAME`.
fn kind_and_name(positional: &[String]) -> Result<(String, String), String> {
    match positional {
        [both] if both.contains('/') => {
            let (k, n) = both.split_once('/').unwrap_or_default();
            Ok((k.to_string(), n.to_string()))
        }
        [kind, name, ..] => Ok((kind.clone(), name.clone())),
        _ => Err("error: resource(s) were provided, but no name was specified".into()),
    }
}

/// Splits a command line into words, honouring single and double quotes.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for ch in line.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Parses `kubectl …` with the files it may read. Errors are kubectl's messages.
pub fn parse_command(line: &str, files: &BTreeMap<String, String>) -> Result<Command, String> {
    let words = split_words(line);
    let mut rest: &[String] = &words;
    if rest.first().map(String::as_str) == Some("kubectl") {
        rest = &rest[1..];
    }
    let Some((verb, args)) = rest.split_first() else {
        return Err("error: a command is required (apply, create, run, delete)".into());
    };
    let mut as_user = None;
    let mut file = None;
    let mut namespace = None;
    let mut positional = Vec::new();
    let mut run = RunFlags::default();
    let mut output = String::new();
    let mut container = String::new();
    let mut overwrite = false;
    let mut watch = false;
    let mut replicas: Option<i64> = None;
    let mut target_port: Option<String> = None;
    let mut service_type: Option<String> = None;
    let mut ignore_daemonsets = false;
    let mut images: Vec<String> = Vec::new();
    let mut i = 0;
    let value = |flag: &str, args: &[String], i: &mut usize| -> Result<String, String> {
        let a = &args[*i];
        if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
            return Ok(v.to_string());
        }
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or(format!("error: flag needs an argument: {flag}"))
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--" => {
                run.args = args[i + 1..].to_vec();
                break;
            }
            _ if a == "-f" || a.starts_with("--filename") || a.starts_with("-f=") => {
                let flag = if a.starts_with("--filename") {
                    "--filename"
                } else {
                    "-f"
                };
                file = Some(value(flag, args, &mut i)?);
            }
            _ if a.starts_with("--as") && !a.starts_with("--as-group") => {
                as_user = Some(value("--as", args, &mut i)?)
            }
            _ if a == "-n" || a.starts_with("--namespace") => {
                let flag = if a == "-n" { "-n" } else { "--namespace" };
                namespace = Some(value(flag, args, &mut i)?);
            }
            _ if a.starts_with("--image") => {
                run.image = value("--image", args, &mut i)?;
                images.push(run.image.clone());
            }
            _ if a.starts_with("--replicas") => {
                let v = value("--replicas", args, &mut i)?;
                replicas = Some(v.parse().map_err(|_| {
                    format!("error: invalid argument \"{v}\" for \"--replicas\" flag: strconv.ParseInt: parsing \"{v}\": invalid syntax")
                })?);
            }
            _ if a.starts_with("--target-port") => {
                target_port = Some(value("--target-port", args, &mut i)?)
            }
            _ if a.starts_with("--type") => service_type = Some(value("--type", args, &mut i)?),
            "--ignore-daemonsets" => ignore_daemonsets = true,
            _ if a.starts_with("--port") => {
                let v = value("--port", args, &mut i)?;
                run.port =
                    Some(v.parse().map_err(|_| {
                        format!("error: invalid argument \"{v}\" for \"--port\" flag")
                    })?);
            }
            _ if a.starts_with("--labels") || a == "-l" => {
                let flag = if a == "-l" { "-l" } else { "--labels" };
                for pair in value(flag, args, &mut i)?.split(',') {
                    let (k, v) = pair
                        .split_once('=')
                        .ok_or(format!("error: invalid label spec: {pair}"))?;
                    run.labels.push((k.to_string(), v.to_string()));
                }
            }
            _ if a.starts_with("--env") => {
                let pair = value("--env", args, &mut i)?;
                let (k, v) = pair
                    .split_once('=')
                    .ok_or(format!("error: invalid env: {pair}"))?;
                run.env.push((k.to_string(), v.to_string()));
            }
            _ if a.starts_with("--restart") => {
                run.restart = Some(value("--restart", args, &mut i)?)
            }
            "--command" => run.command = true,
            "--overwrite" => overwrite = true,
            "-w" | "--watch" => watch = true,
            _ if a == "-o" || a.starts_with("--output") || a.starts_with("-o=") => {
                let flag = if a.starts_with("--output") {
                    "--output"
                } else {
                    "-o"
                };
                output = value(flag, args, &mut i)?;
            }
            _ if a == "-c" || a.starts_with("--container") => {
                let flag = if a == "-c" { "-c" } else { "--container" };
                container = value(flag, args, &mut i)?;
            }
            _ if a.starts_with('-') => return Err(format!("error: unknown flag: {a}")),
            _ => positional.push(a.to_string()),
        }
        i += 1;
    }
    let load = |name: &str| -> Result<(String, String), String> {
        files
            .get(name)
            .map(|t| (name.to_string(), t.clone()))
            .ok_or(format!("error: the path \"{name}\" does not exist"))
    };
    let ns = namespace.clone().unwrap_or_else(|| "default".into());
    let action = match verb.as_str() {
        "create"
            if positional
                .first()
                .is_some_and(|k| k == "deployment" || k == "deploy") =>
        {
            let Some(name) = positional.get(1) else {
                return Err("error: exactly one NAME is required, got 0".into());
            };
            if images.is_empty() {
                return Err("error: required flag(s) \"image\" not set".into());
            }
            Action::CreateObject {
                doc: create_deployment(name, &images, replicas.unwrap_or(1), namespace.as_deref()),
            }
        }
        "expose" => {
            let (kind, name) = kind_and_name(&positional)?;
            let resource = resource_alias(&kind)?;
            if !matches!(resource.plural, "deployments" | "replicasets") {
                return Err(format!(
                    "error: podflow's kubectl exposes deployments and replicasets, not {}",
                    resource.plural
                ));
            }
            let Some(port) = run.port else {
                return Err("error: couldn't find port via --port flag or introspection".into());
            };
            Action::Expose {
                resource,
                namespace: ns,
                name,
                port: i64::from(port),
                target_port,
                type_: service_type,
            }
        }
        "scale" => {
            let (kind, name) = kind_and_name(&positional)?;
            let resource = resource_alias(&kind)?;
            let Some(replicas) = replicas else {
                return Err("error: required flag(s) \"replicas\" not set".into());
            };
            Action::Scale {
                resource,
                namespace: ns,
                name,
                replicas,
            }
        }
        "rollout" => {
            let rest: Vec<String> = positional.iter().skip(1).cloned().collect();
            if positional.first().map(String::as_str) != Some("status") {
                return Err("error: podflow's kubectl knows rollout status".into());
            }
            let (kind, name) = kind_and_name(&rest)?;
            if resource_alias(&kind)?.plural != "deployments" {
                return Err("error: podflow's kubectl follows the rollout of deployments".into());
            }
            Action::RolloutStatus {
                namespace: ns,
                name,
            }
        }
        "drain" => {
            let Some(node) = positional.first() else {
                return Err("error: USAGE: drain NODE [flags]".into());
            };
            Action::Drain {
                node: node.strip_prefix("node/").unwrap_or(node).to_string(),
                ignore_daemonsets,
            }
        }
        "exec" => {
            let Some(pod) = positional.first() else {
                return Err("error: expected 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]'.".into());
            };
            if run.args.is_empty() {
                return Err(
                    "error: you must specify at least one command for the container".into(),
                );
            }
            Action::Exec {
                namespace: ns,
                pod: pod.strip_prefix("pod/").unwrap_or(pod).to_string(),
                container,
                command: run.args.clone(),
            }
        }
        "get"
            if positional
                .first()
                .is_some_and(|w| w.contains(',') || w == "all") =>
        {
            let mut resources = Vec::new();
            for kind in positional[0].split(',') {
                if kind == "all" {
                    // The `all` category: pods, services, daemonsets, deployments,
                    // replicasets, statefulsets, jobs, cronjobs (those podflow serves).
                    for (g, p) in [
                        ("", "pods"),
                        ("", "services"),
                        ("apps", "daemonsets"),
                        ("apps", "deployments"),
                        ("apps", "replicasets"),
                        ("batch", "jobs"),
                    ] {
                        if let Some(r) = resource_named(g, p) {
                            resources.push(r);
                        }
                    }
                } else {
                    resources.push(resource_alias(kind)?);
                }
            }
            Action::GetMany {
                resources,
                namespace: ns,
                output,
            }
        }
        "apply" | "create" => {
            let Some(f) = file else {
                return Err("error: must specify one of -f and -k".into());
            };
            let (file, text) = load(&f)?;
            if verb == "apply" {
                Action::Apply { file, text }
            } else {
                Action::Create { file, text }
            }
        }
        "run" => {
            let Some(name) = positional.first() else {
                return Err("error: NAME is required for run".into());
            };
            if run.image.is_empty() {
                return Err("error: --image is required".into());
            }
            run.namespace = namespace.clone();
            Action::Run {
                pod: run_pod(name, &run),
            }
        }
        "delete" => {
            if let Some(f) = file {
                let (file, text) = load(&f)?;
                Action::DeleteFile { file, text }
            } else {
                let (kind, name) = match positional.as_slice() {
                    [both] if both.contains('/') => {
                        let (k, n) = both.split_once('/').unwrap_or_default();
                        (k.to_string(), n.to_string())
                    }
                    [kind, name, ..] => (kind.clone(), name.clone()),
                    _ => {
                        return Err(
                            "error: resource(s) were provided, but no name was specified".into(),
                        )
                    }
                };
                let resource = resource_alias(&kind)?;
                Action::Delete {
                    resource,
                    namespace: namespace.clone().unwrap_or_else(|| "default".into()),
                    name,
                }
            }
        }
        "get" => {
            let Some(what) = positional.first() else {
                return Err("You must specify the type of resource to get.".into());
            };
            let (kind, name) = match what.split_once('/') {
                Some((k, n)) => (k.to_string(), n.to_string()),
                None => (what.clone(), positional.get(1).cloned().unwrap_or_default()),
            };
            let resource = resource_alias(&kind)?;
            if !matches!(output.as_str(), "" | "wide" | "yaml") {
                return Err(format!(
                    "error: podflow's kubectl prints -o wide and -o yaml, not -o {output}"
                ));
            }
            Action::Get {
                resource,
                namespace: if resource.namespaced {
                    namespace.clone().unwrap_or_else(|| "default".into())
                } else {
                    String::new()
                },
                name,
                output,
                watch,
            }
        }
        "describe" => {
            let (kind, name) = match positional.as_slice() {
                [both] if both.contains('/') => {
                    let (k, n) = both.split_once('/').unwrap_or_default();
                    (k.to_string(), n.to_string())
                }
                [kind, name, ..] => (kind.clone(), name.clone()),
                _ => {
                    return Err(
                        "error: podflow's kubectl describes one pod: kubectl describe pod NAME"
                            .into(),
                    )
                }
            };
            if resource_alias(&kind)?.plural != "pods" {
                return Err("error: podflow's kubectl describes pods only, so far".into());
            }
            Action::Describe {
                namespace: namespace.clone().unwrap_or_else(|| "default".into()),
                name,
            }
        }
        "logs" => {
            let Some(name) = positional.first() else {
                return Err(
                    "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.".into(),
                );
            };
            Action::Logs {
                namespace: namespace.clone().unwrap_or_else(|| "default".into()),
                name: name.strip_prefix("pod/").unwrap_or(name).to_string(),
                container,
            }
        }
        "label" => {
            let (name, pairs) =
                match positional.as_slice() {
                    [kind, name, pairs @ ..]
                        if resource_alias(kind).is_ok_and(|r| r.plural == "nodes")
                            && !pairs.is_empty() =>
                    {
                        (name.clone(), pairs.to_vec())
                    }
                    _ => return Err(
                        "error: podflow's kubectl labels nodes: kubectl label node NAME KEY=VALUE"
                            .into(),
                    ),
                };
            let mut labels = serde_json::Map::new();
            let mut check = Vec::new();
            for pair in pairs {
                if let Some(key) = pair.strip_suffix('-') {
                    labels.insert(key.to_string(), Value::Null);
                } else {
                    let (k, v) = pair
                        .split_once('=')
                        .ok_or(format!("error: invalid label spec: {pair}"))?;
                    labels.insert(k.to_string(), json!(v));
                    check.push((k.to_string(), v.to_string()));
                }
            }
            Action::PatchNode {
                name,
                patch: json!({"metadata": {"labels": labels}}),
                done: "labeled",
                check_labels: check,
                overwrite,
            }
        }
        "cordon" | "uncordon" => {
            let Some(name) = positional.first() else {
                return Err(format!("error: USAGE: {verb} NODE [flags]"));
            };
            let cordon = verb == "cordon";
            Action::PatchNode {
                name: name.strip_prefix("node/").unwrap_or(name).to_string(),
                patch: json!({"spec": {"unschedulable": if cordon { json!(true) } else { Value::Null }}}),
                done: if cordon { "cordoned" } else { "uncordoned" },
                check_labels: vec![],
                overwrite: true,
            }
        }
        other => {
            return Err(format!(
                "error: unknown command \"{other}\" for \"kubectl\""
            ))
        }
    };
    Ok(Command {
        line: line.trim().to_string(),
        action,
        as_user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_run_builds_the_basic_pod() {
        let pod = run_pod(
            "nginx",
            &RunFlags {
                image: "nginx".into(),
                ..Default::default()
            },
        );
        let expected: Value = serde_json::from_str(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"run":"nginx"},"name":"nginx"},
                "spec":{"containers":[{"image":"nginx","name":"nginx","resources":{}}],"dnsPolicy":"ClusterFirst",
                "restartPolicy":"Always"},"status":{}}"#,
        )
        .unwrap();
        assert_eq!(pod, expected);
    }

    #[test]
    fn run_flags() {
        let files = BTreeMap::new();
        let cmd = parse_command(
            "kubectl run box --image=busybox --restart=Never --labels=app=x,tier=y --env=A=1 --port 8080 --command -- sleep 3600",
            &files,
        )
        .unwrap();
        let Action::Run { pod } = cmd.action else {
            panic!()
        };
        assert_eq!(pod["metadata"]["labels"], json!({"app": "x", "tier": "y"}));
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        assert_eq!(
            pod["spec"]["containers"][0]["command"],
            json!(["sleep", "3600"])
        );
        assert_eq!(
            pod["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}])
        );
        assert_eq!(
            pod["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 8080}])
        );
    }

    #[test]
    fn parse_errors_are_kubectls() {
        let files = BTreeMap::new();
        assert_eq!(
            parse_command("kubectl apply -f missing.yaml", &files).unwrap_err(),
            "error: the path \"missing.yaml\" does not exist"
        );
        assert!(parse_command("kubectl frob", &files)
            .unwrap_err()
            .contains("unknown command"));
    }

    #[test]
    fn words_honour_quotes() {
        assert_eq!(
            split_words(r#"run x -- sh -c "echo hi; sleep 1""#),
            ["run", "x", "--", "sh", "-c", "echo hi; sleep 1"]
        );
    }

    #[test]
    fn client_side_errors() {
        let doc = json!({"apiVersion": "apps/v1beta2", "kind": "Deployment", "metadata": {"name": "nginx"}});
        assert_eq!(
            client_side_check("deployment.yaml", &doc).unwrap_err(),
            "error: resource mapping not found for name: \"nginx\" namespace: \"\" from \"deployment.yaml\": no matches for kind \"Deployment\" in version \"apps/v1beta2\"\nensure CRDs are installed first"
        );
        let doc = json!({"metadata": {"name": "x"}});
        assert!(client_side_check("x.yaml", &doc)
            .unwrap_err()
            .contains("[apiVersion not set, kind not set]"));
    }
}
