//! A deploy/teardown as the dashboard shows it: each grid cell's step state (the executor
//! reports them as `Msg::Step`), progress counts, and whether it is still running.

use crate::kind::Kind;
use crate::workflow::plan::StepAction;
use crate::workflow::schedule::StepState;

/// One cell's step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellStep {
    pub action: StepAction,
    pub state: StepState,
}

/// The dashboard's view of the current (or last) workflow.
#[derive(Debug, Clone)]
pub struct WorkflowView {
    /// The CLI spelling, e.g. "deploy keystone".
    pub what: String,
    pub running: bool,
    /// How it ended: ok and the executor's summary.
    pub outcome: Option<(bool, String)>,
    /// Per layout row, per `Kind::index`.
    cells: Vec<[Option<CellStep>; Kind::COUNT]>,
}

impl WorkflowView {
    pub fn new(what: String, rows: usize) -> Self {
        WorkflowView {
            what,
            running: true,
            outcome: None,
            cells: vec![Default::default(); rows],
        }
    }

    pub fn step(&self, row: usize, kind: Kind) -> Option<&CellStep> {
        self.cells.get(row)?[kind.index()].as_ref()
    }

    /// Records a step's state; true when it moved to a different kind of state (a waiting
    /// step's changing reason is not news).
    pub fn set(&mut self, row: usize, action: StepAction, state: StepState) -> bool {
        let kind = action.kind();
        let Some(cells) = self.cells.get_mut(row) else {
            return false;
        };
        let slot = &mut cells[kind.index()];
        let news = slot
            .as_ref()
            .is_none_or(|old| std::mem::discriminant(&old.state) != std::mem::discriminant(&state));
        *slot = Some(CellStep { action, state });
        news
    }

    /// (finished steps, all steps) as reported so far.
    pub fn progress(&self) -> (usize, usize) {
        let steps = self.cells.iter().flatten().flatten();
        let total = steps.clone().count();
        let done = steps.filter(|s| s.state.is_final()).count();
        (done, total)
    }

    /// The first step being acted on or waited for, in layout order.
    pub fn current(&self) -> Option<(usize, Kind, &CellStep)> {
        self.cells.iter().enumerate().find_map(|(row, cells)| {
            Kind::ALL.iter().find_map(|&k| {
                cells[k.index()]
                    .as_ref()
                    .filter(|s| matches!(s.state, StepState::Acting | StepState::Waiting(_)))
                    .map(|s| (row, k, s))
            })
        })
    }
}

/// "queued", "waiting: 1/3 ready", "failed: Job failed: ...": the step's words.
pub fn describe(state: &StepState) -> String {
    match state {
        StepState::Queued => "queued".into(),
        StepState::Acting => "acting".into(),
        StepState::Waiting(why) => format!("waiting: {why}"),
        StepState::Done => "done".into(),
        StepState::Skipped => "skipped (already there)".into(),
        StepState::Held(why) => format!("not applied: {why}"),
        StepState::Failed(why) => format!("failed: {why}"),
        StepState::Blocked(why) => format!("blocked by {why}"),
        StepState::Cancelled => "cancelled".into(),
    }
}

/// "create keystone pod".
pub fn step_label(service: &str, action: StepAction) -> String {
    match action {
        StepAction::Create(k) => format!("create {service} {k}"),
        StepAction::Delete(k) => format!("delete {service} {k}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_of_state_kind_is_news_and_progress_counts_final_steps() {
        let mut w = WorkflowView::new("deploy".into(), 2);
        let pod = StepAction::Create(Kind::Pod);
        assert!(w.set(0, pod, StepState::Queued));
        assert!(w.set(1, StepAction::Create(Kind::Svc), StepState::Done));
        assert!(w.set(0, pod, StepState::Waiting("0/1 ready".into())));
        assert!(!w.set(0, pod, StepState::Waiting("1/3 ready".into())));
        assert_eq!(w.progress(), (1, 2));
        let (row, kind, step) = w.current().expect("a waiting step");
        assert_eq!((row, kind), (0, Kind::Pod));
        assert_eq!(describe(&step.state), "waiting: 1/3 ready");
        assert!(
            !w.set(9, pod, StepState::Done),
            "rows outside the layout are ignored"
        );
    }
}
