//! What one watch message costs the model alone, with no cluster: the reducer, the cell's
//! judgement, drift and the incident tracker, as the dashboard folds a message in (a run of
//! watch messages judged once, here a run of one). Not a test: it prints numbers.
//!
//!   cargo bench --bench model
//!
//! Rows: 1k, 5k and 20k pods in one pod cell (memcached's, as in the scale benchmark) on
//! three nodes; then 5k pods with 1,000 nodes of which 100 are lost, with their incidents
//! open. Per row: milliseconds to fold in the first list of the pods, and microseconds per
//! pod update (a pod turning not ready and back), per pod added and deleted, and per node
//! heartbeat.

use std::time::Instant;

use kolla_dash_core::kind::Kind;
use kolla_dash_core::model::fixtures::{node, placed_pod, synced};
use kolla_dash_core::model::{Model, Msg, update};
use kolla_dash_core::summary::{NodeReady, ObjKind, ObjState, ObjectSummary};

/// Folds `msg` in as the dashboard does: the batch's clock, then a run of one watch message
/// judged once.
fn fold(m: &mut Model, now_ms: i64, msg: Msg) {
    update(m, Msg::NowMs(now_ms));
    m.hold_judgement();
    update(m, msg);
    m.judge_held();
}

fn node_name(i: usize) -> String {
    format!("node-{}", i + 1)
}

fn bench_pod(i: usize, nodes: usize, ready: bool) -> ObjectSummary {
    placed_pod(
        &format!("memcached-bench-{i}"),
        "memcached",
        &node_name(i % nodes),
        ready,
        false,
    )
}

struct Row {
    label: String,
    list_ms: f64,
    update_us: f64,
    churn_us: f64,
    heartbeat_us: f64,
}

/// Microseconds per message of `msgs`, folded one at a time.
fn per_message(m: &mut Model, clock: &mut i64, msgs: Vec<Msg>) -> f64 {
    let n = msgs.len().max(1);
    let t = Instant::now();
    for msg in msgs {
        *clock += 1;
        fold(m, *clock, msg);
    }
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// `pods` ready pods spread over the first three of `nodes` nodes; `lost` nodes (the last
/// ones) then stop being Ready, with a pod of their own each, so incidents open.
fn measure(pods: usize, nodes: usize, lost: usize) -> Row {
    let mut m = synced(true);
    let mut clock = 1_700_000_000_000_i64;
    for i in 0..nodes {
        fold(
            &mut m,
            clock,
            Msg::Applied(node(&node_name(i), NodeReady::True)),
        );
    }
    let placed: Vec<ObjectSummary> = (0..pods).map(|i| bench_pod(i, 3, true)).collect();
    let t = Instant::now();
    fold(&mut m, clock, Msg::Resynced(ObjKind::Pod, placed));
    let list_ms = t.elapsed().as_secs_f64() * 1e3;
    for i in nodes - lost..nodes {
        let mut pod = bench_pod(pods + i, nodes, true);
        if let ObjState::Pod { node, .. } = &mut pod.state {
            *node = Some(node_name(i));
        }
        fold(&mut m, clock, Msg::Applied(pod));
        clock += 1;
        fold(
            &mut m,
            clock,
            Msg::Applied(node(&node_name(i), NodeReady::Unknown)),
        );
    }
    let flips: Vec<Msg> = (0..pods.min(2_000))
        .flat_map(|i| [false, true].map(|ready| Msg::Applied(bench_pod(i, 3, ready))))
        .collect();
    let update_us = per_message(&mut m, &mut clock, flips);
    let churn: Vec<Msg> = (0..500)
        .map(|i| Msg::Applied(bench_pod(pods + nodes + i, 3, false)))
        .chain((0..500).map(|i| Msg::Deleted(bench_pod(pods + nodes + i, 3, false).obj)))
        .collect();
    let churn_us = per_message(&mut m, &mut clock, churn);
    let beats: Vec<Msg> = (0..nodes - lost)
        .map(|i| Msg::Applied(node(&node_name(i), NodeReady::True)))
        .collect();
    let heartbeat_us = per_message(&mut m, &mut clock, beats);
    let row = m.store().row_of_service("memcached").unwrap_or_default();
    let shown = format!("{:?}", m.store().status(row, Kind::Pod));
    let open = m
        .incidents()
        .incidents()
        .iter()
        .filter(|i| i.is_open())
        .count();
    Row {
        list_ms,
        label: format!("{pods} pods, {nodes} nodes ({lost} lost, {open} incident open): {shown}"),
        update_us,
        churn_us,
        heartbeat_us,
    }
}

fn main() {
    let rows = [
        measure(1_000, 3, 0),
        measure(5_000, 3, 0),
        measure(20_000, 3, 0),
        measure(5_000, 1_000, 100),
    ];
    println!(
        "| size | ms for the pods' first list | µs per pod update | µs per pod added/deleted | µs per node heartbeat |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for r in rows {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r.label, r.list_ms, r.update_us, r.churn_us, r.heartbeat_us
        );
    }
}
