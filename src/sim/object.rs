//! Kubernetes objects as JSON values, and the few accessors every component needs.
//!
//! Objects stay `serde_json::Value`s end to end (manifest → request body → etcd value →
//! `kubectl get -o yaml`), so nothing a user wrote is lost on the way and the YAML a
//! learner sees is the stored object. `serde_json::Map` is a `BTreeMap` here (no
//! `preserve_order`), which gives the alphabetical key order kubectl's YAML output has.

use serde_json::Value;

/// `metadata.name`, or "" when absent.
pub fn name(obj: &Value) -> &str {
    obj.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace`, or "" when absent.
pub fn namespace(obj: &Value) -> &str {
    obj.get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `Value::pointer` without its allocations: serde_json unescapes every token (`~1`,
/// `~0`) into a new `String`, which made pointer lookups the single largest cost of a
/// large simulation. Tokens without `~` are looked up as they are.
pub fn at<'a>(obj: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(obj);
    }
    let mut rest = pointer.strip_prefix('/')?;
    if rest.as_bytes().contains(&b'~') {
        return obj.pointer(pointer);
    }
    let mut target = obj;
    loop {
        // `/` is ASCII, so slicing at its byte position keeps both halves valid UTF-8.
        let (token, next) = match rest.as_bytes().iter().position(|&b| b == b'/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        target = match target {
            Value::Object(map) => map.get(token)?,
            Value::Array(list) => {
                // RFC 6901: no leading zeros, no sign.
                if token.is_empty()
                    || (token.len() > 1 && token.starts_with('0'))
                    || !token.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                list.get(token.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
        match next {
            Some(n) => rest = n,
            None => return Some(target),
        }
    }
}

/// [`at`] as a method, so that `value.at("/spec/x")` reads like serde_json's
/// `value.pointer("/spec/x")`, which it replaces throughout the simulation.
pub trait At {
    fn at(&self, pointer: &str) -> Option<&Value>;
}

impl At for Value {
    fn at(&self, pointer: &str) -> Option<&Value> {
        at(self, pointer)
    }
}

/// `{"<key>": value}` without `json!`, which would serialize `value` into a new copy.
pub fn wrap(key: &str, value: Value) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(key.to_string(), value);
    Value::Object(map)
}

pub fn kind(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

pub fn api_version(obj: &Value) -> &str {
    obj.get("apiVersion").and_then(Value::as_str).unwrap_or("")
}

/// A string at a JSON pointer (`/spec/nodeName`), or "".
pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    at(obj, pointer).and_then(Value::as_str).unwrap_or("")
}

/// Sets `value` at a JSON pointer (`/spec/ports/0/nodePort`), creating intermediate
/// objects; a numeric segment indexes an existing array. Does nothing when a segment
/// exists but is neither (callers only write paths they own).
pub fn set_at(obj: &mut Value, pointer: &str, value: Value) {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut current = obj;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if current.is_null() {
            *current = Value::Object(Default::default());
        }
        current = match current {
            Value::Array(items) => {
                let Some(item) = segment.parse::<usize>().ok().and_then(|n| items.get_mut(n))
                else {
                    return;
                };
                if last {
                    *item = value;
                    return;
                }
                item
            }
            Value::Object(map) => {
                if last {
                    map.insert(segment.clone(), value);
                    return;
                }
                map.entry(segment.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            _ => return,
        };
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
    fn at_agrees_with_serde_json_pointer() {
        let v = json!({"a": {"b/c": 1, "m~n": 2, "l": [10, 11, {"x": "y"}], "": 3}});
        for p in [
            "",
            "/a",
            "/a/l/0",
            "/a/l/2/x",
            "/a/l/01",
            "/a/l/+1",
            "/a/l/3",
            "/a/l/",
            "/a/b~1c",
            "/a/m~0n",
            "/a/",
            "a",
            "/a/l/2/x/z",
            "/nope",
        ] {
            assert_eq!(at(&v, p), v.pointer(p), "{p}");
        }
    }

    #[test]
    fn set_at_indexes_arrays_and_unescapes() {
        let mut svc = json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}});
        set_at(&mut svc, "/spec/ports/1/nodePort", json!(30443));
        assert_eq!(svc["spec"]["ports"][1]["nodePort"], 30443);
        set_at(&mut svc, "/spec/ports/7/nodePort", json!(1));
        assert_eq!(
            svc["spec"]["ports"].as_array().unwrap().len(),
            2,
            "no index past the end"
        );
        set_at(
            &mut svc,
            "/metadata/annotations/kubernetes.io~1limit-ranger",
            json!("x"),
        );
        assert_eq!(
            svc["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
            "x"
        );
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
