//! `deploy` and `teardown`: plan from the catalog and the cluster's current state, then
//! execute with live progress (a redrawn list on a terminal, plain lines otherwise, JSON
//! lines with `-o json`).

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::{DeployArgs, GlobalArgs, Output, TeardownArgs};
use crate::engine::Engine;
use crate::executor as run;
use crate::model::Consent;
use crate::model::store::Store;
use crate::status::forbidden_note;
use crate::workflow::plan::{Plan, ServiceSpec, Step};
use crate::workflow::schedule::{Schedule, StepState};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// A list redrawn in place.
    Live,
    Lines,
    Json,
}

fn style(output: Output) -> Style {
    match output {
        Output::Json => Style::Json,
        Output::Table if std::io::stdout().is_terminal() => Style::Live,
        Output::Table => Style::Lines,
    }
}

pub async fn deploy(global: &GlobalArgs, args: &DeployArgs) -> anyhow::Result<()> {
    let opts = Options {
        what: "deploy",
        dry_run: args.dry_run,
        timeout: args.timeout,
        output: args.output,
        consent: args.adopt.consent(),
    };
    plan_and_run(global, opts, |engine, specs, store| {
        run::deploy_plan(engine, specs, store, &args.services)
    })
    .await
}

pub async fn teardown(global: &GlobalArgs, args: &TeardownArgs) -> anyhow::Result<()> {
    if !args.delete_data && !args.dry_run {
        eprintln!("data kinds (disk, pv, pvc) are kept; pass --delete-data to delete them too");
    }
    let opts = Options {
        what: "teardown",
        dry_run: args.dry_run,
        timeout: args.timeout,
        output: args.output,
        consent: Consent::default(),
    };
    plan_and_run(global, opts, |_, specs, store| {
        // What is not kolla-dash's stays; say so before the plan skips it.
        for foreign in run::left_alone(store, &args.services) {
            eprintln!("{foreign}");
        }
        run::teardown_plan(specs, store, &args.services, args.delete_data)
    })
    .await
}

/// How a deploy or teardown runs.
struct Options {
    what: &'static str,
    dry_run: bool,
    timeout: u64,
    output: Output,
    consent: Consent,
}

/// Lists the cluster, plans with `planner`, then prints the plan (dry run) or executes it.
async fn plan_and_run(
    global: &GlobalArgs,
    opts: Options,
    planner: impl FnOnce(&Engine, &[ServiceSpec], &Store) -> anyhow::Result<Plan>,
) -> anyhow::Result<()> {
    let engine = Engine::connect(global).await?;
    let specs = run::service_specs(&engine)?;
    let (store, mut msgs, _watchers) = run::synced_store(&engine, &specs).await?;
    let plan = planner(&engine, &specs, &store)?;
    run::preflight(&engine, &plan, opts.what).await?;
    // Go on with what can be seen; the cells that needed the rest say forbidden.
    for kind in store.unchecked() {
        eprintln!("kolla-dash: {}", forbidden_note(kind));
    }
    if opts.dry_run {
        return print_plan(&plan, opts.output);
    }
    let schedule = Schedule::new(plan);
    let options = run::RunOptions {
        step_timeout: Duration::from_secs(opts.timeout),
        consent: opts.consent,
    };
    execute(
        engine,
        schedule,
        store,
        &mut msgs,
        options,
        opts.output,
        opts.what,
    )
    .await
}

async fn execute(
    engine: Engine,
    schedule: Schedule,
    store: Store,
    msgs: &mut tokio::sync::mpsc::UnboundedReceiver<crate::model::Msg>,
    options: run::RunOptions,
    output: Output,
    what: &str,
) -> anyhow::Result<()> {
    let style = style(output);
    let started = Instant::now();
    let mut live = LiveList::default();
    let on_change = |s: &Schedule, id: usize| {
        let t = started.elapsed().as_secs_f64();
        match style {
            Style::Live => live.redraw(s, t),
            // Waiting reasons change often; plain lines keep to the milestones.
            Style::Lines if matches!(s.states[id], StepState::Waiting(_)) => {}
            Style::Lines => {
                println!(
                    "[{t:6.1}s] {}: {}",
                    s.plan.steps[id],
                    state_text(&s.states[id])
                );
                for note in final_notes(s, id) {
                    println!("          {note}");
                }
            }
            Style::Json => {
                let mut event = json_event(&s.plan.steps[id], &s.states[id], t);
                if !final_notes(s, id).is_empty() {
                    event["notes"] = final_notes(s, id).into();
                }
                println!("{event}");
            }
        }
    };
    let cancel = async {
        // Ctrl-C cancels cleanly: nothing half-applied is left behind by us, and a re-run
        // carries on from what exists.
        let _ = tokio::signal::ctrl_c().await;
    };
    let finished = run::execute(
        Arc::new(engine),
        schedule,
        store,
        msgs,
        options,
        on_change,
        cancel,
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    let outcome = finished.outcome();
    if finished.succeeded() {
        if style != Style::Json {
            println!("{what} finished in {secs:.1} s: {outcome}");
        }
        return Ok(());
    }
    if finished.only_held() {
        anyhow::bail!(
            "{what} finished in {secs:.1} s, but the cluster still differs from the config: \
             {outcome}"
        )
    }
    anyhow::bail!("{what} did not finish ({secs:.1} s): {outcome}")
}

/// What a finished step's action said worth telling (nothing while it runs).
fn final_notes(s: &Schedule, id: usize) -> &[String] {
    if s.states[id].is_final() {
        &s.notes[id]
    } else {
        &[]
    }
}

fn state_text(state: &StepState) -> String {
    match state {
        StepState::Queued => "queued".into(),
        StepState::Acting => "applying".into(),
        StepState::Waiting(why) => format!("waiting: {why}"),
        StepState::Done => "done".into(),
        StepState::Skipped => "already in place".into(),
        StepState::Held(why) => format!("not applied: {why}"),
        StepState::Failed(why) => format!("failed: {why}"),
        StepState::Blocked(why) => format!("blocked by {why}"),
        StepState::Cancelled => "cancelled".into(),
    }
}

fn json_event(step: &Step, state: &StepState, t: f64) -> serde_json::Value {
    serde_json::json!({"t": (t * 1000.0).round() / 1000.0, "step": step, "state": state})
}

fn print_plan(plan: &Plan, output: Output) -> anyhow::Result<()> {
    if output == Output::Json {
        println!("{}", serde_json::to_string_pretty(plan)?);
        return Ok(());
    }
    for step in &plan.steps {
        let after: Vec<String> = step.after.iter().map(|a| format!("#{a}")).collect();
        let after = if after.is_empty() {
            "start".to_string()
        } else {
            format!("after {}", after.join(", "))
        };
        let skip = match step.held() {
            Some(_) => "  (not applied)",
            None if step.skip => "  (already in place)",
            None => "",
        };
        println!("#{:<3} {step}  [{after}]{skip}", step.id);
        // What the step changes in what exists (or why it leaves the cell), as `diff`
        // shows it; a step that only creates says so itself.
        let changes = step.drift.iter().filter(|d| !d.only_missing());
        for line in changes.flat_map(|d| d.lines()) {
            println!("       {line}");
        }
    }
    Ok(())
}

/// A progress list redrawn in place on a terminal.
#[derive(Default)]
struct LiveList {
    drawn: usize,
}

impl LiveList {
    fn redraw(&mut self, s: &Schedule, t: f64) {
        let mut out = std::io::stdout().lock();
        if self.drawn > 0 {
            // Move up over the previous drawing and clear it.
            let _ = write!(out, "\x1b[{}F\x1b[J", self.drawn);
        }
        let mut notes = 0;
        for (id, (step, state)) in s.plan.steps.iter().zip(&s.states).enumerate() {
            let mark = match state {
                StepState::Done | StepState::Skipped => "✓",
                StepState::Failed(_) | StepState::Blocked(_) | StepState::Held(_) => "✗",
                StepState::Acting | StepState::Waiting(_) => "…",
                StepState::Queued | StepState::Cancelled => " ",
            };
            let _ = writeln!(out, "{mark} {step}: {}", state_text(state));
            for note in final_notes(s, id) {
                let _ = writeln!(out, "    {note}");
                notes += 1;
            }
        }
        let _ = writeln!(out, "  {t:.1} s");
        self.drawn = s.plan.steps.len() + notes + 1;
        let _ = out.flush();
    }
}
