//! The kubectl console: the script the simulation runs (the manifest's `kubectl apply`
//! at 0 s, then the commands the learner added), each with what kubectl printed, and a
//! prompt with history (↑/↓).
//!
//! Two kinds of command (see [`classify`]):
//! - commands that change the cluster (`apply`, `create`, `run`, `delete`, `label`,
//!   `cordon`, `uncordon`, `scale`, `expose`, `drain`, and `get -w` and `rollout status`,
//!   which print as things happen) join the scenario at the cursor's time: the
//!   simulation runs again and the trace changes from there on; the cursor stays;
//! - read commands (`get`, `describe`, `logs`, `exec`) print what they would print at the current
//!   step: the same scenario runs once more with the read added at the step's time, and
//!   the console shows the lines that run printed in addition. The shown trace is untouched.
//!
//! kubectl's output is text in a `<pre>`, never HTML.

use std::collections::BTreeMap;

use leptos::html::Div;
use leptos::prelude::*;

use super::keyspace;
use super::state::{scenario, SEED};
use super::AppState;
use crate::sim::{self, kubectl::client, trace::format_ms};

/// What a command line does to the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// It changes the cluster (or streams): it becomes part of the scenario.
    Change,
    /// It only reads: it prints, as of the current step, and changes nothing.
    Read,
}

/// Sorts a command line into [`Kind`], or returns what the shell or kubectl would print
/// for it (`bash: ls: command not found`, `error: unknown command "frob" for "kubectl"`).
pub fn classify(line: &str, files: &BTreeMap<String, String>) -> Result<Kind, String> {
    let words = client::split_words(line);
    match words.first().map(String::as_str) {
        None => return Err(String::new()),
        Some("kubectl") => {}
        Some(other) => return Err(format!("bash: {other}: command not found")),
    }
    let command = client::parse_command(line, files)?;
    Ok(match command.action {
        client::Action::Get { watch: true, .. } => Kind::Change,
        client::Action::Get { .. }
        | client::Action::GetMany { .. }
        | client::Action::Describe { .. }
        | client::Action::Logs { .. }
        | client::Action::Exec { .. } => Kind::Read,
        // `rollout status` waits and prints as the rollout goes: it joins the scenario.
        _ => Kind::Change,
    })
}

/// Where the apply line and the added commands are kept between visits (the manifest
/// itself is kept by [`super::hooks::use_local_storage`]).
const SCRIPT_KEY: &str = "podflow.script";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved script, if it is one: `[apply line, [[ms, command], ...]]`.
fn parse_saved(text: &str) -> Option<(String, Vec<(u64, String)>)> {
    let (apply, commands): (String, Vec<(u64, String)>) = serde_json::from_str(text).ok()?;
    apply
        .starts_with(&super::state::default_apply())
        .then_some((apply, commands))
}

/// Restores the script of an earlier visit and saves every change, so a reload shows
/// the same simulation.
pub fn use_script_storage(state: AppState) {
    if let Some((apply, commands)) = storage()
        .and_then(|s| s.get_item(SCRIPT_KEY).ok().flatten())
        .and_then(|t| parse_saved(&t))
    {
        state.apply.set(apply);
        state.commands.set(commands);
    }
    Effect::new(move |_| {
        let saved =
            serde_json::to_string(&(state.apply.get(), state.commands.get())).unwrap_or_default();
        if let Some(s) = storage() {
            let _ = s.set_item(SCRIPT_KEY, &saved);
        }
    });
}

/// One command of the script with its output.
#[derive(Clone, Debug, PartialEq)]
struct ScriptEntry {
    at_ms: u64,
    line: String,
    output: Vec<String>,
    /// Index in `AppState::commands` (None: the manifest's apply).
    added: Option<usize>,
}

/// A read command typed in this session and what it printed.
#[derive(Clone, Debug, PartialEq)]
struct Read {
    line: String,
    step: usize,
    at_ms: u64,
    output: String,
}

/// The output of each command of the script: the lines each run prints beyond the run
/// without that command (kubectl prints one command's output after the other's).
fn script(
    manifest: &str,
    apply: &str,
    commands: &[(u64, String)],
    cluster: &sim::cluster::Cluster,
    full: &[String],
) -> Vec<ScriptEntry> {
    let mut order: Vec<usize> = (0..commands.len()).collect();
    order.sort_by_key(|&i| commands[i].0);
    let mut runs: Vec<Vec<String>> = Vec::with_capacity(order.len() + 1);
    for k in 0..order.len() {
        let prefix: Vec<(u64, String)> = order[..k].iter().map(|&i| commands[i].clone()).collect();
        let trace = sim::run(
            &scenario(manifest, apply, &prefix),
            cluster,
            SEED,
            sim::DEFAULT_HORIZON_MS,
        );
        runs.push(trace.kubectl);
    }
    runs.push(full.to_vec());
    let mut out = vec![ScriptEntry {
        at_ms: 0,
        line: apply.to_string(),
        output: runs[0].clone(),
        added: None,
    }];
    for (k, &i) in order.iter().enumerate() {
        out.push(ScriptEntry {
            at_ms: commands[i].0,
            line: commands[i].1.clone(),
            output: keyspace::added(&runs[k], &runs[k + 1])
                .into_iter()
                .map(str::to_string)
                .collect(),
            added: Some(i),
        });
    }
    out
}

#[component]
pub fn KubectlConsole() -> impl IntoView {
    let state = expect_context::<AppState>();
    let input = RwSignal::new(String::new());
    let typed: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let recall: RwSignal<Option<usize>> = RwSignal::new(None);
    let reads: RwSignal<Vec<Read>> = RwSignal::new(Vec::new());
    let transcript: NodeRef<Div> = NodeRef::new();

    let entries = Memo::new(move |_| {
        let manifest = state.manifest.get();
        let apply = state.apply.get();
        let cluster = state.cluster.get();
        state.commands.with(|c| {
            state
                .simulation
                .with(|s| script(&manifest, &apply, c, &cluster, &s.trace.kubectl))
        })
    });
    let now_ms = Memo::new(move |_| {
        let at = state.position();
        state.trace.with(|t| t.steps.get(at).map_or(0, |s| s.at_ms))
    });

    // Keep the newest output in view.
    Effect::new(move |_| {
        entries.track();
        reads.track();
        if let Some(el) = transcript.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });

    let submit = move || {
        let line = input.get_untracked().trim().to_string();
        input.set(String::new());
        recall.set(None);
        if line.is_empty() {
            return;
        }
        typed.update(|t| {
            if t.last() != Some(&line) {
                t.push(line.clone());
            }
        });
        let manifest = state.manifest.get_untracked();
        let mut files = BTreeMap::new();
        files.insert(sim::MANIFEST_FILE.to_string(), manifest.clone());
        let step = state
            .cursor
            .get_untracked()
            .min(state.steps().saturating_sub(1));
        let at_ms = now_ms.get_untracked();
        let note = |output: String| Read {
            line: line.clone(),
            step,
            at_ms,
            output,
        };
        match classify(&line, &files) {
            Err(message) => reads.update(|r| r.push(note(message))),
            Ok(Kind::Change) => {
                state.playing.set(false);
                state.commands.update(|c| c.push((at_ms, line.clone())));
            }
            Ok(Kind::Read) if state.stale.get_untracked() => reads.update(|r| {
                r.push(note(
                    "(podflow) The manifest has errors, so the cluster shown is from its last valid version; fix the manifest to run commands against it."
                        .to_string(),
                ))
            }),
            Ok(Kind::Read) => {
                let apply = state.apply.get_untracked();
                let mut extra = state.commands.get_untracked();
                extra.push((at_ms, line.clone()));
                let cluster = state.cluster.get_untracked();
                let trace = sim::run(
                    &scenario(&manifest, &apply, &extra),
                    &cluster,
                    SEED,
                    sim::DEFAULT_HORIZON_MS,
                );
                let output = state.simulation.with_untracked(|s| {
                    keyspace::added(&s.trace.kubectl, &trace.kubectl).join("\n")
                });
                reads.update(|r| r.push(note(output)));
            }
        }
    };

    let on_keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "ArrowUp" => {
            let len = typed.with_untracked(Vec::len);
            if len == 0 {
                return;
            }
            ev.prevent_default();
            let pos = recall
                .get_untracked()
                .map_or(len - 1, |p| p.saturating_sub(1));
            recall.set(Some(pos));
            input.set(typed.with_untracked(|t| t[pos].clone()));
        }
        "ArrowDown" => {
            let Some(pos) = recall.get_untracked() else {
                return;
            };
            ev.prevent_default();
            let len = typed.with_untracked(Vec::len);
            if pos + 1 < len {
                recall.set(Some(pos + 1));
                input.set(typed.with_untracked(|t| t[pos + 1].clone()));
            } else {
                recall.set(None);
                input.set(String::new());
            }
        }
        _ => {}
    };

    let script_view = move || {
        let now = now_ms.get();
        entries.with(|entries| {
            entries
                .iter()
                .map(|e| {
                    let later = e.at_ms > now;
                    let output = e.output.join("\n");
                    let remove = e.added.map(|i| {
                        let line = e.line.clone();
                        view! {
                            <button
                                type="button"
                                class="remove"
                                aria-label=format!("remove {line} from the scenario")
                                title="remove from the scenario"
                                on:click=move |_| {
                                    state.commands.update(|c| {
                                        if i < c.len() {
                                            c.remove(i);
                                        }
                                    })
                                }
                            >
                                "✕"
                            </button>
                        }
                    });
                    view! {
                        <div class="entry script" class:later=later>
                            <div class="command">
                                <span class="prompt" aria-hidden="true">"$ "</span>
                                <span class="line">{e.line.clone()}</span>
                                <span class="at">
                                    {format!("at {}{}", format_ms(e.at_ms), if later { " · later" } else { "" })}
                                </span>
                                {remove}
                            </div>
                            {(!output.is_empty()).then(|| view! { <pre class="output">{output}</pre> })}
                        </div>
                    }
                })
                .collect_view()
        })
    };
    let reads_view = move || {
        reads.with(|reads| {
            reads
                .iter()
                .map(|r| {
                    let output = r.output.clone();
                    view! {
                        <div class="entry read">
                            <div class="command">
                                <span class="prompt" aria-hidden="true">"$ "</span>
                                <span class="line">{r.line.clone()}</span>
                                <span class="at">{format!("at step {} · {}", r.step + 1, format_ms(r.at_ms))}</span>
                            </div>
                            {(!output.is_empty()).then(|| view! { <pre class="output">{output}</pre> })}
                        </div>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section class="panel console" data-testid="kubectl-console" aria-labelledby="console-title">
            <header class="panel-header">
                <h2 id="console-title">"kubectl"</h2>
                <span class="panel-meta">
                    {move || format!("runs at the cursor: {}", format_ms(now_ms.get()))}
                </span>
            </header>
            <div class="transcript" node_ref=transcript role="log" aria-label="kubectl commands and their output">
                {script_view}
                {reads_view}
            </div>
            <form
                class="prompt-line"
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <label for="kubectl-input" class="prompt">"$"</label>
                <input
                    id="kubectl-input"
                    type="text"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    placeholder="kubectl get pods"
                    aria-label="kubectl command; Enter runs it at the current step, ↑ and ↓ recall earlier ones"
                    bind:value=input
                    on:keydown=on_keydown
                />
            </form>
        </section>
    }
}

/// The manifest editor and the console: side by side in one area, behind two tabs when
/// the whole app fits the window (a desktop), one above the other otherwise (CSS decides).
#[component]
pub fn EditorStack() -> impl IntoView {
    let tab = RwSignal::new("manifest");
    view! {
        <div class="editor-stack">
            <div class="stack-tabs" role="tablist" aria-label="manifest or kubectl">
                {super::tabs::tab_button("stack", tab, "manifest", "kubectl", "manifest")}
                {super::tabs::tab_button("stack", tab, "kubectl", "manifest", "kubectl console")}
            </div>
            <div
                class="stack-pane manifest-pane"
                id="stack-pane-manifest"
                role="tabpanel"
                aria-labelledby="stack-tab-manifest"
                class:inactive=move || tab.get() != "manifest"
            >
                <super::editor::ManifestEditor/>
            </div>
            <div
                class="stack-pane console-pane"
                id="stack-pane-kubectl"
                role="tabpanel"
                aria-labelledby="stack-tab-kubectl"
                class:inactive=move || tab.get() != "kubectl"
            >
                <KubectlConsole/>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BTreeMap<String, String> {
        let mut f = BTreeMap::new();
        f.insert("pod.yaml".to_string(), sim::scenarios::NGINX.to_string());
        f
    }

    #[test]
    fn commands_are_sorted_into_reads_and_changes() {
        let f = files();
        for read in [
            "kubectl get pods",
            "kubectl get pods -o wide",
            "kubectl describe pod nginx",
            "kubectl logs nginx",
            "kubectl get nodes",
            "kubectl get all",
            "kubectl exec nginx -- hostname",
        ] {
            assert_eq!(classify(read, &f), Ok(Kind::Read), "{read}");
        }
        for change in [
            "kubectl delete pod nginx",
            "kubectl run box --image=busybox",
            "kubectl apply -f pod.yaml",
            "kubectl create -f pod.yaml",
            "kubectl label node w1 disktype=ssd",
            "kubectl cordon w1",
            "kubectl get pods -w",
            "kubectl scale deployment web --replicas=3",
            "kubectl rollout status deployment/web",
        ] {
            assert_eq!(classify(change, &f), Ok(Kind::Change), "{change}");
        }
        assert_eq!(
            classify("ls -l", &f),
            Err("bash: ls: command not found".into())
        );
        assert_eq!(classify("   ", &f), Err(String::new()));
        assert!(classify("kubectl frob", &f)
            .unwrap_err()
            .contains("unknown command"));
        assert_eq!(
            classify("kubectl apply -f other.yaml", &f),
            Err("error: the path \"other.yaml\" does not exist".into())
        );
    }

    #[test]
    fn a_saved_script_reads_back() {
        let saved = serde_json::to_string(&(
            "kubectl apply -f pod.yaml --as=jane",
            vec![(10_000u64, "kubectl delete pod nginx")],
        ))
        .unwrap();
        assert_eq!(
            parse_saved(&saved),
            Some((
                "kubectl apply -f pod.yaml --as=jane".to_string(),
                vec![(10_000, "kubectl delete pod nginx".to_string())]
            ))
        );
        assert_eq!(parse_saved("[\"rm -rf /\", []]"), None);
        assert_eq!(parse_saved("garbage"), None);
    }

    #[test]
    fn the_script_gives_each_command_its_own_output() {
        let cluster = sim::cluster::Cluster::default();
        let commands = vec![(10_000, "kubectl delete pod nginx".to_string())];
        let apply = super::super::state::default_apply();
        let full = sim::run(
            &scenario(sim::scenarios::NGINX, &apply, &commands),
            &cluster,
            SEED,
            sim::DEFAULT_HORIZON_MS,
        );
        let s = script(
            sim::scenarios::NGINX,
            &apply,
            &commands,
            &cluster,
            &full.kubectl,
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].output, ["pod/nginx created"]);
        assert_eq!(s[1].output, ["pod \"nginx\" deleted"]);
        assert_eq!(s[1].added, Some(0));
    }

    #[test]
    fn a_read_at_the_end_prints_the_running_pod() {
        let cluster = sim::cluster::Cluster::default();
        let apply = super::super::state::default_apply();
        let base = sim::run(
            &scenario(sim::scenarios::NGINX, &apply, &[]),
            &cluster,
            SEED,
            sim::DEFAULT_HORIZON_MS,
        );
        let end = base.steps.last().unwrap().at_ms;
        let read = sim::run(
            &scenario(
                sim::scenarios::NGINX,
                &apply,
                &[(end, "kubectl get pods".into())],
            ),
            &cluster,
            SEED,
            sim::DEFAULT_HORIZON_MS,
        );
        let out = keyspace::added(&base.kubectl, &read.kubectl).join("\n");
        assert!(out.contains("nginx") && out.contains("Running"), "{out}");
    }
}
