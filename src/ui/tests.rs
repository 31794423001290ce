//! Whole-screen snapshots (TestBackend + insta), a size sweep, and click mapping.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use super::{draw, hit_test};
use crate::config::StorageProvider;
use crate::kind::Kind;
use crate::model::fixtures::{
    deployed, drifted, failed_job, mid_deploy, mid_workflow, model, node, node_failure,
    pod_in_state, synced,
};
use crate::model::{Connection, Key, Model, Msg, update};
use crate::summary::{NodeReady, ObjKind};

fn screen(model: &Model, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| draw(f, model)).expect("draw");
    terminal
}

fn press(model: &mut Model, keys: &[Key]) {
    for k in keys {
        update(model, Msg::Key(*k));
    }
}

/// The five required scenes.
fn scenes() -> Vec<(&'static str, Model)> {
    let mut help = synced(false);
    press(&mut help, &[Key::Char('?')]);
    let mut confirm = synced(false);
    update(
        &mut confirm,
        Msg::Select {
            row: 0,
            kind: Kind::Pvc,
        },
    );
    press(
        &mut confirm,
        &[Key::Char('d'), Key::Char('m'), Key::Char('a')],
    );
    vec![
        ("empty_namespace", synced(false)),
        ("mid_deploy", mid_deploy()),
        ("failed_job", failed_job()),
        ("help", help),
        ("confirm_data_delete", confirm),
    ]
}

#[test]
fn snapshots_80x24_and_160x48() {
    for (name, model) in scenes() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&model, w, h).backend());
        }
    }
}

/// The workflow and healing scenes.
fn heal_scenes() -> Vec<(&'static str, Model)> {
    let mut nodes = node_failure();
    press(&mut nodes, &[Key::Char('N'), Key::Down]);
    let mut incidents = node_failure();
    press(&mut incidents, &[Key::Char('I')]);
    let mut stuck = node_failure();
    update(
        &mut stuck,
        Msg::Select {
            row: 0,
            kind: Kind::Pod,
        },
    );
    press(&mut stuck, &[Key::Enter]);
    let mut cancel = mid_workflow();
    press(&mut cancel, &[Key::Char('X')]);
    vec![
        ("nodes_view", nodes),
        ("incident_panel", incidents),
        ("stuck_terminating_detail", stuck),
        ("mid_workflow", mid_workflow()),
        ("cancel_workflow", cancel),
    ]
}

#[test]
fn heal_snapshots_80x24_and_160x48() {
    for (name, model) in heal_scenes() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&model, w, h).backend());
        }
    }
}

/// The namespace picker (kolla-dash's namespaces first, the current one said) and the
/// question before switching away from a running deploy.
fn switch_scenes() -> Vec<(&'static str, Model)> {
    use crate::model::switch::{Choice, Pick};
    let mut picker = synced(false);
    press(
        &mut picker,
        &[Key::Char(':'), Key::Char('n'), Key::Char('s'), Key::Enter],
    );
    let choice = |name: &str, kolla| Choice {
        name: name.into(),
        kolla,
    };
    update(
        &mut picker,
        Msg::Choices {
            pick: Pick::Namespace,
            result: Ok(vec![
                choice("default", false),
                choice("kube-system", false),
                choice("kolla", true),
                choice("staging", true),
            ]),
        },
    );
    press(&mut picker, &[Key::Down]);
    let mut leave = mid_workflow();
    press(&mut leave, &[Key::Char(':')]);
    for c in "ns staging".chars() {
        press(&mut leave, &[Key::Char(c)]);
    }
    press(&mut leave, &[Key::Enter]);
    vec![
        ("namespace_picker", picker),
        ("switch_during_deploy", leave),
    ]
}

#[test]
fn switch_snapshots_80x24_and_160x48() {
    for (name, model) in switch_scenes() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&model, w, h).backend());
        }
    }
}

#[test]
fn detail_and_status_line_name_the_cells_step() {
    let mut m = mid_workflow();
    let text = screen(&m, 120, 30).backend().to_string();
    assert!(
        text.contains("deploy: 12/17 steps finished; keystone bootstrap: waiting: Job"),
        "{text}"
    );
    press(&mut m, &[Key::Enter]);
    let text = screen(&m, 120, 30).backend().to_string();
    assert!(
        text.contains(
            "deploy: create keystone bootstrap: waiting: Job keystone-create-db is running"
        ),
        "{text}"
    );
}

#[test]
fn nodes_view_keeps_the_selected_node_in_view() {
    let mut m = synced(false);
    for i in 4..=12 {
        update(
            &mut m,
            Msg::Applied(crate::model::fixtures::node(
                &format!("node-{i:02}"),
                crate::summary::NodeReady::True,
            )),
        );
    }
    press(&mut m, &[Key::Char('N')]);
    for _ in 0..11 {
        press(&mut m, &[Key::Down]);
    }
    let text = screen(&m, 80, 16).backend().to_string();
    assert!(text.contains("▸ node-3"), "{text}");
}

/// A node crowded with pods: its line counts them (a finished Job pod is completed, not
/// in trouble) and names those not ready, as many as fit, instead of wrapping.
#[test]
fn a_crowded_node_counts_its_pods_and_names_the_ones_not_ready() {
    let mut m = synced(false);
    let mut pods: Vec<_> = (0..40)
        .map(|i| pod_in_state(&format!("memcached-{i:02}"), 0, false))
        .collect();
    pods[7] = pod_in_state("memcached-07", 2, false);
    pods[21] = pod_in_state("memcached-21", 0, true);
    pods[33] = pod_in_state("memcached-33", 1, false);
    pods[39] = pod_in_state("memcached-39", 5, false);
    update(&mut m, Msg::Resynced(ObjKind::Pod, pods));
    press(&mut m, &[Key::Char('N')]);
    insta::assert_snapshot!("nodes_view_crowded_80x12", screen(&m, 80, 12).backend());
    let wide = screen(&m, 200, 12).backend().to_string();
    assert!(
        wide.contains(
            "pods: 40 (36 ready, 1 completed, 3 not): memcached-07 ✗ failed, \
             memcached-21 ⧖ terminating, memcached-33 … pending"
        ),
        "{wide}"
    );
}

#[test]
fn stale_cells_say_so_in_words() {
    let mut m = mid_deploy();
    update(
        &mut m,
        Msg::Connection(Connection::Lost {
            since: 1_000,
            last_update: 995,
        }),
    );
    let text = screen(&m, 100, 24).backend().to_string();
    assert!(text.contains("stale: last update 5s ago"), "{text}");
}

/// The real grid for each storage provider (ceph's row has its bootstrap cell only with
/// ceph storage), and every node down.
fn provider_scenes() -> Vec<(&'static str, Model)> {
    let mut all_down = deployed(StorageProvider::Host);
    for i in 1..=3 {
        update(
            &mut all_down,
            Msg::Applied(node(&format!("kolla-node-{i}"), NodeReady::False)),
        );
    }
    vec![
        ("ceph_provider_deployed", deployed(StorageProvider::Ceph)),
        ("every_node_down", all_down),
    ]
}

#[test]
fn provider_snapshots_80x24_and_160x48() {
    for (name, model) in provider_scenes() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&model, w, h).backend());
        }
    }
}

#[test]
fn every_node_down_says_evictions_are_paused_and_the_pods_sit_on_dead_nodes() {
    let (_, model) = provider_scenes().remove(1);
    let text = screen(&model, 160, 48).backend().to_string();
    let banner = text.lines().nth(1).unwrap_or_default();
    assert!(
        banner.contains("Kubernetes pauses evictions (full disruption)")
            && banner.contains("the pods shown sit on dead nodes"),
        "{text}"
    );
    let mut incidents = model.clone();
    press(&mut incidents, &[Key::Char('I')]);
    let text = screen(&incidents, 160, 48).backend().to_string();
    assert!(
        text.contains("#1 nodes kolla-node-1, kolla-node-2, kolla-node-3 down"),
        "{text}"
    );
    assert!(
        text.contains("⚠ all 3 nodes are NotReady: Kubernetes pauses evictions"),
        "{text}"
    );
}

#[test]
fn a_silent_server_is_named_in_the_header_and_before_any_action() {
    let mut m = mid_deploy();
    update(&mut m, Msg::Now(1_000));
    update(
        &mut m,
        Msg::Connection(Connection::Silent { last_heard: 996 }),
    );
    let text = screen(&m, 120, 30).backend().to_string();
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("⚠ not responding for 4 s"),
        "{text}"
    );
    assert!(!text.contains("● connected"), "{text}");
    assert!(text.contains("stale: last update 4s ago"), "{text}");
    press(&mut m, &[Key::Char('c')]);
    let text = screen(&m, 120, 30).backend().to_string();
    assert!(
        text.contains("Create mariadb's disk?")
            && text.contains("The API server has not answered for 4 s: this waits for it"),
        "{text}"
    );
}

#[test]
fn failed_job_detail_view() {
    let mut m = failed_job();
    press(&mut m, &[Key::Enter]);
    insta::assert_snapshot!("failed_job_detail_100x30", screen(&m, 100, 30).backend());
}

#[test]
fn readonly_and_disconnected_header() {
    let mut m = synced(true);
    update(
        &mut m,
        Msg::Connection(Connection::Lost {
            since: 1_000,
            last_update: 988,
        }),
    );
    let text = screen(&m, 120, 24).backend().to_string();
    assert!(text.contains("reconnecting, last update 12s ago"), "{text}");
    assert!(text.contains("nodes: unknown (disconnected)"), "{text}");
    assert!(text.contains("[read-only]"));
    let footer = text.lines().last().unwrap_or_default();
    assert!(
        footer.contains("help") && !footer.contains("create"),
        "action hints are hidden: {footer}"
    );
}

/// A session whose credentials may not list nodes (a namespace-scoped operator).
fn nodes_forbidden() -> Model {
    let mut m = model(false);
    for kind in ObjKind::WATCHED {
        match kind {
            ObjKind::Node => update(&mut m, Msg::Forbidden(kind)),
            _ => update(&mut m, Msg::Resynced(kind, Vec::new())),
        };
    }
    update(&mut m, Msg::Connection(Connection::Connected));
    m
}

#[test]
fn a_forbidden_node_list_is_never_a_count() {
    let m = nodes_forbidden();
    let grid = screen(&m, 80, 24).backend().to_string();
    insta::assert_snapshot!("nodes_forbidden_80x24", grid);
    let header = grid.lines().next().unwrap_or_default();
    assert!(header.contains("nodes: forbidden"), "{header}");
    assert!(!grid.contains("0/0"), "{grid}");
    let mut view = nodes_forbidden();
    press(&mut view, &[Key::Char('N')]);
    let text = screen(&view, 80, 24).backend().to_string();
    insta::assert_snapshot!("nodes_forbidden_view_80x24", text);
    assert!(text.contains("nodes: forbidden (Esc closes)"), "{text}");
    assert!(text.contains("node health unchecked"), "{text}");
    // Before the first list, a count is not known either.
    let text = screen(&model(false), 80, 24).backend().to_string();
    assert!(
        text.contains("nodes: listing…") && !text.contains("0/0"),
        "{text}"
    );
}

#[test]
fn never_panics_from_1x1_up() {
    let mut models: Vec<Model> = scenes()
        .into_iter()
        .chain(heal_scenes())
        .chain(provider_scenes())
        .map(|(_, m)| m)
        .collect();
    let mut detail = failed_job();
    press(&mut detail, &[Key::Enter]);
    models.push(detail);
    let mut command = mid_deploy();
    press(
        &mut command,
        &[
            Key::Char(':'),
            Key::Char('r'),
            Key::Char('u'),
            Key::Char('n'),
        ],
    );
    models.push(command);
    // Clicks anywhere: a click selects a cell of a shown row, never from the header or the
    // footer line, and nothing else.
    let mut hits = 0;
    for model in &models {
        for w in (1..=90).step_by(7).chain([1, 2, 3, 200]) {
            for h in (1..=30).step_by(3).chain([1, 2, 60]) {
                screen(model, w, h);
                for (x, y) in (0..w).step_by(5).flat_map(|x| (0..h).map(move |y| (x, y))) {
                    match hit_test(Rect::new(0, 0, w, h), model, x, y) {
                        None => {}
                        Some(Msg::Select { row, .. }) => {
                            hits += 1;
                            assert!(
                                y > 0 && y + 1 < h,
                                "{w}x{h}: a click at ({x}, {y}) on the header or footer selects a cell"
                            );
                            assert!(
                                model.grid().visible().contains(&row),
                                "{w}x{h}: a click at ({x}, {y}) selects row {row}, not shown"
                            );
                        }
                        Some(other) => panic!("{w}x{h}: a click at ({x}, {y}) means {other:?}"),
                    }
                }
            }
        }
    }
    assert!(hits > 1000, "the sweep clicked on cells {hits} times");
}

#[test]
fn scrolls_rows_that_do_not_fit() {
    let mut m = mid_deploy();
    press(&mut m, &[Key::Down, Key::Down, Key::Down]);
    // 12 lines: the grid gets 4 (3 of chrome + 1 row), so only the selected row shows.
    let text = screen(&m, 80, 12).backend().to_string();
    assert!(
        text.contains("horizon") && !text.contains("mariadb "),
        "{text}"
    );
}

#[test]
fn click_selects_the_cell_under_the_pointer() {
    let m = mid_deploy();
    let area = Rect::new(0, 0, 80, 24);
    let text = screen(&m, 80, 24).backend().to_string();
    // Find keystone's row and the pvc heading on screen.
    let lines: Vec<&str> = text.lines().collect();
    let y = lines
        .iter()
        .position(|l| l.contains("keystone"))
        .expect("keystone row");
    let heading = lines.iter().find(|l| l.contains("pvc")).expect("heading");
    let x = heading
        .chars()
        .take_while(|_| true)
        .collect::<String>()
        .find("pvc")
        .expect("pvc");
    let x = heading[..x].chars().count();
    let hit = hit_test(
        area,
        &m,
        u16::try_from(x).unwrap(),
        u16::try_from(y).unwrap(),
    );
    assert_eq!(
        hit,
        Some(Msg::Select {
            row: 2,
            kind: Kind::Pvc
        })
    );
    assert_eq!(hit_test(area, &m, 0, 0), None, "header is not the grid");
}

/// Trust scenes: a cell holding an object kolla-dash does not own, with the dialog that
/// takes it over, and the dialog before a bootstrap over recorded data.
fn trust_scenes() -> Vec<(&'static str, Model)> {
    use crate::ownership::Manager;

    let mut adopt = synced(false);
    let foreign =
        crate::model::fixtures::foreign_keystone_configmap(Manager::Labelled("Helm".into()));
    update(&mut adopt, Msg::ForeignSeen(foreign));
    update(
        &mut adopt,
        Msg::Select {
            row: 2,
            kind: Kind::Configmap,
        },
    );
    press(&mut adopt, &[Key::Char('c')]);
    let mut rebootstrap = synced(false);
    let claim = crate::model::fixtures::bootstrapped_claim();
    update(&mut rebootstrap, Msg::Applied(claim));
    press(&mut rebootstrap, &[Key::Char('b'), Key::Char('m')]);
    vec![
        ("adopt_foreign", adopt),
        ("bootstrap_recorded_data", rebootstrap),
    ]
}

/// A stack that differs from its config: the grid, the diff view (`=`), the detail view
/// and the plan `D` shows before it runs.
fn drift_scenes() -> Vec<(&'static str, Model)> {
    let select = |m: &mut Model, row, kind| update(m, Msg::Select { row, kind });
    let mut grid = drifted();
    select(&mut grid, 3, Kind::Pod);
    let mut diff = grid.clone();
    press(&mut diff, &[Key::Char('=')]);
    let mut detail = grid.clone();
    press(&mut detail, &[Key::Enter]);
    let mut plan = grid.clone();
    press(&mut plan, &[Key::Char('D')]);
    let mut held = drifted();
    select(&mut held, 1, Kind::Pvc);
    press(&mut held, &[Key::Char('=')]);
    vec![
        ("drift_grid", grid),
        ("drift_diff", diff),
        ("drift_detail", detail),
        ("drift_deploy_plan", plan),
        ("drift_held", held),
    ]
}

#[test]
fn drift_snapshots_80x24_and_160x48() {
    for (name, model) in drift_scenes() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&model, w, h).backend());
        }
    }
}

#[test]
fn trust_snapshots_80x24_and_160x48() {
    for (name, model) in trust_scenes() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&model, w, h).backend());
        }
    }
}

#[test]
fn a_long_first_list_shows_how_far_it_got_in_the_cells_it_holds_back() {
    // Every kind listed but pods, of which 3,500 arrived so far.
    let mut m = model(false);
    for kind in ObjKind::WATCHED.into_iter().filter(|k| *k != ObjKind::Pod) {
        update(&mut m, Msg::Resynced(kind, Vec::new()));
    }
    update(&mut m, Msg::Listing(ObjKind::Pod, 3_500));
    let text = screen(&m, 160, 30).backend().to_string();
    let memcached = text
        .lines()
        .find(|l| l.trim_start_matches(['"', '│']).starts_with("memcached"))
        .unwrap_or_default();
    assert!(memcached.contains("listing 3,500…"), "{text}");
    // A cell no pod list holds back is drawn at once.
    assert!(memcached.contains("absent"), "{memcached}");
    update(&mut m, Msg::Resynced(ObjKind::Pod, Vec::new()));
    let text = screen(&m, 160, 30).backend().to_string();
    assert!(!text.contains("listing"), "{text}");
}
