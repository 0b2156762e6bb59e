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
                Request::new(
                    id,
                    Verb::Patch,
                    resource,
                    namespace.clone(),
                    name.clone(),
                    identity.clone(),
                )
                .body(json!({"count": *count, "lastTimestamp": clock::rfc3339(ctx.now)}))
            }
            None => {
                self.seq += 1;
                let event = new_event(involved, spec, ctx.now, self.seq);
                let namespace = object::namespace(&event).to_string();
                let name = object::name(&event).to_string();
                self.seen.insert(key, (namespace.clone(), name.clone(), 1));
                Request::new(
                    id,
                    Verb::Create,
                    resource,
                    namespace,
                    name,
                    identity.clone(),
                )
                .body(event)
            }
        };
        ctx.send(Component::ApiServer, 1, Msg::Request(request));
    }
}
