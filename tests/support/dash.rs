//! The dashboard's core (model, reducer, watchers, actions; no terminal) on a local control
//! plane, fed by hand: what the drills in tests/heal.rs and tests/drills.rs share.

use std::time::Duration;

use kolla_dash::cli::GlobalArgs;
use kolla_dash::cluster::client::Cluster;
use kolla_dash::devcluster::{DevCluster, StartOptions};
use kolla_dash::engine::{Engine, load_config};
use kolla_dash::tui::{DashOptions, Dashboard, Inbox};

/// The namespace the drills deploy into.
pub const NS: &str = "heal";
/// The longest one `pump` waits.
pub const WAIT: Duration = Duration::from_secs(60);

/// The dashboard's engine on `cluster`, in [`NS`].
pub fn engine(cluster: &DevCluster) -> Engine {
    engine_in(cluster.client(), NS)
}

/// The dashboard's engine on `client`, in `namespace`, with the built-in config.
pub fn engine_in(client: kube::Client, namespace: &str) -> Engine {
    let global = GlobalArgs {
        config_dir: None,
        context: None,
        namespace: Some(namespace.into()),
        log_file: None,
        request_timeout: Default::default(),
        no_color: false,
    };
    let (catalog, config) = load_config(&global).expect("built-in config");
    let cluster = Cluster {
        client,
        context: "test".into(),
    };
    Engine::new(catalog, config, cluster)
}

/// Feeds the dashboard until `done` holds; panics after WAIT.
pub async fn pump(
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    what: &str,
    done: impl Fn(&Dashboard) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(dash) {
        match tokio::time::timeout_at(deadline, inbox.msgs.recv()).await {
            Ok(Some(msg)) => {
                dash.handle(vec![msg]);
            }
            Ok(None) => panic!("the watchers stopped while waiting for {what}"),
            Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
        }
    }
}

/// A read-only dashboard core on `cluster`, once every watched kind is listed.
pub async fn synced_dashboard(cluster: &DevCluster) -> (Dashboard, Inbox) {
    synced_in(cluster.client(), NS).await
}

/// A read-only dashboard core on `client` in `namespace`, once every watched kind is listed.
pub async fn synced_in(client: kube::Client, namespace: &str) -> (Dashboard, Inbox) {
    let options = DashOptions {
        readonly: true,
        local_cluster: true,
        no_color: false,
    };
    let engine = engine_in(client, namespace);
    let (mut dash, mut inbox) = Dashboard::start(engine, options).expect("dashboard");
    pump(&mut dash, &mut inbox, "the first sync", |d| {
        d.model.store().all_synced()
    })
    .await;
    (dash, inbox)
}

/// Lets already-queued messages in (events, late updates) without waiting for new ones.
pub async fn settle(dash: &mut Dashboard, inbox: &mut Inbox) {
    while let Ok(Some(msg)) =
        tokio::time::timeout(Duration::from_millis(1500), inbox.msgs.recv()).await
    {
        dash.handle(vec![msg]);
    }
}

/// Runs the real binary against the cluster; panics with its stderr on failure.
pub fn kolla(cluster: &DevCluster, log: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .args(["--namespace", NS, "--log-file"])
        .arg(log)
        .args(args)
        .output()
        .expect("run kolla-dash");
    assert!(
        out.status.success(),
        "kolla-dash {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A local cluster with `deploy ARGS` done through the real binary; the directory holds the
/// binary's log.
pub async fn deployed(args: &[&str]) -> (DevCluster, tempfile::TempDir) {
    let cluster = DevCluster::start(StartOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start a local cluster: {e:#}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = vec!["deploy"];
    all.extend(args);
    kolla(&cluster, &dir.path().join("kolla-dash.log"), &all);
    (cluster, dir)
}

/// `kolla-dash incidents -o json` running against a cluster, its output kept in a file.
pub struct Headless {
    child: std::process::Child,
    out: std::path::PathBuf,
}

impl Headless {
    /// Starts it; its log and output go to `dir`.
    pub fn start(cluster: &DevCluster, dir: &std::path::Path) -> Headless {
        let out = dir.join("incidents.jsonl");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
            .env("KUBECONFIG", cluster.kubeconfig_path())
            .args(["--namespace", NS, "--log-file"])
            .arg(dir.join("incidents.log"))
            .args(["incidents", "-o", "json"])
            .stdout(std::fs::File::create(&out).expect("output file"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start kolla-dash incidents");
        Headless { child, out }
    }

    /// Ctrl-C (it must exit cleanly within a few seconds); returns what it printed.
    pub fn stop(mut self) -> String {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(
                    status.success(),
                    "Ctrl-C ends `incidents` cleanly: {status}"
                );
                return std::fs::read_to_string(&self.out).expect("headless output");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("`kolla-dash incidents` ignored Ctrl-C for 10 s");
    }
}
