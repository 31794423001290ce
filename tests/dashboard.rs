//! The dashboard end to end: the real binary in a pseudo-terminal, against a local
//! control plane, driven by keystrokes and read from the screen; and the terminal it hands
//! back, however it ends.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kolla_dash::devcluster::Component;
use kube::Api;
use nix::sys::signal::Signal;
use support::cluster::TestCluster;
use support::launch::unreachable_kubeconfig;
use support::pty::{PtyApp, TerminalState, grid_row, ready_cells};
use support::wait::wait_for;

const WAIT: Duration = Duration::from_secs(30);

/// The header line of the screen.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// The status line (above the footer).
fn status_line(screen: &str) -> &str {
    let lines: Vec<&str> = screen.lines().collect();
    lines.len().checked_sub(2).map_or("", |i| lines[i])
}

#[test]
fn keystrokes_create_memcached_and_cells_turn_ready_with_events() {
    let cluster = TestCluster::shared();
    let mut app = PtyApp::dashboard(&cluster, "keys", &[]);
    // Every memcached cell listed (a cell whose watch has not synced refuses create): with
    // frames every 16 ms, a frame with only some of them absent was seen, and the create
    // on svc went to a cell still unknown.
    app.wait_for("the grid to sync", WAIT, |s| {
        header(s).contains("● connected")
            && grid_row(s, "memcached").matches("○ absent").count() == 3
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
        |s| ready_cells(grid_row(s, "memcached")) == 3,
    );
    assert!(
        grid_row(&screen, "memcached").contains("1/1"),
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
}

/// Runs `kolla-dash ARGS` (one string, split on whitespace); returns (success, stderr,
/// seconds).
fn timed_run(kolla: &support::cluster::Kolla, args: &str) -> (bool, String, f64) {
    let start = Instant::now();
    let run = kolla.run(args);
    (
        run.success,
        run.stderr.trim().to_string(),
        start.elapsed().as_secs_f64(),
    )
}

#[test]
fn a_paused_api_server_is_shown_within_seconds_and_cli_verbs_fail_naming_the_request() {
    // Pauses the API server.
    let cluster = TestCluster::start();
    let ns = "paused";
    let mut app = PtyApp::dashboard(&cluster, ns, &[]);
    app.wait_for("the grid to sync", WAIT, |s| {
        header(s).contains("● connected") && grid_row(s, "memcached").contains("absent")
    });

    let pid = cluster
        .dev_cluster()
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
    let kolla = cluster.kolla(ns);
    let (ok, err, took) = timed_run(
        &kolla,
        "--request-timeout 2s resource create memcached configmap",
    );
    assert!(!ok, "create against a paused server fails");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&format!(
            "did not answer GET /api/v1/namespaces/{ns} within 2 s (--request-timeout)"
        )),
        "{err}"
    );
    assert!(
        (2.0..5.0).contains(&took),
        "failed after {took:.1} s: {err}"
    );
    let (ok, err, took) = timed_run(&kolla, "--request-timeout 2s resource status memcached");
    assert!(!ok && err.lines().count() == 1, "{err}");
    assert!(err.starts_with("kolla-dash: cannot list "), "{err}");
    assert!(err.contains("within 2 s"), "{err}");
    assert!(
        (2.0..5.0).contains(&took),
        "failed after {took:.1} s: {err}"
    );

    cluster
        .dev_cluster()
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

#[test]
fn bootstrapping_ceph_with_ceph_storage_reads_ready_in_the_cli_and_the_grid() {
    let cluster = TestCluster::shared();
    let ns = "ceph";
    let ceph = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ceph");
    let kolla = cluster.kolla(ns).with_config_dir(&ceph);
    kolla.ok("bootstrap ceph");
    let out = kolla.ok("resource status ceph -o json");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("JSON rows");
    let bootstrap = &rows[0];
    assert_eq!(bootstrap["kind"], "bootstrap", "{rows:#}");
    assert_eq!(bootstrap["status"], "ready", "{rows:#}");
    assert_eq!(bootstrap["ready"], true, "{rows:#}");
    assert_eq!(bootstrap["objects"][0]["obj"]["kind"], "Secret", "{rows:#}");

    let ceph_arg = ceph.to_str().expect("utf-8 path");
    let mut app = PtyApp::dashboard(&cluster, ns, &["--config-dir", ceph_arg]);
    app.wait_for("ceph's bootstrap cell to read ready", WAIT, |s| {
        header(s).contains("● connected") && ready_cells(grid_row(s, "ceph")) == 1
    });
    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
}

/// `D`, then `y`. The dashboard refuses a deploy until every watch (the foreign watch
/// too) has listed the namespace, which the screen does not show: `D` is pressed again
/// while it says so.
fn ask_to_deploy(app: &mut PtyApp) {
    app.send("D");
    wait_for("the deploy's confirmation", WAIT, || {
        let screen = app.text();
        if status_line(&screen).contains("watches are still listing") {
            app.send("D");
        }
        screen.contains("confirm")
    });
    app.send("y");
}

/// `D` deploys everything from the dashboard, `X` cancels it half-way (what was not
/// started is never created), and `D` again carries on to the end.
#[test]
fn d_deploys_x_cancels_and_d_again_finishes() {
    let cluster = TestCluster::shared();
    let ns = "dx";
    let mut app = PtyApp::dashboard(&cluster, ns, &[]);
    app.wait_for("the grid to sync", WAIT, |s| {
        header(s).contains("● connected") && grid_row(s, "horizon").contains("absent")
    });
    ask_to_deploy(&mut app);
    // mariadb's first steps wait on Kubernetes (a Job, a bound claim): cancel there.
    app.wait_for("a step of mariadb's waiting", WAIT, |s| {
        grid_row(s, "mariadb").contains("◷")
    });
    app.send("X");
    app.wait_for("the cancel's confirmation", WAIT, |s| {
        s.contains("Cancel 'deploy'?")
    });
    app.send("y");
    let screen = app.wait_for("the deploy to say it was cancelled", WAIT, |s| {
        status_line(s).contains("cancelled after")
    });
    assert!(
        screen.contains("deploy: create horizon pod: cancelled"),
        "horizon's pod step reads cancelled:\n{screen}"
    );
    let deployments: Api<Deployment> = Api::namespaced(cluster.client(), ns);
    let horizon = cluster
        .block_on(deployments.get_opt("horizon"))
        .expect("read horizon's Deployment");
    assert!(
        horizon.is_none(),
        "the cancelled deploy created horizon's pods"
    );

    ask_to_deploy(&mut app);
    let screen = app.wait_for(
        "the second deploy to finish",
        Duration::from_secs(90),
        |s| s.contains("deploy finished:"),
    );
    for service in ["mariadb", "memcached", "keystone", "horizon"] {
        let row = grid_row(&screen, service);
        assert!(
            !row.contains('◷') && !row.contains('✗') && !row.contains('×'),
            "{service}: {row}\n{screen}"
        );
    }
    let rows = cluster.kolla(ns).status("horizon");
    assert!(
        rows.iter().all(|r| r.present_and_ready()),
        "horizon deployed: {rows:?}"
    );
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(10)), "exits 0 on q");
}

/// Deleting a data kind typed on the `:` command line asks for the service's name: a wrong
/// name deletes nothing, the right one deletes the claim (and the volume stays, Released).
#[test]
fn a_data_kind_deleted_on_the_command_line_needs_the_name_typed() {
    let cluster = TestCluster::shared();
    let ns = "colon";
    let kolla = cluster.kolla(ns);
    kolla.ok("deploy mariadb");
    kolla.ok("kill mariadb");
    kolla.wait_until(
        "mariadb's pods gone, its data kept",
        &["mariadb"],
        |_, row| match row.kind.as_str() {
            "disk" | "pv" | "pvc" => row.present_and_ready(),
            _ => row.absent(),
        },
    );
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), ns);
    let claim = |what: &str| -> bool {
        let found = cluster.block_on(claims.get_opt("mariadb"));
        found
            .unwrap_or_else(|e| panic!("read the claim ({what}): {e}"))
            .is_some()
    };

    let mut app = PtyApp::dashboard(&cluster, ns, &[]);
    // disk completed; pv and pvc ready; svc, configmap, bootstrap and pod absent.
    app.wait_for("mariadb's data on screen", WAIT, |s| {
        let row = grid_row(s, "mariadb");
        header(s).contains("● connected")
            && row.contains("✓ completed")
            && ready_cells(row) == 2
            && row.matches("○ absent").count() == 4
    });
    // Without --delete-data, as on the command line, a data kind is refused outright.
    app.send(":resource delete mariadb pvc\r");
    app.wait_for("the refusal without --delete-data", WAIT, |s| {
        status_line(s).contains("pvc holds data: add --delete-data to delete it")
    });
    assert!(
        claim("after the refusal"),
        "a delete without --delete-data deleted the claim"
    );
    app.send(":resource delete mariadb pvc --delete-data\r");
    app.wait_for("the question naming what to type", WAIT, |s| {
        s.contains("Type mariadb and press Enter")
    });
    app.send("memcached\r");
    app.wait_for("the refusal of the wrong name", WAIT, |s| {
        status_line(s).contains("type 'mariadb' exactly to confirm")
    });
    assert!(
        claim("after a wrong name"),
        "a wrong name deleted the claim"
    );
    app.send(&"\x7f".repeat("memcached".len()));
    app.send("mariadb\r");
    wait_for("the claim to go", WAIT, || !claim("after the name"));
    // The PV controller releases the volume after the claim is gone: a later event, so
    // the screen is waited on for both.
    app.wait_for(
        "the pvc cell to read absent and the pv to stay, released by its claim",
        WAIT,
        |s| {
            let row = grid_row(s, "mariadb");
            row.matches("○ absent").count() == 5 && row.contains("✗ Released")
        },
    );
    let volume = cluster
        .block_on(Api::<PersistentVolume>::all(cluster.client()).get_opt(&format!("{ns}-mariadb")))
        .expect("read the volume");
    assert!(volume.is_some(), "deleting the claim kept the volume");
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(10)), "exits 0 on q");
}

/// The dashboard on a cluster that is not there (it draws anyway), with `env`.
fn unreachable_dashboard(dir: &Path, env: &[(&str, &Path)]) -> PtyApp {
    let kubeconfig = unreachable_kubeconfig(dir);
    let log = dir.join("kolla-dash.log");
    let mut all = vec![("KUBECONFIG", kubeconfig.as_path())];
    all.extend_from_slice(env);
    let app = PtyApp::spawn(
        &["--log-file", log.to_str().expect("utf-8 path")],
        &all,
        100,
        30,
    );
    app.wait_for("the grid", WAIT, |s| {
        s.contains("services") && s.contains("mariadb")
    });
    app
}

/// What the dashboard sets up, so that a restored terminal means something was undone.
const TAKEN: TerminalState = TerminalState {
    alternate_screen: true,
    cursor_hidden: true,
    mouse_captured: true,
    raw: true,
};

#[test]
fn sigterm_and_sighup_end_the_dashboard_and_give_the_terminal_back() {
    for signal in [Signal::SIGTERM, Signal::SIGHUP] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut app = unreachable_dashboard(dir.path(), &[]);
        assert_eq!(app.terminal_state(), TAKEN, "while it runs");
        app.signal(signal);
        let status = app.exit_status(Duration::from_secs(10));
        assert!(status.success(), "{signal}: {status:?}");
        assert_eq!(
            app.terminal_state(),
            TerminalState::RESTORED,
            "after {signal}"
        );
    }
}

/// A panic (forced through the test-only KOLLA_DASH_TEST_PANIC, right after the first
/// frame) still gives the terminal back, and its message is readable on it.
#[test]
fn a_panic_gives_the_terminal_back_and_shows_its_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = unreachable_kubeconfig(dir.path());
    let log = dir.path().join("kolla-dash.log");
    let mut app = PtyApp::spawn(
        &["--log-file", log.to_str().expect("utf-8 path")],
        &[
            ("KUBECONFIG", kubeconfig.as_path()),
            ("KOLLA_DASH_TEST_PANIC", Path::new("1")),
        ],
        100,
        30,
    );
    let status = app.exit_status(WAIT);
    assert_eq!(status.exit_code(), 101, "a panic's exit code: {status:?}");
    assert_eq!(app.terminal_state(), TerminalState::RESTORED);
    let screen = app.text();
    assert!(
        screen.contains("panicked") && screen.contains("KOLLA_DASH_TEST_PANIC"),
        "the panic's message on the normal screen:\n{screen}"
    );
}
