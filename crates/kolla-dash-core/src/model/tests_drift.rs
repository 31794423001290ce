//! Drift in the model: cells judged against what the config renders, the config read again
//! (or refused) while the dashboard runs, the deploy plan over drifting cells, and a step
//! that waits until the cluster shows what was applied.

use super::fixtures::*;
use super::*;
use crate::config::StorageProvider;
use crate::drift::{Desired, Verdict};
use crate::kind::Kind;
use crate::summary::ObjRef;
use crate::workflow::plan::{StepAction, WaitFor};
use crate::workflow::schedule::{Readiness, Schedule, StepState};

fn row(m: &Model, service: &str) -> usize {
    m.store()
        .row_of_service(service)
        .unwrap_or_else(|| panic!("no {service} row"))
}

fn status_text(m: &Model) -> String {
    m.status_line().map(|s| s.text.clone()).unwrap_or_default()
}

/// What the host config renders, with keystone's Deployment asking for `replicas`.
fn keystone_replicas(replicas: u32) -> Vec<Desired> {
    rendered(StorageProvider::Host)
        .iter()
        .map(Desired::from)
        .map(|mut d| {
            if d.obj.name == "keystone" && d.cell.kind == Kind::Pod {
                d.object["spec"]["replicas"] = replicas.into();
            }
            d
        })
        .collect()
}

#[test]
fn a_deployed_stack_as_rendered_does_not_drift() {
    let m = deployed(StorageProvider::Host);
    assert_eq!(m.drifting(), Vec::new());
    assert!(m.deploy_plan(&[]).expect("plans").changes().is_empty());
}

#[test]
fn a_ready_cell_that_differs_drifts_and_says_what_and_what_deploy_does() {
    let m = drifted();
    let (keystone, mariadb) = (row(&m, "keystone"), row(&m, "mariadb"));
    assert_eq!(
        m.drifting(),
        vec![(mariadb, Kind::Pvc), (keystone, Kind::Pod)]
    );
    assert_eq!(
        *m.status(keystone, Kind::Pod),
        CellStatus::Drift {
            count: Some((1, 1))
        }
    );
    let why = m.why_not_ready(keystone, Kind::Pod).unwrap_or_default();
    assert!(
        why.starts_with("differs from the config: Deployment/keystone spec.replicas: 1 → 3")
            && why.ends_with("(+1 more); deploy applies it"),
        "{why}"
    );
    let held = m
        .store()
        .drift(mariadb, Kind::Pvc)
        .expect("the claim drifts");
    assert!(matches!(held.verdict, Verdict::Held(_)), "{held:?}");
}

#[test]
fn the_plan_applies_drift_holds_what_cannot_change_and_skips_the_rest() {
    let m = drifted();
    let plan = m.deploy_plan(&[]).expect("plans");
    let step = |service: &str, kind| {
        plan.steps
            .iter()
            .find(|s| s.service == service && s.action == StepAction::Create(kind))
            .unwrap_or_else(|| panic!("no step for {service} {kind}"))
    };
    let keystone = step("keystone", Kind::Pod);
    assert!(!keystone.skip && keystone.drift.as_ref().is_some_and(|d| d.applies()));
    let claim = step("mariadb", Kind::Pvc);
    assert!(
        claim.skip
            && claim
                .held()
                .is_some_and(|w| w.contains("cannot change in place"))
    );
    assert!(step("horizon", Kind::Pod).skip, "horizon does not drift");

    let changes = plan.changes();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].starts_with("1. keystone pod: Deployment/keystone spec.replicas: 1 → 3"));
    assert!(
        changes[1].starts_with("not applied: mariadb pvc: "),
        "{changes:?}"
    );

    // The held claim is not a failure: what depends on mariadb goes on.
    let schedule = Schedule::new(plan);
    let claim_id = schedule
        .plan
        .steps
        .iter()
        .position(|s| s.service == "mariadb" && s.action == StepAction::Create(Kind::Pvc))
        .expect("claim step");
    assert!(matches!(schedule.states[claim_id], StepState::Held(_)));
    let runnable = schedule.runnable();
    let keystone_id = schedule
        .plan
        .steps
        .iter()
        .position(|s| s.service == "keystone" && s.action == StepAction::Create(Kind::Pod))
        .expect("keystone step");
    assert_eq!(runnable, vec![keystone_id]);
}

#[test]
fn a_step_waits_until_the_cluster_shows_what_was_applied() {
    let m = drifted();
    let row = row(&m, "keystone");
    let keystone: Vec<_> = m
        .store()
        .cell_objects(row, Kind::Pod)
        .iter()
        .map(|o| o.obj.clone())
        .collect();
    match m
        .store()
        .condition(WaitFor::PodsReady, "keystone", Kind::Pod, &keystone)
    {
        Readiness::NotYet(why) => assert!(why.contains("differs from the config"), "{why}"),
        other => panic!("a drifting cell is not done: {other:?}"),
    }
}

#[test]
fn an_edited_config_marks_the_cells_that_now_differ_and_a_broken_one_changes_nothing() {
    let mut m = deployed(StorageProvider::Host);
    let keystone = row(&m, "keystone");

    update(
        &mut m,
        Msg::ConfigRejected {
            reason: "etc/kolla-kubernetes.yml:19:20: did not find expected ',' or ']'".into(),
        },
    );
    assert_eq!(
        status_text(&m),
        "config not applied (the last good one stays): etc/kolla-kubernetes.yml:19:20: did \
         not find expected ',' or ']'"
    );
    assert_eq!(m.drifting(), Vec::new());

    update(
        &mut m,
        Msg::ConfigLoaded {
            rendered: keystone_replicas(2),
        },
    );
    assert_eq!(m.drifting(), vec![(keystone, Kind::Pod)]);
    assert_eq!(
        status_text(&m),
        "config read: keystone pod differs from it; deploy applies the change"
    );
    // A broken edit after it keeps the good config's judgement.
    update(
        &mut m,
        Msg::ConfigRejected {
            reason: "etc/globals.yml:3:1: mapping values are not allowed here".into(),
        },
    );
    assert_eq!(m.drifting(), vec![(keystone, Kind::Pod)]);
    assert!(status_text(&m).contains("etc/globals.yml:3:1"));

    // Back to what runs: nothing differs, and the status line says so.
    update(
        &mut m,
        Msg::ConfigLoaded {
            rendered: keystone_replicas(3),
        },
    );
    assert_eq!(m.drifting(), Vec::new());
    assert_eq!(
        status_text(&m),
        "config read: the cluster runs what it renders"
    );
}

#[test]
fn a_missing_object_drifts_unless_it_is_a_job_that_ran() {
    let mut m = deployed(StorageProvider::Host);
    let keystone = row(&m, "keystone");
    let jobs: Vec<ObjRef> = m
        .store()
        .cell_objects(keystone, Kind::Bootstrap)
        .iter()
        .map(|o| o.obj.clone())
        .collect();
    assert!(!jobs.is_empty());
    for job in jobs {
        update(&mut m, Msg::Deleted(job));
    }
    assert_eq!(m.store().drift(keystone, Kind::Bootstrap), None);

    let admin = ObjRef {
        kind: crate::summary::ObjKind::Service,
        name: "keystone-admin".into(),
    };
    assert!(m.store().object(&admin).is_some(), "keystone has {admin:?}");
    update(&mut m, Msg::Deleted(admin));
    let svc = m
        .store()
        .drift(keystone, Kind::Svc)
        .expect("the cell drifts");
    assert!(svc.applies(), "{svc:?}");
    assert!(
        svc.why().contains("Service/keystone-admin is missing"),
        "{}",
        svc.why()
    );
}
