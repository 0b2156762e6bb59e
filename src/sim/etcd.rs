//! etcd's data model: one global revision and, per key, `create_revision`,
//! `mod_revision` and `version` (go.etcd.io/etcd/api/v3/mvccpb/kv.proto).
//!
//! Invariants:
//! - every successful write bumps the store-wide revision by exactly one;
//! - a key's `version` is 1 on creation and grows by one per modification; deleting the key
//!   removes it (a later re-creation starts again at version 1);
//! - Kubernetes' `metadata.resourceVersion` equals the key's `mod_revision`. Real etcd
//!   stores objects without it and the apiserver sets it on every read; podflow stamps it
//!   into the stored value on write instead ([`stamp`]), so the object every reader and
//!   watcher gets is the stored one, shared, not a copy made per read. Where a learner
//!   sees what etcd holds, it is shown without the field ([`stored_form`]).
//!
//! [`Snapshot`] is a persistent map (`imbl::OrdMap`): cloning it is O(1) and shares
//! structure, so a trace can keep checkpoints of it cheaply (see [`super::trace`]).

use std::sync::Arc;

use imbl::OrdMap;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    pub create_revision: u64,
    pub mod_revision: u64,
    pub version: u64,
    pub value: Arc<Value>,
}

/// What a write did, as a watch would report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// A PUT that created the key (version 1): Kubernetes' watch `ADDED`.
    Added,
    /// A PUT to an existing key: `MODIFIED`.
    Modified,
    /// `DELETED`.
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TxnError {
    /// `If(mod_revision(key) == 0)` failed on create: the key exists.
    AlreadyExists,
    /// The key is absent.
    NotFound,
    /// `If(mod_revision(key) == expected)` failed on update.
    Conflict,
}

/// Keys are `Arc<str>` and values `Arc<KeyValue>` so that the persistent map's nodes
/// (64 entries each, copied along the path on every write) hold 32-byte entries and
/// copying one allocates nothing but the node: with `String` keys a write copied 64
/// strings per level, which made etcd snapshots most of a large trace's memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    revision: u64,
    kvs: OrdMap<Arc<str>, Arc<KeyValue>>,
}

impl Snapshot {
    /// The store-wide revision: the number of writes so far.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn get(&self, key: &str) -> Option<&KeyValue> {
        self.kvs.get(key).map(|kv| kv.as_ref())
    }

    pub fn len(&self) -> usize {
        self.kvs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kvs.is_empty()
    }

    /// All keys in order, with their values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &KeyValue)> {
        self.kvs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// Keys under a prefix, in order (etcd's range with `--prefix`).
    pub fn range<'a>(&'a self, prefix: &str) -> impl Iterator<Item = (&'a str, &'a KeyValue)> + 'a {
        let prefix: Arc<str> = Arc::from(prefix);
        self.kvs
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(prefix.as_ref()))
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// `Txn(If(ModRevision(key) == 0), Then(Put))`: creates the key or fails.
    pub fn create(&mut self, key: &str, value: impl Into<Arc<Value>>) -> Result<u64, TxnError> {
        if self.kvs.contains_key(key) {
            return Err(TxnError::AlreadyExists);
        }
        self.revision += 1;
        let value = stamp(value.into(), self.revision);
        self.kvs.insert(
            Arc::from(key),
            Arc::new(KeyValue {
                create_revision: self.revision,
                mod_revision: self.revision,
                version: 1,
                value,
            }),
        );
        Ok(self.revision)
    }

    /// `Txn(If(ModRevision(key) == expected), Then(Put))`; `expected = None` skips the
    /// compare (a plain update by the owner).
    pub fn update(
        &mut self,
        key: &str,
        value: impl Into<Arc<Value>>,
        expected: Option<u64>,
    ) -> Result<u64, TxnError> {
        let Some(old) = self.kvs.get(key) else {
            return Err(TxnError::NotFound);
        };
        if expected.is_some_and(|rev| rev != old.mod_revision) {
            return Err(TxnError::Conflict);
        }
        let kv = KeyValue {
            create_revision: old.create_revision,
            mod_revision: self.revision + 1,
            version: old.version + 1,
            value: stamp(value.into(), self.revision + 1),
        };
        self.revision += 1;
        self.kvs.insert(Arc::from(key), Arc::new(kv));
        Ok(self.revision)
    }

    /// Deletes the key; returns the revision of the delete.
    pub fn delete(&mut self, key: &str) -> Result<u64, TxnError> {
        if self.kvs.remove(key).is_none() {
            return Err(TxnError::NotFound);
        }
        self.revision += 1;
        Ok(self.revision)
    }

    /// The stored key and value themselves, to share rather than copy (a trace records
    /// each write with them).
    pub fn entry(&self, key: &str) -> Option<(&Arc<str>, &Arc<KeyValue>)> {
        self.kvs.get_key_value(key)
    }

    /// Puts back a recorded write: `key` holds `value` (`None`: deleted) as of
    /// `revision`. Replaying a trace's writes in order onto the keyspace before them
    /// rebuilds the keyspace after them ([`Trace::etcd_at`](super::trace::Trace::etcd_at)).
    pub fn replay(&mut self, key: &Arc<str>, value: Option<&Arc<KeyValue>>, revision: u64) {
        match value {
            Some(kv) => {
                self.kvs.insert(key.clone(), kv.clone());
            }
            None => {
                self.kvs.remove(key.as_ref());
            }
        }
        self.revision = revision;
    }
}

/// `value` with `metadata.resourceVersion` set to `revision` (values without `metadata`
/// are left as they are). The value is copied only when it is shared and not already
/// stamped: the engine stamps a transaction's value before anything else holds it.
pub fn stamp(mut value: Arc<Value>, revision: u64) -> Arc<Value> {
    let wanted = revision.to_string();
    let current = value
        .get("metadata")
        .filter(|m| m.is_object())
        .map(|m| m.get("resourceVersion").and_then(Value::as_str));
    match current {
        None => value,
        Some(Some(rv)) if rv == wanted => value,
        Some(_) => {
            if let Some(meta) = Arc::make_mut(&mut value)
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
            {
                meta.insert("resourceVersion".into(), Value::String(wanted));
            }
            value
        }
    }
}

/// The object as etcd really stores it: without `metadata.resourceVersion`, which is
/// the key's mod_revision (see the module docs).
pub fn stored_form(value: &Value) -> Value {
    let mut out = value.clone();
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    out
}

/// The etcd key for an object (B.3.1): `/registry/<resource>/<namespace>/<name>`, or
/// `/registry/<resource>/<name>` for cluster-scoped objects, with upstream's special
/// prefixes (`nodes` → `minions`, `services` → `services/specs`, ...).
pub fn key_for(resource: &str, namespace: &str, name: &str) -> String {
    // SpecialDefaultResourcePrefixes, pkg/kubeapiserver/default_storage_factory_builder.go
    let prefix = match resource {
        "nodes" => "minions",
        "services" => "services/specs",
        "endpoints" => "services/endpoints",
        "replicationcontrollers" => "controllers",
        "ingresses" => "ingress",
        other => other,
    };
    if namespace.is_empty() {
        format!("/registry/{prefix}/{name}")
    } else {
        format!("/registry/{prefix}/{namespace}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn revisions_follow_etcd() {
        let mut s = Snapshot::default();
        assert_eq!(s.create("/registry/pods/default/a", json!(1)), Ok(1));
        assert_eq!(s.create("/registry/pods/default/b", json!(1)), Ok(2));
        assert_eq!(
            s.update("/registry/pods/default/a", json!(2), Some(1)),
            Ok(3)
        );
        let a = s.get("/registry/pods/default/a").unwrap();
        assert_eq!((a.create_revision, a.mod_revision, a.version), (1, 3, 2));
        assert_eq!(
            s.create("/registry/pods/default/a", json!(3)),
            Err(TxnError::AlreadyExists)
        );
        assert_eq!(
            s.update("/registry/pods/default/a", json!(3), Some(1)),
            Err(TxnError::Conflict)
        );
        assert_eq!(
            s.revision(),
            3,
            "failed transactions do not bump the revision"
        );
        assert_eq!(s.delete("/registry/pods/default/a"), Ok(4));
        assert_eq!(s.create("/registry/pods/default/a", json!(4)), Ok(5));
        assert_eq!(s.get("/registry/pods/default/a").unwrap().version, 1);
    }

    #[test]
    fn snapshots_are_independent() {
        let mut s = Snapshot::default();
        s.create("/k", json!(1)).unwrap();
        let before = s.clone();
        s.update("/k", json!(2), None).unwrap();
        assert_eq!(*before.get("/k").unwrap().value, json!(1));
        assert_eq!(*s.get("/k").unwrap().value, json!(2));
    }

    #[test]
    fn prefix_range() {
        let mut s = Snapshot::default();
        for k in [
            "/registry/pods/a/x",
            "/registry/pods/b/y",
            "/registry/podsx/z",
            "/registry/minions/w1",
        ] {
            s.create(k, json!(null)).unwrap();
        }
        let keys: Vec<_> = s.range("/registry/pods/").map(|(k, _)| k).collect();
        assert_eq!(keys, ["/registry/pods/a/x", "/registry/pods/b/y"]);
    }

    #[test]
    fn key_layout() {
        assert_eq!(
            key_for("pods", "default", "nginx"),
            "/registry/pods/default/nginx"
        );
        assert_eq!(key_for("nodes", "", "w1"), "/registry/minions/w1");
        assert_eq!(
            key_for("services", "default", "kubernetes"),
            "/registry/services/specs/default/kubernetes"
        );
        assert_eq!(
            key_for("leases", "kube-node-lease", "w1"),
            "/registry/leases/kube-node-lease/w1"
        );
    }
}
