//! Executes a plan: acts on runnable steps through the engine, then waits for each step's
//! condition as the watchers report objects. No sleeps and no polling: every re-evaluation
//! is triggered by a watch message, an action finishing, or a step's deadline.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::access;
use crate::cluster::{foreign, watch};
use crate::drift::Desired;
use crate::engine::{Engine, ForeignObjects, Outcome};
use crate::kind::Kind;
use crate::model::store::{Store, Sync};
use crate::model::{Consent, Msg, Row};
use crate::ownership::Meeting;
use crate::summary::{ObjKind, ObjRef, Owner};
use crate::workflow::plan::{self, DeployOptions, Plan, ServiceSpec, Step, StepAction};
use crate::workflow::schedule::{Readiness, Schedule, StepState};

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
        .map(|s| Row::new(s.name.clone(), s.kinds.iter().copied()).after(&s.depends_on))
        .collect()
}

/// Every name the catalog renders with this config, by kind, with its cell: where the
/// foreign watch looks.
pub fn expected_names(engine: &Engine) -> anyhow::Result<foreign::Expected> {
    let mut expected = foreign::Expected::new();
    for service in engine.catalog.services() {
        for kind in service.kinds() {
            for m in engine.render(&service.name, kind)? {
                let cell = Owner {
                    service: m.service,
                    kind: m.kind,
                };
                expected.entry(m.obj_kind).or_default().insert(m.name, cell);
            }
        }
    }
    Ok(expected)
}

/// Starts the watchers a store is fed from: kolla-dash's objects (label-selected) and the
/// foreign watch (same-named objects that are not kolla-dash's). Returns the kinds the
/// foreign watch reports on, for `Store::watch_foreign`.
pub fn start_watches(
    engine: &Engine,
    tx: &mpsc::UnboundedSender<Msg>,
) -> anyhow::Result<(JoinSet<()>, Vec<ObjKind>)> {
    let (client, namespace) = (&engine.cluster.client, engine.namespace());
    let mut watchers = watch::start(client, namespace, tx.clone());
    let kinds = foreign::start(
        &mut watchers,
        client,
        namespace,
        expected_names(engine)?,
        tx,
    );
    Ok((watchers, kinds))
}

/// Everything the config renders, with its cell: what drift compares the cluster with.
pub fn desired(engine: &Engine) -> anyhow::Result<Vec<Desired>> {
    let mut out = Vec::new();
    for service in engine.catalog.services() {
        for kind in service.kinds() {
            out.extend(
                engine
                    .render(&service.name, kind)?
                    .iter()
                    .map(Desired::from),
            );
        }
    }
    Ok(out)
}

/// Starts the watchers (the foreign watch too) and waits until every kind is listed once,
/// or refused: what RBAC hides leaves its cells forbidden (`Store::unchecked` says which
/// matter), and a step that needs it is stopped by `preflight`. The store judges drift
/// against what the engine's config renders.
pub async fn synced_store(
    engine: &Engine,
    specs: &[ServiceSpec],
) -> anyhow::Result<(Store, UnboundedReceiver<Msg>, JoinSet<()>)> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (watchers, foreign_kinds) = start_watches(engine, &tx)?;
    let mut store = Store::new(&rows(specs), &ObjKind::WATCHED);
    store.watch_foreign(&foreign_kinds);
    store.set_desired(desired(engine)?);
    let deadline = Instant::now() + SYNC_TIMEOUT;
    while !store.all_settled() {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .map_err(|_| {
                let mut pending: Vec<String> = ObjKind::WATCHED
                    .iter()
                    .filter(|k| !matches!(store.sync(**k), Some(Sync::Synced | Sync::Forbidden)))
                    .map(|k| format!("{k} ({:?})", store.sync(*k)))
                    .collect();
                if pending.is_empty() {
                    pending.push("same-named objects (the foreign watch)".into());
                }
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

/// The deploy plan for the cluster as it is now: what is missing, and what differs from
/// the config, in dependency order.
pub fn deploy_plan(
    engine: &Engine,
    specs: &[ServiceSpec],
    store: &Store,
    targets: &[String],
) -> anyhow::Result<Plan> {
    let options = DeployOptions::for_provider(engine.config.storage.provider);
    Ok(plan::deploy(
        specs,
        targets,
        &store.current(specs),
        options,
    )?)
}

pub fn teardown_plan(
    specs: &[ServiceSpec],
    store: &Store,
    targets: &[String],
    delete_data: bool,
) -> anyhow::Result<Plan> {
    let absent = store.current(specs).absent;
    Ok(plan::teardown(specs, targets, delete_data, &absent)?)
}

/// How a plan is executed.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// A step fails if its condition has not held this long after it acted.
    pub step_timeout: Duration,
    /// What create steps may do beyond a plain create (take over foreign objects).
    pub consent: Consent,
}

/// One line per object a teardown of `targets` (empty: every service) leaves alone
/// because it is not kolla-dash's.
pub fn left_alone(store: &Store, targets: &[String]) -> Vec<String> {
    store
        .foreign()
        .filter(|f| {
            f.cell
                .as_ref()
                .is_some_and(|c| targets.is_empty() || targets.contains(&c.service))
        })
        .map(|f| f.sentence(Meeting::Delete))
        .collect()
}

/// What an action finished with, keyed by step: what it said worth telling, or why it
/// failed.
type Acted = (usize, Result<Vec<String>, String>);

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
    /// Whether the step, once its condition holds, still writes the bootstrap record on
    /// the service's data before it counts as done.
    record: Record,
}

/// A bootstrap step's record on the data (`Engine::remember_bootstrap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// Not a bootstrap of a service with data, or already written.
    Nothing,
    /// To write once the Jobs complete.
    Due,
    Writing,
}

/// Runs `schedule` to the end (or until `cancel` resolves). `on_change` sees every state
/// change of a step, for progress output.
pub async fn execute(
    engine: Arc<Engine>,
    mut schedule: Schedule,
    mut store: Store,
    msgs: &mut UnboundedReceiver<Msg>,
    options: RunOptions,
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
            let bootstraps = s.action == StepAction::Create(Kind::Bootstrap);
            let record = if bootstraps && engine.keeps_bootstrap_record(&s.service)? {
                Record::Due
            } else {
                Record::Nothing
            };
            Ok(StepRun {
                expected,
                deadline: None,
                reported: StepState::Queued,
                held: false,
                record,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let (acted_tx, mut acted_rx) = mpsc::unbounded_channel::<Acted>();
    let (recorded_tx, mut recorded_rx) = mpsc::unbounded_channel::<Acted>();
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
                StepAction::Create(kind) => {
                    engine.create(&step.service, kind, options.consent).await
                }
                // Teardown asked for data deletion explicitly when it planned data kinds;
                // what is not kolla-dash's stays, as the plan's notes said.
                StepAction::Delete(kind) => {
                    let leave = ForeignObjects::LeaveAlone;
                    engine.delete(&step.service, kind, true, leave).await
                }
            };
            let told = result
                .map(|done| {
                    let telling = done.into_iter().filter(Outcome::worth_telling);
                    telling.map(|o| o.to_string()).collect()
                })
                .map_err(|e| format!("{e:#}"));
            let _ = tx.send((id, told));
        });
    };

    loop {
        for id in schedule.runnable() {
            let run = &mut runs[id];
            run.deadline = Some(Instant::now() + options.step_timeout);
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
            Some((id, result)) = acted_rx.recv() => told(&mut schedule, id, result),
            Some((id, result)) = recorded_rx.recv() => {
                if result.is_ok() {
                    runs[id].record = Record::Nothing;
                }
                told(&mut schedule, id, result);
            }
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
                        schedule.timed_out(id, options.step_timeout.as_secs());
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
            match run.record {
                // Done only once the data says so: a later deploy, or one after the
                // namespace is gone, must know this bootstrap ran.
                Record::Due if readiness == Readiness::Ready => {
                    run.record = Record::Writing;
                    let why = format!("recording the bootstrap on {}'s data", step.service);
                    let (engine, tx) = (Arc::clone(&engine), recorded_tx.clone());
                    let service = step.service.clone();
                    tokio::spawn(async move {
                        let result = engine.remember_bootstrap(&service).await;
                        let told = result.map(|o| o.iter().map(ToString::to_string).collect());
                        let _ = tx.send((id, told.map_err(|e| format!("{e:#}"))));
                    });
                    schedule.hold(id, why);
                }
                Record::Writing => {}
                Record::Due | Record::Nothing => schedule.observe(id, readiness),
            }
        }
    }
}

/// An action (or a record) finished: its notes go with the step; a failure fails it.
fn told(schedule: &mut Schedule, id: usize, result: Result<Vec<String>, String>) {
    match result {
        Ok(notes) => {
            for note in notes {
                schedule.note(id, note);
            }
            if schedule.states[id] == StepState::Acting {
                schedule.acted(id, Ok(()));
            }
        }
        Err(e) => schedule.acted(id, Err(e)),
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
