//! The pure side of the etcd panel and the console: the keyspace grouped by resource, a
//! key's history across the trace, the watch event a step delivers, and a small line
//! diff (of a key's YAML between versions, and of kubectl's output between two runs).
//!
//! Nothing here touches the DOM; the tests run natively (`cargo test --lib ui::`).

use crate::sim::etcd::{self, Snapshot};
use crate::sim::kubectl::print;
use crate::sim::trace::{Category, Component, Step, Trace};

/// The resource group of a key: `pods` for `/registry/pods/default/nginx`, `minions` for
/// `/registry/minions/w1`, `services` for `/registry/services/specs/default/kubernetes`.
pub fn group_of(key: &str) -> &str {
    match key.strip_prefix("/registry/") {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => "other",
    }
}

/// What a key row shows inside its group: the key after `/registry/<group>/`.
pub fn label_in_group(key: &str) -> &str {
    let group = group_of(key);
    key.strip_prefix("/registry/")
        .and_then(|r| r.strip_prefix(group))
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(key)
}

/// Keys grouped by resource, groups in key order (etcd's keys are sorted, so each group
/// is one contiguous run).
pub fn group_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut groups: Vec<(&'a str, Vec<&'a str>)> = Vec::new();
    for key in keys {
        let g = group_of(key);
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, keys)) => keys.push(key),
            None => groups.push((g, vec![key])),
        }
    }
    groups
}

/// The resource, namespace and name a key stands for (the inverse of
/// [`etcd::key_for`]): `("nodes", "", "w1")` for `/registry/minions/w1`.
pub fn resource_of(key: &str) -> (String, String, String) {
    let rest = key.strip_prefix("/registry/").unwrap_or(key);
    let (resource, tail) = match rest.split_once('/') {
        Some(("services", t)) => match t.split_once('/') {
            Some(("specs", t)) => ("services", t),
            Some(("endpoints", t)) => ("endpoints", t),
            _ => ("services", t),
        },
        Some(("minions", t)) => ("nodes", t),
        Some(("controllers", t)) => ("replicationcontrollers", t),
        Some(("ingress", t)) => ("ingresses", t),
        Some((r, t)) => (r, t),
        None => (rest, ""),
    };
    let (namespace, name) = match tail.split_once('/') {
        Some((ns, name)) => (ns, name),
        None => ("", tail),
    };
    (resource.into(), namespace.into(), name.into())
}

/// One write of a key: the step that committed it and who asked for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// The step whose transaction wrote the key.
    pub step: usize,
    pub at_ms: u64,
    /// The revision of the write (the key's mod_revision; for a delete, the store's).
    pub revision: u64,
    /// The key's version after the write; `None` when the write deleted it.
    pub version: Option<u64>,
    /// The component whose request caused the write (`kube-scheduler`), if found.
    pub who: String,
    /// That request, without its query string (`POST /api/v1/namespaces/default/pods/nginx/binding`).
    pub via: String,
}

/// Whether a request line (`POST /api/v1/namespaces/default/pods?x=y`) is about `key`:
/// the object itself, one of its subresources, or a create in its collection.
fn request_targets(label: &str, key: &str) -> bool {
    let Some((method, path)) = label.split_once(' ') else {
        return false;
    };
    let path = path.split('?').next().unwrap_or(path);
    let (resource, namespace, name) = resource_of(key);
    if !namespace.is_empty() && !path.contains(&format!("/namespaces/{namespace}/")) {
        return false;
    }
    let object = format!("/{resource}/{name}");
    path.ends_with(&object)
        || path.contains(&format!("{object}/"))
        || (method == "POST" && path.ends_with(&format!("/{resource}")))
}

/// The request step that caused the write at `write`: the nearest earlier request to
/// kube-apiserver about the same object.
fn originator<'a>(steps: &'a [Step], write: usize, key: &str) -> Option<&'a Step> {
    steps[..write].iter().rev().take(2_000).find(|s| {
        s.category == Category::Request
            && s.to == Component::ApiServer
            && request_targets(&s.label, key)
    })
}

/// Every write of `key` in the trace, in order.
pub fn history(trace: &Trace, key: &str) -> Vec<Version> {
    trace
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s, s.writes.iter().find(|w| w.key() == key)?)))
        .map(|(i, s, w)| {
            let kv = w.value.as_deref();
            let (who, via) = match originator(&trace.steps, i, key) {
                Some(r) => (
                    r.from.to_string(),
                    r.label.split('?').next().unwrap_or(&r.label).to_string(),
                ),
                None => (s.from.to_string(), s.label.clone()),
            };
            Version {
                step: i,
                at_ms: s.at_ms,
                revision: kv.map_or(s.revision, |kv| kv.mod_revision),
                version: kv.map(|kv| kv.version),
                who,
                via,
            }
        })
        .collect()
}

/// The object under `key` in `etcd` as `kubectl get -o yaml` prints it.
pub fn yaml_at(etcd: &Snapshot, key: &str) -> Option<String> {
    etcd.get(key)
        .map(|kv| print::to_yaml(&crate::sim::engine::api_object(kv)))
}

/// The value `step` wrote under `key` as etcd stores it (without
/// `metadata.resourceVersion`, which is the key's mod_revision and so changes with every
/// write): what history diffs compare. `None` if the step deleted the key or did not
/// write it.
pub fn written_yaml(step: &Step, key: &str) -> Option<String> {
    step.writes
        .iter()
        .find(|w| w.key() == key)?
        .value
        .as_ref()
        .map(|kv| print::to_yaml(&crate::sim::etcd::stored_form(&kv.value)))
}

/// The watch event a step delivers: (event type, etcd key, resourceVersion), for a
/// `watch ADDED pods` step whose summary is `default/nginx resourceVersion 31`.
pub fn watch_event(step: &Step) -> Option<(String, String, String)> {
    if step.category != Category::Watch {
        return None;
    }
    let mut words = step.label.split_whitespace();
    let (Some("watch"), Some(kind), Some(resource)) = (words.next(), words.next(), words.next())
    else {
        return None;
    };
    let (object, rv) = step.summary.split_once(" resourceVersion ")?;
    let (namespace, name) = object.split_once('/').unwrap_or(("", object));
    Some((
        kind.to_string(),
        etcd::key_for(resource, namespace, name),
        rv.trim().to_string(),
    ))
}

// --- line diff ------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    Added,
    Removed,
}

/// Above this many cells the middle of a diff is shown as removed-then-added.
const MAX_CELLS: usize = 1_000_000;

/// A minimal line diff (longest common subsequence, after trimming the common prefix and
/// suffix): every line of `old` and `new` once, in order, marked same, removed or added.
pub fn diff<'a, T: PartialEq>(old: &'a [T], new: &'a [T]) -> Vec<(Change, &'a T)> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let a = &old[prefix..old.len() - suffix];
    let b = &new[prefix..new.len() - suffix];
    let mut out: Vec<(Change, &T)> = old[..prefix].iter().map(|l| (Change::Same, l)).collect();
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        out.extend(a.iter().map(|l| (Change::Removed, l)));
        out.extend(b.iter().map(|l| (Change::Added, l)));
    } else {
        // lcs[i][j]: the LCS length of a[i..] and b[j..].
        let w = b.len() + 1;
        let mut lcs = vec![0u32; (a.len() + 1) * w];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i * w + j] = if a[i] == b[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                out.push((Change::Same, &a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                out.push((Change::Removed, &a[i]));
                i += 1;
            } else {
                out.push((Change::Added, &b[j]));
                j += 1;
            }
        }
    }
    out.extend(old[old.len() - suffix..].iter().map(|l| (Change::Same, l)));
    out
}

/// The entries of `new` that `old` does not have (what an extra command printed).
pub fn added<'a>(old: &'a [String], new: &'a [String]) -> Vec<&'a str> {
    diff(old, new)
        .into_iter()
        .filter(|(c, _)| *c == Change::Added)
        .map(|(_, l)| l.as_str())
        .collect()
}

/// A run of changed lines with a little context, and where in the object it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Hunk {
    /// The YAML path of the first changed line (`spec.nodeName`).
    pub path: String,
    pub lines: Vec<(Change, String)>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The mapping key a YAML line starts with (`nodeName` for `  nodeName: w2`,
/// `image` for `  - image: nginx`), if it has one.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ");
    let (k, _) = t.split_once(':')?;
    (!k.is_empty() && !k.contains(' ') && !k.starts_with('"') && !k.starts_with('{')).then_some(k)
}

/// The dotted path of line `at` in go-yaml's output (sequences are not indented under
/// their key): `status.containerStatuses[].ready`.
pub fn yaml_path(lines: &[&str], at: usize) -> String {
    let Some(line) = lines.get(at) else {
        return String::new();
    };
    let mut parts: Vec<String> = Vec::new();
    let mut level = indent(line);
    if let Some(k) = key_of(line) {
        parts.push(k.to_string());
    }
    // After a `- ` item line, its parent key sits at the dash's own indentation.
    let mut in_item = line.trim_start().starts_with("- ");
    if in_item {
        parts.push("[]".into());
    }
    for l in lines[..at].iter().rev() {
        if l.trim().is_empty() {
            continue;
        }
        let i = indent(l);
        if l.trim_start().starts_with("- ") {
            if i < level && !in_item {
                parts.push("[]".into());
                level = i;
                in_item = true;
            }
            continue;
        }
        let parent = i < level || (in_item && i == level && l.trim_end().ends_with(':'));
        if parent {
            if let Some(k) = key_of(l) {
                parts.push(k.to_string());
                level = i;
                in_item = false;
            }
        }
        if level == 0 && !in_item {
            break;
        }
    }
    parts.reverse();
    let mut out = String::new();
    for p in parts {
        if p != "[]" && !out.is_empty() {
            out.push('.');
        }
        out.push_str(&p);
    }
    out
}

/// The changes from `old` to `new` as hunks with `context` unchanged lines around them.
pub fn hunks(old: &str, new: &str, context: usize) -> Vec<Hunk> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let d = diff(&a, &b);
    // For each diff line, its index in `new` (or in `old` for removed lines).
    let mut positions = Vec::with_capacity(d.len());
    let (mut i, mut j) = (0usize, 0usize);
    for (c, _) in &d {
        match c {
            Change::Same => {
                positions.push((true, j));
                i += 1;
                j += 1;
            }
            Change::Added => {
                positions.push((true, j));
                j += 1;
            }
            Change::Removed => {
                positions.push((false, i));
                i += 1;
            }
        }
    }
    let changed: Vec<usize> = (0..d.len()).filter(|&k| d[k].0 != Change::Same).collect();
    let mut out: Vec<Hunk> = Vec::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(context);
        let mut end = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= end + 2 * context + 1 {
            k += 1;
            end = changed[k];
        }
        let end = (end + context + 1).min(d.len());
        let first = changed
            .iter()
            .find(|&&c| c >= start)
            .copied()
            .unwrap_or(start);
        let path = match positions[first] {
            (true, at) => yaml_path(&b, at),
            (false, at) => yaml_path(&a, at),
        };
        out.push(Hunk {
            path,
            lines: d[start..end]
                .iter()
                .map(|(c, l)| (*c, l.to_string()))
                .collect(),
        });
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{self, cluster::Cluster};

    #[test]
    fn groups_follow_the_key_layout() {
        assert_eq!(group_of("/registry/pods/default/nginx"), "pods");
        assert_eq!(group_of("/registry/minions/w1"), "minions");
        assert_eq!(
            group_of("/registry/services/specs/default/kubernetes"),
            "services"
        );
        assert_eq!(group_of("/elsewhere"), "other");
        assert_eq!(
            label_in_group("/registry/pods/default/nginx"),
            "default/nginx"
        );
        assert_eq!(label_in_group("/registry/minions/w1"), "w1");
        let keys = [
            "/registry/events/default/a",
            "/registry/events/default/b",
            "/registry/minions/w1",
            "/registry/pods/default/nginx",
        ];
        let groups = group_keys(keys);
        let names: Vec<&str> = groups.iter().map(|(g, _)| *g).collect();
        assert_eq!(names, ["events", "minions", "pods"]);
        assert_eq!(groups[0].1.len(), 2);
    }

    #[test]
    fn keys_name_their_objects() {
        let r = |k| resource_of(k);
        assert_eq!(
            r("/registry/pods/default/nginx"),
            ("pods".into(), "default".into(), "nginx".into())
        );
        assert_eq!(
            r("/registry/minions/w1"),
            ("nodes".into(), "".into(), "w1".into())
        );
        assert_eq!(
            r("/registry/services/specs/default/kubernetes"),
            ("services".into(), "default".into(), "kubernetes".into())
        );
        assert!(request_targets(
            "POST /api/v1/namespaces/default/pods/nginx/binding",
            "/registry/pods/default/nginx"
        ));
        assert!(request_targets(
            "POST /api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply",
            "/registry/pods/default/nginx"
        ));
        assert!(!request_targets(
            "POST /api/v1/namespaces/default/events",
            "/registry/pods/default/nginx"
        ));
        assert!(!request_targets(
            "PATCH /api/v1/namespaces/other/pods/nginx/status",
            "/registry/pods/default/nginx"
        ));
    }

    #[test]
    fn line_diff_is_minimal() {
        let old = ["a", "b", "c", "d"];
        let new = ["a", "x", "c", "d", "e"];
        let d: Vec<(Change, &str)> = diff(&old, &new).into_iter().map(|(c, l)| (c, *l)).collect();
        use Change::*;
        assert_eq!(
            d,
            [
                (Same, "a"),
                (Removed, "b"),
                (Added, "x"),
                (Same, "c"),
                (Same, "d"),
                (Added, "e")
            ]
        );
        let none: [&str; 0] = [];
        assert_eq!(diff(&none, &new).len(), 5);
        assert!(diff(&old, &old).iter().all(|(c, _)| *c == Same));
        let before: Vec<String> = ["pod/nginx created"].map(String::from).to_vec();
        let after: Vec<String> = ["pod/nginx created", "NAME READY", "nginx 1/1"]
            .map(String::from)
            .to_vec();
        assert_eq!(added(&before, &after), ["NAME READY", "nginx 1/1"]);
    }

    #[test]
    fn yaml_paths_walk_up_the_indentation() {
        let yaml = "metadata:\n  name: nginx\nspec:\n  containers:\n  - image: nginx\n    name: nginx\n  nodeName: w2\nstatus:\n  phase: Running";
        let lines: Vec<&str> = yaml.lines().collect();
        assert_eq!(yaml_path(&lines, 1), "metadata.name");
        assert_eq!(yaml_path(&lines, 4), "spec.containers[].image");
        assert_eq!(yaml_path(&lines, 5), "spec.containers[].name");
        assert_eq!(yaml_path(&lines, 6), "spec.nodeName");
        assert_eq!(yaml_path(&lines, 8), "status.phase");
        assert_eq!(yaml_path(&lines, 0), "metadata");
    }

    #[test]
    fn hunks_carry_their_path() {
        let old = "spec:\n  containers:\n  - image: nginx\n  dnsPolicy: ClusterFirst\n  restartPolicy: Always\nstatus:\n  phase: Pending\n";
        let new = "spec:\n  containers:\n  - image: nginx\n  dnsPolicy: ClusterFirst\n  nodeName: w2\n  restartPolicy: Always\nstatus:\n  phase: Pending\n";
        let h = hunks(old, new, 1);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].path, "spec.nodeName");
        assert_eq!(
            h[0].lines,
            [
                (Change::Same, "  dnsPolicy: ClusterFirst".to_string()),
                (Change::Added, "  nodeName: w2".to_string()),
                (Change::Same, "  restartPolicy: Always".to_string()),
            ]
        );
        assert!(hunks(old, old, 1).is_empty());
    }

    #[test]
    fn the_nginx_pod_history_shows_the_bind_and_the_ip() {
        let trace = sim::simulate(sim::scenarios::NGINX, &Cluster::default(), 42).trace;
        let key = "/registry/pods/default/nginx";
        let h = history(&trace, key);
        assert!(h.len() >= 3, "{h:#?}");
        assert_eq!(h[0].version, Some(1));
        assert_eq!(h[0].who, "kubectl");
        assert!(
            h[0].via.starts_with("POST /api/v1/namespaces/default/pods"),
            "{}",
            h[0].via
        );
        assert_eq!(h[1].who, "kube-scheduler");
        assert!(h[1].via.ends_with("/binding"), "{}", h[1].via);
        assert!(
            h.iter().skip(2).all(|v| v.who.starts_with("kubelet@")),
            "{h:#?}"
        );
        let yaml = |v: &Version| written_yaml(&trace.steps[v.step], key).unwrap();
        let bind = hunks(&yaml(&h[0]), &yaml(&h[1]), 1);
        assert!(bind.iter().any(|x| x.path == "spec.nodeName"), "{bind:#?}");
        let all: Vec<String> = h
            .windows(2)
            .flat_map(|w| hunks(&yaml(&w[0]), &yaml(&w[1]), 0))
            .map(|x| x.path)
            .collect();
        assert!(all.iter().any(|p| p == "status.podIP"), "{all:#?}");
        assert!(
            !all.iter().any(|p| p == "metadata.resourceVersion"),
            "{all:#?}"
        );
        // revisions are the key's mod_revisions, increasing
        assert!(h.windows(2).all(|w| w[0].revision < w[1].revision));
    }

    #[test]
    fn watch_steps_name_their_key() {
        let trace = sim::simulate(sim::scenarios::NGINX, &Cluster::default(), 42).trace;
        let watch = trace
            .steps
            .iter()
            .find_map(watch_event)
            .expect("a watch event");
        assert_eq!(watch.0, "ADDED");
        assert_eq!(watch.1, "/registry/pods/default/nginx");
        assert!(watch.2.parse::<u64>().is_ok());
    }
}
