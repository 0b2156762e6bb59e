//! An event recorder as client-go's EventRecorder with its correlator: the first
//! occurrence of an event is POSTed, an identical one (same object, reason and message)
//! is PATCHed with `count + 1` and a new `lastTimestamp`, which is what `kubectl describe`
//! shows as `(x3 over 2m)`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::clock;
use super::engine::{resource_named, Ctx, Identity, Msg, Request, Verb};
use super::kubectl::print::{new_event, EventSpec};
use super::object;
use super::trace::Component;

#[derive(Default)]
pub struct Recorder {
    /// (involved uid, reason, message) → (namespace, event name, count).
    seen: BTreeMap<(String, String, String), (String, String, u64)>,
    seq: u32,
}

impl Recorder {
    pub fn record(
        &mut self,
        ctx: &mut Ctx<'_>,
        identity: &Identity,
        involved: &Value,
        spec: &EventSpec<'_>,
    ) {
        let uid = object::str_at(involved, "/metadata/uid").to_string();
        let key = (uid, spec.reason.to_string(), spec.message.to_string());
        let Some(resource) = resource_named("", "events") else {
            return;
        };
        let id = ctx.id();
        let request = match self.seen.get_mut(&key) {
            Some((namespace, name, count)) => {
                *count += 1;
                Request {
                    id,
                    verb: Verb::Patch,
                    resource,
                    namespace: namespace.clone(),
                    name: name.clone(),
                    subresource: None,
                    query: vec![],
                    body: Some(json!({"count": *count, "lastTimestamp": clock::rfc3339(ctx.now)})),
                    identity: identity.clone(),
                    detailed: false,
                }
            }
            None => {
                self.seq += 1;
                let event = new_event(involved, spec, ctx.now, self.seq);
                let namespace = object::namespace(&event).to_string();
                let name = object::name(&event).to_string();
                self.seen.insert(key, (namespace.clone(), name.clone(), 1));
                Request {
                    id,
                    verb: Verb::Create,
                    resource,
                    namespace,
                    name,
                    subresource: None,
                    query: vec![],
                    body: Some(event),
                    identity: identity.clone(),
                    detailed: false,
                }
            }
        };
        ctx.send(Component::ApiServer, 1, Msg::Request(request));
    }
}
