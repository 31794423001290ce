//! `diff [SERVICE...]`: what `deploy` would change, cell by cell, in deploy's order, like
//! `kubectl diff`: exit 0 when nothing, 1 when something differs, 2 when it cannot tell.
//! It reads the same plan deploy makes, so the two never disagree.

use crate::cli::{DiffArgs, GlobalArgs, Output};
use crate::drift::Verdict;
use crate::engine::Engine;
use crate::executor as run;
use crate::model::CellStatus;
use crate::model::store::Store;
use crate::status::forbidden_note;
use crate::workflow::plan::{Plan, StepAction};

/// The cluster differs from the config: `diff` exits 1.
#[derive(Debug, thiserror::Error)]
#[error("the cluster differs from the config")]
pub struct Differs;

/// One cell deploy would act on, or reports.
struct Entry {
    /// `keystone pod`
    cell: String,
    /// What deploy does: applies, creates, leaves (and why).
    deploy: &'static str,
    /// The compact diff, or the one sentence that explains the cell.
    lines: Vec<String>,
    json: serde_json::Value,
    /// Counts for the exit code (reports on Jobs that ran do not).
    differs: bool,
}

pub async fn diff(global: &GlobalArgs, args: &DiffArgs) -> anyhow::Result<()> {
    let engine = Engine::connect(global).await?;
    let specs = run::service_specs(&engine)?;
    let (store, _msgs, _watchers) = run::synced_store(&engine, &specs).await?;
    for kind in store.unchecked() {
        eprintln!("kolla-dash: {}", forbidden_note(kind));
    }
    let plan = run::deploy_plan(&engine, &specs, &store, &args.services)?;
    let entries = entries(&plan, &store);
    match args.output {
        Output::Json => {
            let cells: Vec<&serde_json::Value> = entries.iter().map(|e| &e.json).collect();
            println!("{}", serde_json::to_string_pretty(&cells)?);
        }
        Output::Table if entries.is_empty() => println!("nothing to change"),
        Output::Table => {
            for e in &entries {
                println!("{} ({}):", e.cell, e.deploy);
                for line in &e.lines {
                    println!("  {line}");
                }
            }
        }
    }
    if entries.iter().any(|e| e.differs) {
        return Err(Differs.into());
    }
    Ok(())
}

/// The plan's cells that differ from the config, in its order.
fn entries(plan: &Plan, store: &Store) -> Vec<Entry> {
    let mut out = Vec::new();
    for step in &plan.steps {
        let StepAction::Create(kind) = step.action else {
            continue;
        };
        let cell = format!("{} {kind}", step.service);
        let row = store.row_of_service(&step.service);
        let status = row.map(|r| store.status(r, kind));
        // What kolla-dash cannot see or may not touch says so instead of a diff.
        if let (Some(row), Some(CellStatus::Foreign | CellStatus::Forbidden)) = (row, status) {
            let why = store.why_not_ready(row, kind).unwrap_or_default();
            out.push(Entry {
                json: serde_json::json!({
                    "service": step.service, "kind": kind, "deploy": "refused",
                    "reason": why, "objects": [],
                }),
                cell,
                deploy: "deploy refuses it",
                lines: vec![why],
                differs: true,
            });
            continue;
        }
        let Some(drift) = &step.drift else {
            continue;
        };
        let (deploy, differs) = match &drift.verdict {
            Verdict::Held(_) => ("not applied", true),
            Verdict::Ran(_) | Verdict::Leftover => ("reported only", false),
            Verdict::Apply if step.skip => continue,
            Verdict::Apply if status == Some(&CellStatus::Absent) => ("deploy creates it", true),
            Verdict::Apply => ("deploy applies it", true),
        };
        out.push(Entry {
            cell,
            deploy,
            lines: drift.lines(),
            json: drift.to_json(),
            differs,
        });
    }
    out
}
