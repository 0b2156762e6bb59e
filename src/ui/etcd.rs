//! The etcd keyspace at the cursor: every key with its create_revision, mod_revision and
//! version, the global revision, and the keys the current step wrote.

use leptos::prelude::*;

use super::AppState;

#[derive(Clone, PartialEq)]
struct Row {
    key: String,
    create_revision: u64,
    mod_revision: u64,
    version: u64,
    written: bool,
}

#[component]
pub fn EtcdKeyspace() -> impl IntoView {
    let state = expect_context::<AppState>();
    let rows = Memo::new(move |_| {
        let at = state.position();
        state.trace.with(|t| {
            let written: Vec<String> = t
                .steps
                .get(at)
                .map(|s| s.writes.clone())
                .unwrap_or_default();
            let etcd = t.etcd_at(at);
            let rows: Vec<Row> = etcd
                .iter()
                .map(|(key, kv)| Row {
                    key: key.clone(),
                    create_revision: kv.create_revision,
                    mod_revision: kv.mod_revision,
                    version: kv.version,
                    written: written.contains(key),
                })
                .collect();
            (etcd.revision(), rows)
        })
    });

    view! {
        <section class="panel etcd" data-testid="etcd-keyspace" aria-labelledby="etcd-title">
            <header class="panel-header">
                <h2 id="etcd-title">"etcd keyspace"</h2>
                <span class="panel-meta">{move || format!("revision {}", rows.with(|r| r.0))}</span>
            </header>
            <div class="table-scroll">
                <table class="keys">
                    <thead>
                        <tr>
                            <th scope="col">"key"</th>
                            <th scope="col" title="create_revision">"created"</th>
                            <th scope="col" title="mod_revision">"modified"</th>
                            <th scope="col">"version"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            rows.with(|(_, rows)| {
                                rows.iter()
                                    .map(|r| {
                                        view! {
                                            <tr data-key=r.key.clone() class:written=r.written>
                                                <td class="key">{r.key.clone()}</td>
                                                <td>{r.create_revision}</td>
                                                <td>{r.mod_revision}</td>
                                                <td>{r.version}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()
                            })
                        }}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
