//! Liveness benchmark against a local control plane (not a test: it prints numbers).
//!
//!   cargo bench --bench liveness
//!
//! Measures, on a deployed stack watched by the same `Dashboard` core as the terminal loop:
//! how many requests the liveness probe adds at idle (per minute, counted on the
//! dashboard's client next to all its other requests), and how long a paused API server
//! (SIGSTOP) takes to be called silent, p50/max over 10 pauses at random moments of the
//! probe's cycle, and to be connected again after SIGCONT.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use kolla_dash::cli::GlobalArgs;
use kolla_dash::cluster::client::Cluster;
use kolla_dash::devcluster::{Component, DevCluster, StartOptions};
use kolla_dash::engine::{Engine, load_config};
use kolla_dash::model::Connection;
use kolla_dash::tui::{DashOptions, Dashboard, Inbox};
use kube::client::ClientBuilder;
use rand::Rng as _;
use tower::{Layer, Service};

const NS: &str = "bench";
const IDLE: Duration = Duration::from_secs(60);
const PAUSES: usize = 10;

/// Requests the client sent, by "METHOD /path".
#[derive(Clone, Default)]
struct Counts(Arc<Mutex<BTreeMap<String, u64>>>);

impl Counts {
    fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl<S> Layer<S> for Counts {
    type Service = Counted<S>;
    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            counts: self.clone(),
        }
    }
}

#[derive(Clone)]
struct Counted<S> {
    inner: S,
    counts: Counts,
}

impl<S, B> Service<http::Request<B>> for Counted<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> S::Future {
        let key = format!("{} {}", request.method(), request.uri().path());
        if let Ok(mut counts) = self.counts.0.lock() {
            *counts.entry(key).or_default() += 1;
        }
        self.inner.call(request)
    }
}

async fn counting_client(kubeconfig: &Path, counts: &Counts) -> anyhow::Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    Ok(ClientBuilder::try_from(config)?.with_layer(counts).build())
}

fn engine(client: kube::Client) -> anyhow::Result<Engine> {
    let global = GlobalArgs {
        config_dir: None,
        context: None,
        namespace: Some(NS.into()),
        log_file: None,
        request_timeout: Default::default(),
        no_color: false,
    };
    let (catalog, config) = load_config(&global)?;
    let cluster = Cluster {
        client,
        context: "bench".into(),
    };
    Ok(Engine::new(catalog, config, cluster))
}

/// Feeds the dashboard until `done` holds (60 s at most).
async fn pump(
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    what: &str,
    done: impl Fn(&Dashboard) -> bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(dash) {
        match tokio::time::timeout_at(deadline, inbox.msgs.recv()).await {
            Ok(Some(msg)) => {
                dash.handle(vec![msg]);
            }
            Ok(None) => anyhow::bail!("the watchers stopped while waiting for {what}"),
            Err(_) => anyhow::bail!("timed out waiting for {what}"),
        }
    }
    Ok(())
}

/// Feeds the dashboard for `how_long`, whatever arrives.
async fn pump_for(dash: &mut Dashboard, inbox: &mut Inbox, how_long: Duration) {
    let until = tokio::time::Instant::now() + how_long;
    while let Ok(Some(msg)) = tokio::time::timeout_at(until, inbox.msgs.recv()).await {
        dash.handle(vec![msg]);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn deploy(cluster: &DevCluster) -> anyhow::Result<()> {
    let log = std::env::temp_dir().join("kolla-dash-bench-liveness.log");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .args(["--namespace", NS, "--log-file"])
        .arg(&log)
        .arg("deploy")
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "deploy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

async fn run() -> anyhow::Result<()> {
    let cluster = DevCluster::start(StartOptions::default()).await?;
    deploy(&cluster)?;
    let counts = Counts::default();
    let client = counting_client(&cluster.kubeconfig_path(), &counts).await?;
    let options = DashOptions {
        readonly: true,
        local_cluster: true,
        no_color: false,
    };
    let (mut dash, mut inbox) = Dashboard::start(engine(client)?, options)?;
    pump(&mut dash, &mut inbox, "the first sync", |d| {
        d.model.store().all_synced()
    })
    .await?;
    pump_for(&mut dash, &mut inbox, Duration::from_secs(5)).await;

    let before = counts.snapshot();
    pump_for(&mut dash, &mut inbox, IDLE).await;
    let after = counts.snapshot();
    let per_minute = |key: &str| {
        let n = after.get(key).unwrap_or(&0) - before.get(key).unwrap_or(&0);
        n as f64 * 60.0 / IDLE.as_secs_f64()
    };
    let all: f64 = after.keys().map(|k| per_minute(k)).sum();
    println!(
        "idle for {} s with every service deployed: the probe (GET /version) sent {:.1} \
         requests/min; all the dashboard's requests: {all:.1}/min",
        IDLE.as_secs(),
        per_minute("GET /version"),
    );

    let mut detected = Vec::new();
    let mut reconnected = Vec::new();
    for round in 1..=PAUSES {
        // A random moment of the probe's cycle.
        let offset = rand::rng().random_range(0..2000);
        pump_for(&mut dash, &mut inbox, Duration::from_millis(offset)).await;
        cluster.pause_component(Component::ApiServer)?;
        let paused = Instant::now();
        pump(&mut dash, &mut inbox, "the server called silent", |d| {
            matches!(d.model.connection(), Connection::Silent { .. })
        })
        .await?;
        let took = paused.elapsed();
        cluster.resume_component(Component::ApiServer)?;
        let resumed = Instant::now();
        pump(&mut dash, &mut inbox, "connected again", |d| {
            d.model.connection() == Connection::Connected && d.model.store().all_synced()
        })
        .await?;
        let back = resumed.elapsed();
        println!(
            "pause {round:2}: silent after {took:.2?}, connected again {back:.2?} after the resume"
        );
        detected.push(took);
        reconnected.push(back);
        pump_for(&mut dash, &mut inbox, Duration::from_secs(2)).await;
    }
    detected.sort();
    reconnected.sort();
    println!(
        "paused API server called silent: p50 {:.2?}, max {:.2?} over {PAUSES} pauses",
        percentile(&detected, 0.5),
        percentile(&detected, 1.0)
    );
    println!(
        "connected again after the resume: p50 {:.2?}, max {:.2?}",
        percentile(&reconnected, 0.5),
        percentile(&reconnected, 1.0)
    );
    Ok(())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run()) {
        eprintln!("liveness benchmark failed: {e:#}");
        std::process::exit(1);
    }
}
