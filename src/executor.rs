//! Executes a plan: acts on runnable steps through the engine, then waits for each step's
//! condition as the watchers report objects. No sleeps and no polling: every re-evaluation
//! is triggered by a watch message, an action finishing, or a step's deadline.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::time::Instant;

use crate::access;
use crate::cluster::watch;
use crate::config::StorageProvider;
use crate::engine::Engine;
use crate::model::store::{Store, Sync};
use crate::model::{CellStatus, Msg, Row};
use crate::summary::ObjKind;
use crate::summary::ObjRef;
use crate::workflow::plan::{self, Cells, DeployOptions, Plan, ServiceSpec, Step, StepAction};
use crate::workflow::schedule::{Schedule, StepState};

/// How long the first list of every watched kind may take.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// The catalog as the planner sees it, with only the kinds that render objects under the
/// current config (ceph's secret disappears unless storage is ceph).
pub fn service_specs(engine: &Engine) -> anyhow::Result<Vec<ServiceSpec>> {
    engine
        .catalog
        .services()
        .iter()
        .map(|s| {
            Ok(ServiceSpec {
                name: s.name.clone(),
                kinds: engine.active_kinds(&s.name)?,
                depends_on: s.depends_on.clone(),
            })
        })
        .collect()
}

/// Grid rows for a store over the catalog.
pub fn rows(specs: &[ServiceSpec]) -> Vec<Row> {
    specs
        .iter()
        .map(|s| Row::new(s.name.clone(), s.kinds.iter().copied()))
        .collect()
}

/// Starts the watchers and waits until every kind is listed once, or refused: what RBAC
/// hides leaves its cells forbidden (`Store::unchecked` says which matter), and a step that
/// needs it is stopped by `preflight`.
pub async fn synced_store(
    engine: &Engine,
    specs: &[ServiceSpec],
) -> anyhow::Result<(Store, UnboundedReceiver<Msg>, tokio::task::JoinSet<()>)> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watchers = watch::start(&engine.cluster.client, engine.namespace(), tx);
    let mut store = Store::new(&rows(specs), &ObjKind::WATCHED);
    let deadline = Instant::now() + SYNC_TIMEOUT;
    while !store.all_settled() {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .map_err(|_| {
                let pending: Vec<String> = ObjKind::WATCHED
                    .iter()
                    .filter(|k| !matches!(store.sync(**k), Some(Sync::Synced | Sync::Forbidden)))
                    .map(|k| format!("{k} ({:?})", store.sync(*k)))
                    .collect();
                anyhow::anyhow!(
                    "the cluster did not list {} within {} s; is the API server reachable?",
                    pending.join(", "),
                    SYNC_TIMEOUT.as_secs()
                )
            })?
            .ok_or_else(|| anyhow::anyhow!("the watchers stopped"))?;
        store.observe(msg);
    }
    Ok((store, rx, watchers))
}

/// Every right the plan's steps take (acting, and watching what they wait for), checked
/// before the first step acts: a missing one stops `what` before it changes anything.
pub async fn preflight(engine: &Engine, plan: &Plan, what: &str) -> anyhow::Result<()> {
    let mut needs = Vec::new();
    for step in plan.steps.iter().filter(|s| !s.skip) {
        needs.extend(access::to_judge(step.action.kind()));
        needs.extend(engine.needs_to(&step.service, step.action)?);
    }
    engine.access.require(what, &needs).await
}

/// Cells whose status is ready or completed, and cells known to have no object at all (a
/// cell RBAC hides is not known to be empty).
pub fn cell_states(store: &Store, specs: &[ServiceSpec]) -> (Cells, Cells) {
    let mut ready = Cells::new();
    let mut absent = Cells::new();
    for (row, spec) in specs.iter().enumerate() {
        for &kind in &spec.kinds {
            let key = (spec.name.clone(), kind);
            if store.status(row, kind).is_ok() {
                ready.insert(key.clone());
            }
            if *store.status(row, kind) == CellStatus::Absent {
                absent.insert(key);
            }
        }
    }
    (ready, absent)
}

/// The deploy plan for the cluster as it is now.
pub fn deploy_plan(
    engine: &Engine,
    specs: &[ServiceSpec],
    store: &Store,
    targets: &[String],
) -> anyhow::Result<Plan> {
    let (ready, _) = cell_states(store, specs);
    let provider = engine.config.storage.provider;
    let options = DeployOptions {
        // Network volumes cannot be mounted by the pod while the bootstrap Job holds them.
        delete_bootstrap_after: provider != StorageProvider::Host,
        claims_bind_on_use: matches!(provider, StorageProvider::Gce | StorageProvider::Aws),
    };
    Ok(plan::deploy(specs, targets, &ready, options)?)
}

pub fn teardown_plan(
    specs: &[ServiceSpec],
    store: &Store,
    targets: &[String],
    delete_data: bool,
) -> anyhow::Result<Plan> {
    let (_, absent) = cell_states(store, specs);
    Ok(plan::teardown(specs, targets, delete_data, &absent)?)
}

/// What an action finished with, keyed by step.
type Acted = (usize, Result<(), String>);

/// What the executor keeps per step while it runs.
struct StepRun {
    /// The objects the step renders: what it waits on.
    expected: Vec<ObjRef>,
    /// When the step fails if its condition has not held by then.
    deadline: Option<Instant>,
    /// What `on_change` last saw (queued steps are not news).
    reported: StepState,
    /// A create step waiting for a terminating leftover to go before it applies (an apply
    /// to a terminating object is lost when it goes).
    held: bool,
}

/// Runs `schedule` to the end (or until `cancel` resolves). `on_change` sees every state
/// change of a step, for progress output.
pub async fn execute(
    engine: Arc<Engine>,
    mut schedule: Schedule,
    mut store: Store,
    msgs: &mut UnboundedReceiver<Msg>,
    step_timeout: Duration,
    mut on_change: impl FnMut(&Schedule, usize),
    cancel: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Schedule> {
    let mut runs: Vec<StepRun> = schedule
        .plan
        .steps
        .iter()
        .map(|s| {
            let expected = engine
                .render(&s.service, s.action.kind())?
                .into_iter()
                .map(|m| ObjRef {
                    kind: m.obj_kind,
                    name: m.name,
                })
                .collect();
            Ok(StepRun {
                expected,
                deadline: None,
                reported: StepState::Queued,
                held: false,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let (acted_tx, mut acted_rx) = mpsc::unbounded_channel::<Acted>();
    tokio::pin!(cancel);
    let mut report = |schedule: &Schedule, runs: &mut [StepRun]| {
        for (id, run) in runs.iter_mut().enumerate() {
            if run.reported != schedule.states[id] {
                run.reported = schedule.states[id].clone();
                on_change(schedule, id);
            }
        }
    };
    let act = |schedule: &mut Schedule, id: usize| {
        schedule.start(id);
        let step = schedule.plan.steps[id].clone();
        let (engine, tx) = (Arc::clone(&engine), acted_tx.clone());
        tokio::spawn(async move {
            let result = match step.action {
                StepAction::Create(kind) => engine.create(&step.service, kind).await,
                // Teardown asked for data deletion explicitly when it planned data kinds.
                StepAction::Delete(kind) => engine.delete(&step.service, kind, true).await,
            };
            let _ = tx.send((id, result.map(|_| ()).map_err(|e| format!("{e:#}"))));
        });
    };

    loop {
        for id in schedule.runnable() {
            let run = &mut runs[id];
            run.deadline = Some(Instant::now() + step_timeout);
            match terminating(&schedule.plan.steps[id], &run.expected, &store) {
                Some(why) => {
                    run.held = true;
                    schedule.hold(id, why);
                }
                None => act(&mut schedule, id),
            }
        }
        report(&schedule, &mut runs);
        if schedule.finished() {
            return Ok(schedule);
        }
        let next_deadline = runs
            .iter()
            .enumerate()
            .filter(|(i, _)| !schedule.states[*i].is_final())
            .filter_map(|(_, r)| r.deadline)
            .min();
        tokio::select! {
            () = &mut cancel => {
                schedule.cancel();
                report(&schedule, &mut runs);
                return Ok(schedule);
            }
            Some((id, result)) = acted_rx.recv() => schedule.acted(id, result),
            msg = msgs.recv() => {
                let Some(msg) = msg else { anyhow::bail!("the watchers stopped") };
                store.observe(msg);
                while let Ok(more) = msgs.try_recv() {
                    store.observe(more);
                }
            }
            () = sleep_until_opt(next_deadline) => {
                let now = Instant::now();
                for (id, run) in runs.iter().enumerate() {
                    if run.deadline.is_some_and(|d| d <= now) {
                        schedule.timed_out(id, step_timeout.as_secs());
                    }
                }
            }
        }
        let waiting: Vec<usize> = schedule.waiting().collect();
        for id in waiting {
            let (step, run) = (&schedule.plan.steps[id], &mut runs[id]);
            if run.held {
                match terminating(step, &run.expected, &store) {
                    Some(why) => schedule.hold(id, why),
                    None => {
                        run.held = false;
                        act(&mut schedule, id);
                    }
                }
                continue;
            }
            let readiness =
                store.condition(step.wait, &step.service, step.action.kind(), &run.expected);
            schedule.observe(id, readiness);
        }
    }
}

/// Why a create step must not act yet: some of its objects are still terminating.
fn terminating(step: &Step, expected: &[ObjRef], store: &Store) -> Option<String> {
    if !matches!(step.action, StepAction::Create(_)) {
        return None;
    }
    let going: Vec<String> = expected
        .iter()
        .filter(|r| store.object(r).is_some_and(|o| o.deleting))
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect();
    (!going.is_empty()).then(|| format!("waiting for {} to finish terminating", going.join(", ")))
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
