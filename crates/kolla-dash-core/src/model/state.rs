//! The dashboard's whole state and the read-only views the UI draws from.

use std::collections::{BTreeMap, HashSet};

use crate::drift::Desired;
use crate::kind::Kind;
use crate::model::disruption::Evictions;
use crate::model::grid::{Grid, Row};
use crate::model::incident::IncidentTracker;
use crate::model::input::TextInput;
use crate::model::log::{Entry, LogPane, NoteLevel};
use crate::model::msg::{Action, Connection};
use crate::model::store::{Store, Sync};
use crate::model::switch::{Picker, Target};
use crate::model::workflow::{CellStep, WorkflowView};
use crate::status::CellStatus;
use crate::summary::{EventSummary, NodeSummary, ObjKind, ObjectSummary};
use crate::workflow::plan::{self, DeployOptions, Plan, PlanError, ServiceSpec};

/// Given once, at start: where the dashboard looks and what the grid holds.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub context: String,
    pub namespace: String,
    pub readonly: bool,
    /// The catalog's services, in display order.
    pub rows: Vec<Row>,
    /// The kinds the watchers report on.
    pub watched: Vec<ObjKind>,
    /// The kinds the foreign watch reports on (same-named objects not kolla-dash's).
    pub foreign_watched: Vec<ObjKind>,
    /// The cluster is kolla-dash's local demo cluster, where nodes can be failed/restored.
    pub local_cluster: bool,
    /// What the config renders: cells are judged against it for drift (`Msg::ConfigLoaded`
    /// replaces it when the config changes).
    pub desired: Vec<Desired>,
    /// The shape of a deploy under the config (the plan `D` shows before it runs).
    pub deploy: DeployOptions,
}

/// The header's fixed facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub context: String,
    pub namespace: String,
    pub readonly: bool,
}

/// A count as the screen may show it: a number only when it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    Known {
        ready: usize,
        total: usize,
    },
    /// Not listed yet.
    Listing,
    /// RBAC refuses listing.
    Forbidden,
    /// The last list may be out of date: the watch or the connection is lost.
    Disconnected,
}

/// The pane that arrows and PgUp/PgDn act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Grid,
    Log,
}

/// What a confirmation dialog is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Act(Action),
    CancelWorkflow,
    /// Switching context or namespace away from a running deploy or actions under way.
    Switch(Target),
}

/// A name the operator must type to confirm (data loss), and what is typed so far.
#[derive(Debug, Clone)]
pub struct Typed {
    pub expected: String,
    pub input: TextInput,
}

/// A pending action waiting for the operator's yes.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub subject: Subject,
    /// Some when the operator must type a name rather than press y.
    pub typed: Option<Typed>,
    /// A deploy's plan, shown before it runs: what it changes, in its order.
    pub plan: Vec<String>,
    /// What saying yes costs, shown as a warning: data lost, an object taken over.
    pub warning: Option<String>,
}

/// What has the keyboard.
#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    /// Typing the `/` row filter.
    Filter(TextInput),
    /// Typing a `:` command.
    Command(TextInput),
    Confirm(Confirm),
    Help,
    /// The detail view of one cell (kept on that cell while the selection moves below).
    Detail {
        row: usize,
        kind: Kind,
    },
    /// How one cell differs from the config: what deploy would change there.
    Diff {
        row: usize,
        kind: Kind,
    },
    /// Every node with its state and the catalog's pods on it; node actions.
    Nodes,
    /// The session's incidents and their timelines.
    Incidents,
    /// Choosing a context or namespace to switch to (`:ctx`, `:ns`).
    Picker(Picker),
}

/// The last thing worth telling the operator, at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub level: NoteLevel,
    pub text: String,
}

/// The dashboard's state. Change it only through `update`.
#[derive(Debug, Clone)]
pub struct Model {
    pub(super) header: Header,
    pub(super) grid: Grid,
    pub(super) store: Store,
    pub(super) connection: Connection,
    pub(super) now: i64,
    pub(super) mode: Mode,
    pub(super) focus: Pane,
    pub(super) log: LogPane,
    pub(super) status_line: Option<StatusLine>,
    pub(super) in_flight: BTreeMap<u64, String>,
    pub(super) local_cluster: bool,
    /// Milliseconds since the Unix epoch, from `Msg::NowMs`.
    pub(super) now_ms: i64,
    pub(super) workflow: Option<WorkflowView>,
    pub(super) incidents: IncidentTracker,
    /// Selected node in the nodes view (index into `nodes()`).
    pub(super) node_cursor: usize,
    /// Lines scrolled in the incidents view.
    pub(super) incident_scroll: usize,
    pub(super) deploy: DeployOptions,
    /// Why the config on disk was last refused, until a good one is read.
    pub(super) config_error: Option<String>,
}

impl Model {
    pub fn new(config: ModelConfig) -> Self {
        let mut store = Store::new(&config.rows, &config.watched);
        store.watch_foreign(&config.foreign_watched);
        if !config.desired.is_empty() {
            store.set_desired(config.desired);
        }
        Model {
            header: Header {
                context: config.context,
                namespace: config.namespace,
                readonly: config.readonly,
            },
            grid: Grid::new(config.rows),
            store,
            connection: Connection::Connecting,
            now: 0,
            mode: Mode::Normal,
            focus: Pane::Grid,
            log: LogPane::default(),
            status_line: None,
            in_flight: BTreeMap::new(),
            local_cluster: config.local_cluster,
            now_ms: 0,
            workflow: None,
            incidents: IncidentTracker::default(),
            node_cursor: 0,
            incident_scroll: 0,
            deploy: config.deploy,
            config_error: None,
        }
    }

    /// The deploy plan for the cluster as the model knows it, as the executor will make it:
    /// what `D` shows before it runs.
    pub fn deploy_plan(&self, services: &[String]) -> Result<Plan, PlanError> {
        let specs: Vec<ServiceSpec> = self.grid.rows().iter().map(Row::spec).collect();
        plan::deploy(&specs, services, &self.store.current(&specs), self.deploy)
    }

    /// The cells that show drift, in layout order.
    pub fn drifting(&self) -> Vec<(usize, Kind)> {
        (0..self.grid.rows().len())
            .flat_map(|row| Kind::ALL.map(|kind| (row, kind)))
            .filter(|(row, kind)| matches!(self.status(*row, *kind), CellStatus::Drift { .. }))
            .collect()
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The objects and statuses behind the grid.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A run of watch messages begins: cells are judged when it ends (`Store::hold`).
    pub fn hold_judgement(&mut self) {
        self.store.hold();
    }

    /// The run ended: every cell it changed is judged (`Store::release`).
    pub fn judge_held(&mut self) {
        self.store.release();
    }

    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The precomputed status of a cell; `row` indexes the layout.
    pub fn status(&self, row: usize, kind: Kind) -> &CellStatus {
        self.store.status(row, kind)
    }

    pub fn cell_objects(&self, row: usize, kind: Kind) -> Vec<&ObjectSummary> {
        self.store.cell_objects(row, kind)
    }

    pub fn nodes(&self) -> &BTreeMap<String, NodeSummary> {
        self.store.nodes()
    }

    /// Ready and total nodes, when they are known.
    pub fn node_tally(&self) -> Tally {
        match self.store.sync(ObjKind::Node) {
            Some(Sync::Forbidden) => Tally::Forbidden,
            Some(Sync::Lost) => Tally::Disconnected,
            _ if matches!(
                self.connection,
                Connection::Lost { .. } | Connection::Silent { .. }
            ) =>
            {
                Tally::Disconnected
            }
            Some(Sync::Synced) => {
                let (ready, total) = self.store.node_counts();
                Tally::Known { ready, total }
            }
            Some(Sync::Pending) | None => Tally::Listing,
        }
    }

    pub fn connection(&self) -> Connection {
        self.connection
    }

    /// Seconds since the last word from the API server while disconnected or silent.
    /// None too when nothing was ever heard (see `never_reached`): there is no age then.
    pub fn stale_for(&self) -> Option<i64> {
        match self.connection {
            Connection::Lost { last_update, .. } if last_update > 0 => {
                Some((self.now - last_update).max(0))
            }
            Connection::Silent { last_heard } if last_heard > 0 => {
                Some((self.now - last_heard).max(0))
            }
            _ => None,
        }
    }

    /// Lost or silent before anything was ever heard from the API server.
    pub fn never_reached(&self) -> bool {
        matches!(
            self.connection,
            Connection::Lost { last_update: 0, .. } | Connection::Silent { last_heard: 0 }
        )
    }

    /// Seconds the API server has not answered, while it does not (the probe's verdict).
    pub fn silent_for(&self) -> Option<i64> {
        match self.connection {
            Connection::Silent { last_heard } => Some((self.now - last_heard).max(0)),
            _ => None,
        }
    }

    /// What Kubernetes does about evictions given the nodes' readiness (nothing to say
    /// until the nodes are listed). The incident tracker keeps the verdict.
    pub fn evictions(&self) -> Evictions {
        if self.store.sync(ObjKind::Node) != Some(Sync::Synced) {
            return Evictions::Normal;
        }
        self.incidents.evictions()
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    pub fn focus(&self) -> Pane {
        self.focus
    }

    pub fn log(&self) -> &LogPane {
        &self.log
    }

    pub fn status_line(&self) -> Option<&StatusLine> {
        self.status_line.as_ref()
    }

    pub fn local_cluster(&self) -> bool {
        self.local_cluster
    }

    /// The catalog's pods placed on `node`, in name order.
    pub fn pods_on(&self, node: &str) -> impl Iterator<Item = &ObjectSummary> {
        self.store.pods_on(node)
    }

    /// The node selected in the nodes view.
    pub fn selected_node(&self) -> Option<&str> {
        self.nodes()
            .keys()
            .nth(self.node_cursor)
            .map(String::as_str)
    }

    pub fn node_cursor(&self) -> usize {
        self.node_cursor
    }

    /// The current or last deploy/teardown.
    pub fn workflow(&self) -> Option<&WorkflowView> {
        self.workflow.as_ref()
    }

    pub fn workflow_running(&self) -> bool {
        self.workflow.as_ref().is_some_and(|w| w.running)
    }

    /// A cell's step in the running workflow (None when none runs or the cell has none).
    pub fn running_step(&self, row: usize, kind: Kind) -> Option<&CellStep> {
        self.workflow
            .as_ref()
            .filter(|w| w.running)
            .and_then(|w| w.step(row, kind))
    }

    pub fn incidents(&self) -> &IncidentTracker {
        &self.incidents
    }

    pub fn incident_scroll(&self) -> usize {
        self.incident_scroll
    }

    /// The wall clock, seconds since the Unix epoch, as the loop last told it.
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Actions under way: id -> description.
    pub fn in_flight(&self) -> &BTreeMap<u64, String> {
        &self.in_flight
    }

    /// Whether the log pane shows `entry` under the current selection and filter toggle.
    pub fn shows(&self, entry: &Entry) -> bool {
        self.log.shows(entry, self.grid.selected_row())
    }

    /// One line on why a cell is not ready; None when it is (or is blank).
    pub fn why_not_ready(&self, row: usize, kind: Kind) -> Option<String> {
        self.store.why_not_ready(row, kind)
    }

    /// The newest events about a cell's objects, newest first.
    pub fn cell_events(&self, row: usize, kind: Kind, max: usize) -> Vec<&EventSummary> {
        let objects = self.cell_objects(row, kind);
        let names: HashSet<_> = objects.iter().map(|o| &o.obj).collect();
        self.log
            .entries
            .iter()
            .rev()
            .filter_map(|e| match e {
                Entry::Event { event, .. } if names.contains(&event.regarding) => Some(event),
                _ => None,
            })
            .take(max)
            .collect()
    }
}
