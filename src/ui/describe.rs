//! `kubectl describe pod` and `kubectl get events` for the selected pod, as they would
//! print at the current step: the pod and the events as etcd holds them then, ages
//! counted from the step's time. The pod is the one in [`AppState::selected`] (a pod
//! chip in the cluster view may set it), else the manifest's first pod.

use leptos::prelude::*;
use serde_json::Value;

use super::AppState;
use crate::sim::{engine::api_shared, etcd, kubectl::print, object};

/// `namespace/name` of the first Pod in the manifest's documents.
fn first_pod(documents: &[crate::sim::manifest::Document]) -> Option<String> {
    documents
        .iter()
        .map(|d| &d.value)
        .find(|v| object::kind(v) == "Pod" && !object::name(v).is_empty())
        .map(|v| {
            let ns = match object::namespace(v) {
                "" => "default",
                ns => ns,
            };
            format!("{ns}/{}", object::name(v))
        })
}

/// The two commands' outputs for `pod` (`namespace/name`) in `etcd` at `now_ms`.
fn outputs(etcd: &etcd::Snapshot, pod: &str, now_ms: u64) -> (String, String) {
    let (namespace, name) = pod.split_once('/').unwrap_or(("default", pod));
    // The stored objects themselves (they carry their resourceVersion), not copies: a
    // 3,000-pod run has 18,000 events.
    let events: Vec<std::sync::Arc<Value>> = etcd
        .range(&format!("/registry/events/{namespace}/"))
        .map(|(_, kv)| api_shared(kv))
        .collect();
    let refs: Vec<&Value> = events.iter().map(|e| e.as_ref()).collect();
    let describe = match etcd.get(&etcd::key_for("pods", namespace, name)) {
        Some(kv) => print::describe_pod(&api_shared(kv), &refs, now_ms),
        None => format!("Error from server (NotFound): pods \"{name}\" not found"),
    };
    let listed = print::get_events(&refs, namespace, now_ms);
    let events = format!("{}{}", listed.stdout, listed.stderr);
    (
        describe.trim_end().to_string(),
        events.trim_end().to_string(),
    )
}

/// `visible`: whether the panel is on screen (a hidden tab computes nothing; `None`:
/// always on screen, as in an embed).
#[component]
pub fn Describe(#[prop(optional, into)] visible: Option<Signal<bool>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let visible = move || visible.is_none_or(|v| v.get());
    let pod = Memo::new(move |_| {
        state.selected.get().or_else(|| {
            state
                .simulation
                .with(|s| first_pod(&s.parsed.documents))
                .or_else(|| {
                    state.etcd.with(|etcd| {
                        etcd.range("/registry/pods/")
                            .next()
                            .map(|(k, _)| k["/registry/pods/".len()..].to_string())
                    })
                })
        })
    });
    // The pods a learner can pick: those in etcd now, and the one shown.
    let choices = Memo::new(move |_| {
        if !visible() {
            return pod.get().into_iter().collect();
        }
        let mut pods: Vec<String> = state.etcd.with(|etcd| {
            etcd.range("/registry/pods/")
                .map(|(k, _)| k["/registry/pods/".len()..].to_string())
                .collect()
        });
        if let Some(p) = pod.get() {
            if !pods.contains(&p) {
                pods.insert(0, p);
            }
        }
        pods
    });
    let text = Memo::new(move |_| {
        if !visible() {
            return None;
        }
        let at = state.position();
        let pod = pod.get()?;
        let now = state.trace.with(|t| t.steps.get(at).map_or(0, |s| s.at_ms));
        Some(state.etcd.with(|etcd| outputs(etcd, &pod, now)))
    });
    let command = move |what: &str| {
        let (ns, name) = pod
            .get()
            .and_then(|p| {
                p.split_once('/')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            })
            .unwrap_or_default();
        let flag = if ns == "default" || ns.is_empty() {
            String::new()
        } else {
            format!(" -n {ns}")
        };
        match what {
            "describe" => format!("kubectl describe pod {name}{flag}"),
            _ => format!("kubectl get events{flag}"),
        }
    };

    view! {
        <section class="panel describe" data-testid="describe" aria-labelledby="describe-title">
            <header class="panel-header">
                <h2 id="describe-title">"describe & events"</h2>
                <label class="pod-picker">
                    <span class="visually-hidden">"pod"</span>
                    <select
                        aria-label="pod to describe"
                        on:change=move |ev| state.selected.set(Some(event_target_value(&ev)))
                        prop:value=move || pod.get().unwrap_or_default()
                    >
                        {move || {
                            let shown = pod.get();
                            choices
                                .get()
                                .into_iter()
                                .map(|p| {
                                    let on = shown.as_deref() == Some(p.as_str());
                                    view! { <option value=p.clone() selected=on>{p.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
            </header>
            <div class="describe-scroll">
                {move || match text.get() {
                    None => view! { <p class="empty">"No pod to describe: the manifest has none."</p> }.into_any(),
                    Some((describe, events)) => view! {
                        <p class="command"><span class="prompt" aria-hidden="true">"$ "</span>{command("describe")}</p>
                        <pre class="output">{describe}</pre>
                        <p class="command"><span class="prompt" aria-hidden="true">"$ "</span>{command("events")}</p>
                        <pre class="output">{events}</pre>
                    }
                    .into_any(),
                }}
            </div>
        </section>
    }
}

/// The etcd keyspace and the describe panel, one at a time, behind two tabs (← and →
/// move between them).
#[component]
pub fn Inspector() -> impl IntoView {
    let tab = RwSignal::new("etcd");
    view! {
        <div class="inspector">
            <div class="inspector-tabs" role="tablist" aria-label="etcd or kubectl describe">
                {super::tabs::tab_button("inspector", tab, "etcd", "describe", "etcd keyspace")}
                {super::tabs::tab_button("inspector", tab, "describe", "etcd", "describe & events")}
            </div>
            <div
                class="inspector-pane"
                id="inspector-pane-etcd"
                role="tabpanel"
                aria-labelledby="inspector-tab-etcd"
                hidden=move || tab.get() != "etcd"
            >
                <super::etcd::EtcdKeyspace/>
            </div>
            <div
                class="inspector-pane"
                id="inspector-pane-describe"
                role="tabpanel"
                aria-labelledby="inspector-tab-describe"
                hidden=move || tab.get() != "describe"
            >
                <Describe visible=Signal::derive(move || tab.get() == "describe")/>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{self, cluster::Cluster};

    #[test]
    fn the_first_pod_of_the_manifest() {
        let parsed = sim::manifest::parse(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n",
        );
        assert_eq!(first_pod(&parsed.documents).as_deref(), Some("shop/web"));
        let parsed = sim::manifest::parse(sim::scenarios::NGINX);
        assert_eq!(
            first_pod(&parsed.documents).as_deref(),
            Some("default/nginx")
        );
    }

    #[test]
    fn describe_at_a_step_is_kubectls() {
        let trace = sim::simulate(sim::scenarios::NGINX, &Cluster::default(), 42).trace;
        let last = trace.steps.len() - 1;
        let (describe, events) = outputs(
            &trace.etcd_at(last),
            "default/nginx",
            trace.steps[last].at_ms,
        );
        assert!(
            describe.starts_with("Name:             nginx\n"),
            "{describe}"
        );
        assert!(describe.contains("Status:           Running"), "{describe}");
        assert!(events.starts_with("LAST SEEN"), "{events}");
        let (before, none) = outputs(&trace.etcd_at(0), "default/nginx", 0);
        assert_eq!(
            before,
            "Error from server (NotFound): pods \"nginx\" not found"
        );
        assert_eq!(none, "No resources found in default namespace.");
    }
}
