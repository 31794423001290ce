//! The dashboard's consent rules: nothing acts on kolla's objects before the watches have
//! listed them; taking over a foreign object asks first; a bootstrap over recorded data
//! asks for the service's name; the foreign cell says whose the object is.

use super::fixtures::*;
use super::*;
use crate::kind::Kind;
use crate::ownership::{Foreign, Manager};
use crate::summary::ObjKind;

fn foreign_configmap() -> Foreign {
    foreign_keystone_configmap(Manager::Fields(vec!["kubectl-create".into()]))
}

fn recorded_claim() -> Msg {
    Msg::Applied(bootstrapped_claim())
}

fn select(m: &mut Model, row: usize, kind: Kind) {
    update(m, Msg::Select { row, kind });
}

fn status_text(m: &Model) -> String {
    m.status_line().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn nothing_acts_on_kollas_objects_before_every_watch_has_listed() {
    let mut m = model(false);
    select(&mut m, 0, Kind::Pod);
    for key in ['c', 'b', 'r', 'D'] {
        assert!(keys(&mut m, &[Key::Char(key)]).is_empty(), "{key}");
        assert!(matches!(m.mode(), Mode::Normal), "{key} opened a dialog");
        let text = status_text(&m);
        assert!(text.contains("still listing"), "{key}: {text}");
    }
    // The foreign watch counts too: an absent cell may hold someone else's object.
    let mut m = Model::new(ModelConfig {
        foreign_watched: vec![ObjKind::ConfigMap],
        ..config()
    });
    for kind in ObjKind::WATCHED {
        update(&mut m, Msg::Resynced(kind, Vec::new()));
    }
    assert_eq!(*m.status(1, Kind::Configmap), CellStatus::Unknown);
    select(&mut m, 1, Kind::Configmap);
    assert!(keys(&mut m, &[Key::Char('c')]).is_empty());
    assert!(status_text(&m).contains("1 watches are still listing"));
    // A cell whose kinds are all listed can be acted on; a deploy waits for everything.
    select(&mut m, 1, Kind::Svc);
    assert_eq!(keys(&mut m, &[Key::Char('c')]).len(), 1);
    assert!(keys(&mut m, &[Key::Char('D')]).is_empty());
    assert!(matches!(m.mode(), Mode::Normal));
    update(&mut m, Msg::ForeignResynced(ObjKind::ConfigMap, Vec::new()));
    assert_eq!(*m.status(1, Kind::Configmap), CellStatus::Absent);
    select(&mut m, 1, Kind::Configmap);
    assert_eq!(keys(&mut m, &[Key::Char('c')]).len(), 1);
}

fn config() -> ModelConfig {
    ModelConfig {
        context: "kolla-demo".into(),
        namespace: "kolla".into(),
        readonly: false,
        rows: rows(),
        watched: ObjKind::WATCHED.to_vec(),
        foreign_watched: Vec::new(),
        local_cluster: false,
        desired: Vec::new(),
        deploy: crate::workflow::plan::DeployOptions::default(),
    }
}

#[test]
fn a_foreign_object_shows_foreign_and_creating_its_cell_asks_to_adopt() {
    let mut m = synced(false);
    update(&mut m, Msg::ForeignSeen(foreign_configmap()));
    assert_eq!(*m.status(2, Kind::Configmap), CellStatus::Foreign);
    let why = m.why_not_ready(2, Kind::Configmap).unwrap_or_default();
    assert!(
        why.starts_with(
            "ConfigMap/keystone in namespace kolla is not kolla-dash's (managed by kubectl-create"
        ),
        "{why}"
    );
    select(&mut m, 2, Kind::Configmap);
    assert!(keys(&mut m, &[Key::Char('c')]).is_empty());
    let Mode::Confirm(confirm) = m.mode() else {
        panic!("no dialog: {:?}", m.mode());
    };
    assert!(confirm.typed.is_none());
    let warning = confirm.warning.clone().unwrap_or_default();
    assert!(warning.contains("ConfigMap/keystone") && warning.contains("takes over"));
    // No: nothing happens.
    assert!(keys(&mut m, &[Key::Char('n')]).is_empty());
    // Yes: the create carries the consent to adopt.
    keys(&mut m, &[Key::Char('c')]);
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::Create {
            service: "keystone".into(),
            kind: Kind::Configmap,
            consent: Consent::ADOPT,
        })]
    );
    // `r` on the row asks too; another row's create does not.
    assert!(keys(&mut m, &[Key::Char('r')]).is_empty());
    assert!(matches!(m.mode(), Mode::Confirm(_)));
    keys(&mut m, &[Key::Esc]);
    select(&mut m, 1, Kind::Configmap);
    assert_eq!(keys(&mut m, &[Key::Char('c')]).len(), 1);
    // Once it is gone (or adopted) the cell is judged as usual.
    update(&mut m, Msg::ForeignGone(foreign_configmap().obj));
    assert_eq!(*m.status(2, Kind::Configmap), CellStatus::Absent);
}

#[test]
fn adopt_typed_on_the_command_line_is_confirmed_too() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char(':')]);
    typed(&mut m, "resource create keystone configmap --adopt");
    assert!(keys(&mut m, &[Key::Enter]).is_empty());
    assert!(matches!(m.mode(), Mode::Confirm(c) if c.typed.is_none()));
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::Create {
            service: "keystone".into(),
            kind: Kind::Configmap,
            consent: Consent::ADOPT,
        })]
    );
}

#[test]
fn a_bootstrap_over_recorded_data_asks_for_the_service_name() {
    let mut m = synced(false);
    update(&mut m, recorded_claim());
    assert_eq!(
        m.store()
            .bootstrap_record(0)
            .map(|(r, on)| (r.to_string(), on)),
        Some((
            "at 2026-01-02T03:04:05Z by Job/mariadb-bootstrap".to_string(),
            "PersistentVolumeClaim/mariadb".to_string()
        ))
    );
    select(&mut m, 0, Kind::Bootstrap);
    for key in ['b', 'c'] {
        assert!(keys(&mut m, &[Key::Char(key)]).is_empty());
        let Mode::Confirm(confirm) = m.mode() else {
            panic!("{key}: no dialog");
        };
        assert_eq!(
            confirm.typed.as_ref().map(|t| t.expected.as_str()),
            Some("mariadb")
        );
        let warning = confirm.warning.clone().unwrap_or_default();
        assert!(
            warning.contains("bootstrapped at 2026-01-02T03:04:05Z"),
            "{warning}"
        );
        // A wrong name does nothing.
        typed(&mut m, "maria");
        assert!(keys(&mut m, &[Key::Enter]).is_empty());
        keys(&mut m, &[Key::Esc]);
    }
    keys(&mut m, &[Key::Char('b')]);
    typed(&mut m, "mariadb");
    assert_eq!(
        keys(&mut m, &[Key::Enter]),
        vec![Effect::Act(Action::Bootstrap {
            services: vec!["mariadb".into()],
            consent: Consent::FORCE_BOOTSTRAP,
        })]
    );
    // Without a record, a bootstrap just runs.
    let mut m = synced(false);
    select(&mut m, 0, Kind::Bootstrap);
    assert_eq!(keys(&mut m, &[Key::Char('b')]).len(), 1);
}

#[test]
fn a_refused_drain_asks_for_the_node_name_before_draining_anyway() {
    let mut m = synced(false);
    keys(&mut m, &[Key::Char('N')]);
    let node = m.selected_node().unwrap_or_default().to_string();
    keys(&mut m, &[Key::Char('d')]);
    assert_eq!(
        keys(&mut m, &[Key::Char('y')]),
        vec![Effect::Act(Action::Node {
            node: node.clone(),
            op: NodeOp::Drain,
        })]
    );
    let losses = vec!["default/web (no controller recreates it, not kolla's)".to_string()];
    update(
        &mut m,
        Msg::DrainRefused {
            node: node.clone(),
            losses,
        },
    );
    let Mode::Confirm(confirm) = m.mode() else {
        panic!("no dialog after a refused drain");
    };
    assert_eq!(
        confirm.typed.as_ref().map(|t| t.expected.clone()),
        Some(node.clone())
    );
    assert!(
        confirm
            .warning
            .as_deref()
            .unwrap_or("")
            .contains("default/web")
    );
    // `y` is no answer here, nor a wrong name.
    assert!(keys(&mut m, &[Key::Char('y'), Key::Enter]).is_empty());
    assert!(matches!(m.mode(), Mode::Confirm(_)));
    keys(&mut m, &[Key::Backspace]);
    typed(&mut m, &node);
    assert_eq!(
        keys(&mut m, &[Key::Enter]),
        vec![Effect::Act(Action::Node {
            node,
            op: NodeOp::DrainAnyway,
        })]
    );
    assert!(matches!(m.mode(), Mode::Nodes));
}
