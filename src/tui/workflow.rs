//! Running a deploy or teardown inside the dashboard: planned from the model's own store,
//! fed the dashboard's watch messages (no second set of watches), reporting every step
//! change as a message.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::engine::Engine;
use crate::executor as run;
use crate::model::store::Store;
use crate::model::{Consent, Msg};
use crate::workflow::schedule::Schedule;

/// Per-step timeout in the dashboard (the CLI's `--timeout` default).
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

/// What the workflow is asked to do.
pub enum Job {
    Deploy {
        services: Vec<String>,
        consent: Consent,
    },
    Teardown {
        services: Vec<String>,
        delete_data: bool,
    },
}

/// A workflow in flight: feed it watch messages, or cancel it.
pub struct Running {
    feed: mpsc::UnboundedSender<Msg>,
    cancel: Option<oneshot::Sender<()>>,
}

impl Running {
    /// Passes a watch message on; the executor folds it into its own copy of the store.
    pub fn feed(&self, msg: &Msg) {
        let _ = self.feed.send(msg.clone());
    }

    pub fn cancel(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
    }
}

/// Plans from `store` (the dashboard's view of the cluster now) and executes in the
/// background. Exactly one `WorkflowFinished` is sent, whatever happens.
pub fn start(
    engine: Arc<Engine>,
    store: Store,
    job: Job,
    tx: mpsc::UnboundedSender<Msg>,
) -> Running {
    let (feed, mut msgs) = mpsc::unbounded_channel();
    let (cancel, cancelled) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let step_tx = tx.clone();
        let report = move |s: &Schedule, id: usize| {
            let step = &s.plan.steps[id];
            let state = s.states[id].clone();
            let notes = match state.is_final() {
                true => s.notes[id].clone(),
                false => Vec::new(),
            };
            let _ = step_tx.send(Msg::Step {
                service: step.service.clone(),
                action: step.action,
                state,
                notes,
            });
        };
        let result = async {
            let specs = run::service_specs(&engine)?;
            let (plan, what) = match &job {
                Job::Deploy { services, .. } => (
                    run::deploy_plan(&engine, &specs, &store, services)?,
                    "deploy",
                ),
                Job::Teardown {
                    services,
                    delete_data,
                } => (
                    run::teardown_plan(&specs, &store, services, *delete_data)?,
                    "teardown",
                ),
            };
            run::preflight(&engine, &plan, what).await?;
            let schedule = Schedule::new(plan);
            // The model shows queued steps too; the executor reports only changes.
            for id in 0..schedule.states.len() {
                report(&schedule, id);
            }
            let cancelled = async {
                let _ = cancelled.await;
            };
            let options = run::RunOptions {
                step_timeout: STEP_TIMEOUT,
                consent: match &job {
                    Job::Deploy { consent, .. } => *consent,
                    Job::Teardown { .. } => Consent::default(),
                },
            };
            run::execute(
                engine, schedule, store, &mut msgs, options, report, cancelled,
            )
            .await
        }
        .await;
        let finished = match result {
            Ok(s) => Msg::WorkflowFinished {
                ok: s.succeeded(),
                summary: s.outcome(),
            },
            Err(e) => Msg::WorkflowFinished {
                ok: false,
                summary: format!("{e:#}"),
            },
        };
        let _ = tx.send(finished);
    });
    Running {
        feed,
        cancel: Some(cancel),
    }
}
