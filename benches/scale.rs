//! Scale benchmark against a local control plane (not a test: it prints numbers).
//!
//!   cargo bench --bench scale                  # the table below, about 15 minutes
//!   cargo bench --bench scale -- --quick       # its first row only
//!   cargo bench --bench scale -- --rows 2      # its first two rows (1k and 5k pods)
//!   cargo bench --bench scale -- --soak 30     # 30 minutes of churn, RSS every minute
//!
//! One row per cluster size, grown in place (pods in the namespace, the same pods again in
//! another namespace, nodes; events at four per pod, up to 20,000). Per row: the first fully
//! synced grid (and, for comparison, a bare paged list and a bare streaming list of the same
//! pods: the floor the API server sets), the real binary's resident memory, change-to-screen
//! p50/p99 at 200 and 1,000 pod writes per second, and the frame time of the grid and of the
//! nodes view at 200x50.
//!
//! Change-to-screen measures what an operator sees: each write turns one of the namespace's
//! pods not ready (a status patch, so the pod cell's ready count drops), and its clock stops
//! at the first drawn frame whose pod cell shows the count with that write in it. The bench's
//! pods carry the `kolla-dash.dev/simulate` annotation, so kwok's stages leave their status
//! to the bench, and they sit on the three kwok nodes, so no node failure touches them. The
//! extra nodes are bare Node objects (no kubelet): the node lifecycle controller marks them
//! Unknown, as it would dead machines, which is what the nodes view then shows.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _, stream};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::api::events::v1::Event;
use kolla_dash::cluster::lean::LeanPod;
use kolla_dash::devcluster::{DevCluster, SIMULATE, StartOptions};
use kolla_dash::kind::Kind;
use kolla_dash::model::{Key, Msg};
use kolla_dash::summary::{ObjKind, ObjState};
use kolla_dash::tui::{Dashboard, FRAME, Inbox};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Client};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use support::pty::PtyApp;

#[path = "../tests/support/mod.rs"]
mod support;

const NS: &str = "bench";
const OTHER_NS: &str = "bench-other";
const SELECTOR: &str = "kolla-dash/service=memcached,kolla-dash/kind=pod";
/// How many creates and writes are in flight at once while growing the cluster.
const SETUP_PARALLEL: usize = 64;
const KWOK_NODES: usize = 3;

/// One cluster size.
#[derive(Clone, Copy)]
struct Size {
    pods: usize,
    other_pods: usize,
    nodes: usize,
}

impl Size {
    fn events(self) -> usize {
        (self.pods * 4).min(20_000)
    }

    fn label(self) -> String {
        let other = if self.other_pods > 0 {
            format!(" (+{} elsewhere)", self.other_pods)
        } else {
            String::new()
        };
        format!("{} pods{other}, {} nodes", self.pods, self.nodes)
    }
}

const SIZES: [Size; 6] = [
    Size {
        pods: 1_000,
        other_pods: 0,
        nodes: 10,
    },
    Size {
        pods: 5_000,
        other_pods: 0,
        nodes: 10,
    },
    Size {
        pods: 5_000,
        other_pods: 5_000,
        nodes: 10,
    },
    Size {
        pods: 5_000,
        other_pods: 5_000,
        nodes: 100,
    },
    Size {
        pods: 5_000,
        other_pods: 5_000,
        nodes: 1_000,
    },
    Size {
        pods: 20_000,
        other_pods: 5_000,
        nodes: 1_000,
    },
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// p50/p99 of `v`, in milliseconds.
fn p50_p99(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort_unstable();
    (ms(percentile(&v, 0.5)), ms(percentile(&v, 0.99)))
}

/// Starts a dashboard core; returns it once every watched kind is listed, and how long
/// that took.
async fn synced(client: &Client) -> anyhow::Result<(Dashboard, Inbox, Duration)> {
    let t = Instant::now();
    let (mut dash, mut inbox) =
        support::dash::start_in(client.clone(), NS, support::dash::readonly());
    while !dash.model.store().all_synced() {
        let msg = inbox
            .msgs
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("watchers stopped"))?;
        dash.handle(vec![msg]);
    }
    Ok((dash, inbox, t.elapsed()))
}

/// How long a bare paged list and a bare streaming list (watch with sendInitialEvents) of
/// the namespace's pods take as `K`: the floor the API server sets, nothing else done.
async fn floor<K>(client: &Client) -> anyhow::Result<(Duration, Duration)>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
{
    let pods: Api<K> = Api::namespaced(client.clone(), NS);
    let t = Instant::now();
    let mut continue_token: Option<String> = None;
    loop {
        let mut params = ListParams::default().labels(SELECTOR).limit(500);
        if let Some(token) = continue_token.take() {
            params = params.continue_token(&token);
        }
        let page = pods.list(&params).await?;
        continue_token = page.metadata.continue_.filter(|c| !c.is_empty());
        if continue_token.is_none() {
            break;
        }
    }
    let paged = t.elapsed();
    let t = Instant::now();
    let config = watcher::Config::default()
        .labels(SELECTOR)
        .streaming_lists();
    let mut stream = watcher(pods, config).boxed();
    while let Some(event) = stream.try_next().await? {
        if matches!(event, watcher::Event::InitDone) {
            break;
        }
    }
    Ok((paged, t.elapsed()))
}

/// The floors for whole pods and for pods read lean, as the dashboard reads them.
async fn floors(client: &Client) -> anyhow::Result<[(Duration, Duration); 2]> {
    Ok([floor::<Pod>(client).await?, floor::<LeanPod>(client).await?])
}

fn pod(namespace: &str, i: usize) -> Pod {
    let node = format!("kolla-node-{}", i % KWOK_NODES + 1);
    serde_json::from_value(json!({
        "metadata": {"name": pod_name(i), "namespace": namespace,
            "annotations": {SIMULATE: "bench"},
            "labels": {"app.kubernetes.io/managed-by": "kolla-dash",
                "kolla-dash/service": "memcached", "kolla-dash/kind": "pod"}},
        // Pre-placed: the benchmark measures kolla-dash, not the scheduler.
        "spec": {"nodeName": node, "containers": [{"name": "memcached", "image": "memcached"}]}
    }))
    .expect("valid pod")
}

fn ready_status(ready: bool) -> serde_json::Value {
    let status = if ready { "True" } else { "False" };
    json!({"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": status}, {"type": "ContainersReady", "status": status}]}})
}

/// The name of the bench's pod `i`.
fn pod_name(i: usize) -> String {
    format!("memcached-bench-{i}")
}

/// Marks the bench's pod `i` ready or not, as a kubelet would.
async fn set_ready(pods: &Api<Pod>, i: usize, ready: bool) -> Result<(), kube::Error> {
    let patch = Patch::Strategic(ready_status(ready));
    pods.patch_status(&pod_name(i), &PatchParams::default(), &patch)
        .await
        .map(drop)
}

fn event(i: usize, pods: usize) -> Event {
    let now = jiff::Timestamp::now();
    serde_json::from_value(json!({
        "metadata": {"name": format!("bench-{i}")},
        "eventTime": now.to_string(),
        "reportingController": "kolla-dash/bench", "reportingInstance": "bench",
        "action": "Bench", "reason": "Bench", "type": "Normal",
        "note": format!("synthetic event {i}"),
        "regarding": {"kind": "Pod", "name": pod_name(i % pods), "namespace": NS}
    }))
    .expect("valid event")
}

fn node(i: usize) -> Node {
    serde_json::from_value(json!({"metadata": {"name": format!("bench-node-{i}"),
        "labels": {"kubernetes.io/hostname": format!("bench-node-{i}")}}}))
    .expect("valid node")
}

/// Runs `op` for every index in `range`, `SETUP_PARALLEL` at a time.
async fn each<F, Fut>(range: std::ops::Range<usize>, op: F) -> anyhow::Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), kube::Error>>,
{
    stream::iter(range)
        .map(op)
        .buffer_unordered(SETUP_PARALLEL)
        .try_collect::<()>()
        .await?;
    Ok(())
}

/// Pods `from..to` in `namespace`, Running and Ready.
async fn add_pods(client: &Client, namespace: &str, from: usize, to: usize) -> anyhow::Result<()> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    each(from..to, |i| {
        let pods = pods.clone();
        async move {
            pods.create(&PostParams::default(), &pod(namespace, i))
                .await?;
            set_ready(&pods, i, true).await
        }
    })
    .await
}

/// Grows the cluster from `was` to `size`; returns how long it took.
async fn grow(client: &Client, was: Size, size: Size) -> anyhow::Result<Duration> {
    let t = Instant::now();
    add_pods(client, NS, was.pods, size.pods).await?;
    add_pods(client, OTHER_NS, was.other_pods, size.other_pods).await?;
    let events: Api<Event> = Api::namespaced(client.clone(), NS);
    each(was.events()..size.events(), |i| {
        let events = events.clone();
        async move {
            events
                .create(&PostParams::default(), &event(i, size.pods))
                .await
                .map(drop)
        }
    })
    .await?;
    let nodes: Api<Node> = Api::all(client.clone());
    let (have, want) = (was.nodes.max(KWOK_NODES), size.nodes);
    each(have..want, |i| {
        let nodes = nodes.clone();
        async move {
            nodes
                .create(&PostParams::default(), &node(i))
                .await
                .map(drop)
        }
    })
    .await?;
    Ok(t.elapsed())
}

/// Turns every pod of the namespace Ready again after a measurement.
async fn all_ready(client: &Client, pods: usize) -> anyhow::Result<()> {
    let api: Api<Pod> = Api::namespaced(client.clone(), NS);
    each(0..pods, |i| {
        let api = api.clone();
        async move { set_ready(&api, i, true).await }
    })
    .await
}

/// The memcached pod cell's ready count as the store has it.
fn ready_count(dash: &Dashboard) -> Option<(u32, u32)> {
    let store = dash.model.store();
    let row = store.row_of_service("memcached")?;
    match store.status(row, Kind::Pod) {
        kolla_dash::model::CellStatus::Ready { count }
        | kolla_dash::model::CellStatus::Pending { count, .. } => *count,
        _ => None,
    }
}

/// Feeds the dashboard until nothing arrives for `quiet`.
async fn settle(dash: &mut Dashboard, inbox: &mut Inbox, quiet: Duration) {
    while let Ok(Some(m)) = tokio::time::timeout(quiet, inbox.msgs.recv()).await {
        dash.handle(vec![m]);
    }
}

/// One paced write.
struct Write {
    pod: String,
    sent: Instant,
    acked: Instant,
}

/// Turns pods not ready at `rate` per second, `total` of them, each write on its own task.
async fn turn_unready(client: Client, rate: u64, total: usize) -> anyhow::Result<Vec<Write>> {
    let pods: Api<Pod> = Api::namespaced(client, NS);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut inflight = Vec::new();
    for n in 0..total {
        tick.tick().await;
        let pods = pods.clone();
        inflight.push(tokio::spawn(async move {
            let sent = Instant::now();
            // A write the API server cannot take in time is counted, not fatal: at the
            // largest sizes the server itself is what saturates.
            set_ready(&pods, n, false).await.ok().map(|()| Write {
                pod: pod_name(n),
                sent,
                acked: Instant::now(),
            })
        }));
    }
    let mut writes = Vec::new();
    let mut failed = 0;
    for task in inflight {
        match task.await? {
            Some(write) => writes.push(write),
            None => failed += 1,
        }
    }
    if failed > 0 {
        println!("    ({failed} of {total} writes were not answered by the API server in time)");
    }
    Ok(writes)
}

/// The screen's text.
fn text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

/// Change-to-screen at `rate` writes per second for `secs`: p50/p99 from the write's
/// acknowledgement to the first frame showing it, and how many writes were seen.
async fn change_to_screen(
    client: &Client,
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    pods: usize,
    rate: u64,
    secs: u64,
) -> anyhow::Result<((f64, f64), usize, usize)> {
    let total = usize::try_from(rate * secs)?.min(pods);
    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    let mut generator = tokio::spawn(turn_unready(client.clone(), rate, total));
    // Pod -> (when its write reached the dashboard, when a frame showed it).
    let mut drawn: HashMap<String, (Instant, Instant)> = HashMap::new();
    let mut arrived: Vec<(String, Instant)> = Vec::new();
    let mut last_frame = Instant::now();
    let mut dirty = false;
    let mut writes = None;
    let mut linger = None;
    let mut frames_without_count = 0;
    let mut relists = 0;
    loop {
        tokio::select! {
            Some(first) = inbox.msgs.recv() => {
                let received = Instant::now();
                let mut msgs = vec![first];
                while let Ok(m) = inbox.msgs.try_recv() {
                    msgs.push(m);
                }
                for m in &msgs {
                    // A write reaches the dashboard as an update, or, when the API server
                    // dropped the watch under the load, in the relist that follows it.
                    let objs = match m {
                        Msg::Applied(obj) => std::slice::from_ref(obj),
                        Msg::Resynced(ObjKind::Pod, objs) => {
                            relists += 1;
                            objs.as_slice()
                        }
                        _ => &[],
                    };
                    for obj in objs {
                        let unready = matches!(obj.state, ObjState::Pod { ready: false, .. });
                        if unready
                            && obj.obj.name.starts_with("memcached-bench-")
                            && !drawn.contains_key(&obj.obj.name)
                        {
                            arrived.push((obj.obj.name.clone(), received));
                        }
                    }
                }
                dash.handle(msgs);
                dirty = true;
            }
            _ = tokio::time::sleep_until((last_frame + FRAME).into()), if dirty => {
                terminal.draw(|f| kolla_dash::ui::draw(f, &dash.model))?;
                let now = Instant::now();
                // The frame must show the count its model has: that is what stops the clocks.
                let shown = ready_count(dash)
                    .is_some_and(|(r, t)| text(&terminal).contains(&format!("{r}/{t}")));
                if shown {
                    for (pod, received) in arrived.drain(..) {
                        drawn.entry(pod).or_insert((received, now));
                    }
                } else {
                    frames_without_count += 1;
                }
                last_frame = now;
                dirty = false;
            }
            done = &mut generator, if writes.is_none() => {
                writes = Some(done??);
                linger = Some(Instant::now() + Duration::from_secs(3));
            }
            _ = tokio::time::sleep_until(linger.unwrap_or_else(Instant::now).into()), if linger.is_some() => break,
        }
    }
    if frames_without_count > 0 {
        println!("    ({frames_without_count} frames did not show the pod cell's count)");
    }
    if relists > 0 {
        println!(
            "    (the API server dropped the pod watch: {relists} relist(s) during the writes)"
        );
    }
    let writes = writes.unwrap_or_default();
    // Per write seen: from its acknowledgement and from its sending to the frame, and
    // the two legs in between: the API server delivering the watch event, then ours.
    let seen: Vec<[Duration; 4]> = writes
        .iter()
        .filter_map(|w| {
            let (received, shown) = drawn.get(&w.pod)?;
            Some([
                shown.saturating_duration_since(w.acked),
                shown.saturating_duration_since(w.sent),
                received.saturating_duration_since(w.acked),
                shown.saturating_duration_since(*received),
            ])
        })
        .collect();
    let n = seen.len();
    let leg = |i: usize| p50_p99(seen.iter().map(|s| s[i]).collect());
    let ((sent_50, sent_99), (watch_50, watch_99), (ours_50, ours_99)) = (leg(1), leg(2), leg(3));
    println!(
        "    @{rate}/s from sending the write (the API server's own time included): \
         p50 {sent_50:.1} ms, p99 {sent_99:.1} ms"
    );
    println!(
        "    @{rate}/s acknowledgement to the watch event reaching the dashboard: \
         p50 {watch_50:.1} ms, p99 {watch_99:.1} ms; from there to a frame showing it: \
         p50 {ours_50:.1} ms, p99 {ours_99:.1} ms"
    );
    Ok((leg(0), n, writes.len()))
}

/// What one pod update costs the model alone (reducer, cell status, drift, incidents): each
/// of the pod cell's objects applied again, one message at a time, in microseconds.
fn update_cost(dash: &mut Dashboard) -> f64 {
    let pods: Vec<_> = dash
        .model
        .store()
        .row_of_service("memcached")
        .map(|row| dash.model.store().cell_objects(row, Kind::Pod))
        .unwrap_or_default()
        .into_iter()
        .cloned()
        .collect();
    let n = pods.len().max(1);
    let t = Instant::now();
    for pod in pods {
        dash.handle(vec![Msg::Applied(pod)]);
    }
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// p50 and p99 of drawing the current screen 300 times.
fn frame_times(dash: &Dashboard) -> anyhow::Result<(f64, f64)> {
    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    let mut frames = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        terminal.draw(|f| kolla_dash::ui::draw(f, &dash.model))?;
        frames.push(t.elapsed());
    }
    Ok(p50_p99(frames))
}

/// The real binary's dashboard on this cluster in a 200x50 pseudo-terminal, launched as
/// every test launches it (the clean environment); `log` is its log file.
fn dashboard_on_pty(kubeconfig: &std::path::Path, log: &std::path::Path) -> PtyApp {
    let log = log.to_string_lossy();
    PtyApp::spawn(
        &["--namespace", NS, "--log-file", &log, "dash", "--readonly"],
        &[("KUBECONFIG", kubeconfig)],
        200,
        50,
    )
}

/// Resident memory of the real binary showing the dashboard on this cluster, once it has
/// had `after` to list everything and draw.
fn binary_rss_mib(kubeconfig: &std::path::Path, after: Duration) -> anyhow::Result<f64> {
    let log = std::env::temp_dir().join("kolla-dash-bench.log");
    let app = dashboard_on_pty(kubeconfig, &log);
    std::thread::sleep(after);
    // An exited dashboard has no resident memory to read: its screen says why.
    rss_mib(app.pid()).map_err(|e| anyhow::anyhow!("{e}; the screen:\n{}", app.text()))
}

fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))?;
    Ok(kb / 1024.0)
}

/// One row of the table.
struct Measured {
    size: Size,
    setup: Duration,
    sync: Duration,
    /// (paged, streaming) for whole pods, then for lean pods.
    floors: [(Duration, Duration); 2],
    rss: f64,
    at200: (f64, f64),
    at1000: (f64, f64),
    seen: String,
    /// Microseconds of model work per pod update.
    update: f64,
    grid_frame: (f64, f64),
    nodes_frame: (f64, f64),
}

async fn measure(cluster: &DevCluster, size: Size, setup: Duration) -> anyhow::Result<Measured> {
    let client = cluster.client();
    let floors = floors(&client).await?;
    let (mut dash, mut inbox, sync) = synced(&client).await?;
    // The event backlog and late updates in, before anything is timed.
    settle(&mut dash, &mut inbox, Duration::from_secs(3)).await;
    let update = update_cost(&mut dash);
    let grid_frame = frame_times(&dash)?;
    dash.handle(vec![Msg::Key(Key::Char('N'))]);
    let nodes_frame = frame_times(&dash)?;
    dash.handle(vec![Msg::Key(Key::Esc)]);
    let (at200, n200, of200) =
        change_to_screen(&client, &mut dash, &mut inbox, size.pods, 200, 10).await?;
    all_ready(&client, size.pods).await?;
    settle(&mut dash, &mut inbox, Duration::from_secs(2)).await;
    let (at1000, n1000, of1000) =
        change_to_screen(&client, &mut dash, &mut inbox, size.pods, 1_000, 5).await?;
    all_ready(&client, size.pods).await?;
    drop((dash, inbox));
    let kubeconfig = cluster.kubeconfig_path();
    let after = Duration::from_secs(10 + u64::try_from(size.pods / 2_000)?);
    let rss = tokio::task::spawn_blocking(move || binary_rss_mib(&kubeconfig, after)).await??;
    Ok(Measured {
        size,
        setup,
        sync,
        floors,
        rss,
        at200,
        at1000,
        seen: format!("{n200}/{of200}, {n1000}/{of1000}"),
        update,
        grid_frame,
        nodes_frame,
    })
}

fn print_table(rows: &[Measured]) {
    println!();
    println!(
        "| size | setup | first synced grid | floor, whole pods: paged / streaming | floor, lean pods: paged / streaming | RSS | change-to-screen @200/s p50 / p99 | @1000/s p50 / p99 | writes seen | model per pod update | grid frame p50 / p99 | nodes view frame p50 / p99 |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {:.0} s | {:.0} ms | {:.0} / {:.0} ms | {:.0} / {:.0} ms | {:.1} MiB | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {} | {:.0} µs | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
            r.size.label(),
            r.setup.as_secs_f64(),
            ms(r.sync),
            ms(r.floors[0].0),
            ms(r.floors[0].1),
            ms(r.floors[1].0),
            ms(r.floors[1].1),
            r.rss,
            r.at200.0,
            r.at200.1,
            r.at1000.0,
            r.at1000.1,
            r.seen,
            r.update,
            r.grid_frame.0,
            r.grid_frame.1,
            r.nodes_frame.0,
            r.nodes_frame.1,
        );
    }
}

/// The namespaces the bench writes to.
async fn namespaces(client: &Client) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    for ns in [NS, OTHER_NS] {
        api.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns}}))?,
        )
        .await?;
    }
    Ok(())
}

/// The number given after `flag`, if the flag is there.
fn value<T: std::str::FromStr>(args: &[String], flag: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let Some(i) = args.iter().position(|a| a == flag) else {
        return Ok(None);
    };
    let given = args.get(i + 1).map(String::as_str).unwrap_or_default();
    let n = given
        .parse()
        .map_err(|e| anyhow::anyhow!("{flag} takes a number, not {given:?}: {e}"))?;
    Ok(Some(n))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rows_wanted = match value::<usize>(&args, "--rows")? {
        Some(n) => n,
        None if args.iter().any(|a| a == "--quick") => 1,
        None => SIZES.len(),
    };
    let soak = value::<u64>(&args, "--soak")?;
    println!("kolla-dash scale benchmark ({} cores)", num_cpus());
    let cluster = DevCluster::start(StartOptions::default()).await?;
    let client = cluster.client();
    namespaces(&client).await?;
    if let Some(minutes) = soak {
        return soak::run(&cluster, minutes).await;
    }
    let mut was = Size {
        pods: 0,
        other_pods: 0,
        nodes: KWOK_NODES,
    };
    let mut rows = Vec::new();
    for size in SIZES.into_iter().take(rows_wanted) {
        println!("growing to {} ...", size.label());
        let setup = grow(&client, was, size).await?;
        println!(
            "  setup took {:.1} s; measuring (load average {}) ...",
            setup.as_secs_f64(),
            load_average()
        );
        match measure(&cluster, size, setup).await {
            Ok(row) => {
                print_table(std::slice::from_ref(&row));
                rows.push(row);
            }
            // The rows so far still say something; the error says where it stopped.
            Err(e) => {
                println!("  stopped at {}: {e:#}", size.label());
                break;
            }
        }
        was = size;
    }
    print_table(&rows);
    println!(
        "targets: first synced grid < 200 ms at 5,000 pods + 20,000 events (< 600 ms at 20,000 pods); change-to-screen p99 < 50 ms at 200/s; RSS < 50 MB at 5,000 pods + 20,000 events"
    );
    drop(cluster);
    Ok(())
}

/// The machine's 1-minute load average: numbers taken while other work runs say so.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

mod soak {
    //! 30 minutes (or as asked) of churn on a deployed stack watched by the real binary:
    //! pod status writes, node failures and restores, deploy/teardown cycles; the binary's
    //! resident memory sampled every minute.

    use super::*;

    pub async fn run(cluster: &DevCluster, minutes: u64) -> anyhow::Result<()> {
        let client = cluster.client();
        let size = Size {
            pods: 2_000,
            other_pods: 0,
            nodes: KWOK_NODES,
        };
        let zero = Size {
            pods: 0,
            other_pods: 0,
            nodes: KWOK_NODES,
        };
        grow(&client, zero, size).await?;
        let kubeconfig = cluster.kubeconfig_path();
        let app = dashboard_on_pty(
            &kubeconfig,
            &std::env::temp_dir().join("kolla-dash-soak.log"),
        );
        let pid = app.pid();
        let churn = tokio::spawn(churn(client.clone(), kubeconfig.clone(), size.pods));
        let mut samples = Vec::new();
        let start = Instant::now();
        for minute in 0..=minutes {
            tokio::time::sleep_until((start + Duration::from_secs(60 * minute)).into()).await;
            let rss = rss_mib(pid)?;
            println!("  minute {minute:>3}: RSS {rss:.1} MiB");
            samples.push(rss);
        }
        churn.abort();
        drop(app);
        let after5 = samples.get(5).copied().unwrap_or(samples[0]);
        let last = samples.last().copied().unwrap_or(after5);
        println!(
            "RSS growth after the first 5 minutes: {:.1} MiB -> {:.1} MiB ({:+.1} %)",
            after5,
            last,
            (last - after5) / after5 * 100.0
        );
        Ok(())
    }

    /// Keeps the cluster busy: pod readiness flips at 100/s, a node failure and restore
    /// every 2 minutes, a deploy and teardown of the stack (in the namespace `soak`) every
    /// 5 minutes; each on its own task.
    async fn churn(client: Client, kubeconfig: std::path::PathBuf, pods: usize) {
        let flips = {
            let api: Api<Pod> = Api::namespaced(client.clone(), NS);
            async move {
                let mut tick = tokio::time::interval(Duration::from_millis(10));
                for n in 0.. {
                    tick.tick().await;
                    let ready = (n / pods) % 2 == 1;
                    let api = api.clone();
                    tokio::spawn(async move {
                        let _ = set_ready(&api, n % pods, ready).await;
                    });
                }
            }
        };
        let failures = async {
            use kolla_dash::cluster::simulate::{self, Failure};
            let mut tick = tokio::time::interval(Duration::from_secs(120));
            for n in 0.. {
                tick.tick().await;
                let node = format!("kolla-node-{}", n % KWOK_NODES + 1);
                let _ = simulate::fail(&client, &node, Failure::NotReady).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                let _ = simulate::restore(&client, &node).await;
            }
        };
        let cycles = async {
            let mut tick = tokio::time::interval(Duration::from_secs(300));
            loop {
                tick.tick().await;
                run_binary(&kubeconfig, &["-n", "soak", "deploy", "--timeout", "120"]).await;
                let teardown = [
                    "-n",
                    "soak",
                    "teardown",
                    "--delete-data",
                    "--timeout",
                    "120",
                ];
                run_binary(&kubeconfig, &teardown).await;
            }
        };
        tokio::join!(flips, failures, cycles);
    }

    async fn run_binary(kubeconfig: &std::path::Path, args: &[&str]) {
        let out = tokio::process::Command::from(support::launch::command())
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .output()
            .await;
        if let Ok(out) = out
            && !out.status.success()
        {
            println!(
                "  (churn: kolla-dash {} failed: {})",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
}
