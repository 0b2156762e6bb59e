//! Admission webhooks: the Mutating- and ValidatingWebhookConfigurations in the cluster,
//! the AdmissionReview kube-apiserver sends to each matching webhook, and what the webhook
//! answers.
//!
//! podflow runs no webhook servers, so a configuration declares what its webhooks do with
//! annotations (they keep it valid Kubernetes):
//!
//! | annotation | effect |
//! |---|---|
//! | `podflow.dev/deny-image-tag: "latest"` | deny pods with a container image tagged `:latest` or untagged |
//! | `podflow.dev/add-labels: "team=payments,env=dev"` | (mutating) add these labels with a JSON patch |
//! | `podflow.dev/deny: "no pods on Fridays"` | deny every request the webhook matches, with this message |
//! | `podflow.dev/status-code: "403"` | the HTTP code of a denial (default 400, as upstream when a webhook sets none) |
//!
//! Without them, a webhook allows everything. Webhooks are called in the order of their
//! configurations' names, then of the webhooks in each (as upstream sorts them).

use crate::sim::object::At;
use serde_json::{json, Value};

use super::engine::{Ctx, Msg, Request, Verb};
use super::etcd::Snapshot;
use super::narrate::{docs, note, Described};
use super::object;
use super::trace::{Category, Component};

/// One webhook of a configuration, with what it was declared to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub configuration: String,
    pub name: String,
    /// `https://<service>.<namespace>.svc:443/<path>` or the configured URL.
    pub url: String,
    /// The configuration's annotations (the declared behaviour).
    pub behaviour: Value,
}

/// An AdmissionReview on its way to a webhook (`response: None`) or back.
#[derive(Clone, Debug)]
pub struct Call {
    pub id: u64,
    pub hook: Hook,
    pub mutating: bool,
    pub review: Value,
    pub response: Option<Value>,
}

fn operation(verb: Verb) -> &'static str {
    match verb {
        Verb::Create => "CREATE",
        Verb::Update | Verb::Patch => "UPDATE",
        Verb::Delete => "DELETE",
        _ => "CONNECT",
    }
}

fn listed(rule: &Value, field: &str, wanted: &str) -> bool {
    rule.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|v| v == "*" || v == wanted)
}

/// The webhooks of the cluster's configurations whose rules match the request.
pub fn matching(view: &Snapshot, mutating: bool, req: &Request) -> Vec<Hook> {
    let prefix = if mutating {
        "/registry/mutatingwebhookconfigurations/"
    } else {
        "/registry/validatingwebhookconfigurations/"
    };
    let mut hooks = Vec::new();
    for (_, kv) in view.range(prefix) {
        let config = kv.value.as_ref();
        for webhook in config
            .get("webhooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let matches = webhook
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|rule| {
                    listed(rule, "operations", operation(req.verb))
                        && listed(rule, "apiGroups", req.resource.group)
                        && listed(rule, "apiVersions", req.resource.version)
                        && listed(rule, "resources", req.resource.plural)
                });
            if !matches {
                continue;
            }
            let url = match webhook.at("/clientConfig/url").and_then(Value::as_str) {
                Some(url) => url.to_string(),
                None => format!(
                    "https://{}.{}.svc:{}{}",
                    object::str_at(webhook, "/clientConfig/service/name"),
                    object::str_at(webhook, "/clientConfig/service/namespace"),
                    webhook
                        .at("/clientConfig/service/port")
                        .and_then(Value::as_u64)
                        .unwrap_or(443),
                    object::str_at(webhook, "/clientConfig/service/path")
                ),
            };
            hooks.push(Hook {
                configuration: object::name(config).to_string(),
                name: object::str_at(webhook, "/name").to_string(),
                url,
                behaviour: config
                    .at("/metadata/annotations")
                    .cloned()
                    .unwrap_or(Value::Null),
            });
        }
    }
    hooks
}

/// The `admission.k8s.io/v1` AdmissionReview the apiserver POSTs.
pub fn review(ctx: &mut Ctx<'_>, hook: &Hook, req: &Request, obj: &Value) -> Value {
    let _ = hook;
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": ctx.rng.uuid(),
            "kind": {"group": req.resource.group, "version": req.resource.version, "kind": req.resource.kind},
            "resource": {"group": req.resource.group, "version": req.resource.version, "resource": req.resource.plural},
            "namespace": req.namespace,
            "name": object::name(obj),
            "operation": operation(req.verb),
            "userInfo": {"username": req.identity.user, "groups": req.identity.groups},
            "object": obj,
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        }
    })
}

/// The webhook answers according to its declared behaviour.
pub fn handle(ctx: &mut Ctx<'_>, from: &Component, mut call: Call) {
    let request = &call.review["request"];
    let uid = request["uid"].clone();
    let obj = &request["object"];
    let behaviour = &call.hook.behaviour;
    let annotation = |key: &str| {
        behaviour
            .get(format!("podflow.dev/{key}"))
            .and_then(Value::as_str)
    };
    let code: u64 = annotation("status-code")
        .and_then(|c| c.parse().ok())
        .unwrap_or(400);
    let mut response = json!({"uid": uid, "allowed": true});
    if let Some(tag) = annotation("deny-image-tag") {
        let offending: Vec<String> = containers(obj)
            .filter(|image| image_tag(image) == tag)
            .collect();
        if !offending.is_empty() {
            response = json!({"uid": uid, "allowed": false, "status": {"code": code,
                "message": format!("image tag \"{tag}\" is not allowed: {}", offending.join(", "))}});
        }
    }
    if let Some(message) = annotation("deny") {
        response =
            json!({"uid": uid, "allowed": false, "status": {"code": code, "message": message}});
    }
    if call.mutating && response["allowed"] == true {
        if let Some(labels) = annotation("add-labels") {
            let mut ops = Vec::new();
            if obj.at("/metadata/labels").is_none() {
                ops.push(json!({"op": "add", "path": "/metadata/labels", "value": {}}));
            }
            for pair in labels.split(',').filter(|p| !p.trim().is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                ops.push(json!({"op": "add", "path": format!("/metadata/labels/{}", k.trim().replace('~', "~0").replace('/', "~1")), "value": v.trim()}));
            }
            let patch = serde_json::to_string(&ops).unwrap_or_default();
            response["patchType"] = json!("JSONPatch");
            response["patch"] = json!(base64(patch.as_bytes()));
        }
    }
    call.response = Some(response);
    ctx.send(from.clone(), 3, Msg::Admission(call));
}

fn containers(obj: &Value) -> impl Iterator<Item = String> + '_ {
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(move |list| {
            obj.at(&format!("/spec/{list}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| object::str_at(c, "/image").to_string())
        })
}

/// The tag of an image reference, `latest` when there is none (and no digest).
fn image_tag(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag,
        None if image.contains('@') => "",
        None => "latest",
    }
}

/// Applies a mutating webhook's JSON patch (`add`/`replace`/`remove` on object paths).
pub fn apply_patch(obj: &mut Value, response: &Value) {
    let Some(encoded) = response["patch"].as_str() else {
        return;
    };
    let Some(bytes) = unbase64(encoded) else {
        return;
    };
    let Ok(ops) = serde_json::from_slice::<Vec<Value>>(&bytes) else {
        return;
    };
    for op in ops {
        let path = object::str_at(&op, "/path").to_string();
        match object::str_at(&op, "/op") {
            "add" | "replace" => {
                let (parent, key) = path.rsplit_once('/').unwrap_or(("", &path));
                let key = key.replace("~1", "/").replace("~0", "~");
                if let Some(target) = obj.pointer_mut(parent).and_then(Value::as_object_mut) {
                    target.insert(key, op["value"].clone());
                }
            }
            "remove" => {
                let (parent, key) = path.rsplit_once('/').unwrap_or(("", &path));
                let key = key.replace("~1", "/").replace("~0", "~");
                if let Some(target) = obj.pointer_mut(parent).and_then(Value::as_object_mut) {
                    target.remove(&key);
                }
            }
            _ => {}
        }
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (the `patch` field of an AdmissionResponse).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|b| *b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn describe(from: &Component, to: &Component, call: &Call) -> Described {
    let kind = if call.mutating {
        "MutatingAdmissionWebhook"
    } else {
        "ValidatingAdmissionWebhook"
    };
    match &call.response {
        None => Described {
            category: Category::Request,
            label: format!("POST {} AdmissionReview", call.hook.url),
            summary: format!("{kind}: ask {} about {}", call.hook.name, object::str_at(&call.review, "/request/name")),
            payload: Some(super::trace::Payload::Json(std::sync::Arc::new(call.review.clone()))),
            narration: note(
                format!(
                    "The {kind} admission plugin finds that webhook {} (configuration {}) matches this request, so \
                     kube-apiserver sends it an AdmissionReview and waits for the answer.",
                    call.hook.name, call.hook.configuration
                ),
                docs::ADMISSION,
            ),
        },
        Some(response) => {
            let allowed = response["allowed"] == true;
            let message = response.at("/status/message").and_then(Value::as_str).unwrap_or("");
            Described {
                category: Category::Response,
                label: format!("AdmissionReview allowed={allowed}"),
                summary: if allowed {
                    if response.get("patch").is_some() {
                        "allowed, with a JSON patch".into()
                    } else {
                        "allowed".into()
                    }
                } else {
                    message.to_string()
                },
                payload: {
                    let mut shown = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response});
                    if let Some(decoded) = response["patch"].as_str().and_then(unbase64) {
                        shown["patch (decoded)"] = serde_json::from_slice(&decoded).unwrap_or(Value::Null);
                    }
                    Some(super::trace::Payload::Json(std::sync::Arc::new(shown)))
                },
                narration: note(
                    if allowed {
                        format!("{from} allows the request{}.", if response.get("patch").is_some() { " and returns a JSON patch to apply" } else { "" })
                    } else {
                        format!("{from} denies the request: {message}. The apiserver stops here and tells {to} why.")
                    },
                    docs::ADMISSION,
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_reference_vectors() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(unbase64("Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(unbase64("Zm8=").unwrap(), b"fo");
    }

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("nginx:latest"), "latest");
        assert_eq!(image_tag("nginx:1.27"), "1.27");
        assert_eq!(image_tag("host:5000/app"), "latest");
        assert_eq!(image_tag("host:5000/app:v2"), "v2");
        assert_eq!(image_tag("nginx@sha256:abc"), "");
    }

    #[test]
    fn json_patch_adds_labels() {
        let mut pod = json!({"metadata": {"name": "x"}});
        let ops = r#"[{"op":"add","path":"/metadata/labels","value":{}},{"op":"add","path":"/metadata/labels/team","value":"payments"}]"#;
        apply_patch(&mut pod, &json!({"patch": base64(ops.as_bytes())}));
        assert_eq!(pod["metadata"]["labels"]["team"], "payments");
    }
}
