//! Dashboard benchmark against a local control plane (not a test: it prints numbers).
//!
//!   cargo bench --bench dashboard
//!
//! Measures: time from start to the first fully synced grid (empty namespace, and with
//! 5,000 pods and 20,000 events); change-to-screen latency (API write -> redrawn frame)
//! under 200 pod updates per second, p50/p99; frame render time at 200x50; resident memory.
//! It drives the same `Dashboard` core, `update` and `ui::draw` as the terminal loop, with a
//! TestBackend instead of a terminal, and the same frame coalescing.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::{StreamExt as _, stream};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::events::v1::Event;
use kolla_dash::model::Msg;
use kolla_dash::tui::{DashOptions, Dashboard, FRAME, Inbox};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use support::cluster::TestCluster;
use support::dash::engine_in;
use support::pty::PtyApp;

const NS: &str = "bench";
const PODS: usize = 5_000;
const EVENTS: usize = 20_000;
const UPDATES_PER_SEC: u64 = 200;
const UPDATE_SECS: u64 = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Starts a dashboard and returns it once every watched kind has been listed, with the
/// kind whose list arrived last.
async fn synced(client: &Client) -> anyhow::Result<(Dashboard, Inbox, Duration, String)> {
    let t = Instant::now();
    let (mut dash, mut inbox) = Dashboard::start(
        engine_in(client.clone(), NS),
        DashOptions {
            readonly: true,
            local_cluster: true,
            no_color: false,
        },
    )?;
    let mut last = String::new();
    while !dash.model.store().all_synced() {
        let msg = inbox
            .msgs
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("watchers stopped"))?;
        if let Msg::Resynced(kind, objs) = &msg {
            last = format!("{kind} ({} objects)", objs.len());
        }
        dash.handle(vec![msg]);
    }
    Ok((dash, inbox, t.elapsed(), last))
}

/// Resident memory of the real binary showing the dashboard on this cluster.
fn binary_rss_mib(cluster: &TestCluster) -> anyhow::Result<f64> {
    let log = cluster.scratch().join("kolla-dash-bench.log");
    let kubeconfig = cluster.kubeconfig_path();
    let mut app = PtyApp::spawn(
        &[
            "--namespace",
            NS,
            "--log-file",
            log.to_str().unwrap_or_default(),
            "dash",
            "--readonly",
        ],
        &[("KUBECONFIG", kubeconfig.as_path())],
        200,
        50,
    );
    // Time for the lists, the event backlog and a few redraws.
    std::thread::sleep(Duration::from_secs(10));
    let pid = app.pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| anyhow::anyhow!("kolla-dash exited early ({e}):\n{}", app.text()))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))?;
    app.send("q");
    app.exit_status(Duration::from_secs(10));
    Ok(kb / 1024.0)
}

fn pod(i: usize) -> Pod {
    let node = format!("kolla-node-{}", i % 3 + 1);
    serde_json::from_value(json!({
        "metadata": {"name": format!("memcached-bench-{i}"), "labels": {
            "app.kubernetes.io/managed-by": "kolla-dash",
            "kolla-dash/service": "memcached", "kolla-dash/kind": "pod"}},
        // Pre-placed: the benchmark measures kolla-dash, not the scheduler.
        "spec": {"nodeName": node, "containers": [{"name": "memcached", "image": "memcached"}]}
    }))
    .expect("valid pod")
}

fn event(i: usize) -> Event {
    let now = jiff::Timestamp::now();
    serde_json::from_value(json!({
        "metadata": {"name": format!("bench-{i}")},
        "eventTime": now.to_string(),
        "reportingController": "kolla-dash/bench", "reportingInstance": "bench",
        "action": "Bench", "reason": "Bench", "type": "Normal",
        "note": format!("synthetic event {i}"),
        "regarding": {"kind": "Pod", "name": format!("memcached-bench-{}", i % PODS), "namespace": NS}
    }))
    .expect("valid event")
}

async fn populate(client: &Client) -> anyhow::Result<()> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let events: Api<Event> = Api::namespaced(client.clone(), NS);
    let t = Instant::now();
    let results: Vec<_> = stream::iter(0..PODS)
        .map(|i| {
            let pods = pods.clone();
            async move { pods.create(&PostParams::default(), &pod(i)).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<_>, _>>()?;
    println!(
        "  created {PODS} pods in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let results: Vec<_> = stream::iter(0..EVENTS)
        .map(|i| {
            let events = events.clone();
            async move { events.create(&PostParams::default(), &event(i)).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<_>, _>>()?;
    println!(
        "  created {EVENTS} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Measure a settled cluster: kwok turns every new pod Running, and those status writes
    // would otherwise compete with the measurements. (Polling is fine in a harness.)
    let t = Instant::now();
    loop {
        let list = pods.list(&Default::default()).await?;
        let running = list
            .items
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .count();
        if running == PODS {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!(
        "  all pods Running after another {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One paced write: when it was sent and when the API server acknowledged it.
struct Write {
    pod: String,
    sent: Instant,
    acked: Instant,
}

/// Patches pods round-robin at a fixed rate, each write on its own task so requests
/// progress while the next ones are paced. Every pod is written at most once.
async fn generate(client: Client) -> anyhow::Result<Vec<Write>> {
    let pods: Api<Pod> = Api::namespaced(client, NS);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / UPDATES_PER_SEC));
    let total = UPDATES_PER_SEC * UPDATE_SECS;
    let mut inflight = Vec::new();
    for n in 0..total {
        tick.tick().await;
        // 7 is coprime with PODS: names do not repeat within PODS writes.
        let pod = format!("memcached-bench-{}", (n as usize * 7) % PODS);
        let patch = json!({"metadata": {"labels": {"bench/seq": n.to_string()}}});
        let pods = pods.clone();
        inflight.push(tokio::spawn(async move {
            let sent = Instant::now();
            pods.patch(&pod, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            anyhow::Ok(Write {
                pod,
                sent,
                acked: Instant::now(),
            })
        }));
    }
    let mut writes = Vec::new();
    for task in inflight {
        writes.push(task.await??);
    }
    Ok(writes)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(label: &str, mut v: Vec<Duration>) {
    v.sort_unstable();
    println!(
        "{label}: p50 {:.1} ms, p99 {:.1} ms ({} samples)",
        ms(percentile(&v, 0.50)),
        ms(percentile(&v, 0.99)),
        v.len()
    );
}

fn main() -> anyhow::Result<()> {
    println!("kolla-dash dashboard benchmark");
    let cluster = TestCluster::start();
    cluster.block_on(measure(&cluster))?;
    let rss = binary_rss_mib(&cluster)?;
    println!("resident memory of `kolla-dash` with {PODS} pods and {EVENTS} events: {rss:.1} MiB");
    println!("targets: synced grid < 300 ms after connecting, p99 < 100 ms, frame < 2 ms, < 80 MB");
    Ok(())
}

async fn measure(cluster: &TestCluster) -> anyhow::Result<()> {
    let client = cluster.client();
    Api::<Namespace>::all(client.clone())
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": NS}}))?,
        )
        .await?;

    let (dash, inbox, empty, _) = synced(&client).await?;
    drop((dash, inbox));
    println!(
        "first synced grid, empty namespace:        {:>8.1} ms",
        empty.as_secs_f64() * 1e3
    );

    println!("populating ...");
    populate(&client).await?;
    let (mut dash, mut inbox, full, last) = synced(&client).await?;
    println!(
        "first synced grid, {PODS} pods:            {:>8.1} ms (last list: {last})",
        full.as_secs_f64() * 1e3
    );

    // Let the event watch deliver its backlog before measuring memory and latency.
    let settle = Instant::now() + Duration::from_secs(5);
    while let Ok(Some(m)) = tokio::time::timeout_at(settle.into(), inbox.msgs.recv()).await {
        dash.handle(vec![m]);
    }

    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    let mut generator = tokio::spawn(generate(client.clone()));
    // When each pod's change was first on screen (the frame after its watch event).
    let mut drawn: HashMap<String, Instant> = HashMap::new();
    let mut arrived: Vec<String> = Vec::new();
    let mut last_frame = Instant::now();
    let mut dirty = false;
    let mut writes = None;
    let mut linger = None;
    loop {
        tokio::select! {
            Some(first) = inbox.msgs.recv() => {
                let mut msgs = vec![first];
                while let Ok(m) = inbox.msgs.try_recv() {
                    msgs.push(m);
                }
                for m in &msgs {
                    if let Msg::Applied(obj) = m
                        && obj.obj.name.starts_with("memcached-bench-")
                        && !drawn.contains_key(&obj.obj.name)
                    {
                        arrived.push(obj.obj.name.clone());
                    }
                }
                dash.handle(msgs);
                dirty = true;
            }
            _ = tokio::time::sleep_until((last_frame + FRAME).into()), if dirty => {
                terminal.draw(|f| kolla_dash::ui::draw(f, &dash.model))?;
                let now = Instant::now();
                for pod in arrived.drain(..) {
                    drawn.entry(pod).or_insert(now);
                }
                last_frame = now;
                dirty = false;
            }
            done = &mut generator, if writes.is_none() => {
                writes = Some(done??);
                // Let the last changes reach the screen.
                linger = Some(Instant::now() + Duration::from_secs(3));
            }
            _ = tokio::time::sleep_until(linger.unwrap_or_else(Instant::now).into()), if linger.is_some() => break,
        }
    }
    let writes = writes.unwrap_or_default();
    let span = writes
        .iter()
        .map(|w| w.acked)
        .max()
        .zip(writes.iter().map(|w| w.sent).min());
    let rate = span.map_or(0.0, |(last, first)| {
        writes.len() as f64 / (last - first).as_secs_f64()
    });
    println!(
        "API server: {UPDATES_PER_SEC} pod writes/s asked, {rate:.0}/s acknowledged, {} of {} changes seen on screen",
        writes.iter().filter(|w| drawn.contains_key(&w.pod)).count(),
        writes.len()
    );
    summary(
        "  write acknowledged (API server alone)",
        writes.iter().map(|w| w.acked - w.sent).collect(),
    );
    let on_screen: Vec<(&Write, Instant)> = writes
        .iter()
        .filter_map(|w| drawn.get(&w.pod).map(|d| (w, *d)))
        .collect();
    summary(
        "change-to-screen from the write's acknowledgement",
        on_screen
            .iter()
            .map(|(w, d)| d.saturating_duration_since(w.acked))
            .collect(),
    );
    summary(
        "change-to-screen from sending the write",
        on_screen.iter().map(|(w, d)| *d - w.sent).collect(),
    );

    let mut frames = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        terminal.draw(|f| kolla_dash::ui::draw(f, &dash.model))?;
        frames.push(t.elapsed());
    }
    frames.sort_unstable();
    println!(
        "frame render at 200x50: p50 {:.3} ms, p99 {:.3} ms",
        percentile(&frames, 0.5).as_secs_f64() * 1e3,
        percentile(&frames, 0.99).as_secs_f64() * 1e3
    );
    Ok(())
}
