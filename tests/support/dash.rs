//! The dashboard's core (model, reducer, watchers, actions; no terminal) on a local control
//! plane, fed by hand, and `kolla-dash incidents` running beside it: what the drills in
//! tests/heal.rs, tests/drills.rs, tests/trust.rs and the benchmarks share.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use kolla_dash::cli::GlobalArgs;
use kolla_dash::cluster::client::Cluster;
use kolla_dash::engine::{Engine, load_config};
use kolla_dash::model::Msg;
use kolla_dash::tui::{DashOptions, Dashboard, Inbox};

use super::cluster::{TestCluster, config_dir};
use super::wait::wait_for;

/// The longest one `pump` waits.
pub const WAIT: Duration = Duration::from_secs(60);

/// The options every command gets, for `namespace`, with the repository's operator config
/// (what the binary reads when run from the repository).
pub fn global(namespace: &str) -> GlobalArgs {
    GlobalArgs {
        config_dir: Some(config_dir()),
        namespace: Some(namespace.into()),
        ..GlobalArgs::default()
    }
}

/// The engine every verb runs on, on `client`, in `namespace`.
pub fn engine_in(client: kube::Client, namespace: &str) -> Engine {
    let (catalog, config) = load_config(&global(namespace)).expect("the repository's config");
    let cluster = Cluster {
        client,
        context: "test".into(),
    };
    Engine::new(catalog, config, cluster)
}

/// A dashboard core on `client` in `namespace`, its watchers started.
pub fn start_in(client: kube::Client, namespace: &str, options: DashOptions) -> (Dashboard, Inbox) {
    Dashboard::start(engine_in(client, namespace), options).expect("dashboard")
}

/// How the drills watch: read-only, on the local cluster.
pub fn readonly() -> DashOptions {
    DashOptions {
        readonly: true,
        local_cluster: true,
        no_color: false,
    }
}

/// A read-only dashboard core on `client` in `namespace`, once every watched kind is listed.
pub async fn synced_in(client: kube::Client, namespace: &str) -> (Dashboard, Inbox) {
    let (mut dash, mut inbox) = start_in(client, namespace, readonly());
    pump(&mut dash, &mut inbox, "the first sync", |d| {
        d.model.store().all_synced()
    })
    .await;
    (dash, inbox)
}

/// Feeds the dashboard until `done` holds; panics after WAIT.
pub async fn pump(
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    what: &str,
    done: impl Fn(&Dashboard) -> bool,
) {
    pump_seeing(dash, inbox, what, |_| {}, done).await;
}

/// [`pump`], showing `see` every message before the dashboard handles it.
pub async fn pump_seeing(
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    what: &str,
    mut see: impl FnMut(&Msg),
    done: impl Fn(&Dashboard) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(dash) {
        match tokio::time::timeout_at(deadline, inbox.msgs.recv()).await {
            Ok(Some(msg)) => {
                see(&msg);
                dash.handle(vec![msg]);
            }
            Ok(None) => panic!("the watchers stopped while waiting for {what}"),
            Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
        }
    }
}

/// Feeds the dashboard for `how_long`, whatever arrives: for drills whose duration is the
/// point (leases lapsing inside a frozen control plane, failures spaced apart).
pub async fn feed_for(dash: &mut Dashboard, inbox: &mut Inbox, how_long: Duration) {
    let until = tokio::time::Instant::now() + how_long;
    while let Ok(Some(msg)) = tokio::time::timeout_at(until, inbox.msgs.recv()).await {
        dash.handle(vec![msg]);
    }
}

/// Starts a fresh dashboard on `namespace` and feeds both until their stores agree (each
/// knows what the other knows): how a dashboard that lived through something is compared
/// with a fresh start, without guessing how long the last messages take.
pub async fn knows_what_a_fresh_start_knows(
    client: kube::Client,
    namespace: &str,
    (a, a_inbox): (&mut Dashboard, &mut Inbox),
    what: &str,
) {
    let (mut fresh, mut fresh_inbox) = synced_in(client, namespace).await;
    let (b, b_inbox) = (&mut fresh, &mut fresh_inbox);
    let deadline = tokio::time::Instant::now() + WAIT;
    while a.model.store() != b.model.store() {
        tokio::select! {
            Some(msg) = a_inbox.msgs.recv() => {
                a.handle(vec![msg]);
            }
            Some(msg) = b_inbox.msgs.recv() => {
                b.handle(vec![msg]);
            }
            () = tokio::time::sleep_until(deadline) => panic!(
                "timed out after {WAIT:?} waiting for {what}; first difference:\n{}",
                first_difference(&format!("{:#?}", a.model.store()), &format!("{:#?}", b.model.store()))
            ),
        }
    }
}

/// The first line where two texts differ, with the line before it.
fn first_difference(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let line = |lines: &[&str], i: usize| lines.get(i).copied().unwrap_or("<end>").to_string();
    format!(
        "  {}\n- {}\n+ {}",
        line(&a, at.saturating_sub(1)),
        line(&a, at),
        line(&b, at)
    )
}

/// `kolla-dash incidents -o json` running against a cluster, its output kept in files.
pub struct Headless {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Headless {
    /// Starts it in `namespace` and returns once it watches (every kind listed), so nothing
    /// that happens next can slip past its first list.
    pub fn start(cluster: &TestCluster, namespace: &str) -> Headless {
        let out = cluster
            .scratch()
            .join(format!("incidents-{namespace}.jsonl"));
        let err = cluster.scratch().join(format!("incidents-{namespace}.err"));
        let child = cluster
            .kolla(namespace)
            .command(["incidents", "-o", "json"])
            .stdout(std::fs::File::create(&out).expect("output file"))
            .stderr(std::fs::File::create(&err).expect("error file"))
            .stdin(Stdio::null())
            .spawn()
            .expect("start kolla-dash incidents");
        let mut headless = Headless { child, out, err };
        wait_for("`kolla-dash incidents` to list every kind", WAIT, || {
            if let Ok(Some(status)) = headless.child.try_wait() {
                panic!(
                    "`kolla-dash incidents` exited ({status}):\n{}",
                    headless.stderr()
                );
            }
            headless.stderr().contains("watching nodes and kolla pods")
        });
        headless
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Ctrl-C (it must exit cleanly within a few seconds); returns what it printed.
    pub fn stop(mut self) -> String {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        )
        .expect("send Ctrl-C to `kolla-dash incidents`");
        let status = wait_for(
            "`kolla-dash incidents` to exit on Ctrl-C",
            Duration::from_secs(10),
            || self.child.try_wait().expect("poll `kolla-dash incidents`"),
        );
        assert!(
            status.success(),
            "Ctrl-C ends `incidents` cleanly: {status}\n{}",
            self.stderr()
        );
        std::fs::read_to_string(&self.out).expect("headless output")
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
