//! Kubernetes objects as JSON values, and the few accessors every component needs.
//!
//! Objects stay `serde_json::Value`s end to end (manifest → request body → etcd value →
//! `kubectl get -o yaml`), so nothing a user wrote is lost on the way and the YAML a
//! learner sees is the stored object. `serde_json::Map` is a `BTreeMap` here (no
//! `preserve_order`), which gives the alphabetical key order kubectl's YAML output has.

use serde_json::Value;

/// `metadata.name`, or "" when absent.
pub fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace`, or "" when absent.
pub fn namespace(obj: &Value) -> &str {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn kind(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

pub fn api_version(obj: &Value) -> &str {
    obj.get("apiVersion").and_then(Value::as_str).unwrap_or("")
}

/// A string at a JSON pointer (`/spec/nodeName`), or "".
pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Sets `value` at a JSON pointer, creating intermediate objects. Does nothing when a
/// path segment exists but is not an object (callers only write paths they own).
pub fn set_at(obj: &mut Value, pointer: &str, value: Value) {
    let mut current = obj;
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        if !current.is_object() {
            if current.is_null() {
                *current = Value::Object(Default::default());
            } else {
                return;
            }
        }
        let map = current.as_object_mut().expect("checked above");
        if i + 1 == segments.len() {
            map.insert(segment.to_string(), value);
            return;
        }
        current = map
            .entry(segment.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors() {
        let pod = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a", "namespace": "default"}});
        assert_eq!(name(&pod), "a");
        assert_eq!(namespace(&pod), "default");
        assert_eq!(kind(&pod), "Pod");
        assert_eq!(api_version(&pod), "v1");
        assert_eq!(str_at(&pod, "/spec/nodeName"), "");
    }

    #[test]
    fn set_at_creates_parents() {
        let mut pod = json!({"metadata": {"name": "a"}});
        set_at(&mut pod, "/spec/nodeName", json!("w1"));
        assert_eq!(pod["spec"]["nodeName"], "w1");
        set_at(&mut pod, "/metadata/name/x", json!(1));
        assert_eq!(pod["metadata"]["name"], "a");
    }

    #[test]
    fn keys_are_sorted_like_kubectl_yaml() {
        let v: Value =
            serde_json::from_str(r#"{"spec":1,"kind":2,"apiVersion":3,"metadata":4}"#).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
    }
}
