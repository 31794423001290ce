//! The dashboard end to end: the real binary in a pseudo-terminal, against a local
//! control plane, driven by keystrokes and read from the screen.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use kolla_dash::devcluster::{Component, DevCluster, StartOptions};
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

/// The header line of the screen.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// Runs the real binary with `args` against `cluster`; returns (success, stderr, seconds).
fn timed_run(cluster: &DevCluster, log: &Path, args: &[&str]) -> (bool, String, f64) {
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .args(["--namespace", "e2e", "--log-file"])
        .arg(log)
        .args(args)
        .output()
        .expect("run kolla-dash");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
        start.elapsed().as_secs_f64(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_api_server_is_shown_within_seconds_and_cli_verbs_fail_naming_the_request() {
    let cluster = DevCluster::start(StartOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start a local cluster: {e:#}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("kolla-dash.log");
    let kubeconfig = cluster.kubeconfig_path();
    let log_arg = log.to_str().expect("utf-8 path");
    let mut app = PtyApp::spawn(
        &["--namespace", "e2e", "--log-file", log_arg],
        &[("KUBECONFIG", kubeconfig.as_path())],
        120,
        40,
    );
    app.wait_for("the grid to sync", WAIT, |s| {
        header(s).contains("● connected") && row(s, "memcached").contains("absent")
    });

    let pid = cluster
        .pause_component(Component::ApiServer)
        .expect("pause the apiserver");
    let paused = Instant::now();
    let screen = app.wait_for("the header to say not responding", WAIT, |s| {
        header(s).contains("not responding for")
    });
    let noticed = paused.elapsed();
    println!("header said not responding {noticed:.1?} after SIGSTOP to pid {pid}");
    assert!(noticed < Duration::from_secs(5), "{noticed:?}:\n{screen}");
    assert!(!header(&screen).contains("● connected"), "{screen}");
    assert!(
        screen.contains("stale: last update"),
        "cells are stale:\n{screen}"
    );

    // The CLI against the silent server: it fails after its request timeout, naming what it
    // was doing, in one line.
    let (ok, err, took) = timed_run(
        &cluster,
        &log,
        &[
            "--request-timeout",
            "2s",
            "resource",
            "create",
            "memcached",
            "configmap",
        ],
    );
    assert!(!ok, "create against a paused server fails");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("did not answer GET /api/v1/namespaces/e2e within 2 s (--request-timeout)"),
        "{err}"
    );
    assert!(
        (2.0..5.0).contains(&took),
        "failed after {took:.1} s: {err}"
    );
    let (ok, err, took) = timed_run(
        &cluster,
        &log,
        &["--request-timeout", "2s", "resource", "status", "memcached"],
    );
    assert!(!ok && err.lines().count() == 1, "{err}");
    assert!(err.starts_with("kolla-dash: cannot list "), "{err}");
    assert!(err.contains("within 2 s"), "{err}");
    assert!(
        (2.0..5.0).contains(&took),
        "failed after {took:.1} s: {err}"
    );

    cluster
        .resume_component(Component::ApiServer)
        .expect("resume the apiserver");
    let resumed = Instant::now();
    app.wait_for("the header to say connected again", WAIT, |s| {
        header(s).contains("● connected")
    });
    let back = resumed.elapsed();
    println!("header said connected {back:.1?} after SIGCONT");
    assert!(back < Duration::from_secs(5), "{back:?}");

    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrapping_ceph_with_ceph_storage_reads_ready_in_the_cli_and_the_grid() {
    let cluster = DevCluster::start(StartOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start a local cluster: {e:#}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("kolla-dash.log");
    let ceph = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ceph");
    let ceph_arg = ceph.to_str().expect("utf-8 path");
    let (ok, err, _) = timed_run(
        &cluster,
        &log,
        &["--config-dir", ceph_arg, "bootstrap", "ceph"],
    );
    assert!(ok, "bootstrap ceph: {err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .args(["--namespace", "e2e", "--config-dir", ceph_arg, "--log-file"])
        .arg(&log)
        .args(["resource", "status", "ceph", "-o", "json"])
        .output()
        .expect("run kolla-dash");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON rows");
    let bootstrap = &rows[0];
    assert_eq!(bootstrap["kind"], "bootstrap", "{rows:#}");
    assert_eq!(bootstrap["status"], "ready", "{rows:#}");
    assert_eq!(bootstrap["ready"], true, "{rows:#}");
    assert_eq!(bootstrap["objects"][0]["obj"]["kind"], "Secret", "{rows:#}");

    let kubeconfig = cluster.kubeconfig_path();
    let log_arg = log.to_str().expect("utf-8 path");
    let mut app = PtyApp::spawn(
        &[
            "--namespace",
            "e2e",
            "--config-dir",
            ceph_arg,
            "--log-file",
            log_arg,
        ],
        &[("KUBECONFIG", kubeconfig.as_path())],
        120,
        40,
    );
    app.wait_for("ceph's bootstrap cell to read ready", WAIT, |s| {
        header(s).contains("● connected") && row(s, "ceph").contains("ready")
    });
    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
}
