//! Reducer tests with hand-built messages.

use super::fixtures::*;
use super::*;
use crate::kind::Kind;
use crate::model::log::{LogSource, NoteLevel};
use crate::summary::{JobState, ObjKind, ObjRef, PodPhase, VolumePhase};

fn status_text(m: &Model) -> String {
    m.status_line().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn cells_are_unknown_until_synced_and_blank_where_the_service_lacks_the_kind() {
    let mut m = model(false);
    assert_eq!(m.status(0, Kind::Pvc), &CellStatus::Unknown);
    assert_eq!(m.status(1, Kind::Pvc), &CellStatus::Blank);
    update(
        &mut m,
        Msg::Resynced(ObjKind::PersistentVolumeClaim, Vec::new()),
    );
    assert_eq!(m.status(0, Kind::Pvc), &CellStatus::Absent);
    // Svc depends on two watches.
    update(&mut m, Msg::Resynced(ObjKind::Service, Vec::new()));
    assert_eq!(m.status(0, Kind::Svc), &CellStatus::Unknown);
    assert_eq!(
        m.why_not_ready(0, Kind::Svc).as_deref(),
        Some("waiting for the EndpointSlice watch to sync")
    );
}

#[test]
fn applied_deleted_and_resynced_drive_cells() {
    let mut m = synced(false);
    let pvc = obj(
        ObjKind::PersistentVolumeClaim,
        "mariadb",
        "mariadb",
        Kind::Pvc,
        crate::summary::ObjState::Pvc {
            phase: VolumePhase::Pending,
            volume: None,
            bootstrapped: None,
        },
    );
    update(&mut m, Msg::Applied(pvc.clone()));
    assert_eq!(
        m.status(0, Kind::Pvc),
        &CellStatus::Pending {
            reason: "waiting to bind".into(),
            count: None
        }
    );
    let mut bound = pvc.clone();
    bound.state = crate::summary::ObjState::Pvc {
        phase: VolumePhase::Bound,
        volume: Some("pv".into()),
        bootstrapped: None,
    };
    update(&mut m, Msg::Applied(bound));
    assert_eq!(m.status(0, Kind::Pvc), &CellStatus::Ready { count: None });
    update(&mut m, Msg::Deleted(pvc.obj.clone()));
    assert_eq!(m.status(0, Kind::Pvc), &CellStatus::Absent);
    // A relist replaces what was there.
    update(&mut m, Msg::Applied(configmap("mariadb")));
    update(
        &mut m,
        Msg::Resynced(ObjKind::ConfigMap, vec![configmap("keystone")]),
    );
    assert_eq!(m.status(0, Kind::Configmap), &CellStatus::Absent);
    assert_eq!(
        m.status(2, Kind::Configmap),
        &CellStatus::Ready { count: None }
    );
}

#[test]
fn object_moving_cells_updates_both() {
    let mut m = synced(false);
    update(&mut m, Msg::Applied(configmap("mariadb")));
    let mut moved = configmap("mariadb");
    moved.owner = Some(crate::summary::Owner {
        service: "keystone".into(),
        kind: Kind::Configmap,
    });
    update(&mut m, Msg::Applied(moved));
    assert_eq!(m.status(0, Kind::Configmap), &CellStatus::Absent);
    assert_eq!(
        m.status(2, Kind::Configmap),
        &CellStatus::Ready { count: None }
    );
}

#[test]
fn watch_lost_makes_cells_unknown_until_resynced_and_forbidden_shows() {
    let mut m = mid_deploy();
    assert_eq!(
        m.status(1, Kind::Pod),
        &CellStatus::Ready {
            count: Some((1, 1))
        }
    );
    update(&mut m, Msg::WatchLost(ObjKind::Pod));
    assert_eq!(m.status(1, Kind::Pod), &CellStatus::Unknown);
    assert_eq!(
        m.status(1, Kind::Configmap),
        &CellStatus::Ready { count: None }
    );
    assert_eq!(
        m.why_not_ready(1, Kind::Pod).as_deref(),
        Some("the Pod watch was lost; waiting to relist")
    );
    update(
        &mut m,
        Msg::Resynced(
            ObjKind::Pod,
            vec![pod(
                "memcached-1",
                "memcached",
                Kind::Pod,
                PodPhase::Running,
                true,
                None,
            )],
        ),
    );
    assert_eq!(
        m.status(1, Kind::Pod),
        &CellStatus::Ready {
            count: Some((1, 1))
        }
    );
    update(&mut m, Msg::Forbidden(ObjKind::Secret));
    assert_eq!(m.status(0, Kind::Configmap), &CellStatus::Forbidden);
    assert!(
        m.why_not_ready(0, Kind::Configmap)
            .is_some_and(|w| w.contains("forbidden"))
    );
}

#[test]
fn mid_deploy_statuses() {
    let m = mid_deploy();
    assert_eq!(m.status(0, Kind::Bootstrap), &CellStatus::Completed);
    assert_eq!(m.status(0, Kind::Svc), &CellStatus::Ready { count: None });
    assert_eq!(
        m.status(2, Kind::Svc),
        &CellStatus::Pending {
            reason: "no ready endpoints".into(),
            count: None
        }
    );
    assert_eq!(
        m.status(2, Kind::Pod),
        &CellStatus::Pending {
            reason: "1/3 ready".into(),
            count: Some((1, 3))
        }
    );
    assert_eq!(m.status(3, Kind::Pod), &CellStatus::Absent);
    assert_eq!(m.node_tally(), Tally::Known { ready: 3, total: 3 });
}

#[test]
fn pod_waiting_on_storage_says_so() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Applied(obj(
            ObjKind::PersistentVolumeClaim,
            "mariadb",
            "mariadb",
            Kind::Pvc,
            crate::summary::ObjState::Pvc {
                phase: VolumePhase::Pending,
                volume: None,
                bootstrapped: None,
            },
        )),
    );
    update(
        &mut m,
        Msg::Applied(workload(ObjKind::StatefulSet, "mariadb", 1, 0)),
    );
    assert_eq!(
        m.why_not_ready(0, Kind::Pod).as_deref(),
        Some("waiting for PVC mariadb to bind")
    );
}

#[test]
fn failed_job_explains_itself() {
    let m = failed_job();
    assert_eq!(
        m.status(0, Kind::Bootstrap),
        &CellStatus::Failed {
            reason: "BackoffLimitExceeded".into()
        }
    );
    assert_eq!(
        m.why_not_ready(0, Kind::Bootstrap).as_deref(),
        Some(
            "Job mariadb-bootstrap failed: BackoffLimitExceeded: Job has reached the specified \
             backoff limit (to retry: kolla-dash resource delete mariadb bootstrap, then deploy again)"
        )
    );
    assert_eq!(m.cell_events(0, Kind::Bootstrap, 5).len(), 2);
}

#[test]
fn events_are_attributed_to_rows_and_filtered_by_selection() {
    let mut m = mid_deploy();
    let shown = |m: &Model| m.log().entries.iter().filter(|e| m.shows(e)).count();
    // mariadb selected: one event about mariadb-0.
    assert_eq!(shown(&m), 1);
    keys(&mut m, &[Key::Down, Key::Down]);
    assert_eq!(m.grid().selected_service(), Some("keystone"));
    assert_eq!(shown(&m), 3);
    keys(&mut m, &[Key::Char('a')]);
    assert_eq!(shown(&m), 4);
    // An event about an object already gone still lands on its service by name.
    update(
        &mut m,
        Msg::Event(event(
            1,
            false,
            ObjKind::Pod,
            "horizon-55-zz",
            "Killing",
            "Stopping",
        )),
    );
    update(
        &mut m,
        Msg::Select {
            row: 3,
            kind: Kind::Pod,
        },
    );
    keys(&mut m, &[Key::Char('a')]);
    assert_eq!(shown(&m), 1);
}

#[test]
fn movement_tab_and_scrolling() {
    let mut m = mid_deploy();
    keys(
        &mut m,
        &[Key::Char('j'), Key::Char('l'), Key::Right, Key::Char('h')],
    );
    assert_eq!(
        (m.grid().selected_row(), m.grid().selected_kind()),
        (Some(1), Kind::Pv)
    );
    keys(&mut m, &[Key::Tab, Key::Char('a'), Key::Up, Key::Up]);
    assert_eq!(m.focus(), Pane::Log);
    assert_eq!(m.log().scroll, 2);
    keys(&mut m, &[Key::PageDown]);
    assert_eq!(m.log().scroll, 0);
    keys(&mut m, &[Key::Tab, Key::Up]);
    assert_eq!(m.grid().selected_row(), Some(0));
}

#[test]
fn filter_typing_and_escape() {
    let mut m = mid_deploy();
    keys(&mut m, &[Key::Char('/')]);
    typed(&mut m, "key");
    assert_eq!(m.grid().visible(), &[2]);
    keys(&mut m, &[Key::Enter]);
    assert!(matches!(m.mode(), Mode::Normal));
    assert_eq!(m.grid().filter(), "key");
    keys(
        &mut m,
        &[
            Key::Char('/'),
            Key::Backspace,
            Key::Backspace,
            Key::Backspace,
        ],
    );
    assert_eq!(m.grid().visible().len(), 4);
    typed(&mut m, "zzz");
    keys(&mut m, &[Key::Esc]);
    assert_eq!((m.grid().filter(), m.grid().visible().len()), ("", 4));
}

#[test]
fn help_opens_and_closes_and_q_quits() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char('?')]);
    assert!(matches!(m.mode(), Mode::Help));
    assert!(keys(&mut m, &[Key::Char('j')]).is_empty());
    keys(&mut m, &[Key::Esc]);
    assert!(matches!(m.mode(), Mode::Normal));
    assert_eq!(keys(&mut m, &[Key::Char('q')]), vec![Effect::Quit]);
    keys(&mut m, &[Key::Char(':')]);
    assert_eq!(keys(&mut m, &[Key::Ctrl('c')]), vec![Effect::Quit]);
}

#[test]
fn enter_opens_the_detail_of_the_selected_cell() {
    let mut m = failed_job();
    keys(&mut m, &[Key::Enter]);
    assert!(matches!(
        m.mode(),
        Mode::Detail {
            row: 0,
            kind: Kind::Bootstrap
        }
    ));
    keys(&mut m, &[Key::Esc]);
    assert!(matches!(m.mode(), Mode::Normal));
}

#[test]
fn create_bootstrap_and_run_act_at_once() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Select {
            row: 0,
            kind: Kind::Pvc,
        },
    );
    assert_eq!(
        keys(&mut m, &[Key::Char('c')]),
        vec![Effect::Act(Action::Create {
            service: "mariadb".into(),
            kind: Kind::Pvc,
            consent: Consent::default(),
        })]
    );
    assert_eq!(
        keys(&mut m, &[Key::Char('b')]),
        vec![Effect::Act(Action::Bootstrap {
            services: vec!["mariadb".into()],
            consent: Consent::default(),
        })]
    );
    assert_eq!(
        keys(&mut m, &[Key::Char('r')]),
        vec![Effect::Act(Action::Run {
            services: vec!["mariadb".into()],
            consent: Consent::default(),
        })]
    );
    assert_eq!(status_text(&m), "requested: run mariadb");
}

#[test]
fn create_on_a_blank_cell_is_refused() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Select {
            row: 1,
            kind: Kind::Pvc,
        },
    );
    assert!(keys(&mut m, &[Key::Char('c')]).is_empty());
    assert_eq!(status_text(&m), "memcached has no pvc");
}

#[test]
fn delete_asks_y_or_n() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Select {
            row: 1,
            kind: Kind::Pod,
        },
    );
    assert!(keys(&mut m, &[Key::Char('d')]).is_empty());
    assert!(matches!(
        m.mode(),
        Mode::Confirm(Confirm { typed: None, .. })
    ));
    assert!(
        keys(&mut m, &[Key::Char('x')]).is_empty(),
        "other keys wait"
    );
    assert!(keys(&mut m, &[Key::Char('n')]).is_empty());
    assert!(matches!(m.mode(), Mode::Normal));
    let effects = keys(&mut m, &[Key::Char('d'), Key::Char('y')]);
    assert_eq!(
        effects,
        vec![Effect::Act(Action::Delete {
            service: "memcached".into(),
            kind: Kind::Pod,
            delete_data: false
        })]
    );
}

/// The name a confirmation asks to be typed, if it asks for one.
fn typed_name(m: &Model) -> Option<String> {
    match m.mode() {
        Mode::Confirm(Confirm {
            typed: Some(typed), ..
        }) => Some(typed.expected.clone()),
        _ => None,
    }
}

#[test]
fn deleting_a_data_kind_needs_the_service_name_typed() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Select {
            row: 0,
            kind: Kind::Pv,
        },
    );
    keys(&mut m, &[Key::Char('d')]);
    assert_eq!(typed_name(&m).as_deref(), Some("mariadb"));
    // y is just a letter here.
    assert!(typed(&mut m, "y").is_empty());
    assert!(keys(&mut m, &[Key::Enter]).is_empty());
    assert_eq!(status_text(&m), "type 'mariadb' exactly to confirm");
    keys(&mut m, &[Key::Backspace]);
    typed(&mut m, "mariadb");
    let effects = keys(&mut m, &[Key::Enter]);
    assert_eq!(
        effects,
        vec![Effect::Act(Action::Delete {
            service: "mariadb".into(),
            kind: Kind::Pv,
            delete_data: true
        })]
    );
    assert!(matches!(m.mode(), Mode::Normal));
}

#[test]
fn kill_confirms_and_kill_with_data_needs_the_name() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Select {
            row: 3,
            kind: Kind::Svc,
        },
    );
    let effects = keys(&mut m, &[Key::Char('K'), Key::Char('y')]);
    assert_eq!(
        effects,
        vec![Effect::Act(Action::Kill {
            services: vec!["horizon".into()],
            delete_data: false
        })]
    );
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "kill mariadb --delete-data");
    assert!(keys(&mut m, &[Key::Enter]).is_empty());
    assert_eq!(typed_name(&m).as_deref(), Some("mariadb"));
    keys(&mut m, &[Key::Esc]);
    assert_eq!(status_text(&m), "cancelled");
}

#[test]
fn readonly_refuses_every_action() {
    let mut m = synced(true);
    update(
        &mut m,
        Msg::Select {
            row: 0,
            kind: Kind::Pvc,
        },
    );
    for k in ['c', 'd', 'b', 'r', 'K'] {
        assert!(keys(&mut m, &[Key::Char(k)]).is_empty(), "{k}");
        assert!(matches!(m.mode(), Mode::Normal));
        assert!(status_text(&m).starts_with("read-only session"), "{k}");
    }
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "run keystone");
    assert!(keys(&mut m, &[Key::Enter]).is_empty());
    assert_eq!(status_text(&m), "read-only session: 'run keystone' refused");
}

#[test]
fn command_line_runs_verbs_and_reports_errors() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "run keystone");
    assert_eq!(
        keys(&mut m, &[Key::Enter]),
        vec![Effect::Act(Action::Run {
            services: vec!["keystone".into()],
            consent: Consent::default(),
        })]
    );
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "resource delete mariadb pod");
    keys(&mut m, &[Key::Enter]);
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::Delete {
            service: "mariadb".into(),
            kind: Kind::Pod,
            delete_data: false
        })]
    );
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "run nova");
    keys(&mut m, &[Key::Enter]);
    assert!(matches!(m.mode(), Mode::Normal));
    assert_eq!(m.status_line().map(|s| s.level), Some(NoteLevel::Error));
    assert_eq!(status_text(&m), "unknown service 'nova'");
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "resource status keystone pod");
    keys(&mut m, &[Key::Enter]);
    assert!(matches!(
        m.mode(),
        Mode::Detail {
            row: 2,
            kind: Kind::Pod
        }
    ));
}

#[test]
fn action_progress_and_results_reach_status_line_and_log() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::ActionStarted {
            id: 7,
            what: "run keystone".into(),
        },
    );
    assert_eq!(m.in_flight().len(), 1);
    assert_eq!(m.status_line().map(|s| s.level), Some(NoteLevel::Progress));
    update(
        &mut m,
        Msg::ActionFinished {
            id: 7,
            result: Err("configmap keystone: forbidden".into()),
        },
    );
    assert!(m.in_flight().is_empty());
    assert_eq!(
        status_text(&m),
        "run keystone failed: configmap keystone: forbidden"
    );
    let notes = m
        .log()
        .entries
        .iter()
        .filter(|e| {
            matches!(
                e,
                log::Entry::Note {
                    level: NoteLevel::Error,
                    ..
                }
            )
        })
        .count();
    assert_eq!(notes, 1);
}

#[test]
fn following_logs_of_the_pod_cell() {
    let mut m = mid_deploy();
    update(
        &mut m,
        Msg::Select {
            row: 2,
            kind: Kind::Pod,
        },
    );
    let effects = keys(&mut m, &[Key::Char('l')]);
    assert_eq!(
        effects,
        vec![Effect::FollowLogs {
            pod: "keystone-7f9d4-aaaaa".into(),
            previous: false,
        }]
    );
    update(
        &mut m,
        Msg::LogLines {
            pod: "other".into(),
            lines: vec!["no".into()],
        },
    );
    update(
        &mut m,
        Msg::LogLines {
            pod: "keystone-7f9d4-aaaaa".into(),
            lines: vec!["a".into(), "b".into()],
        },
    );
    assert_eq!(m.log().pod_lines.len(), 2);
    update(
        &mut m,
        Msg::LogEnded {
            pod: "keystone-7f9d4-aaaaa".into(),
            reason: None,
        },
    );
    assert!(matches!(
        &m.log().source,
        LogSource::Pod { ended: Some(_), .. }
    ));
    assert_eq!(keys(&mut m, &[Key::Esc]), vec![Effect::StopLogs]);
    assert_eq!(m.log().source, LogSource::Events);
    update(
        &mut m,
        Msg::Select {
            row: 3,
            kind: Kind::Pod,
        },
    );
    assert!(keys(&mut m, &[Key::Char('l')]).is_empty());
    assert_eq!(status_text(&m), "horizon has no pod to follow");
}

#[test]
fn connection_loss_reports_staleness() {
    let mut m = synced(false);
    assert_eq!(m.stale_for(), None);
    update(
        &mut m,
        Msg::Connection(Connection::Lost {
            since: 1_000,
            last_update: 990,
        }),
    );
    assert_eq!(m.stale_for(), Some(10));
    update(&mut m, Msg::Now(1_002));
    assert_eq!(m.stale_for(), Some(12));
    update(&mut m, Msg::Connection(Connection::Connected));
    assert_eq!(m.stale_for(), None);
}

#[test]
fn deleting_a_node_updates_counts() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Applied(node("node-2", crate::summary::NodeReady::Unknown)),
    );
    assert_eq!(m.node_tally(), Tally::Known { ready: 2, total: 3 });
    update(
        &mut m,
        Msg::Deleted(ObjRef {
            kind: ObjKind::Node,
            name: "node-2".into(),
        }),
    );
    assert_eq!(m.node_tally(), Tally::Known { ready: 2, total: 2 });
}

#[test]
fn node_counts_are_numbers_only_when_known() {
    let mut m = model(false);
    assert_eq!(m.node_tally(), Tally::Listing);
    update(&mut m, Msg::Forbidden(ObjKind::Node));
    assert_eq!(m.node_tally(), Tally::Forbidden);
    // Said once in the log pane, with what it leaves unchecked.
    let notes: Vec<String> = m
        .log()
        .entries
        .iter()
        .filter_map(|e| match e {
            crate::model::log::Entry::Note { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        vec!["cannot list Node objects (RBAC): node health unchecked".to_string()]
    );

    let mut m = synced(false);
    update(&mut m, Msg::WatchLost(ObjKind::Node));
    assert_eq!(m.node_tally(), Tally::Disconnected);
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Connection(Connection::Lost {
            since: 1_000,
            last_update: 990,
        }),
    );
    assert_eq!(m.node_tally(), Tally::Disconnected);
}

#[test]
fn a_kind_no_cell_reads_is_not_worth_a_forbidden_note() {
    let mut m = Model::new(ModelConfig {
        context: "c".into(),
        namespace: "t".into(),
        readonly: false,
        rows: vec![Row::new(
            "memcached",
            [Kind::Svc, Kind::Configmap, Kind::Pod],
        )],
        watched: ObjKind::WATCHED.to_vec(),
        foreign_watched: Vec::new(),
        local_cluster: false,
        desired: Vec::new(),
        deploy: crate::workflow::plan::DeployOptions::default(),
    });
    update(&mut m, Msg::Forbidden(ObjKind::PersistentVolume));
    update(&mut m, Msg::Forbidden(ObjKind::StorageClass));
    assert!(m.log().entries.is_empty());
    update(&mut m, Msg::Forbidden(ObjKind::Service));
    assert_eq!(m.log().entries.len(), 1);
}

#[test]
fn credentials_that_may_not_write_make_the_session_read_only() {
    let mut m = synced(false);
    update(&mut m, Msg::MayWrite(true));
    assert!(!m.header().readonly);
    update(&mut m, Msg::MayWrite(false));
    assert!(m.header().readonly);
    assert!(status_text(&m).contains("may not create, change or delete"));
    update(
        &mut m,
        Msg::Select {
            row: 0,
            kind: Kind::Configmap,
        },
    );
    // Every action key, in the grid and the nodes view, and every verb typed after ':',
    // is refused here: nothing goes out to the cluster.
    for k in ['c', 'd', 'b', 'r', 'K', 'D'] {
        assert!(keys(&mut m, &[Key::Char(k)]).is_empty(), "{k}");
        assert!(status_text(&m).starts_with("read-only session"), "{k}");
    }
    keys(&mut m, &[Key::Char('N')]);
    for k in ['c', 'u', 'd'] {
        assert!(keys(&mut m, &[Key::Char(k)]).is_empty(), "nodes view {k}");
        assert!(status_text(&m).starts_with("read-only session"), "{k}");
    }
    keys(&mut m, &[Key::Esc]);
    for line in [
        "teardown",
        "deploy keystone",
        "kill mariadb --delete-data",
        "resource create mariadb configmap",
    ] {
        keys(&mut m, &[Key::Char(':')]);
        typed(&mut m, line);
        assert!(keys(&mut m, &[Key::Enter]).is_empty(), "{line}");
        assert_eq!(
            status_text(&m),
            format!("read-only session: '{line}' refused")
        );
    }
}

#[test]
fn command_line_refuses_another_namespace_in_one_line() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "resource delete mariadb pod -n other");
    assert!(keys(&mut m, &[Key::Enter]).is_empty());
    assert!(matches!(m.mode(), Mode::Normal));
    let text = status_text(&m);
    assert!(
        text.starts_with("-n cannot be used inside the dashboard"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn job_failure_in_the_grid() {
    let mut m = synced(false);
    update(
        &mut m,
        Msg::Applied(job(
            "keystone-db",
            "keystone",
            JobState::Failed {
                reason: "DeadlineExceeded".into(),
                message: String::new(),
            },
        )),
    );
    assert_eq!(
        m.status(2, Kind::Bootstrap),
        &CellStatus::Failed {
            reason: "DeadlineExceeded".into()
        }
    );
}
