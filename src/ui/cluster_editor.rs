//! The cluster editor: a dialog, opened from the header, that changes the cluster the
//! simulation runs on — worker nodes (CPU, memory, pods, labels, taints) and the image
//! table (which repositories and tags exist, their sizes and pull times) — or the whole
//! description as YAML. Applying a valid form sets `AppState.cluster`, which re-runs the
//! simulation; the cluster is kept in local storage like the manifest.
//!
//! The form model and its validation are pure ([`form_of`], [`build`]) and unit-tested;
//! the dialog only binds inputs to it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use leptos::prelude::*;

use super::AppState;
use crate::sim::cluster::{Cluster, NodeSpec, Taint};
use crate::sim::image::{parse_image_reference, RepositoryEntry, TagEntry};
use crate::sim::limits;
use crate::sim::quantity::Quantity;

/// Where the cluster is kept between visits (only when it differs from the default).
const STORAGE_KEY: &str = "podflow.cluster";

/// The taint effects the API accepts.
const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

// ---------------------------------------------------------------------------------------
// Pure: the form and its validation
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    pub name: String,
    pub control_plane: bool,
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    /// `key=value, key2=value2`.
    pub labels: String,
    /// `key=value:Effect, key:Effect`.
    pub taints: String,
    /// Kept as they were (the form does not edit them).
    pub pod_cidr: Option<String>,
    pub internal_ip: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TagRow {
    pub tag: String,
    /// Size in MB (10⁶ bytes), as text.
    pub size_mb: String,
    /// Pull time in seconds, as text.
    pub pull_s: String,
    /// The values the row started from, kept exactly while its text is unchanged.
    original: Option<TagEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImageRow {
    pub repository: String,
    pub exists: bool,
    pub tags: Vec<TagRow>,
    /// Fields the form does not edit (entrypoint, server, …).
    original: Option<RepositoryEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub nodes: Vec<NodeRow>,
    pub images: Vec<ImageRow>,
}

/// One validation message, with the field it is about (`node 3 cpu`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

fn mb(bytes: u64) -> String {
    let text = format!("{:.1}", bytes as f64 / 1e6);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn seconds(ms: u64) -> String {
    let text = format!("{:.3}", ms as f64 / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn format_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn format_taints(taints: &[Taint]) -> String {
    taints
        .iter()
        .map(|t| {
            if t.value.is_empty() {
                format!("{}:{}", t.key, t.effect)
            } else {
                format!("{}={}:{}", t.key, t.value, t.effect)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A label key: an optional DNS prefix and `/`, then a name of letters, digits, `-`, `_`,
/// `.` that starts and ends alphanumeric (at most 63 characters).
fn valid_label_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn valid_label_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => valid_dns_subdomain(prefix) && valid_label_name(name),
        None => valid_label_name(key),
    }
}

fn valid_label_value(value: &str) -> bool {
    value.is_empty() || valid_label_name(value)
}

/// RFC 1123 subdomain, as node names must be.
pub fn valid_dns_subdomain(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 253
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'.'))
}

/// `disktype=ssd, zone=a` → labels; errors name the offending item.
pub fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in items(text) {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not key=value"))?;
        let (key, value) = (key.trim(), value.trim());
        if !valid_label_key(key) {
            return Err(format!("{key:?} is not a valid label key"));
        }
        if !valid_label_value(value) {
            return Err(format!("{value:?} is not a valid label value"));
        }
        if out.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("label {key:?} appears twice"));
        }
    }
    Ok(out)
}

/// `dedicated=gpu:NoSchedule, special:NoExecute` → taints.
pub fn parse_taints(text: &str) -> Result<Vec<Taint>, String> {
    let mut out = Vec::new();
    for item in items(text) {
        let (kv, effect) = item
            .rsplit_once(':')
            .ok_or_else(|| format!("{item:?} is not key=value:Effect"))?;
        let effect = effect.trim();
        if !EFFECTS.contains(&effect) {
            return Err(format!(
                "{effect:?} is not a taint effect (NoSchedule, PreferNoSchedule or NoExecute)"
            ));
        }
        let (key, value) = match kv.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (kv.trim(), ""),
        };
        if !valid_label_key(key) {
            return Err(format!("{key:?} is not a valid taint key"));
        }
        if !valid_label_value(value) {
            return Err(format!("{value:?} is not a valid taint value"));
        }
        out.push(Taint {
            key: key.to_string(),
            value: value.to_string(),
            effect: effect.to_string(),
        });
    }
    Ok(out)
}

pub fn form_of(cluster: &Cluster) -> Form {
    Form {
        nodes: cluster
            .nodes
            .iter()
            .map(|n| NodeRow {
                name: n.name.clone(),
                control_plane: n.control_plane,
                cpu: n.cpu.clone(),
                memory: n.memory.clone(),
                pods: n.pods.to_string(),
                labels: format_labels(&n.labels),
                taints: format_taints(&n.taints),
                pod_cidr: n.pod_cidr.clone(),
                internal_ip: n.internal_ip.clone(),
            })
            .collect(),
        images: cluster
            .images
            .repositories
            .iter()
            .map(|r| ImageRow {
                repository: r.repository.clone(),
                exists: r.exists,
                tags: r
                    .tags
                    .iter()
                    .map(|t| TagRow {
                        tag: t.tag.clone(),
                        size_mb: mb(t.size_bytes),
                        pull_s: seconds(t.pull_ms),
                        original: Some(t.clone()),
                    })
                    .collect(),
                original: Some(r.clone()),
            })
            .collect(),
    }
}

/// A new worker: the next free `wN` name, sized like the last worker.
pub fn new_worker(form: &Form) -> NodeRow {
    let names: BTreeSet<&str> = form.nodes.iter().map(|n| n.name.as_str()).collect();
    let name = (1..)
        .map(|i| format!("w{i}"))
        .find(|n| !names.contains(n.as_str()))
        .unwrap_or_default();
    let like = form.nodes.iter().rev().find(|n| !n.control_plane);
    NodeRow {
        name,
        control_plane: false,
        cpu: like.map(|n| n.cpu.clone()).unwrap_or_else(|| "2".into()),
        memory: like
            .map(|n| n.memory.clone())
            .unwrap_or_else(|| "4Gi".into()),
        pods: like.map(|n| n.pods.clone()).unwrap_or_else(|| "110".into()),
        labels: String::new(),
        taints: String::new(),
        pod_cidr: None,
        internal_ip: None,
    }
}

pub fn new_tag() -> TagRow {
    TagRow {
        tag: String::new(),
        size_mb: "50".into(),
        pull_s: "2".into(),
        original: None,
    }
}

pub fn new_image() -> ImageRow {
    ImageRow {
        repository: String::new(),
        exists: true,
        tags: vec![new_tag()],
        original: None,
    }
}

fn positive_quantity(text: &str, field: String, examples: &str) -> Result<String, Problem> {
    match Quantity::parse(text) {
        Ok(q) if q.milli_value() > 0 => Ok(text.trim().to_string()),
        Ok(_) => Err(problem(field, "must be more than zero")),
        Err(_) => Err(problem(
            field,
            format!("{text:?} is not a quantity (examples: {examples})"),
        )),
    }
}

fn number(text: &str, field: String, scale: f64) -> Result<u64, Problem> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale < 1e15 => Ok((v * scale).round() as u64),
        _ => Err(problem(
            field,
            format!("{text:?} is not a number of zero or more"),
        )),
    }
}

/// The cluster the form describes, on top of `base` (version, users and the fields the
/// form does not show), or every problem found.
pub fn build(base: &Cluster, form: &Form) -> Result<Cluster, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut nodes = Vec::new();
    let mut names = BTreeSet::new();
    if form.nodes.is_empty() {
        problems.push(problem("nodes", "the cluster needs at least one node"));
    }
    if form.nodes.len() > limits::MAX_NODES {
        problems.push(problem(
            "nodes",
            format!("podflow simulates at most {} nodes", limits::MAX_NODES),
        ));
    }
    for (i, row) in form.nodes.iter().enumerate() {
        let at = |field: &str| format!("node {} {field}", i + 1);
        let name = row.name.trim();
        if !valid_dns_subdomain(name) {
            problems.push(problem(
                at("name"),
                format!(
                    "{name:?} is not a valid node name (lowercase letters, digits, '-' and '.')"
                ),
            ));
        } else if !names.insert(name.to_string()) {
            problems.push(problem(
                at("name"),
                format!("node name {name:?} appears twice"),
            ));
        }
        let cpu = positive_quantity(&row.cpu, at("cpu"), "2, 500m, 1.5");
        let memory = positive_quantity(&row.memory, at("memory"), "4Gi, 512Mi");
        let pods = match row.pods.trim().parse::<u32>() {
            Ok(p) if (1..=10_000).contains(&p) => Ok(p),
            _ => Err(problem(
                at("pods"),
                format!("{:?} is not a whole number from 1 to 10000", row.pods),
            )),
        };
        let labels = parse_labels(&row.labels).map_err(|m| problem(at("labels"), m));
        let taints = parse_taints(&row.taints).map_err(|m| problem(at("taints"), m));
        match (cpu, memory, pods, labels, taints) {
            (Ok(cpu), Ok(memory), Ok(pods), Ok(labels), Ok(taints)) => nodes.push(NodeSpec {
                name: name.to_string(),
                control_plane: row.control_plane,
                cpu,
                memory,
                pods,
                labels,
                taints,
                pod_cidr: row.pod_cidr.clone(),
                internal_ip: row.internal_ip.clone(),
            }),
            (cpu, memory, pods, labels, taints) => {
                problems.extend(cpu.err());
                problems.extend(memory.err());
                problems.extend(pods.err());
                problems.extend(labels.err());
                problems.extend(taints.err());
            }
        }
    }

    let mut images = base.images.clone();
    images.repositories.clear();
    let mut repositories = BTreeSet::new();
    for (i, row) in form.images.iter().enumerate() {
        let at = |field: &str| format!("image {} {field}", i + 1);
        let repository = match parse_image_reference(row.repository.trim()) {
            Ok(r) if r.tag.is_none() && r.digest.is_none() => r.repository(),
            _ => {
                problems.push(problem(
                    at("repository"),
                    format!(
                        "{:?} is not a repository name (for example nginx or registry.k8s.io/pause, without a tag)",
                        row.repository
                    ),
                ));
                continue;
            }
        };
        if !repositories.insert(repository.clone()) {
            problems.push(problem(
                at("repository"),
                format!("repository {repository} appears twice"),
            ));
        }
        let mut entry = row.original.clone().unwrap_or(RepositoryEntry {
            repository: repository.clone(),
            exists: true,
            any_tag: false,
            tags: vec![],
            pull_failure: Default::default(),
            entrypoint: vec![],
            cmd: vec![],
            server: None,
            busybox: false,
            note: String::new(),
        });
        entry.repository = repository;
        entry.exists = row.exists;
        entry.tags.clear();
        let mut tags = BTreeSet::new();
        for (j, t) in row.tags.iter().enumerate() {
            let at = |field: &str| format!("image {} tag {} {field}", i + 1, j + 1);
            let tag = t.tag.trim();
            let valid_tag = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
                && !tag.starts_with(['.', '-']);
            if !valid_tag {
                problems.push(problem(at("tag"), format!("{tag:?} is not a valid tag")));
                continue;
            }
            if !tags.insert(tag.to_string()) {
                problems.push(problem(at("tag"), format!("tag {tag:?} appears twice")));
            }
            let original = t.original.as_ref();
            let size = match original {
                Some(o) if mb(o.size_bytes) == t.size_mb.trim() => Ok(o.size_bytes),
                _ => number(&t.size_mb, at("size"), 1e6),
            };
            let pull = match original {
                Some(o) if seconds(o.pull_ms) == t.pull_s.trim() => Ok(o.pull_ms),
                _ => number(&t.pull_s, at("pull time"), 1000.0),
            };
            match (size, pull) {
                (Ok(size_bytes), Ok(pull_ms)) => entry.tags.push(TagEntry {
                    tag: tag.to_string(),
                    size_bytes,
                    pull_ms,
                    digest: original
                        .filter(|o| o.tag == tag)
                        .and_then(|o| o.digest.clone()),
                }),
                (size, pull) => {
                    problems.extend(size.err());
                    problems.extend(pull.err());
                }
            }
        }
        images.repositories.push(entry);
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    let cluster = Cluster {
        version: base.version.clone(),
        nodes,
        users: base.users.clone(),
        images,
    };
    // The description's own checks, exactly as a loaded YAML file gets them.
    Cluster::from_yaml(&cluster.to_yaml()).map_err(|m| vec![problem("cluster", m)])
}

// ---------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Restores a cluster edited on an earlier visit, and keeps every change.
pub fn use_cluster_storage(state: AppState) {
    if let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
        if let Ok(cluster) = Cluster::from_yaml(&saved) {
            state.cluster.set(Arc::new(cluster));
        }
    }
    Effect::new(move |_| {
        let cluster = state.cluster.get();
        if let Some(s) = storage() {
            // A default cluster is not stored, so a newer default reaches old visitors.
            let _ = if *cluster == Cluster::default() {
                s.remove_item(STORAGE_KEY)
            } else {
                s.set_item(STORAGE_KEY, &cluster.to_yaml())
            };
        }
    });
}

// ---------------------------------------------------------------------------------------
// The dialog
// ---------------------------------------------------------------------------------------

/// The header button and, while open, the editor dialog.
#[component]
pub fn ClusterEditor() -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="cluster-editor-open"
            data-testid="open-cluster-editor"
            aria-haspopup="dialog"
            on:click=move |_| open.set(true)
        >
            "Edit cluster"
        </button>
        <Show when=move || open.get()>
            <EditorDialog open=open/>
        </Show>
    }
}

#[component]
fn EditorDialog(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let form = RwSignal::new(state.cluster.with_untracked(|c| form_of(c)));
    let problems = RwSignal::new(Vec::<Problem>::new());
    let yaml = RwSignal::new(state.cluster.with_untracked(|c| c.to_yaml()));
    let yaml_error = RwSignal::new(None::<String>);
    let first_field: NodeRef<leptos::html::Button> = NodeRef::new();
    let close_button: NodeRef<leptos::html::Button> = NodeRef::new();
    let apply_button: NodeRef<leptos::html::Button> = NodeRef::new();

    let previous = send_wrapper::SendWrapper::new(
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element()),
    );
    Effect::new(move |_| {
        if let Some(b) = first_field.get() {
            let _ = b.focus();
        }
    });
    on_cleanup(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = previous
            .take()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });

    let close = move || open.set(false);
    let apply = move |_| {
        let base = state.cluster.get_untracked();
        match form.with_untracked(|f| build(&base, f)) {
            Ok(cluster) => {
                problems.set(vec![]);
                state.cluster.set(Arc::new(cluster));
                close();
            }
            Err(p) => problems.set(p),
        }
    };
    let apply_yaml = move |_| match Cluster::from_yaml(&yaml.get_untracked()) {
        Ok(cluster) => {
            yaml_error.set(None);
            state.cluster.set(Arc::new(cluster));
            close();
        }
        Err(e) => yaml_error.set(Some(e)),
    };
    let reset = move |_| {
        let default = Cluster::default();
        form.set(form_of(&default));
        yaml.set(default.to_yaml());
        problems.set(vec![]);
        yaml_error.set(None);
    };

    let node_count = Memo::new(move |_| form.with(|f| f.nodes.len()));
    let image_count = Memo::new(move |_| form.with(|f| f.images.len()));
    // A problem for a field, shown under it and tied to it with aria-describedby.
    let problem_for = move |field: String| {
        move || {
            problems.with(|ps| {
                ps.iter()
                    .find(|p| p.field == field)
                    .map(|p| p.message.clone())
            })
        }
    };

    let text_cell = move |i: usize,
                          field: &'static str,
                          label: &'static str,
                          get: fn(&NodeRow) -> &String,
                          set: fn(&mut NodeRow, String)| {
        let id = format!("node-{i}-{field}");
        let err_id = format!("{id}-error");
        let key = format!("node {} {field}", i + 1);
        let err = problem_for(key);
        let err2 = err.clone();
        view! {
            <td>
                <input
                    id=id
                    type="text"
                    data-field=field
                    aria-label=format!("{label} of node {}", i + 1)
                    aria-invalid=move || if err().is_some() { "true" } else { "false" }
                    aria-describedby=err_id.clone()
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || form.with(|f| f.nodes.get(i).map(|n| get(n).clone()).unwrap_or_default())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        form.update(|f| if let Some(n) = f.nodes.get_mut(i) { set(n, v) });
                    }
                />
                <span class="field-error" id=err_id role="alert">{err2}</span>
            </td>
        }
    };

    let node_rows = move || {
        (0..node_count.get())
            .map(|i| {
                view! {
                    <tr data-editor-node=i.to_string()>
                        {text_cell(i, "name", "name", |n| &n.name, |n, v| n.name = v)}
                        <td class="center">
                            <input
                                type="checkbox"
                                aria-label=format!("node {} is a control-plane node", i + 1)
                                prop:checked=move || form.with(|f| f.nodes.get(i).is_some_and(|n| n.control_plane))
                                on:change=move |ev| {
                                    let v = event_target_checked(&ev);
                                    form.update(|f| if let Some(n) = f.nodes.get_mut(i) { n.control_plane = v });
                                }
                            />
                        </td>
                        {text_cell(i, "cpu", "CPU", |n| &n.cpu, |n, v| n.cpu = v)}
                        {text_cell(i, "memory", "memory", |n| &n.memory, |n, v| n.memory = v)}
                        {text_cell(i, "pods", "pods", |n| &n.pods, |n, v| n.pods = v)}
                        {text_cell(i, "labels", "labels", |n| &n.labels, |n, v| n.labels = v)}
                        {text_cell(i, "taints", "taints", |n| &n.taints, |n, v| n.taints = v)}
                        <td>
                            <button
                                type="button"
                                class="small-button"
                                aria-label=move || format!("remove node {}", form.with(|f| f.nodes.get(i).map(|n| n.name.clone()).unwrap_or_default()))
                                disabled=move || node_count.get() <= 1
                                on:click=move |_| form.update(|f| { if f.nodes.len() > 1 { f.nodes.remove(i); } })
                            >
                                "✕"
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };

    let image_rows = move || {
        (0..image_count.get())
            .map(|i| {
                let tag_count = Memo::new(move |_| {
                    form.with(|f| f.images.get(i).map(|r| r.tags.len()).unwrap_or(0))
                });
                let repo_err = problem_for(format!("image {} repository", i + 1));
                let repo_err2 = repo_err.clone();
                let tags = move || {
                    (0..tag_count.get())
                        .map(|j| {
                            let field = move |name: &'static str,
                                              label: &'static str,
                                              get: fn(&TagRow) -> &String,
                                              set: fn(&mut TagRow, String)| {
                                let err = problem_for(format!("image {} tag {} {name}", i + 1, j + 1));
                                let err2 = err.clone();
                                view! {
                                    <label class="tag-field">
                                        <span class="tag-label">{label}</span>
                                        <input
                                            type="text"
                                            data-field=name
                                            spellcheck="false"
                                            autocomplete="off"
                                            aria-invalid=move || if err().is_some() { "true" } else { "false" }
                                            prop:value=move || form.with(|f| f.images.get(i).and_then(|r| r.tags.get(j)).map(|t| get(t).clone()).unwrap_or_default())
                                            on:input=move |ev| {
                                                let v = event_target_value(&ev);
                                                form.update(|f| if let Some(t) = f.images.get_mut(i).and_then(|r| r.tags.get_mut(j)) { set(t, v) });
                                            }
                                        />
                                        <span class="field-error" role="alert">{err2}</span>
                                    </label>
                                }
                            };
                            view! {
                                <li class="tag-row">
                                    {field("tag", "tag", |t| &t.tag, |t, v| t.tag = v)}
                                    {field("size", "size (MB)", |t| &t.size_mb, |t, v| t.size_mb = v)}
                                    {field("pull time", "pull (s)", |t| &t.pull_s, |t, v| t.pull_s = v)}
                                    <button
                                        type="button"
                                        class="small-button"
                                        aria-label="remove this tag (it will no longer exist)"
                                        on:click=move |_| form.update(|f| if let Some(r) = f.images.get_mut(i) { if j < r.tags.len() { r.tags.remove(j); } })
                                    >
                                        "✕"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                };
                view! {
                    <li class="image-row">
                        <div class="image-head">
                            <label class="repo-field">
                                <span>"repository"</span>
                                <input
                                    type="text"
                                    data-field="repository"
                                    spellcheck="false"
                                    autocomplete="off"
                                    aria-invalid=move || if repo_err().is_some() { "true" } else { "false" }
                                    prop:value=move || form.with(|f| f.images.get(i).map(|r| r.repository.clone()).unwrap_or_default())
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        form.update(|f| if let Some(r) = f.images.get_mut(i) { r.repository = v });
                                    }
                                />
                            </label>
                            <label class="exists-field">
                                <input
                                    type="checkbox"
                                    prop:checked=move || form.with(|f| f.images.get(i).is_some_and(|r| r.exists))
                                    on:change=move |ev| {
                                        let v = event_target_checked(&ev);
                                        form.update(|f| if let Some(r) = f.images.get_mut(i) { r.exists = v });
                                    }
                                />
                                " exists"
                            </label>
                            <button
                                type="button"
                                class="small-button"
                                on:click=move |_| form.update(|f| if let Some(r) = f.images.get_mut(i) { r.tags.push(new_tag()) })
                            >
                                "+ tag"
                            </button>
                            <button
                                type="button"
                                class="small-button"
                                aria-label="remove this repository from the table"
                                on:click=move |_| form.update(|f| { if i < f.images.len() { f.images.remove(i); } })
                            >
                                "✕"
                            </button>
                        </div>
                        <span class="field-error" role="alert">{repo_err2}</span>
                        <ul class="tags">{tags}</ul>
                    </li>
                }
            })
            .collect_view()
    };

    let general_problems = move || {
        problems.with(|ps| {
            ps.iter()
                .map(|p| view! { <li><b>{p.field.clone()}</b>": "{p.message.clone()}</li> })
                .collect_view()
        })
    };

    view! {
        <div class="overlay" on:click=move |_| close()>
            <div
                class="dialog cluster-editor"
                data-testid="cluster-editor"
                role="dialog"
                aria-modal="true"
                aria-labelledby="cluster-editor-title"
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        ev.stop_propagation();
                        close();
                    }
                }
            >
                // Focus sentinels keep Tab inside the dialog.
                <span class="sentinel" tabindex="0" on:focus=move |_| { if let Some(b) = apply_button.get() { let _ = b.focus(); } }></span>
                <header>
                    <h2 id="cluster-editor-title">"Edit the cluster"</h2>
                    <button type="button" class="close" aria-label="close" node_ref=close_button on:click=move |_| close()>"✕"</button>
                </header>
                <p class="note">
                    "Change the nodes and the images the registries hold, then apply: the simulation runs again on the new cluster, \
                     so the scheduler and the kubelet decide differently."
                </p>
                <section aria-labelledby="editor-nodes-title">
                    <div class="editor-section-head">
                        <h3 id="editor-nodes-title">"Nodes"</h3>
                        <button
                            type="button"
                            class="small-button"
                            data-action="add-node"
                            node_ref=first_field
                            on:click=move |_| form.update(|f| { let n = new_worker(f); f.nodes.push(n); })
                        >
                            "+ Add worker node"
                        </button>
                    </div>
                    <div class="editor-table-scroll">
                        <table class="editor-nodes">
                            <thead>
                                <tr>
                                    <th scope="col">"name"</th>
                                    <th scope="col"><abbr title="control plane">"cp"</abbr></th>
                                    <th scope="col">"CPU"</th>
                                    <th scope="col">"memory"</th>
                                    <th scope="col">"pods"</th>
                                    <th scope="col">"labels " <small>"k=v, …"</small></th>
                                    <th scope="col">"taints " <small>"k=v:Effect, …"</small></th>
                                    <th scope="col"><span class="visually-hidden">"remove"</span></th>
                                </tr>
                            </thead>
                            <tbody>{node_rows}</tbody>
                        </table>
                    </div>
                </section>
                <section aria-labelledby="editor-images-title">
                    <div class="editor-section-head">
                        <h3 id="editor-images-title">"Images"</h3>
                        <button type="button" class="small-button" on:click=move |_| form.update(|f| f.images.push(new_image()))>
                            "+ Add repository"
                        </button>
                    </div>
                    <p class="note">
                        "A listed repository knows exactly its tags: any other tag fails to pull (ErrImagePull). \
                         Untick “exists” and no tag of it can be pulled. Repositories not listed exist with a default size."
                    </p>
                    <ul class="images">{image_rows}</ul>
                </section>
                <ul class="problems" aria-live="polite">{general_problems}</ul>
                <div class="editor-actions">
                    <button type="button" class="primary" data-action="apply" node_ref=apply_button on:click=apply>"Apply"</button>
                    <button type="button" on:click=reset>"Default cluster"</button>
                    <button type="button" on:click=move |_| close()>"Cancel"</button>
                </div>
                <details class="yaml-mode">
                    <summary>"Advanced: the whole cluster as YAML"</summary>
                    <textarea
                        class="cluster-yaml"
                        aria-label="the cluster description as YAML"
                        spellcheck="false"
                        rows="14"
                        prop:value=move || yaml.get()
                        on:input=move |ev| yaml.set(event_target_value(&ev))
                    ></textarea>
                    <p class="field-error" role="alert">{move || yaml_error.get()}</p>
                    <button type="button" on:click=apply_yaml>"Apply YAML"</button>
                </details>
                <span class="sentinel" tabindex="0" on:focus=move |_| { if let Some(b) = close_button.get() { let _ = b.focus(); } }></span>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cluster_round_trips_through_the_form() {
        let c = Cluster::default();
        let f = form_of(&c);
        assert_eq!(f.nodes.len(), 3);
        assert_eq!(
            f.nodes[0].taints,
            "node-role.kubernetes.io/control-plane:NoSchedule"
        );
        assert_eq!(build(&c, &f), Ok(c));
    }

    #[test]
    fn adding_a_worker_picks_the_next_name() {
        let c = Cluster::default();
        let mut f = form_of(&c);
        let n = new_worker(&f);
        assert_eq!((n.name.as_str(), n.cpu.as_str()), ("w3", "2"));
        f.nodes.push(n);
        f.nodes[3].cpu = "8".into();
        f.nodes[3].labels = "disktype=ssd".into();
        let built = build(&c, &f).expect("valid");
        assert_eq!(built.nodes.len(), 4);
        assert_eq!(built.nodes[3].cpu, "8");
        assert_eq!(built.nodes[3].labels["disktype"], "ssd");
    }

    #[test]
    fn validation_names_every_bad_field() {
        let c = Cluster::default();
        let mut f = form_of(&c);
        f.nodes[2].name = "w1".into();
        f.nodes[1].cpu = "two".into();
        f.nodes[1].memory = "0".into();
        f.nodes[1].pods = "-3".into();
        f.nodes[1].taints = "gpu=yes:Sometimes".into();
        f.nodes[1].labels = "novalue".into();
        let problems = build(&c, &f).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "node 2 cpu",
                "node 2 memory",
                "node 2 pods",
                "node 2 labels",
                "node 2 taints",
                "node 3 name"
            ]
        );
        assert!(problems[0].message.contains("is not a quantity"));
        assert_eq!(problems[1].message, "must be more than zero");
        assert!(problems[4].message.contains("is not a taint effect"));
        assert_eq!(problems[5].message, "node name \"w1\" appears twice");
    }

    #[test]
    fn labels_and_taints_parse() {
        assert_eq!(
            parse_labels("a=1, example.com/zone = b,\nempty=").unwrap(),
            BTreeMap::from([
                ("a".to_string(), "1".to_string()),
                ("empty".to_string(), String::new()),
                ("example.com/zone".to_string(), "b".to_string()),
            ])
        );
        assert!(parse_labels("Bad Key=1").is_err());
        let taints = parse_taints("dedicated=gpu:NoSchedule, special:NoExecute").unwrap();
        assert_eq!(
            format_taints(&taints),
            "dedicated=gpu:NoSchedule, special:NoExecute"
        );
        assert!(parse_taints("nocolon").is_err());
        assert!(!valid_dns_subdomain("W1"));
        assert!(valid_dns_subdomain("worker-1.example"));
    }

    #[test]
    fn images_keep_exact_values_until_edited() {
        let c = Cluster::default();
        let mut f = form_of(&c);
        let nginx = f
            .images
            .iter()
            .position(|r| r.repository == "docker.io/library/nginx")
            .unwrap();
        // Mark nginx:doesnotexist as existing: a new tag, 10 MB pulled in 0.5 s.
        f.images[nginx].tags.push(TagRow {
            tag: "doesnotexist".into(),
            size_mb: "10".into(),
            pull_s: "0.5".into(),
            original: None,
        });
        let built = build(&c, &f).unwrap();
        let entry = built.images.entry("docker.io/library/nginx").unwrap();
        let old = c.images.entry("docker.io/library/nginx").unwrap();
        assert_eq!(
            entry.tags[..old.tags.len()],
            old.tags[..],
            "untouched tags exact"
        );
        let new = entry.tags.last().unwrap();
        assert_eq!((new.size_bytes, new.pull_ms), (10_000_000, 500));
        assert!(built.images.resolve("nginx:doesnotexist").unwrap().exists);
        assert_eq!(
            entry.server, old.server,
            "fields the form does not show are kept"
        );

        // A short repository name is normalized; a tag in it is refused.
        let mut g = form_of(&c);
        g.images.push(ImageRow {
            repository: "example/app".into(),
            ..new_image()
        });
        g.images.last_mut().unwrap().tags[0].tag = "v1".into();
        let built = build(&c, &g).unwrap();
        assert!(built.images.entry("docker.io/example/app").is_some());
        g.images.last_mut().unwrap().repository = "example/app:v1".into();
        assert!(build(&c, &g).unwrap_err()[0]
            .message
            .contains("without a tag"));
        // Size must be a number.
        let mut h = form_of(&c);
        h.images[nginx].tags[0].size_mb = "big".into();
        assert!(build(&c, &h).unwrap_err()[0].field.ends_with("size"));
    }
}
