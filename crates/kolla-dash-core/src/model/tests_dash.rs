//! Reducer tests for the workflow overlay, the nodes and incidents views, and staleness.

use super::fixtures::*;
use super::*;
use crate::kind::Kind;
use crate::model::log::{Entry, NoteLevel};
use crate::summary::{NodeReady, ObjKind, ObjRef};
use crate::workflow::plan::StepAction;
use crate::workflow::schedule::StepState;

fn command(m: &mut Model, line: &str) -> Vec<Effect> {
    let mut effects = keys(m, &[Key::Char(':')]);
    effects.extend(typed(m, line));
    effects.extend(keys(m, &[Key::Enter]));
    effects
}

fn status_text(m: &Model) -> String {
    m.status_line().map(|s| s.text.clone()).unwrap_or_default()
}

fn notes(m: &Model) -> Vec<String> {
    m.log()
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Note { text, .. } => Some(text.clone()),
            Entry::Event { .. } => None,
        })
        .collect()
}

fn step(service: &str, kind: Kind, state: StepState) -> Msg {
    Msg::Step {
        service: service.into(),
        action: StepAction::Create(kind),
        state,
        notes: Vec::new(),
    }
}

#[test]
fn deploy_key_asks_then_starts_and_a_second_workflow_is_refused() {
    let mut m = synced(false);
    assert!(keys(&mut m, &[Key::Char('D')]).is_empty());
    assert!(matches!(m.mode(), Mode::Confirm(c) if c.typed.is_none()));
    assert!(keys(&mut m, &[Key::Char('n')]).is_empty());
    assert!(!m.workflow_running());
    let effects = keys(&mut m, &[Key::Char('D'), Key::Char('y')]);
    assert_eq!(
        effects,
        vec![Effect::Act(Action::Deploy {
            services: vec![],
            consent: Consent::default(),
        })]
    );
    assert!(m.workflow_running());
    assert!(command(&mut m, "teardown keystone").is_empty());
    assert!(matches!(m.mode(), Mode::Normal));
    assert_eq!(status_text(&m), "'deploy' is still running: X cancels it");
}

#[test]
fn teardown_with_data_needs_the_namespace_typed() {
    let mut m = synced(false);
    assert!(command(&mut m, "teardown mariadb --delete-data").is_empty());
    let Mode::Confirm(confirm) = m.mode() else {
        panic!("expected a confirmation, got {:?}", m.mode());
    };
    assert_eq!(
        confirm.typed.as_ref().map(|t| t.expected.as_str()),
        Some("kolla")
    );
    assert!(typed(&mut m, "mariadb").is_empty());
    assert!(keys(&mut m, &[Key::Enter]).is_empty());
    assert_eq!(status_text(&m), "type 'kolla' exactly to confirm");
    keys(&mut m, &[Key::Ctrl('u')]);
    typed(&mut m, "kolla");
    assert_eq!(
        keys(&mut m, &[Key::Enter]),
        vec![Effect::Act(Action::Teardown {
            services: vec!["mariadb".into()],
            delete_data: true
        })]
    );
    // Without --delete-data a y is enough.
    let mut m = synced(false);
    command(&mut m, "teardown");
    assert!(matches!(m.mode(), Mode::Confirm(c) if c.typed.is_none()));
}

#[test]
fn steps_overlay_cells_note_transitions_and_finish() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char('D'), Key::Char('y')]);
    let before = notes(&m).len();
    update(&mut m, step("keystone", Kind::Pod, StepState::Queued));
    update(&mut m, step("keystone", Kind::Svc, StepState::Done));
    update(
        &mut m,
        step(
            "keystone",
            Kind::Pod,
            StepState::Waiting("0/3 ready".into()),
        ),
    );
    update(
        &mut m,
        step(
            "keystone",
            Kind::Pod,
            StepState::Waiting("1/3 ready".into()),
        ),
    );
    let cell = m
        .running_step(2, Kind::Pod)
        .expect("keystone pod has a step");
    assert_eq!(cell.state, StepState::Waiting("1/3 ready".into()));
    assert_eq!(
        status_text(&m),
        "deploy: 1/2 steps finished; keystone pod: waiting: 1/3 ready"
    );
    // Queued is not news, a changing waiting reason neither.
    assert_eq!(
        notes(&m)[before..],
        [
            "deploy: create keystone svc: done".to_string(),
            "deploy: create keystone pod: waiting: 0/3 ready".to_string()
        ]
    );
    update(
        &mut m,
        step(
            "keystone",
            Kind::Pod,
            StepState::Failed("timed out after 300 s".into()),
        ),
    );
    update(
        &mut m,
        Msg::WorkflowFinished {
            ok: false,
            summary: "1 step failed".into(),
        },
    );
    assert!(!m.workflow_running());
    assert_eq!(
        m.running_step(2, Kind::Pod),
        None,
        "no overlay once finished"
    );
    assert_eq!(status_text(&m), "deploy failed: 1 step failed");
    assert_eq!(m.status_line().map(|s| s.level), Some(NoteLevel::Error));
    // The last workflow's step stays for the detail view.
    let last = m
        .workflow()
        .and_then(|w| w.step(2, Kind::Pod))
        .map(|s| &s.state);
    assert_eq!(
        last,
        Some(&StepState::Failed("timed out after 300 s".into()))
    );
    // A new deploy may start again.
    assert_eq!(keys(&mut m, &[Key::Char('D'), Key::Char('y')]).len(), 1);
}

#[test]
fn cancel_asks_and_only_while_a_workflow_runs() {
    let mut m = mid_workflow();
    assert!(keys(&mut m, &[Key::Char('X')]).is_empty());
    assert!(matches!(m.mode(), Mode::Confirm(c) if c.subject == Subject::CancelWorkflow));
    assert!(keys(&mut m, &[Key::Esc]).is_empty());
    assert_eq!(
        keys(&mut m, &[Key::Char('X'), Key::Char('y')]),
        vec![Effect::CancelWorkflow]
    );
    let mut idle = synced(false);
    assert!(keys(&mut idle, &[Key::Char('X')]).is_empty());
    assert!(matches!(idle.mode(), Mode::Normal));
    assert_eq!(status_text(&idle), "no deploy or teardown is running");
}

#[test]
fn nodes_view_moves_and_confirms_node_actions_then_returns() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char('N')]);
    assert!(matches!(m.mode(), Mode::Nodes));
    assert_eq!(m.selected_node(), Some("node-1"));
    keys(&mut m, &[Key::Down, Key::Down, Key::Down, Key::Up]);
    assert_eq!(m.selected_node(), Some("node-2"));
    assert!(keys(&mut m, &[Key::Char('d')]).is_empty());
    assert!(matches!(m.mode(), Mode::Confirm(_)));
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::Node {
            node: "node-2".into(),
            op: NodeOp::Drain
        })]
    );
    assert!(matches!(m.mode(), Mode::Nodes), "back in the nodes view");
    keys(&mut m, &[Key::Char('c'), Key::Char('n')]);
    assert!(matches!(m.mode(), Mode::Nodes));
    for (key, op) in [('c', NodeOp::Cordon), ('u', NodeOp::Uncordon)] {
        assert_eq!(
            keys(&mut m, &[Key::Char(key), Key::Char('y')]),
            vec![Effect::Act(Action::Node {
                node: "node-2".into(),
                op
            })]
        );
    }
    keys(&mut m, &[Key::Esc]);
    assert!(matches!(m.mode(), Mode::Normal));
}

#[test]
fn fail_and_restore_only_on_the_local_cluster() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char('N')]);
    assert!(keys(&mut m, &[Key::Char('f')]).is_empty());
    assert!(matches!(m.mode(), Mode::Nodes));
    assert_eq!(
        status_text(&m),
        "fail-node works only on the local demo cluster (kolla-dash demo)"
    );
    m.local_cluster = true;
    for (key, op) in [('f', NodeOp::Fail), ('r', NodeOp::Restore)] {
        assert_eq!(
            keys(&mut m, &[Key::Char(key), Key::Char('y')]),
            vec![Effect::Act(Action::Node {
                node: "node-1".into(),
                op
            })]
        );
    }
}

#[test]
fn every_node_fails_and_restores_at_once_after_asking_on_the_local_cluster() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char('N')]);
    assert!(keys(&mut m, &[Key::Char('F')]).is_empty());
    assert_eq!(
        status_text(&m),
        "fail-node works only on the local demo cluster (kolla-dash demo)"
    );
    m.local_cluster = true;
    assert!(keys(&mut m, &[Key::Char('F')]).is_empty(), "asks first");
    assert!(matches!(m.mode(), Mode::Confirm(_)));
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::EveryNode { op: NodeOp::Fail })]
    );
    assert!(matches!(m.mode(), Mode::Nodes), "back in the nodes view");
    assert_eq!(
        keys(&mut m, &[Key::Char('R'), Key::Char('y')]),
        vec![Effect::Act(Action::EveryNode {
            op: NodeOp::Restore
        })]
    );
    assert_eq!(
        Action::EveryNode { op: NodeOp::Fail }.to_string(),
        "fail-node --all"
    );
}

#[test]
fn actions_ask_before_queueing_against_a_silent_api_server() {
    let mut m = synced(false);
    update(&mut m, Msg::Now(1_000));
    update(
        &mut m,
        Msg::Connection(Connection::Silent { last_heard: 996 }),
    );
    assert_eq!(m.silent_for(), Some(4));
    assert_eq!(m.stale_for(), Some(4));
    update(
        &mut m,
        Msg::Select {
            row: 1,
            kind: Kind::Svc,
        },
    );
    assert!(
        keys(&mut m, &[Key::Char('c')]).is_empty(),
        "a create waits for the operator's yes while the server is silent"
    );
    assert!(matches!(m.mode(), Mode::Confirm(c) if c.typed.is_none()));
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::Create {
            service: "memcached".into(),
            kind: Kind::Svc,
            consent: Consent::default(),
        })]
    );
    update(&mut m, Msg::Connection(Connection::Connected));
    assert_eq!(m.silent_for(), None);
    assert_eq!(
        keys(&mut m, &[Key::Char('c')]),
        vec![Effect::Act(Action::Create {
            service: "memcached".into(),
            kind: Kind::Svc,
            consent: Consent::default(),
        })],
        "answering again: a create goes at once"
    );
}

#[test]
fn the_probes_verdicts_are_noted_and_outages_reach_the_incident_tracker() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Liveness(Liveness::Silent {
            last_heard: 1_700_000_000,
        }),
    );
    update(&mut m, Msg::Liveness(Liveness::Answering));
    let said = notes(&m);
    assert!(
        said.iter()
            .any(|n| n
                .starts_with("the API server is not responding (nothing heard since 22:13:20)")),
        "{said:?}"
    );
    assert!(said.contains(&"the API server answers again: relisting everything".to_string()));
    // An outage, then node-2 down: the incident blames the outage.
    update(&mut m, Msg::NowMs(1_700_000_010_000));
    update(
        &mut m,
        Msg::Connection(Connection::Silent {
            last_heard: 1_700_000_000,
        }),
    );
    update(&mut m, Msg::NowMs(1_700_000_030_000));
    update(&mut m, Msg::Connection(Connection::Connected));
    update(&mut m, Msg::Applied(node("node-2", NodeReady::Unknown)));
    let incident = &m.incidents().incidents()[0];
    assert!(incident.api_outage.is_some(), "{incident:?}");
    let said = notes(&m);
    assert!(
        said.iter().any(|n| n.starts_with(
            "incident #1: possibly caused by the API server outage of 22:13:20–22:13:50"
        )),
        "{said:?}"
    );
}

#[test]
fn every_node_down_is_said_to_pause_evictions() {
    let mut m = synced(false);
    assert_eq!(m.evictions(), disruption::Evictions::Normal);
    for i in 1..=3 {
        update(
            &mut m,
            Msg::Applied(node(&format!("node-{i}"), NodeReady::False)),
        );
    }
    assert_eq!(
        m.evictions(),
        disruption::Evictions::PausedEverywhere { nodes: 3 }
    );
    let incident = &m.incidents().incidents()[0];
    assert!(
        incident
            .disruption()
            .is_some_and(disruption::Evictions::paused)
    );
    assert_eq!(incident.nodes.len(), 3, "one incident for the three nodes");
}

#[test]
fn readonly_refuses_node_actions_deploy_and_teardown() {
    let mut m = synced(true);
    m.local_cluster = true;
    keys(&mut m, &[Key::Char('N')]);
    for key in ['c', 'u', 'd', 'f', 'r'] {
        assert!(keys(&mut m, &[Key::Char(key), Key::Char('y')]).is_empty());
        assert!(matches!(m.mode(), Mode::Nodes));
        assert!(
            status_text(&m).starts_with("read-only session"),
            "{}",
            status_text(&m)
        );
    }
    keys(&mut m, &[Key::Esc]);
    assert!(keys(&mut m, &[Key::Char('D'), Key::Char('y')]).is_empty());
    assert_eq!(status_text(&m), "read-only session: 'deploy' refused");
    assert!(command(&mut m, "teardown --delete-data").is_empty());
    assert_eq!(
        status_text(&m),
        "read-only session: 'teardown --delete-data' refused"
    );
}

#[test]
fn node_failure_opens_an_incident_with_notes_and_the_stuck_pod_explains_itself() {
    let m = node_failure();
    let incidents = m.incidents().incidents();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(incident.down().collect::<Vec<_>>(), ["node-2"]);
    assert_eq!(incident.opened_ms, T0_MS);
    assert_eq!(incident.services["keystone"].healed_after_ms, Some(8_700));
    assert_eq!(incident.services["mariadb"].healed_after_ms, None);
    let notes = notes(&m);
    assert!(
        notes.contains(&"incident #1: node node-2 down (Unknown)".to_string()),
        "{notes:?}"
    );
    assert!(notes.contains(&"incident #1: keystone healed after 8.7 s".to_string()));
    let why = m.why_not_ready(0, Kind::Pod).unwrap_or_default();
    assert!(
        why.starts_with("mariadb-0 stays Terminating: node node-2 is unreachable"),
        "{why}"
    );
    // The nodes view sees the pods where they are.
    let on_2: Vec<&str> = m.pods_on("node-2").map(|o| o.obj.name.as_str()).collect();
    assert_eq!(on_2, ["keystone-7f9d4-bbbbb", "mariadb-0"]);
}

#[test]
fn incidents_view_scrolls_and_export_asks_the_loop_to_write() {
    let mut m = node_failure();
    keys(
        &mut m,
        &[Key::Char('I'), Key::Down, Key::Down, Key::PageDown, Key::Up],
    );
    assert!(matches!(m.mode(), Mode::Incidents));
    assert_eq!(m.incident_scroll(), 11);
    keys(&mut m, &[Key::PageUp, Key::PageUp]);
    assert_eq!(m.incident_scroll(), 0);
    keys(&mut m, &[Key::Char('N')]);
    assert!(matches!(m.mode(), Mode::Nodes));
    keys(&mut m, &[Key::Char('I'), Key::Esc]);
    assert!(matches!(m.mode(), Mode::Normal));
    assert_eq!(
        command(&mut m, "export incidents /tmp/incidents.jsonl"),
        vec![Effect::ExportIncidents {
            path: "/tmp/incidents.jsonl".into()
        }]
    );
    assert_eq!(
        status_text(&m),
        "exporting 1 incident(s) to /tmp/incidents.jsonl"
    );
    // Exporting writes no cluster object: a read-only session may.
    let mut ro = synced(true);
    assert_eq!(command(&mut ro, "export incidents x.jsonl").len(), 1);
}

#[test]
fn a_relist_after_connection_loss_drops_objects_deleted_meanwhile() {
    let mut m = mid_deploy();
    update(&mut m, Msg::WatchLost(ObjKind::Pod));
    update(
        &mut m,
        Msg::Connection(Connection::Lost {
            since: 2_000,
            last_update: 1_990,
        }),
    );
    assert_eq!(m.status(2, Kind::Pod), &CellStatus::Unknown);
    assert_eq!(m.stale_for(), Some(10));
    // While the connection was down keystone's starting pod went away.
    let keep: Vec<_> = m
        .cell_objects(2, Kind::Pod)
        .into_iter()
        .chain(m.cell_objects(0, Kind::Pod))
        .chain(m.cell_objects(1, Kind::Pod))
        .filter(|o| o.obj.kind == ObjKind::Pod && o.obj.name != "keystone-7f9d4-bbbbb")
        .cloned()
        .collect();
    update(&mut m, Msg::Resynced(ObjKind::Pod, keep));
    update(&mut m, Msg::Connection(Connection::Connected));
    let names: Vec<_> = m
        .cell_objects(2, Kind::Pod)
        .into_iter()
        .map(|o| o.obj.clone())
        .collect();
    assert!(!names.contains(&ObjRef {
        kind: ObjKind::Pod,
        name: "keystone-7f9d4-bbbbb".into()
    }));
    assert!(names.iter().any(|r| r.name == "keystone-7f9d4-aaaaa"));
    assert_eq!(
        m.status(2, Kind::Pod),
        &CellStatus::Pending {
            reason: "1/3 ready".into(),
            count: Some((1, 3))
        }
    );
    assert_eq!(m.stale_for(), None);
}

#[test]
fn millisecond_clock_also_moves_the_seconds() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Connection(Connection::Lost {
            since: 1_000,
            last_update: 990,
        }),
    );
    update(&mut m, Msg::NowMs(1_004_900));
    assert_eq!((m.now_ms(), m.stale_for()), (1_004_900, Some(14)));
    // A node going down is timed by that clock.
    update(&mut m, Msg::Applied(node("node-3", NodeReady::False)));
    assert_eq!(m.incidents().incidents()[0].opened_ms, 1_004_900);
}
