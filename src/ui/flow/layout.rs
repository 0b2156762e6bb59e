//! The message flow's geometry, pure: which lanes exist and in what order, where each
//! lane and row sits, how runs of repeated messages collapse, and which rows are in view.
//!
//! Invariants:
//! - lanes appear once each, in the order a request travels (kubectl, kube-apiserver, etcd,
//!   kube-controller-manager, kube-scheduler, then per node kubelet, containerd, cni,
//!   kube-proxy, then coredns and webhooks), whatever order the trace mentions them in;
//! - rows are sorted by step and never share a step; every visible step is in exactly one
//!   row, so the cursor always maps to at most one row ([`row_of`]);
//! - all rows have the same height, so the visible window is arithmetic and a trace of
//!   10,000 steps renders only the few dozen rows on screen.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::sim::trace::Component;

/// Height of one message row, in CSS pixels.
pub const ROW_H: f64 = 30.0;
/// Distance between two lanes.
pub const LANE_W: f64 = 120.0;
/// The left column with the step number and the category's name.
pub const GUTTER_W: f64 = 100.0;
/// How far a message to itself loops out to the right of its lane.
pub const SELF_LOOP_W: f64 = 26.0;
/// A run of identical messages this long or longer collapses into one row.
pub const MIN_RUN: usize = 3;
/// Rows rendered above and below the viewport, so fast scrolling shows no blank.
pub const OVERSCAN: usize = 8;
/// A trace with at most this many rows renders all of them (every arrow is in the page,
/// for find-in-page and tests) and shows its runs expanded; above it, only the window in
/// view is rendered and runs start collapsed.
pub const VIRTUALISE_ABOVE: usize = 300;

/// Whether runs start collapsed in a trace of `steps` steps.
pub fn collapse_by_default(steps: usize) -> bool {
    steps > VIRTUALISE_ABOVE
}

/// Where a component sits in the lane order: control plane first, then node by node,
/// then cluster add-ons.
fn rank(c: &Component) -> (u8, &str, u8) {
    match c {
        Component::Kubectl => (0, "", 0),
        Component::ApiServer => (1, "", 0),
        Component::Etcd => (2, "", 0),
        Component::ControllerManager => (3, "", 0),
        Component::Scheduler => (4, "", 0),
        Component::Kubelet(n) => (5, n, 0),
        Component::Runtime(n) => (5, n, 1),
        Component::Cni(n) => (5, n, 2),
        Component::KubeProxy(n) => (5, n, 3),
        Component::CoreDns => (6, "", 0),
        Component::Webhook(name) => (7, name, 0),
    }
}

/// The lanes for the components a trace mentions, each once, in lane order.
pub fn lane_order<'a>(components: impl IntoIterator<Item = &'a Component>) -> Vec<Component> {
    let mut lanes: Vec<Component> = components
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    lanes.sort_by(|a, b| rank(a).cmp(&rank(b)));
    lanes
}

/// The x of lane `index`'s line.
pub fn lane_x(index: usize) -> f64 {
    GUTTER_W + LANE_W * (index as f64 + 0.5)
}

/// Width of the diagram for `lanes` lanes.
pub fn diagram_width(lanes: usize) -> f64 {
    GUTTER_W + LANE_W * lanes as f64
}

/// Which way an arrow points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Right,
    Left,
    /// A message a component sends itself (a stage, a timer): a small loop.
    SelfLoop,
}

/// An arrow's horizontal extent: from `left` to `left + width`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrow {
    pub left: f64,
    pub width: f64,
    pub direction: Direction,
}

/// The arrow between lane `from` and lane `to`.
pub fn arrow(from: usize, to: usize) -> Arrow {
    let (a, b) = (lane_x(from), lane_x(to));
    match from.cmp(&to) {
        std::cmp::Ordering::Less => Arrow {
            left: a,
            width: b - a,
            direction: Direction::Right,
        },
        std::cmp::Ordering::Greater => Arrow {
            left: b,
            width: a - b,
            direction: Direction::Left,
        },
        std::cmp::Ordering::Equal => Arrow {
            left: a,
            width: SELF_LOOP_W,
            direction: Direction::SelfLoop,
        },
    }
}

/// A run of identical consecutive (visible) messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Run {
    /// The run's first step; runs are expanded and collapsed by it.
    pub first: usize,
    /// How many steps the run has.
    pub len: usize,
    pub expanded: bool,
}

/// One row of the diagram: a single message, or a collapsed run standing for several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Row {
    /// The step drawn (a collapsed run draws its first).
    pub step: usize,
    /// The last step this row stands for (`step` unless it is a collapsed run).
    pub last: usize,
    /// The run this row belongs to, if its message repeats at least [`MIN_RUN`] times.
    pub run: Option<Run>,
}

impl Row {
    /// Whether this row stands for several steps.
    pub fn collapsed(&self) -> bool {
        self.run.is_some_and(|r| !r.expanded)
    }
}

/// The rows for `n` steps: steps for which `visible` is false are left out (their lane is
/// hidden), and runs of at least [`MIN_RUN`] consecutive visible steps for which `same`
/// holds are a [`Run`]. A run is collapsed into one row when `collapsed` says runs start
/// collapsed and its first step is not in `toggled`, or the other way round.
pub fn rows(
    n: usize,
    visible: impl Fn(usize) -> bool,
    same: impl Fn(usize, usize) -> bool,
    toggled: &BTreeSet<usize>,
    collapsed: bool,
) -> Vec<Row> {
    let shown: Vec<usize> = (0..n).filter(|&i| visible(i)).collect();
    let mut out = Vec::with_capacity(shown.len());
    let mut at = 0;
    while at < shown.len() {
        let first = shown[at];
        let mut end = at + 1;
        while end < shown.len() && same(first, shown[end]) {
            end += 1;
        }
        let members = &shown[at..end];
        if members.len() < MIN_RUN {
            out.extend(members.iter().map(|&s| Row {
                step: s,
                last: s,
                run: None,
            }));
        } else {
            let run = Run {
                first,
                len: members.len(),
                expanded: toggled.contains(&first) == collapsed,
            };
            if run.expanded {
                out.extend(members.iter().map(|&s| Row {
                    step: s,
                    last: s,
                    run: Some(run),
                }));
            } else {
                out.push(Row {
                    step: first,
                    last: members[members.len() - 1],
                    run: Some(run),
                });
            }
        }
        at = end;
    }
    out
}

/// The row showing `step`: the one whose range `step..=last` contains it. A hidden step
/// has no row.
pub fn row_of(rows: &[Row], step: usize) -> Option<usize> {
    let i = rows.partition_point(|r| r.step <= step).checked_sub(1)?;
    let row = rows[i];
    (step <= row.last && (row.collapsed() || row.step == step)).then_some(i)
}

/// The rows to render for a viewport `height` pixels tall scrolled to `scroll_top`,
/// with [`OVERSCAN`] rows either side, clamped to `total` rows; all rows up to
/// [`VIRTUALISE_ABOVE`].
pub fn window(scroll_top: f64, height: f64, total: usize) -> Range<usize> {
    if total <= VIRTUALISE_ABOVE {
        return 0..total;
    }
    let first = (scroll_top.max(0.0) / ROW_H).floor() as usize;
    let count = (height.max(0.0) / ROW_H).ceil() as usize + 1;
    let start = first.saturating_sub(OVERSCAN).min(total);
    let end = (first + count + OVERSCAN).min(total);
    start..end
}

/// The scroll position that brings row `row` into a viewport of `height`, or `None` if
/// it is already fully in view. A row out of view is centred, so the next steps show too.
pub fn scroll_to(row: usize, scroll_top: f64, height: f64) -> Option<f64> {
    let top = row as f64 * ROW_H;
    if top >= scroll_top && top + ROW_H <= scroll_top + height {
        return None;
    }
    Some((top - (height - ROW_H) / 2.0).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(n: &str) -> String {
        n.to_string()
    }

    #[test]
    fn lanes_follow_the_request_path_node_by_node() {
        let mentioned = [
            Component::Cni(w("w2")),
            Component::Kubelet(w("w2")),
            Component::Webhook(w("deny.example.com")),
            Component::CoreDns,
            Component::Runtime(w("w1")),
            Component::ApiServer,
            Component::KubeProxy(w("w1")),
            Component::Etcd,
            Component::Kubelet(w("w1")),
            Component::Scheduler,
            Component::ControllerManager,
            Component::Kubectl,
            Component::ApiServer,
        ];
        let names: Vec<String> = lane_order(&mentioned)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "kubectl",
                "kube-apiserver",
                "etcd",
                "kube-controller-manager",
                "kube-scheduler",
                "kubelet@w1",
                "containerd@w1",
                "kube-proxy@w1",
                "kubelet@w2",
                "cni@w2",
                "coredns",
                "webhook/deny.example.com",
            ]
        );
    }

    #[test]
    fn arrows_span_their_lanes_and_self_messages_loop() {
        assert_eq!(lane_x(0), GUTTER_W + LANE_W / 2.0);
        assert_eq!(
            arrow(0, 2),
            Arrow {
                left: lane_x(0),
                width: 2.0 * LANE_W,
                direction: Direction::Right
            }
        );
        assert_eq!(
            arrow(3, 1),
            Arrow {
                left: lane_x(1),
                width: 2.0 * LANE_W,
                direction: Direction::Left
            }
        );
        assert_eq!(arrow(1, 1).direction, Direction::SelfLoop);
        assert_eq!(arrow(1, 1).width, SELF_LOOP_W);
        assert_eq!(diagram_width(3), GUTTER_W + 3.0 * LANE_W);
    }

    /// Steps keyed by a letter: equal letters are identical messages.
    fn keyed(keys: &str) -> impl Fn(usize, usize) -> bool + '_ {
        move |a, b| keys.as_bytes()[a] == keys.as_bytes()[b]
    }

    #[test]
    fn runs_of_three_or_more_collapse_into_one_row() {
        let keys = "abbbbcdda";
        let rows = rows(keys.len(), |_| true, keyed(keys), &BTreeSet::new(), true);
        let drawn: Vec<(usize, usize, bool)> = rows
            .iter()
            .map(|r| (r.step, r.last, r.collapsed()))
            .collect();
        // The 4 b's collapse; the 2 d's are too short a run to bother.
        assert_eq!(
            drawn,
            [
                (0, 0, false),
                (1, 4, true),
                (5, 5, false),
                (6, 6, false),
                (7, 7, false),
                (8, 8, false)
            ]
        );
        assert_eq!(
            rows[1].run,
            Some(Run {
                first: 1,
                len: 4,
                expanded: false
            })
        );
        assert_eq!(row_of(&rows, 0), Some(0));
        assert_eq!(row_of(&rows, 3), Some(1), "a step inside a collapsed run");
        assert_eq!(row_of(&rows, 5), Some(2));
        assert_eq!(row_of(&rows, 9), None);
    }

    #[test]
    fn an_expanded_run_shows_each_step() {
        let keys = "abbbc";
        let rows = rows(
            keys.len(),
            |_| true,
            keyed(keys),
            &BTreeSet::from([1]),
            true,
        );
        let steps: Vec<usize> = rows.iter().map(|r| r.step).collect();
        assert_eq!(steps, [0, 1, 2, 3, 4]);
        assert!(rows[1..4]
            .iter()
            .all(|r| r.run.is_some_and(|r| r.expanded && r.len == 3)));
        assert_eq!(row_of(&rows, 3), Some(3));
    }

    #[test]
    fn short_traces_start_with_runs_expanded() {
        let keys = "abbbc";
        let open = rows(keys.len(), |_| true, keyed(keys), &BTreeSet::new(), false);
        assert_eq!(open.len(), 5);
        assert_eq!(
            open[2].run.map(|r| (r.first, r.len, r.expanded)),
            Some((1, 3, true))
        );
        let folded = rows(
            keys.len(),
            |_| true,
            keyed(keys),
            &BTreeSet::from([1]),
            false,
        );
        assert_eq!(folded.len(), 3, "toggling the run collapses it");
        assert!(folded[1].collapsed());
    }

    #[test]
    fn hidden_lanes_drop_their_steps_and_runs_join_across_them() {
        // Step 2 (the `x`) touches a hidden lane: the b's around it become one run.
        let keys = "abbxbc";
        let rows = rows(keys.len(), |i| i != 3, keyed(keys), &BTreeSet::new(), true);
        let drawn: Vec<(usize, usize)> = rows.iter().map(|r| (r.step, r.last)).collect();
        assert_eq!(drawn, [(0, 0), (1, 4), (5, 5)]);
        assert_eq!(
            row_of(&rows, 3),
            Some(1),
            "a hidden step inside a collapsed run"
        );
        let unfolded = super::rows(
            keys.len(),
            |i| i != 3,
            keyed(keys),
            &BTreeSet::from([1]),
            true,
        );
        assert_eq!(
            row_of(&unfolded, 3),
            None,
            "a hidden step has no row of its own"
        );
    }

    #[test]
    fn ten_thousand_steps_render_a_window() {
        assert!(collapse_by_default(10_000) && !collapse_by_default(VIRTUALISE_ABOVE));
        let all = rows(10_000, |_| true, |a, b| a == b, &BTreeSet::new(), true);
        assert_eq!(all.len(), 10_000);
        // 600 px viewport scrolled to row 5000.
        let shown = window(5000.0 * ROW_H, 600.0, all.len());
        assert_eq!(shown, 5000 - OVERSCAN..5000 + 21 + OVERSCAN);
        assert_eq!(window(0.0, 600.0, 5), 0..5);
        assert_eq!(window(-50.0, 0.0, 1000), 0..1 + OVERSCAN);
        // A short trace renders every row, wherever it is scrolled.
        assert_eq!(window(9000.0, 600.0, VIRTUALISE_ABOVE), 0..VIRTUALISE_ABOVE);
    }

    #[test]
    fn scrolling_centres_a_row_only_when_it_is_out_of_view() {
        assert_eq!(scroll_to(2, 0.0, 300.0), None);
        assert_eq!(scroll_to(100, 0.0, 300.0), Some(100.0 * ROW_H - 135.0));
        assert_eq!(scroll_to(0, 90.0, 300.0), Some(0.0));
        // Partly hidden at the bottom counts as out of view.
        assert!(scroll_to(9, 0.0, 290.0).is_some());
    }
}
