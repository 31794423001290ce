//! The dashboard end to end: the real binary in a pseudo-terminal, against a local
//! control plane, driven by keystrokes and read from the screen.

mod support;

use std::time::Duration;

use kolla_dash::devcluster::{DevCluster, StartOptions};
use support::pty::PtyApp;

const WAIT: Duration = Duration::from_secs(30);

/// The screen line of a grid row.
fn row<'a>(screen: &'a str, service: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start_matches('│').starts_with(service))
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystrokes_create_memcached_and_cells_turn_ready_with_events() {
    let cluster = DevCluster::start(StartOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start a local cluster: {e:#}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("kolla-dash.log");
    let kubeconfig = cluster.kubeconfig_path();
    let mut app = PtyApp::spawn(
        &[
            "--namespace",
            "e2e",
            "--log-file",
            log.to_str().expect("utf-8 path"),
        ],
        &[("KUBECONFIG", kubeconfig.as_path())],
        120,
        40,
    );
    app.wait_for("the grid to sync", WAIT, |s| {
        s.contains("connected") && row(s, "memcached").contains("absent")
    });

    // Rows: ceph, mariadb, memcached. Columns: disk pv pvc svc configmap bootstrap pod.
    app.send("jj"); // memcached
    app.send("lll"); // svc
    app.send("c");
    app.send("l"); // configmap
    app.send("c");
    app.send("ll"); // pod
    app.send("c");

    let screen = app.wait_for(
        "memcached's svc, configmap and pod to be ready",
        WAIT,
        |s| row(s, "memcached").matches("ready").count() == 3,
    );
    assert!(
        row(&screen, "memcached").contains("1/1"),
        "pod cell shows replicas: {screen}"
    );
    // The log pane follows the selected service: memcached's pod was scheduled.
    app.wait_for("memcached's events in the log pane", WAIT, |s| {
        s.lines()
            .any(|l| l.contains("Scheduled") && l.contains("memcached-"))
    });

    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
    drop(cluster);
}
