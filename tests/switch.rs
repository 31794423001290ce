//! Switching namespace (and context) without restarting, on a real local control plane:
//! memcached runs in namespace `one`, horizon in `two`, so the two grids differ. The
//! dashboard's core retargeted by hand must stop every old task and keep no cell of the
//! first namespace; the real binary in a pseudo-terminal switches with `:ns two` and back
//! through the picker.

mod support;

use std::time::Duration;

use kolla_dash::kind::Kind;
use kolla_dash::model::CellStatus;
use kolla_dash::tui::{Dashboard, Inbox};
use support::cluster::{TestCluster, config_dir};
use support::dash::{engine_in, pump, synced_in};
use support::pty::{PtyApp, grid_row};

const WAIT: Duration = Duration::from_secs(30);
const MEMCACHED: [Kind; 3] = [Kind::Svc, Kind::Configmap, Kind::Pod];
const HORIZON: [Kind; 3] = [Kind::Svc, Kind::Configmap, Kind::Pod];

/// On the test binary's shared cluster: memcached running in namespace `one`, horizon in
/// `two`, every cell ready.
fn two_namespaces(one: &str, two: &str) -> TestCluster {
    let cluster = TestCluster::shared();
    let (one, two) = (cluster.kolla(one), cluster.kolla(two));
    one.ok("run memcached");
    two.ok("run horizon");
    one.wait_until("memcached ready in one", &["memcached"], |_, r| {
        r.present_and_ready()
    });
    two.wait_until("horizon ready in two", &["horizon"], |_, r| {
        r.present_and_ready()
    });
    cluster
}

fn row_of(dash: &Dashboard, service: &str) -> usize {
    dash.model
        .store()
        .row_of_service(service)
        .unwrap_or_else(|| panic!("{service} has a row"))
}

/// Every one of the service's cells is `want` (by `matches`).
fn cells(dash: &Dashboard, service: &str, kinds: &[Kind], want: fn(&CellStatus) -> bool) -> bool {
    let row = row_of(dash, service);
    kinds.iter().all(|k| want(dash.model.status(row, *k)))
}

fn ready(status: &CellStatus) -> bool {
    matches!(status, CellStatus::Ready { .. })
}

fn absent(status: &CellStatus) -> bool {
    *status == CellStatus::Absent
}

/// Waits until nothing can send on the old inbox any more: every task of the old target
/// (supervisor, watchers, foreign watch, events, log follower) has stopped.
async fn closes(mut old: Inbox) {
    let drained = async {
        while old.msgs.recv().await.is_some() {}
        while old.logs.recv().await.is_some() {}
    };
    tokio::time::timeout(WAIT, drained)
        .await
        .unwrap_or_else(|_| panic!("the old watchers still hold their channel after {WAIT:?}"));
}

#[test]
fn retargeting_stops_every_old_task_and_keeps_no_cell_of_the_first_namespace() {
    let (one, two) = ("core-one", "core-two");
    let cluster = two_namespaces(one, two);
    let client = cluster.client();
    cluster.block_on(async {
        let (mut dash, inbox) = synced_in(client.clone(), one).await;
        let mut inbox = inbox;
        pump(&mut dash, &mut inbox, "memcached ready in one", |d| {
            cells(d, "memcached", &MEMCACHED, ready)
        })
        .await;
        assert!(cells(&dash, "horizon", &HORIZON, absent));

        let old = std::mem::replace(
            &mut inbox,
            dash.retarget(engine_in(client.clone(), two))
                .expect("retarget to two"),
        );
        assert_eq!(dash.model.header().namespace, two);
        assert!(
            !dash.model.store().all_synced(),
            "a fresh model: nothing listed yet"
        );
        closes(old).await;
        pump(&mut dash, &mut inbox, "two listed, horizon ready", |d| {
            d.model.store().all_synced() && cells(d, "horizon", &HORIZON, ready)
        })
        .await;
        assert!(
            cells(&dash, "memcached", &MEMCACHED, absent),
            "nothing of one's memcached is left"
        );
        let row = row_of(&dash, "memcached");
        assert!(
            MEMCACHED
                .iter()
                .all(|k| dash.model.cell_objects(row, *k).is_empty())
        );

        // And back: one's memcached again, two's horizon gone.
        let old = std::mem::replace(
            &mut inbox,
            dash.retarget(engine_in(client.clone(), one))
                .expect("retarget to one"),
        );
        closes(old).await;
        pump(&mut dash, &mut inbox, "one listed again", |d| {
            d.model.store().all_synced() && cells(d, "memcached", &MEMCACHED, ready)
        })
        .await;
        assert!(cells(&dash, "horizon", &HORIZON, absent));
    });
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// The grid of namespace `ns`: the header names it, `present` has its three cells ready and
/// `missing` its three cells absent.
fn shows(screen: &str, ns: &str, present: &str, missing: &str) -> bool {
    header(screen).contains(&format!("/{ns} "))
        && header(screen).contains("● connected")
        && grid_row(screen, present).matches("✓ ready").count() == 3
        && grid_row(screen, missing).matches("○ absent").count() == 3
}

#[test]
fn ns_switches_the_grid_to_another_namespace_and_back_through_the_picker() {
    let cluster = two_namespaces("one", "two");
    let etc = config_dir();
    let etc = etc.to_str().expect("utf-8 path");
    let mut app = PtyApp::dashboard(&cluster, "one", &["--config-dir", etc]);
    app.wait_for("one's grid: memcached ready, horizon absent", WAIT, |s| {
        shows(s, "one", "memcached", "horizon")
    });

    app.send(":ns two\r");
    let screen = app.wait_for("two's grid: horizon ready, memcached absent", WAIT, |s| {
        shows(s, "two", "horizon", "memcached")
    });
    assert!(
        screen.contains("now on kolla-dash-dev/two (was kolla-dash-dev/one)"),
        "{screen}"
    );

    // The picker: kolla-dash's namespaces first, the cursor on the current one.
    app.send(":ns\r");
    let screen = app.wait_for("the namespace picker", WAIT, |s| {
        s.contains("namespaces (Enter switches") && s.contains("kube-system")
    });
    let listed: Vec<&str> = screen
        .lines()
        .filter_map(|l| {
            let inner = l.split('│').nth(2)?;
            inner
                .trim_start_matches(['▸', ' '])
                .split_whitespace()
                .next()
        })
        .filter(|name| ["one", "two", "default", "kube-system"].contains(name))
        .collect();
    assert_eq!(listed[..2], ["one", "two"], "{screen}");
    assert!(
        screen.contains("▸ two") && screen.contains("(current)"),
        "{screen}"
    );
    app.send("k\r");
    app.wait_for("one's grid again", WAIT, |s| {
        shows(s, "one", "memcached", "horizon")
    });

    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
}
