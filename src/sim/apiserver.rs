//! kube-apiserver: the only component that talks to etcd.
//!
//! Every request runs the real pipeline, one stage after another, and fails at the stage
//! that really fails (reference B.2.1): authentication (401) → authorization, RBAC (403) →
//! decoding with strict field validation (400) → defaulting and mutating admission
//! (ServiceAccount, Priority, DefaultTolerationSeconds; 403 when a plugin rejects) →
//! validation (422) → validating admission (NamespaceLifecycle: 404) → the etcd
//! transaction (409 AlreadyExists) → the response, then watch events to the informers
//! that act on the change.
//!
//! Requests from kubectl are narrated stage by stage; the cluster's own components get
//! the same pipeline, summarised in the transaction's narration.

use crate::sim::object::At;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::api;
use super::clock;
use super::engine::{
    api_object, api_shared, Ctx, Identity, Msg, Request, Resource, Response, Txn, TxnOp, TxnResult,
    Verb, WatchEvent,
};
use super::etcd::{EventType, TxnError};
use super::limits;
use super::narrate::{docs, note};
use super::object;
use super::rbac;
use super::trace::Component;

#[derive(Default)]
pub struct ApiServer {
    pending: BTreeMap<u64, Pending>,
    /// Creates waiting for an admission webhook's answer: call id → the create.
    admissions: BTreeMap<u64, Admission>,
    /// Open watches of clients outside the cluster's components (`kubectl get -w`):
    /// (client, resource, namespace).
    watchers: Vec<(Component, &'static str, String)>,
    /// Requests proxied to a kubelet (`pods/log`, `pods/exec`): kubelet request id → (client, id).
    proxied: BTreeMap<u64, (Component, u64)>,
    /// The ClusterIP and NodePort allocators (kept by the apiserver, as upstream keeps
    /// them behind `/registry/ranges/…`); created on first use for a kubeadm cluster.
    allocations: Option<super::allocator::Allocations>,
}

struct Pending {
    client: Component,
    request: Request,
}

/// A create on its way through admission.
struct Admission {
    client: Component,
    req: Request,
    obj: Value,
    mutating: Vec<super::webhook::Hook>,
    validating: Vec<super::webhook::Hook>,
    /// Webhooks called so far (mutating first, then validating).
    next: usize,
    validated: bool,
}

/// A `Status` object as the apiserver returns it on failure.
/// How many bytes `value` takes as JSON, without building the text.
fn json_size(value: &Value) -> usize {
    // Counting what serde_json writes: measured faster than walking the value ourselves.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

pub fn status(code: u16, reason: &str, message: &str, details: Value) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    })
}

impl ApiServer {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, from: &Component, msg: Msg) {
        match msg {
            Msg::Request(request) => self.request(ctx, from, request),
            Msg::TxnResult(result) => self.txn_result(ctx, result),
            Msg::Admission(call) => self.webhook_answered(ctx, call),
            Msg::CloseWatch { resource } => self
                .watchers
                .retain(|(client, plural, _)| !(client == from && *plural == resource)),
            Msg::Response(mut response) => {
                if let Some((client, id)) = self.proxied.remove(&response.id) {
                    response.id = id;
                    ctx.send(client, 1, Msg::Response(response));
                }
            }
            _ => {}
        }
    }

    fn respond(
        &mut self,
        ctx: &mut Ctx<'_>,
        to: &Component,
        id: u64,
        code: u16,
        body: impl Into<Arc<Value>>,
    ) {
        ctx.send(
            to.clone(),
            1,
            Msg::Response(Response {
                id,
                code,
                body: body.into(),
            }),
        );
    }

    /// Answers with a failure `Status`, narrating the stage that failed.
    #[allow(clippy::too_many_arguments)] // each argument is one field of the Status
    fn fail(
        &mut self,
        ctx: &mut Ctx<'_>,
        to: &Component,
        req: &Request,
        code: u16,
        reason: &str,
        message: String,
        stage: &str,
    ) {
        let details =
            json!({"name": req.name, "group": req.resource.group, "kind": req.resource.plural});
        if req.detailed {
            ctx.stage(
                stage,
                format!("{code} {reason}: {message}"),
                note(
                    format!("The request stops at {stage}: {message}"),
                    docs::API_ACCESS,
                ),
            );
        }
        self.respond(
            ctx,
            to,
            req.id,
            code,
            status(code, reason, &message, details),
        );
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, from: &Component, mut req: Request) {
        // 1. Authentication: the union of authenticators; the first that recognises the
        //    credential wins, none → 401.
        if !authenticated(ctx, &req.identity) {
            self.fail(
                ctx,
                from,
                &req,
                401,
                "Unauthorized",
                "Unauthorized".into(),
                "authentication",
            );
            return;
        }
        if req.detailed {
            let how = match &req.identity.impersonator {
                Some(admin) => format!(
                    "user \"{}\" (groups {:?}), impersonated by \"{admin}\" (Impersonate-User header)",
                    req.identity.user, req.identity.groups
                ),
                None => format!(
                    "user \"{}\" (groups {:?}) by its x509 client certificate",
                    req.identity.user, req.identity.groups
                ),
            };
            let story = match &req.identity.impersonator {
                Some(admin) => format!(
                    "kube-apiserver checks who is asking. kubectl authenticated with {admin}'s client certificate and asked, \
                     with the Impersonate-User header (kubectl --as), to act as {}; {admin} may impersonate, so from now on \
                     the request is {}'s.",
                    req.identity.user, req.identity.user
                ),
                None => format!(
                    "kube-apiserver checks who is asking. kubectl presented the client certificate from its kubeconfig: \
                     CN={} is the user name and O={} the groups.",
                    req.identity.user,
                    req.identity.groups.first().map(String::as_str).unwrap_or("")
                ),
            };
            ctx.stage("authentication", how, note(story, docs::AUTHENTICATION));
        }
        // 2. Authorization (RBAC).
        let reason = match rbac::authorize(
            ctx.view,
            &req.identity,
            req.verb,
            &req.resource,
            req.subresource,
            &req.namespace,
            &req.name,
        ) {
            Ok(reason) => reason,
            Err(message) => {
                self.fail(ctx, from, &req, 403, "Forbidden", message, "authorization");
                return;
            }
        };
        if req.detailed {
            ctx.stage(
                "authorization",
                reason.clone(),
                note(
                    format!(
                        "RBAC decides whether user \"{}\" may {} {}: {reason}.",
                        req.identity.user,
                        req.verb.rbac(),
                        req.resource.plural
                    ),
                    docs::RBAC,
                ),
            );
        }
        match (req.verb, req.subresource) {
            (Verb::Get, Some("log")) => self.logs(ctx, from, req),
            (Verb::Create, Some("exec")) => self.exec(ctx, from, req),
            (Verb::Create, Some("eviction")) => {
                // The Eviction subresource (pkg/registry/core/pod/storage/eviction.go):
                // with no PodDisruptionBudget in the way, it is a graceful delete.
                let mut req = req;
                req.subresource = None;
                req.body = None;
                self.delete(ctx, from, req)
            }
            (Verb::Get, _) => {
                let key = req.etcd_key();
                self.txn(ctx, from, req, TxnOp::Get { key });
            }
            (Verb::List, _) if req.query.iter().any(|(k, v)| *k == "watch" && v == "true") => {
                if req.detailed {
                    ctx.stage(
                        "watch",
                        format!("{} in {} from resourceVersion on", req.resource.plural, req.namespace),
                        note(
                            "The apiserver keeps the connection open and streams every change (ADDED, MODIFIED, DELETED) \
                             from its watch cache, the same mechanism every controller and kubelet uses."
                                .to_string(),
                            docs::WATCH,
                        ),
                    );
                }
                self.watchers
                    .push((from.clone(), req.resource.plural, req.namespace.clone()));
            }
            (Verb::List, _) => {
                let prefix = list_prefix(&req);
                self.txn(ctx, from, req, TxnOp::List { prefix });
            }
            (Verb::Create, Some("binding")) => self.bind(ctx, from, req),
            (Verb::Create, _) => {
                let Some(body) = req.body.take() else {
                    self.fail(
                        ctx,
                        from,
                        &req,
                        400,
                        "BadRequest",
                        "the body of the request was empty".into(),
                        "decoding",
                    );
                    return;
                };
                self.create(ctx, from, req, Arc::unwrap_or_clone(body));
            }
            (Verb::Update | Verb::Patch, Some("status")) => self.update_status(ctx, from, req),
            (Verb::Update | Verb::Patch, _) => self.update(ctx, from, req),
            (Verb::Delete, _) => self.delete(ctx, from, req),
        }
    }

    /// The object a request is about, as the registry reads it before changing it; answers
    /// 404 NotFound (`pods "x" not found`) when there is none.
    fn stored(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: &Component,
        req: &Request,
        key: &str,
    ) -> Option<super::etcd::KeyValue> {
        let kv = ctx.view.get(key).cloned();
        if kv.is_none() {
            let message = format!("{} \"{}\" not found", req.resource.qualified(), req.name);
            self.fail(ctx, from, req, 404, "NotFound", message, "storage");
        }
        kv
    }

    fn txn(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request, op: TxnOp) {
        // etcd refuses a request larger than its --max-request-bytes with
        // ErrRequestTooLarge; the apiserver passes the error on as a 500 with no reason,
        // which kubectl prints as `Error from server: etcdserver: request is too large`
        // (genericapiserver responsewriters.ErrorToAPIStatus). The size is the key plus the
        // object as JSON, a little more than the protobuf etcd is really sent.
        if let TxnOp::Create { key, value } | TxnOp::Update { key, value, .. } = &op {
            let size = key.len() + json_size(value);
            if size > limits::ETCD_MAX_REQUEST_BYTES {
                let message = "etcdserver: request is too large".to_string();
                self.fail(ctx, from, &req, 500, "", message, "storage");
                return;
            }
        }
        let id = ctx.id();
        self.pending.insert(
            id,
            Pending {
                client: from.clone(),
                request: req,
            },
        );
        ctx.send(Component::Etcd, 1, Msg::Txn(Txn { id, op }));
    }

    fn create(&mut self, ctx: &mut Ctx<'_>, from: &Component, mut req: Request, mut obj: Value) {
        // 3. Decoding, with strict field validation when the client asks for it.
        let strict = req
            .query
            .iter()
            .any(|(k, v)| *k == "fieldValidation" && v == "Strict");
        if strict {
            if let Err(err) = api::decode::strict_decode(&obj) {
                self.fail(
                    ctx,
                    from,
                    &req,
                    400,
                    "BadRequest",
                    err.server_message(),
                    "decoding",
                );
                return;
            }
        }
        if req.resource.namespaced {
            let ns = object::namespace(&obj).to_string();
            if ns.is_empty() {
                object::set_at(&mut obj, "/metadata/namespace", json!(req.namespace));
            } else if ns != req.namespace {
                self.fail(
                    ctx,
                    from,
                    &req,
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request".into(),
                    "decoding",
                );
                return;
            }
        }
        // generateName: the apiserver appends 5 random characters (names.SimpleNameGenerator).
        if object::name(&obj).is_empty() {
            let base = object::str_at(&obj, "/metadata/generateName").to_string();
            if !base.is_empty() {
                let name = format!("{base}{}", ctx.rng.k8s_suffix(5));
                object::set_at(&mut obj, "/metadata/name", json!(name));
            }
        }
        req.name = object::name(&obj).to_string();
        let before = obj.clone();
        api::defaults::apply_defaults(&mut obj);
        if req.detailed {
            ctx.stage(
                "decoding and defaulting",
                format!(
                    "{} decoded{}; defaults set: {}",
                    req.resource.kind,
                    if strict { " with strict field validation" } else { "" },
                    added_fields(&before, &obj)
                ),
                note(
                    "The body is decoded into the Go type of the resource. With fieldValidation=Strict an unknown field is an error, \
                     not silently dropped. Then the defaulting functions fill every field the manifest left out."
                        .to_string(),
                    docs::API_CONCEPTS,
                ),
            );
        }
        // 4. Mutating admission.
        let mut mutations = Vec::new();
        if req.resource.plural == "pods" {
            let sa = match object::str_at(&obj, "/spec/serviceAccountName") {
                "" => "default".to_string(),
                sa => sa.to_string(),
            };
            let ns = req.namespace.clone();
            if ctx
                .view
                .get(&format!("/registry/serviceaccounts/{ns}/{sa}"))
                .is_none()
                && ctx
                    .view
                    .get(&format!("/registry/namespaces/{ns}"))
                    .is_some()
            {
                let message = format!(
                    "pods \"{}\" is forbidden: error looking up service account {ns}/{sa}: serviceaccount \"{sa}\" not found",
                    req.name
                );
                self.fail(
                    ctx,
                    from,
                    &req,
                    403,
                    "Forbidden",
                    message,
                    "mutating admission",
                );
                return;
            }
            let before = obj
                .at("/metadata/annotations/kubernetes.io~1limit-ranger")
                .is_some();
            super::quota::limit_ranger_defaults(ctx.view, &req.namespace, &mut obj);
            if !before
                && obj
                    .at("/metadata/annotations/kubernetes.io~1limit-ranger")
                    .is_some()
            {
                mutations.push(
                    "LimitRanger (default requests and limits from the namespace's LimitRange)",
                );
            }
            api::admission::service_account(&mut obj, ctx.rng);
            mutations.push("ServiceAccount (serviceAccountName, the kube-api-access token volume and its mounts)");
            if let Err(reason) = api::admission::priority(&mut obj) {
                self.fail(
                    ctx,
                    from,
                    &req,
                    403,
                    "Forbidden",
                    reason,
                    "mutating admission",
                );
                return;
            }
            mutations.push("Priority (priority 0, preemptionPolicy PreemptLowerPriority)");
            api::admission::default_toleration_seconds(&mut obj);
            mutations.push("DefaultTolerationSeconds (not-ready and unreachable, 300 s)");
        }
        // The registry's PrepareForCreate.
        object::set_at(&mut obj, "/metadata/uid", json!(ctx.rng.uuid()));
        object::set_at(
            &mut obj,
            "/metadata/creationTimestamp",
            json!(clock::rfc3339(ctx.now)),
        );
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
        }
        match req.resource.plural {
            "pods" => {
                let qos = api::admission::qos_class(&obj);
                obj["status"] = json!({"phase": "Pending", "qosClass": qos});
                // podStrategy.PrepareForCreate: a gated pod says so in PodScheduled.
                let gated = obj
                    .at("/spec/schedulingGates")
                    .and_then(Value::as_array)
                    .is_some_and(|g| !g.is_empty());
                if gated {
                    obj["status"]["conditions"] = json!([{
                        "type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
                        "message": "Scheduling is blocked due to non-empty scheduling gates",
                        "lastProbeTime": null, "lastTransitionTime": clock::rfc3339(ctx.now)}]);
                }
            }
            "deployments" | "replicasets" | "daemonsets" | "jobs" => {
                object::set_at(&mut obj, "/metadata/generation", json!(1));
                obj["status"] = json!({});
                if req.resource.plural == "jobs" {
                    generate_job_selector(&mut obj);
                }
            }
            _ => {}
        }
        if req.detailed && !mutations.is_empty() {
            ctx.stage(
                "mutating admission",
                mutations.join("; "),
                note(
                    "Mutating admission plugins may change the object before it is stored. ServiceAccount mounts an API token, \
                     Priority resolves the priority, DefaultTolerationSeconds adds the two 300 s tolerations that let a pod \
                     survive a short node outage."
                        .to_string(),
                    docs::ADMISSION,
                ),
            );
        }
        // 5. Admission webhooks, validation and validating admission, in order; webhook
        // calls are messages, so the pipeline resumes when each answers.
        let mutating = super::webhook::matching(ctx.view, true, &req);
        let validating = super::webhook::matching(ctx.view, false, &req);
        self.admit(
            ctx,
            Admission {
                client: from.clone(),
                req,
                obj,
                mutating,
                validating,
                next: 0,
                validated: false,
            },
        );
    }

    /// Moves a create through mutating webhooks → validation → built-in validating
    /// admission → validating webhooks → storage, one webhook call at a time.
    fn admit(&mut self, ctx: &mut Ctx<'_>, mut adm: Admission) {
        if adm.next < adm.mutating.len() {
            let hook = adm.mutating[adm.next].clone();
            self.call_webhook(ctx, adm, &hook, true);
            return;
        }
        if !adm.validated {
            let (client, req, obj) = (adm.client.clone(), adm.req.clone(), adm.obj.clone());
            if !self.validate(ctx, &client, &req, &obj) {
                return;
            }
            adm.validated = true;
        }
        let v = adm.next - adm.mutating.len();
        if v < adm.validating.len() {
            let hook = adm.validating[v].clone();
            self.call_webhook(ctx, adm, &hook, false);
            return;
        }
        let Admission {
            client, req, obj, ..
        } = adm;
        // ResourceQuota is the last validating admission plugin.
        if req.resource.plural == "pods" {
            if let Err(problem) = super::quota::resource_quota_check(ctx.view, &req.namespace, &obj)
            {
                let message = format!("pods \"{}\" is forbidden: {problem}", req.name);
                self.fail(
                    ctx,
                    &client,
                    &req,
                    403,
                    "Forbidden",
                    message,
                    "validating admission (ResourceQuota)",
                );
                return;
            }
        }
        let (mut req, mut obj) = (req, obj);
        if req.resource.plural == "services" {
            // The Service REST storage allocates the ClusterIP and NodePorts (and gives
            // them back if the create fails).
            api::defaults::default_service_ip_families(&mut obj);
            let allocations = self
                .allocations
                .get_or_insert_with(super::allocator::Allocations::kubeadm);
            match allocations.allocate_service(&obj, ctx.rng) {
                Ok(allocated) => obj = allocated,
                Err(e) => {
                    let reason = e.reason.clone();
                    self.fail(
                        ctx,
                        &client,
                        &req,
                        e.code,
                        &reason,
                        e.message(),
                        "allocation",
                    );
                    return;
                }
            }
            req.body = Some(Arc::new(obj.clone()));
        }
        let key = req.etcd_key();
        self.txn(
            ctx,
            &client,
            req,
            TxnOp::Create {
                key,
                value: Arc::new(obj),
            },
        );
    }

    fn call_webhook(
        &mut self,
        ctx: &mut Ctx<'_>,
        adm: Admission,
        hook: &super::webhook::Hook,
        mutating: bool,
    ) {
        let id = ctx.id();
        let review = super::webhook::review(ctx, hook, &adm.req, &adm.obj);
        ctx.send(
            Component::Webhook(hook.name.clone()),
            2,
            Msg::Admission(super::webhook::Call {
                id,
                hook: hook.clone(),
                mutating,
                review,
                response: None,
            }),
        );
        self.admissions.insert(id, adm);
    }

    fn webhook_answered(&mut self, ctx: &mut Ctx<'_>, call: super::webhook::Call) {
        let Some(mut adm) = self.admissions.remove(&call.id) else {
            return;
        };
        let response = call.response.unwrap_or(Value::Null);
        if response["allowed"].as_bool() != Some(true) {
            // apiserver/pkg/admission/plugin/webhook/errors: ToStatusErr.
            let code = response["status"]["code"]
                .as_u64()
                .filter(|c| *c >= 400)
                .unwrap_or(400) as u16;
            let reason = match code {
                403 => "Forbidden",
                422 => "Invalid",
                _ => "BadRequest",
            };
            let message = match response["status"]["message"].as_str() {
                Some(m) if !m.is_empty() => format!(
                    "admission webhook \"{}\" denied the request: {m}",
                    call.hook.name
                ),
                _ => format!(
                    "admission webhook \"{}\" denied the request without explanation",
                    call.hook.name
                ),
            };
            let (client, req) = (adm.client.clone(), adm.req.clone());
            self.fail(
                ctx,
                &client,
                &req,
                code,
                reason,
                message,
                if call.mutating {
                    "mutating admission webhook"
                } else {
                    "validating admission webhook"
                },
            );
            return;
        }
        if call.mutating {
            super::webhook::apply_patch(&mut adm.obj, &response);
        }
        if adm.req.detailed {
            ctx.stage(
                if call.mutating {
                    "mutating admission webhook"
                } else {
                    "validating admission webhook"
                },
                format!(
                    "{} allowed the request{}",
                    call.hook.name,
                    if call.mutating && response.get("patch").is_some() {
                        " and patched the object"
                    } else {
                        ""
                    }
                ),
                note(
                    format!(
                        "The webhook {} answered the AdmissionReview: allowed{}.",
                        call.hook.name,
                        if call.mutating && response.get("patch").is_some() {
                            ", with a JSON patch the apiserver applies to the object"
                        } else {
                            ""
                        }
                    ),
                    docs::ADMISSION,
                ),
            );
        }
        adm.next += 1;
        self.admit(ctx, adm);
    }

    /// Validation (422) and the built-in validating admission plugins
    /// (NamespaceLifecycle: 404). Answers the client and returns false on failure.
    fn validate(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: &Component,
        req: &Request,
        obj: &Value,
    ) -> bool {
        // 5. Validation.
        let errors = api::validation::validate(obj);
        if !errors.is_empty() {
            let message = api::validation::server_invalid_message(obj, &errors);
            let causes: Vec<Value> = errors
                .iter()
                .map(|e| json!({"reason": e.error_type.cause_reason(), "message": e.body(), "field": e.field()}))
                .collect();
            let details = json!({"name": req.name, "group": req.resource.group, "kind": req.resource.kind, "causes": causes});
            if req.detailed {
                ctx.stage(
                    "validation",
                    format!("422 Invalid: {message}"),
                    note(
                        format!(
                            "Validation rejects the object: {message}. Nothing is written to etcd."
                        ),
                        docs::API_CONCEPTS,
                    ),
                );
            }
            self.respond(
                ctx,
                from,
                req.id,
                422,
                status(422, "Invalid", &message, details),
            );
            return false;
        }
        if req.detailed {
            ctx.stage(
                "validation",
                format!("{} \"{}\" is valid", req.resource.kind, req.name),
                note(
                    "The object passes the resource's validation: names, required fields, allowed values.".to_string(),
                    docs::API_CONCEPTS,
                ),
            );
        }
        // 6. Validating admission: NamespaceLifecycle.
        if req.resource.namespaced
            && ctx
                .view
                .get(&format!("/registry/namespaces/{}", req.namespace))
                .is_none()
        {
            let message = format!("namespaces \"{}\" not found", req.namespace);
            let details = json!({"name": req.namespace, "kind": "namespaces"});
            if req.detailed {
                ctx.stage(
                    "validating admission",
                    format!("404 NotFound: {message}"),
                    note(
                        format!(
                            "The NamespaceLifecycle admission plugin refuses objects in a namespace that does not exist. \
                             Create it first: kubectl create namespace {}",
                            req.namespace
                        ),
                        docs::ADMISSION,
                    ),
                );
            }
            self.respond(
                ctx,
                from,
                req.id,
                404,
                status(404, "NotFound", &message, details),
            );
            return false;
        }
        if req.resource.plural == "pods" {
            if let Err(problem) = super::quota::limit_ranger_check(ctx.view, &req.namespace, obj) {
                let message = format!("pods \"{}\" is forbidden: {problem}", req.name);
                self.fail(
                    ctx,
                    from,
                    req,
                    403,
                    "Forbidden",
                    message,
                    "validating admission (LimitRanger)",
                );
                return false;
            }
        }
        if req.detailed {
            ctx.stage(
                "validating admission",
                "NamespaceLifecycle: namespace is Active; LimitRanger: within limits; PodSecurity: privileged (no enforce label)",
                note(
                    "Validating admission plugins may only accept or reject. None objects, so the object can be stored.".to_string(),
                    docs::ADMISSION,
                ),
            );
        }
        true
    }

    /// `GET pods/NAME/log`: the registry checks the container (LogLocation in
    /// pkg/registry/core/pod/strategy.go), then the apiserver proxies to the kubelet.
    fn logs(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request) {
        let Some(kv) = ctx.view.get(&req.etcd_key()) else {
            let message = format!("pods \"{}\" not found", req.name);
            self.fail(ctx, from, &req, 404, "NotFound", message, "storage");
            return;
        };
        let pod = kv.value.clone();
        let names: Vec<String> = pod
            .at("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| object::str_at(c, "/name").to_string())
            .collect();
        let asked = req
            .query
            .iter()
            .find(|(k, _)| *k == "container")
            .map(|(_, v)| v.clone());
        let container = match (asked, names.as_slice()) {
            (Some(c), _) => c,
            (None, [one]) => one.clone(),
            (None, many) => {
                let message = format!(
                    "a container name must be specified for pod {}, choose one of: [{}]",
                    req.name,
                    many.join(" ")
                );
                self.fail(ctx, from, &req, 400, "BadRequest", message, "storage");
                return;
            }
        };
        if !names.contains(&container) {
            let message = format!("container {container} is not valid for pod {}", req.name);
            self.fail(ctx, from, &req, 400, "BadRequest", message, "storage");
            return;
        }
        let status = pod
            .at("/status/containerStatuses")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| object::str_at(c, "/name") == container))
            .cloned();
        let waiting = match &status {
            None => Some("ContainerCreating".to_string()),
            Some(s)
                if crate::sim::object::at(s, "/state/waiting").is_some()
                    && crate::sim::object::at(s, "/lastState/terminated").is_none() =>
            {
                Some(object::str_at(s, "/state/waiting/reason").to_string())
            }
            _ => None,
        };
        if let Some(reason) = waiting {
            let message = format!(
                "container \"{container}\" in pod \"{}\" is waiting to start: {reason}",
                req.name
            );
            self.fail(ctx, from, &req, 400, "BadRequest", message, "storage");
            return;
        }
        let node = object::str_at(&pod, "/spec/nodeName").to_string();
        let id = ctx.id();
        self.proxied.insert(id, (from.clone(), req.id));
        let mut forwarded = req;
        forwarded.id = id;
        forwarded.query = vec![("container", container)];
        ctx.send(Component::Kubelet(node), 1, Msg::Request(forwarded));
    }

    /// `POST pods/NAME/exec`: the apiserver checks the pod and container, then proxies the
    /// stream to the kubelet on the pod's node, as for logs.
    fn exec(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request) {
        let Some(kv) = ctx.view.get(&req.etcd_key()) else {
            let message = format!("pods \"{}\" not found", req.name);
            self.fail(ctx, from, &req, 404, "NotFound", message, "storage");
            return;
        };
        let pod = kv.value.clone();
        let container = req
            .query
            .iter()
            .find(|(k, _)| *k == "container")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| object::str_at(&pod, "/spec/containers/0/name").to_string());
        let running = pod
            .at("/status/containerStatuses")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    object::str_at(c, "/name") == container
                        && crate::sim::object::at(c, "/state/running").is_some()
                })
            });
        if !running {
            // pkg/kubelet/server: the kubelet cannot find a running container to exec in.
            let message =
                format!("unable to upgrade connection: container not found (\"{container}\")");
            self.fail(ctx, from, &req, 400, "BadRequest", message, "storage");
            return;
        }
        let node = object::str_at(&pod, "/spec/nodeName").to_string();
        let id = ctx.id();
        self.proxied.insert(id, (from.clone(), req.id));
        let mut forwarded = req;
        forwarded.id = id;
        forwarded.query.retain(|(k, _)| *k != "container");
        forwarded.query.push(("container", container));
        ctx.send(Component::Kubelet(node), 1, Msg::Request(forwarded));
    }

    fn bind(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request) {
        let key = req.etcd_key();
        let Some(kv) = self.stored(ctx, from, &req, &key) else {
            return;
        };
        let node = req
            .body
            .as_ref()
            .map(|b| object::str_at(b, "/target/name").to_string())
            .unwrap_or_default();
        let mut pod = (*kv.value).clone();
        if !object::str_at(&pod, "/spec/nodeName").is_empty() {
            let message = format!(
                "Operation cannot be fulfilled on pods/binding \"{}\": pod {} is already assigned to node \"{}\"",
                req.name,
                req.name,
                object::str_at(&pod, "/spec/nodeName")
            );
            self.fail(ctx, from, &req, 409, "Conflict", message, "storage");
            return;
        }
        // pkg/registry/core/pod/storage: assignPod sets spec.nodeName and PodScheduled=True.
        object::set_at(&mut pod, "/spec/nodeName", json!(node));
        set_condition(
            &mut pod,
            json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null,
                   "lastTransitionTime": clock::rfc3339(ctx.now)}),
        );
        let expected = Some(kv.mod_revision);
        self.txn(
            ctx,
            from,
            req,
            TxnOp::Update {
                key,
                value: Arc::new(pod),
                expected,
            },
        );
    }

    fn update_status(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request) {
        let key = req.etcd_key();
        let Some(kv) = self.stored(ctx, from, &req, &key) else {
            return;
        };
        let mut obj = (*kv.value).clone();
        if let Some(status) = req.body.as_ref().and_then(|b| b.get("status")) {
            obj["status"] = status.clone();
        }
        self.txn(
            ctx,
            from,
            req,
            TxnOp::Update {
                key,
                value: Arc::new(obj),
                expected: None,
            },
        );
    }

    fn update(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request) {
        let key = req.etcd_key();
        let Some(kv) = self.stored(ctx, from, &req, &key) else {
            return;
        };
        let old = (*kv.value).clone();
        let Some(patch) = req.body.clone() else {
            self.fail(
                ctx,
                from,
                &req,
                400,
                "BadRequest",
                "the body of the request was empty".into(),
                "decoding",
            );
            return;
        };
        let mut obj = old.clone();
        merge(&mut obj, &patch);
        // The storage layer never stores resourceVersion (it is the key's mod_revision).
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
        }
        // metadata.generation counts spec changes (the apps and batch registry strategies).
        if req.resource.plural != "pods" && old.get("spec") != obj.get("spec") {
            if let Some(generation) =
                crate::sim::object::at(&old, "/metadata/generation").and_then(Value::as_i64)
            {
                object::set_at(&mut obj, "/metadata/generation", json!(generation + 1));
            }
        }
        if req.resource.plural == "pods" {
            // Pod specs are immutable but for a few fields (pkg/apis/core/validation:
            // ValidatePodUpdate).
            let mut old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
            let mut new_spec = obj.get("spec").cloned().unwrap_or(Value::Null);
            for spec in [&mut old_spec, &mut new_spec] {
                for list in ["containers", "initContainers"] {
                    if let Some(items) = spec.get_mut(list).and_then(Value::as_array_mut) {
                        for c in items {
                            if let Some(c) = c.as_object_mut() {
                                c.remove("image");
                            }
                        }
                    }
                }
                if let Some(s) = spec.as_object_mut() {
                    s.remove("activeDeadlineSeconds");
                    s.remove("tolerations");
                }
            }
            if old_spec != new_spec {
                let message = format!(
                    "Pod \"{}\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
                    req.name
                );
                let details = json!({"name": req.name, "kind": "Pod",
                    "causes": [{"reason": "FieldValueForbidden", "message": "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)", "field": "spec"}]});
                if req.detailed {
                    ctx.stage("validation", format!("422 Invalid: {message}"), note(
                        "A Pod's spec cannot be changed once it exists, except its images and a few scheduling fields. \
                         Delete the pod and create it again, or let a Deployment roll it."
                            .to_string(),
                        docs::POD_LIFECYCLE,
                    ));
                }
                self.respond(
                    ctx,
                    from,
                    req.id,
                    422,
                    status(422, "Invalid", &message, details),
                );
                return;
            }
        }
        let expected = Some(kv.mod_revision);
        self.txn(
            ctx,
            from,
            req,
            TxnOp::Update {
                key,
                value: Arc::new(obj),
                expected,
            },
        );
    }

    fn delete(&mut self, ctx: &mut Ctx<'_>, from: &Component, req: Request) {
        let key = req.etcd_key();
        let Some(kv) = self.stored(ctx, from, &req, &key) else {
            return;
        };
        let grace = req
            .body
            .as_ref()
            .and_then(|b| b.get("gracePeriodSeconds"))
            .and_then(Value::as_i64);
        let pod = kv.value.as_ref();
        let bound = !object::str_at(pod, "/spec/nodeName").is_empty();
        let terminal = matches!(object::str_at(pod, "/status/phase"), "Succeeded" | "Failed");
        if req.resource.plural == "pods" && bound && !terminal && grace != Some(0) {
            // Graceful deletion (pkg/registry/rest/delete.go BeforeDelete): set
            // deletionTimestamp = now + grace and let the kubelet stop the containers.
            if crate::sim::object::at(pod, "/metadata/deletionTimestamp").is_some() {
                let body = api_object(&kv);
                self.respond(ctx, from, req.id, 200, body);
                return;
            }
            let grace = grace
                .or_else(|| {
                    crate::sim::object::at(pod, "/spec/terminationGracePeriodSeconds")
                        .and_then(Value::as_i64)
                })
                .unwrap_or(30)
                .max(0);
            let mut obj = pod.clone();
            object::set_at(
                &mut obj,
                "/metadata/deletionTimestamp",
                json!(clock::rfc3339(ctx.now + grace as u64 * 1000)),
            );
            object::set_at(
                &mut obj,
                "/metadata/deletionGracePeriodSeconds",
                json!(grace),
            );
            let expected = Some(kv.mod_revision);
            self.txn(
                ctx,
                from,
                req,
                TxnOp::Update {
                    key,
                    value: Arc::new(obj),
                    expected,
                },
            );
        } else {
            self.txn(ctx, from, req, TxnOp::Delete { key });
        }
    }

    fn txn_result(&mut self, ctx: &mut Ctx<'_>, result: TxnResult) {
        let Some(Pending {
            client,
            request: req,
        }) = self.pending.remove(&result.id)
        else {
            return;
        };
        match result.result {
            Err(TxnError::AlreadyExists) => {
                if let (Some(a), Some(svc)) = (self.allocations.as_mut(), req.body.as_ref()) {
                    if req.resource.plural == "services" {
                        a.release_service(svc);
                    }
                }
                let message = format!(
                    "{} \"{}\" already exists",
                    req.resource.qualified(),
                    req.name
                );
                let details = json!({"name": req.name, "group": req.resource.group, "kind": req.resource.plural});
                self.respond(
                    ctx,
                    &client,
                    req.id,
                    409,
                    status(409, "AlreadyExists", &message, details),
                );
            }
            Err(TxnError::NotFound) => {
                let message = format!("{} \"{}\" not found", req.resource.qualified(), req.name);
                let details = json!({"name": req.name, "group": req.resource.group, "kind": req.resource.plural});
                self.respond(
                    ctx,
                    &client,
                    req.id,
                    404,
                    status(404, "NotFound", &message, details),
                );
            }
            Err(TxnError::Conflict) => {
                let message = format!(
                    "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                    req.resource.qualified(),
                    req.name
                );
                let details = json!({"name": req.name, "group": req.resource.group, "kind": req.resource.plural});
                self.respond(
                    ctx,
                    &client,
                    req.id,
                    409,
                    status(409, "Conflict", &message, details),
                );
            }
            Ok(ok) => {
                let body = match req.verb {
                    Verb::List => {
                        let items: Vec<Value> =
                            ok.kvs.iter().map(|(_, kv)| api_object(kv)).collect();
                        Arc::new(
                            json!({"kind": format!("{}List", req.resource.kind), "apiVersion": req.resource.api_version(),
                               "metadata": {"resourceVersion": ok.revision.to_string()}, "items": items}),
                        )
                    }
                    Verb::Delete if ok.kvs.is_empty() => {
                        let previous = ok.previous.as_ref().map(api_object).unwrap_or(Value::Null);
                        if req.resource.plural == "services" {
                            if let Some(a) = self.allocations.as_mut() {
                                a.release_service(&previous);
                            }
                        }
                        // The response and every watch event share one object.
                        let previous = Arc::new(previous);
                        self.fan_out(
                            ctx,
                            &req.resource,
                            EventType::Deleted,
                            previous.clone(),
                            ok.previous.as_ref().map(|kv| kv.value.clone()),
                        );
                        previous
                    }
                    _ => match ok.kvs.first() {
                        Some((_, kv)) => {
                            let obj = api_shared(kv);
                            if !matches!(req.verb, Verb::Get) {
                                let kind = if kv.version == 1 {
                                    EventType::Added
                                } else {
                                    EventType::Modified
                                };
                                let previous = ok.previous.as_ref().map(|p| p.value.clone());
                                self.fan_out(ctx, &req.resource, kind, obj.clone(), previous);
                            }
                            obj
                        }
                        None => Arc::new(Value::Null),
                    },
                };
                let code = match (req.verb, req.subresource) {
                    (Verb::Create, _) => 201,
                    _ => 200,
                };
                self.respond(ctx, &client, req.id, code, body);
            }
        }
    }

    /// Delivers a watch event to each informer that acts on it. A real informer also
    /// receives events it then ignores (a kubelet sees its own status writes come back);
    /// podflow shows only the deliveries that lead somewhere, to keep the flow readable.
    fn fan_out(
        &mut self,
        ctx: &mut Ctx<'_>,
        resource: &Resource,
        kind: EventType,
        obj: Arc<Value>,
        previous: Option<Arc<Value>>,
    ) {
        // One object for every watcher: the events (and the steps showing them) share it.
        let shared = obj.clone();
        // Clients' own watches (`kubectl get -w`, `kubectl rollout status`) see every change.
        for (client, plural, namespace) in &self.watchers {
            if *plural == resource.plural
                && (namespace.is_empty() || namespace == object::namespace(&obj))
            {
                ctx.send(
                    client.clone(),
                    3,
                    Msg::Watch(WatchEvent {
                        kind,
                        resource: *resource,
                        object: shared.clone(),
                    }),
                );
            }
        }
        let watch = |_: &Value| {
            Msg::Watch(WatchEvent {
                kind,
                resource: *resource,
                object: shared.clone(),
            })
        };
        // Whether anything but the status changed (a controller's own status writes come
        // back to it, and it ignores them).
        let spec_or_metadata_changed = match (&kind, &previous) {
            (EventType::Modified, Some(prev)) => {
                prev.get("spec") != obj.get("spec")
                    || !same_metadata(prev.get("metadata"), obj.get("metadata"))
            }
            _ => true,
        };
        match resource.plural {
            // kube-controller-manager's informers (see controllers::keys_for).
            "deployments" | "jobs" | "daemonsets" if spec_or_metadata_changed => {
                ctx.send(Component::ControllerManager, 2, watch(&obj));
            }
            "replicasets" => ctx.send(Component::ControllerManager, 2, watch(&obj)),
            "services" | "endpointslices" => {
                if resource.plural == "services" && spec_or_metadata_changed {
                    // The EndpointSlice controller.
                    ctx.send(Component::ControllerManager, 2, watch(&obj));
                }
                // kube-proxy on every node.
                for node in &ctx.cluster.nodes {
                    ctx.send(Component::KubeProxy(node.name.clone()), 2, watch(&obj));
                }
                return;
            }
            "nodes" => {
                // The DaemonSet controller watches nodes (when there are DaemonSets).
                let daemonsets = ctx.view.range("/registry/daemonsets/").next().is_some();
                let relevant = match &previous {
                    Some(prev) => {
                        crate::sim::object::at(prev, "/metadata/labels")
                            != crate::sim::object::at(&obj, "/metadata/labels")
                            || prev.get("spec") != obj.get("spec")
                    }
                    None => true,
                };
                if daemonsets && relevant {
                    ctx.send(Component::ControllerManager, 2, watch(&obj));
                }
            }
            "pods" => {
                // The ReplicaSet, Job and DaemonSet controllers watch the pods they own,
                // the EndpointSlice controller the pods Services select; they act on pods
                // appearing, going, and changing phase, readiness, IP, node or deletion.
                let concerned = super::controllers::controller_ref(&obj).is_some()
                    || !super::controllers::services_selecting(ctx, &obj).is_empty();
                let changed = match (&kind, &previous) {
                    (EventType::Modified, Some(prev)) => {
                        [
                            "/status/phase",
                            "/status/podIP",
                            "/metadata/deletionTimestamp",
                            "/spec/nodeName",
                        ]
                        .iter()
                        .any(|p| crate::sim::object::at(prev, p) != crate::sim::object::at(&obj, p))
                            || super::controllers::is_ready(prev)
                                != super::controllers::is_ready(&obj)
                    }
                    _ => true,
                };
                if concerned && changed {
                    ctx.send(Component::ControllerManager, 2, watch(&obj));
                }
            }
            _ => {}
        }
        if resource.plural == "namespaces" && kind == EventType::Added {
            // The ServiceAccount controller and root-ca-cert-publisher watch namespaces.
            ctx.send(
                Component::ControllerManager,
                2,
                Msg::Watch(WatchEvent {
                    kind,
                    resource: *resource,
                    object: obj,
                }),
            );
            return;
        }
        if resource.plural == "nodes" {
            // kube-scheduler's node informer: a changed node may fit pods that did not.
            ctx.send(
                Component::Scheduler,
                2,
                Msg::Watch(WatchEvent {
                    kind,
                    resource: *resource,
                    object: obj,
                }),
            );
            return;
        }
        if resource.plural != "pods" {
            return;
        }
        let node = object::str_at(&obj, "/spec/nodeName").to_string();
        if !node.is_empty() && kind == EventType::Deleted {
            // The scheduler's cache of assigned pods: freed room may fit a pending pod.
            ctx.send(
                Component::Scheduler,
                2,
                Msg::Watch(WatchEvent {
                    kind,
                    resource: *resource,
                    object: obj.clone(),
                }),
            );
        }
        let event = |o: &Arc<Value>| {
            Msg::Watch(WatchEvent {
                kind,
                resource: *resource,
                object: Arc::clone(o),
            })
        };
        if node.is_empty() {
            // kube-scheduler's informer for unassigned pods (fieldSelector spec.nodeName=).
            let ours = matches!(
                object::str_at(&obj, "/spec/schedulerName"),
                "" | "default-scheduler"
            );
            if ours
                && kind == EventType::Added
                && crate::sim::object::at(&obj, "/metadata/deletionTimestamp").is_none()
            {
                ctx.send(Component::Scheduler, 2, event(&obj));
            }
            return;
        }
        if !ctx.cluster.nodes.iter().any(|n| n.name == node) {
            // No kubelet watches for a node that does not exist.
            return;
        }
        // The kubelet's informer (fieldSelector spec.nodeName=<node>) acts on new pods,
        // on spec or metadata changes and on deletion; status-only changes are its own.
        // A pod that starts matching the kubelet's field selector is ADDED to that watch.
        let newly_bound = previous
            .as_ref()
            .is_some_and(|p| object::str_at(p, "/spec/nodeName") != node);
        let kind = if newly_bound && kind == EventType::Modified {
            EventType::Added
        } else {
            kind
        };
        let event = |o: &Arc<Value>| {
            Msg::Watch(WatchEvent {
                kind,
                resource: *resource,
                object: Arc::clone(o),
            })
        };
        let acts = match (&kind, &previous) {
            (EventType::Added | EventType::Deleted, _) => true,
            (EventType::Modified, Some(prev)) => {
                prev.get("spec") != obj.get("spec")
                    || !same_metadata(prev.get("metadata"), obj.get("metadata"))
            }
            (EventType::Modified, None) => true,
        };
        if acts {
            ctx.send(Component::Kubelet(node), 2, event(&obj));
        }
    }
}

/// The Job registry's generateSelector (pkg/registry/batch/job/strategy.go): unless
/// `manualSelector` is true, the Job selects its pods by its own uid, and the template's
/// labels gain the uid and the Job's name, in both the legacy and the prefixed form.
fn generate_job_selector(job: &mut Value) {
    if crate::sim::object::at(job, "/spec/manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let uid = object::str_at(job, "/metadata/uid").to_string();
    let name = object::name(job).to_string();
    for (key, value) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        super::controllers::set_entry(job, "/spec/template/metadata/labels", key, json!(value));
    }
    object::set_at(
        job,
        "/spec/selector",
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
    );
}

/// Whether two objects' metadata are equal but for `resourceVersion`, compared in place.
fn same_metadata(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            fn fields(
                m: &serde_json::Map<String, Value>,
            ) -> impl Iterator<Item = (&String, &Value)> {
                m.iter().filter(|(k, _)| k.as_str() != "resourceVersion")
            }
            fields(a).eq(fields(b))
        }
        (a, b) => a == b,
    }
}

fn authenticated(ctx: &Ctx<'_>, who: &Identity) -> bool {
    ctx.cluster.users.iter().any(|u| u.name == who.user)
        || who.user.starts_with("system:node:")
        || who.user.starts_with("system:serviceaccount:")
        || matches!(who.user.as_str(), "system:kube-scheduler" | "system:kube-controller-manager")
        // Impersonated users: the admin's certificate authenticated, the request acts as them.
        || who.groups.iter().any(|g| g == "system:authenticated")
}

fn list_prefix(req: &Request) -> String {
    super::etcd::key_for(
        req.resource.plural,
        if req.resource.namespaced {
            &req.namespace
        } else {
            ""
        },
        "",
    )
}

/// Sets (replacing by type) a pod condition, keeping the kubelet's order.
pub fn set_condition(pod: &mut Value, condition: Value) {
    let kind = object::str_at(&condition, "/type").to_string();
    let conditions = pod
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut);
    match conditions {
        Some(list) => {
            if let Some(existing) = list.iter_mut().find(|c| object::str_at(c, "/type") == kind) {
                *existing = condition;
            } else {
                list.push(condition);
            }
        }
        None => object::set_at(pod, "/status/conditions", json!([condition])),
    }
}

/// A strategic merge patch, as kubectl apply sends for built-in types: objects merge,
/// `null` deletes, lists of objects with a merge key (containers and volumes by `name`,
/// ports by `containerPort`, mounts by `mountPath`) merge item by item, other lists replace.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if merge_key(p).is_some() => {
            let key = merge_key(p).unwrap_or("name");
            let mut merged = Vec::new();
            for item in p {
                let id = &item[key];
                match t.iter().find(|old| &old[key] == id) {
                    Some(old) => {
                        let mut old = old.clone();
                        merge(&mut old, item);
                        merged.push(old);
                    }
                    None => merged.push(item.clone()),
                }
            }
            *t = merged;
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// The patchMergeKey of a list, recognised by what its items carry.
fn merge_key(items: &[Value]) -> Option<&'static str> {
    ["name", "containerPort", "mountPath"]
        .into_iter()
        .find(|key| !items.is_empty() && items.iter().all(|i| i.get(*key).is_some()))
}

/// The paths the defaulting functions added, for the narration (`spec.dnsPolicy`, ...).
fn added_fields(before: &Value, after: &Value) -> String {
    let mut added = Vec::new();
    collect_added("", before, after, &mut added);
    if added.is_empty() {
        return "none".to_string();
    }
    let shown: Vec<&str> = added.iter().take(12).map(String::as_str).collect();
    let mut text = shown.join(", ");
    if added.len() > shown.len() {
        text.push_str(&format!(" and {} more", added.len() - shown.len()));
    }
    text
}

fn collect_added(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, v) in a {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    None => out.push(p),
                    Some(bv) => collect_added(&p, bv, v, out),
                }
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                collect_added(&format!("{path}[{i}]"), bv, av, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_size_is_the_compact_text_length() {
        for v in [
            json!(null),
            json!({"a": [1, -2, 3.5, true, false, null], "b": {"c": "x\"y\\z\n\t\u{1}é"}}),
            json!([]),
            json!({}),
            json!({"k\u{1f}": "🙂", "n": 18446744073709551615u64, "f": 1e-7}),
        ] {
            assert_eq!(
                json_size(&v),
                serde_json::to_string(&v).unwrap().len(),
                "{v}"
            );
        }
    }

    #[test]
    fn merge_patch() {
        let mut a = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": 1}});
        merge(
            &mut a,
            &json!({"metadata": {"labels": {"b": null, "c": "3"}}, "spec": {"x": 2}}),
        );
        assert_eq!(
            a,
            json!({"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"x": 2}})
        );
    }

    #[test]
    fn conditions_replace_by_type() {
        let mut pod = json!({});
        set_condition(&mut pod, json!({"type": "PodScheduled", "status": "False"}));
        set_condition(&mut pod, json!({"type": "Ready", "status": "False"}));
        set_condition(&mut pod, json!({"type": "PodScheduled", "status": "True"}));
        assert_eq!(pod["status"]["conditions"][0]["status"], "True");
        assert_eq!(pod["status"]["conditions"].as_array().unwrap().len(), 2);
    }
}
