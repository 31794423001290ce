//! The executor's bookkeeping, kept pure: which steps may start, and how a result, a
//! condition or a timeout moves a step on. A failed step blocks everything after it while
//! independent branches go on.

use super::plan::Plan;
use crate::drift::Verdict;

/// Where one step is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "kebab-case")]
pub enum StepState {
    Queued,
    /// The action (apply/delete) is in flight.
    Acting,
    /// Acted and waiting for the condition, or held until a terminating leftover is gone.
    /// The reason says what is still missing.
    Waiting(String),
    Done,
    /// Nothing to do: the cell was already in the wanted state.
    Skipped,
    /// Left as it is although it differs from the config: the change cannot be made in
    /// place (the reason says what to do). What comes after goes on: the cell still works.
    Held(String),
    Failed(String),
    /// A step it depends on failed.
    Blocked(String),
    Cancelled,
}

impl StepState {
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            StepState::Done
                | StepState::Skipped
                | StepState::Held(_)
                | StepState::Failed(_)
                | StepState::Blocked(_)
                | StepState::Cancelled
        )
    }

    fn satisfied(&self) -> bool {
        matches!(self, StepState::Done | StepState::Skipped)
    }
}

/// The live state of a plan being executed.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub plan: Plan,
    pub states: Vec<StepState>,
    /// Per step, what its action said worth telling (kept data reattached, a bootstrap
    /// recorded, an object left alone), shown with the step.
    pub notes: Vec<Vec<String>>,
}

impl Schedule {
    pub fn new(plan: Plan) -> Self {
        let states = plan
            .steps
            .iter()
            .map(|s| match s.held() {
                Some(why) => StepState::Held(why.to_string()),
                None if s.skip => StepState::Skipped,
                None => StepState::Queued,
            })
            .collect();
        // A Job that ran with an earlier rendering is not run again: said with its step.
        let notes = plan
            .steps
            .iter()
            .map(|s| match s.drift.as_ref().map(|d| &d.verdict) {
                Some(Verdict::Ran(why)) if s.skip => vec![format!("not run again: {why}")],
                _ => Vec::new(),
            })
            .collect();
        Schedule {
            plan,
            states,
            notes,
        }
    }

    /// Something the step's action said worth telling.
    pub fn note(&mut self, id: usize, text: String) {
        self.notes[id].push(text);
    }

    /// Queued steps whose predecessors are all reached, in plan order.
    pub fn runnable(&self) -> Vec<usize> {
        self.plan
            .steps
            .iter()
            .filter(|s| self.states[s.id] == StepState::Queued)
            .filter(|s| s.after.iter().all(|&a| self.reached(a)))
            .map(|s| s.id)
            .collect()
    }

    /// Done, or skipped with everything before it reached: a skipped step passes the
    /// wait on to its own predecessors (a recorded bootstrap skipped must not let the pods
    /// start before the claim they mount is bound).
    fn reached(&self, id: usize) -> bool {
        match self.states[id] {
            StepState::Done => true,
            StepState::Skipped | StepState::Held(_) => {
                self.plan.steps[id].after.iter().all(|&a| self.reached(a))
            }
            _ => false,
        }
    }

    pub fn start(&mut self, id: usize) {
        self.states[id] = StepState::Acting;
    }

    /// The action finished; on success the step waits for its condition.
    pub fn acted(&mut self, id: usize, result: Result<(), String>) {
        match result {
            Ok(()) => self.states[id] = StepState::Waiting("waiting".into()),
            Err(e) => self.fail(id, e),
        }
    }

    /// The step may not act yet; it waits for `why` to clear (the executor acts then).
    pub fn hold(&mut self, id: usize, why: String) {
        self.states[id] = StepState::Waiting(why);
    }

    /// A waiting step's condition was re-evaluated.
    pub fn observe(&mut self, id: usize, readiness: Readiness) {
        if !matches!(self.states[id], StepState::Waiting(_)) {
            return;
        }
        match readiness {
            Readiness::Ready => self.states[id] = StepState::Done,
            Readiness::NotYet(why) => self.states[id] = StepState::Waiting(why),
            Readiness::Failed(why) => self.fail(id, why),
        }
    }

    pub fn timed_out(&mut self, id: usize, after_secs: u64) {
        if !self.states[id].is_final() {
            let what = match &self.states[id] {
                StepState::Waiting(why) => format!("timed out after {after_secs} s ({why})"),
                _ => format!("timed out after {after_secs} s"),
            };
            self.fail(id, what);
        }
    }

    /// Stops everything not finished (Ctrl-C, or cancel in the dashboard).
    pub fn cancel(&mut self) {
        for s in &mut self.states {
            if !s.is_final() {
                *s = StepState::Cancelled;
            }
        }
    }

    fn fail(&mut self, id: usize, reason: String) {
        let label = self.plan.steps[id].to_string();
        self.states[id] = StepState::Failed(reason.clone());
        // Block every step that (transitively) comes after the failed one.
        let mut changed = true;
        while changed {
            changed = false;
            for step in &self.plan.steps {
                if self.states[step.id] == StepState::Queued
                    && step.after.iter().any(|&a| self.stuck(a))
                {
                    self.states[step.id] = StepState::Blocked(format!("{label}: {reason}"));
                    changed = true;
                }
            }
        }
    }

    /// Failed or blocked, or skipped behind such a step: what comes after never starts.
    fn stuck(&self, id: usize) -> bool {
        match self.states[id] {
            StepState::Failed(_) | StepState::Blocked(_) => true,
            StepState::Skipped | StepState::Held(_) => {
                self.plan.steps[id].after.iter().any(|&a| self.stuck(a))
            }
            _ => false,
        }
    }

    pub fn waiting(&self) -> impl Iterator<Item = usize> + '_ {
        self.states
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, StepState::Waiting(_)))
            .map(|(i, _)| i)
    }

    pub fn finished(&self) -> bool {
        self.states.iter().all(StepState::is_final)
    }

    pub fn succeeded(&self) -> bool {
        self.states.iter().all(StepState::satisfied)
    }

    /// Finished with every step done or skipped but some held: everything was applied
    /// except changes that cannot be made in place.
    pub fn only_held(&self) -> bool {
        !self.succeeded()
            && self
                .states
                .iter()
                .all(|s| s.satisfied() || matches!(s, StepState::Held(_)))
    }

    /// One line on how it ended: the counts, or the steps that failed with their reasons.
    pub fn outcome(&self) -> String {
        let count = |f: fn(&StepState) -> bool| self.states.iter().filter(|s| f(s)).count();
        let done = count(|s| matches!(s, StepState::Done));
        let skipped = count(|s| matches!(s, StepState::Skipped));
        let failed: Vec<String> = self
            .plan
            .steps
            .iter()
            .zip(&self.states)
            .filter_map(|(step, s)| match s {
                StepState::Failed(why) => Some(format!("{step}: {why}")),
                _ => None,
            })
            .collect();
        let held: Vec<String> = self
            .plan
            .steps
            .iter()
            .zip(&self.states)
            .filter_map(|(step, s)| match s {
                StepState::Held(why) => Some(format!("{step}: {why}")),
                _ => None,
            })
            .collect();
        let held = match held.is_empty() {
            true => String::new(),
            false => format!("; not applied: {}", held.join("; ")),
        };
        if !failed.is_empty() {
            format!("{done} steps done; failed: {}{held}", failed.join("; "))
        } else if self.states.contains(&StepState::Cancelled) {
            format!("cancelled after {done} steps; run it again to carry on")
        } else {
            format!("{done} steps done, {skipped} already in place{held}")
        }
    }
}

/// Whether a step's condition holds, from the objects the watchers report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    NotYet(String),
    Failed(String),
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::kind::Kind::*;
    use crate::workflow::plan::{Current, DeployOptions, ServiceSpec, deploy};

    fn schedule() -> Schedule {
        let services = vec![
            ServiceSpec {
                name: "mariadb".into(),
                kinds: vec![Configmap, Bootstrap, Pod],
                depends_on: vec![],
            },
            ServiceSpec {
                name: "memcached".into(),
                kinds: vec![Pod],
                depends_on: vec![],
            },
            ServiceSpec {
                name: "keystone".into(),
                kinds: vec![Bootstrap, Pod],
                depends_on: vec!["mariadb".into()],
            },
        ];
        Schedule::new(
            deploy(
                &services,
                &[],
                &Current::default(),
                DeployOptions::default(),
            )
            .unwrap(),
        )
    }

    #[test]
    fn steps_start_when_their_predecessors_are_done() {
        let mut s = schedule();
        // mariadb configmap and memcached pod have no predecessors.
        assert_eq!(s.runnable(), vec![0, 3]);
        s.start(0);
        s.acted(0, Ok(()));
        assert_eq!(s.runnable(), vec![3]);
        s.observe(0, Readiness::Ready);
        assert_eq!(s.runnable(), vec![1, 3]);
    }

    #[test]
    fn a_failed_job_blocks_dependents_but_not_independent_branches() {
        let mut s = schedule();
        for id in [0, 3] {
            s.start(id);
            s.acted(id, Ok(()));
            s.observe(id, Readiness::Ready);
        }
        s.start(1);
        s.acted(1, Ok(()));
        s.observe(
            1,
            Readiness::Failed("Job failed: BackoffLimitExceeded".into()),
        );
        assert_eq!(
            s.states[1],
            StepState::Failed("Job failed: BackoffLimitExceeded".into())
        );
        // mariadb pod and both keystone steps are blocked, naming the cause.
        for id in [2, 4, 5] {
            match &s.states[id] {
                StepState::Blocked(why) => assert!(why.contains("BackoffLimitExceeded"), "{why}"),
                other => panic!("step {id} should be blocked, is {other:?}"),
            }
        }
        assert_eq!(s.states[3], StepState::Done);
        assert!(s.finished());
        assert!(!s.succeeded());
    }

    #[test]
    fn a_skipped_step_passes_the_wait_and_the_failure_on() {
        let services = vec![ServiceSpec {
            name: "mariadb".into(),
            kinds: vec![Pvc, Bootstrap, Pod],
            depends_on: vec![],
        }];
        // The bootstrap is recorded on the data: skipped, but the pods still wait for
        // the claim.
        let ready = Current {
            ready: HashSet::from([("mariadb".to_string(), Bootstrap)]),
            ..Current::default()
        };
        let plan = deploy(&services, &[], &ready, DeployOptions::default()).unwrap();
        let mut s = Schedule::new(plan);
        assert_eq!(s.states[1], StepState::Skipped);
        assert_eq!(s.runnable(), vec![0]);
        s.start(0);
        s.acted(0, Ok(()));
        assert_eq!(s.runnable(), Vec::<usize>::new());
        s.observe(0, Readiness::Ready);
        assert_eq!(s.runnable(), vec![2]);

        let plan = deploy(&services, &[], &ready, DeployOptions::default()).unwrap();
        let mut s = Schedule::new(plan);
        s.start(0);
        s.acted(0, Err("claim refused".into()));
        assert!(matches!(&s.states[2], StepState::Blocked(why) if why.contains("claim refused")));
        assert!(s.finished());
    }

    #[test]
    fn a_held_step_waits_with_its_reason_and_times_out_with_it() {
        let mut s = schedule();
        s.hold(
            0,
            "waiting for ConfigMap/mariadb to finish terminating".into(),
        );
        // Held is not queued: it is not offered again, and its dependents still wait.
        assert_eq!(s.runnable(), vec![3]);
        assert_eq!(s.waiting().collect::<Vec<_>>(), vec![0]);
        s.timed_out(0, 30);
        assert_eq!(
            s.states[0],
            StepState::Failed(
                "timed out after 30 s (waiting for ConfigMap/mariadb to finish terminating)".into()
            )
        );
    }

    #[test]
    fn timeouts_and_cancel_end_unfinished_steps() {
        let mut s = schedule();
        s.start(0);
        s.acted(0, Ok(()));
        s.observe(0, Readiness::NotYet("0/1 exists".into()));
        s.timed_out(0, 30);
        assert_eq!(
            s.states[0],
            StepState::Failed("timed out after 30 s (0/1 exists)".into())
        );
        s.cancel();
        assert_eq!(s.states[3], StepState::Cancelled);
        assert!(s.finished());
    }
}
