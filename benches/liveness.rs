//! Liveness benchmark against a local control plane (not a test: it prints numbers).
//!
//!   cargo bench --bench liveness
//!
//! Measures, on a deployed stack watched by the same `Dashboard` core as the terminal loop:
//! how many requests the liveness probe adds at idle (per minute, counted on the
//! dashboard's client next to all its other requests), and how long a paused API server
//! (SIGSTOP) takes to be called silent, p50/max over 10 pauses at random moments of the
//! probe's cycle, and to be connected again after SIGCONT.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use kolla_dash::devcluster::Component;
use kolla_dash::model::Connection;
use kolla_dash::tui::Dashboard;
use kube::client::ClientBuilder;
use rand::Rng as _;
use support::cluster::TestCluster;
use support::dash::{engine_in, feed_for, pump, readonly};
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn run(cluster: &TestCluster) -> anyhow::Result<()> {
    let counts = Counts::default();
    let client = counting_client(&cluster.kubeconfig_path(), &counts).await?;
    let (mut dash, mut inbox) = Dashboard::start(engine_in(client, NS), readonly())?;
    pump(&mut dash, &mut inbox, "the first sync", |d| {
        d.model.store().all_synced()
    })
    .await;
    feed_for(&mut dash, &mut inbox, Duration::from_secs(5)).await;

    let before = counts.snapshot();
    feed_for(&mut dash, &mut inbox, IDLE).await;
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
        feed_for(&mut dash, &mut inbox, Duration::from_millis(offset)).await;
        cluster
            .dev_cluster()
            .pause_component(Component::ApiServer)?;
        let paused = Instant::now();
        pump(&mut dash, &mut inbox, "the server called silent", |d| {
            matches!(d.model.connection(), Connection::Silent { .. })
        })
        .await;
        let took = paused.elapsed();
        cluster
            .dev_cluster()
            .resume_component(Component::ApiServer)?;
        let resumed = Instant::now();
        pump(&mut dash, &mut inbox, "connected again", |d| {
            d.model.connection() == Connection::Connected && d.model.store().all_synced()
        })
        .await;
        let back = resumed.elapsed();
        println!(
            "pause {round:2}: silent after {took:.2?}, connected again {back:.2?} after the resume"
        );
        detected.push(took);
        reconnected.push(back);
        feed_for(&mut dash, &mut inbox, Duration::from_secs(2)).await;
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
    let cluster = TestCluster::start();
    cluster.kolla(NS).ok("deploy");
    if let Err(e) = cluster.block_on(run(&cluster)) {
        eprintln!("liveness benchmark failed: {e:#}");
        std::process::exit(1);
    }
}
