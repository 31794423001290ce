//! What flows into the model (`Msg`) and what it asks the outside world to do (`Effect`).

use std::fmt;

use std::path::PathBuf;

use crate::drift::Desired;
use crate::kind::Kind;
use crate::model::store::Sync;
use crate::model::switch::{Choice, Pick, Target};
use crate::ownership::Foreign;
use crate::summary::{EventSummary, ObjKind, ObjRef, ObjectSummary};
use crate::workflow::plan::StepAction;
use crate::workflow::schedule::StepState;

/// A key press, already translated from the terminal library by the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    /// A letter with Control held (`Ctrl('c')`).
    Ctrl(char),
    Up,
    Down,
    Left,
    Right,
    Tab,
    BackTab,
    Enter,
    Esc,
    Backspace,
    Delete,
    Home,
    End,
    PageUp,
    PageDown,
}

/// The API server connection as the watchers see it. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Before the first successful list.
    Connecting,
    Connected,
    /// Unreachable since `since`; `last_update` is when the last watch message arrived.
    Lost {
        since: i64,
        last_update: i64,
    },
    /// The API server stopped answering: nothing came from it since `last_heard`, not even
    /// an answer to the liveness probe (a hung or paused server, or a path that drops
    /// packets). Cells are stale as during a reconnect.
    Silent {
        last_heard: i64,
    },
}

/// What the liveness probe found out about the API server (times in seconds since the
/// Unix epoch). The event loop turns it into `Connection` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Nothing heard from the server since `last_heard`, and the probe got no answer.
    Silent { last_heard: i64 },
    /// The server answers again; the watchers relist from scratch.
    Answering,
}

/// Everything that changes the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(Key),
    /// Select a grid cell (a mouse click, via `ui::hit_test`); `row` indexes the layout.
    Select {
        row: usize,
        kind: Kind,
    },
    Applied(ObjectSummary),
    Deleted(ObjRef),
    /// A relist: replaces every object of that kind.
    Resynced(ObjKind, Vec<ObjectSummary>),
    /// The watch failed; cells depending on the kind show unknown until `Resynced`.
    WatchLost(ObjKind),
    /// RBAC refuses listing the kind.
    Forbidden(ObjKind),
    /// The foreign watch of a kind (objects with names kolla-dash renders that are not
    /// kolla-dash's) listed them all: replaces what it said before.
    ForeignResynced(ObjKind, Vec<Foreign>),
    /// An object with a rendered name appeared or changed and is not kolla-dash's.
    ForeignSeen(Foreign),
    /// An object reported foreign is gone, or is kolla-dash's now (adopted).
    ForeignGone(ObjRef),
    /// The foreign watch of a kind stopped (lost or forbidden) until it relists.
    ForeignWatch(ObjKind, Sync),
    /// Whether the credentials may change anything kolla-dash manages in the namespace,
    /// found out once at start; without, the session turns read-only.
    MayWrite(bool),
    Event(EventSummary),
    Connection(Connection),
    /// The liveness probe's verdict on the API server.
    Liveness(Liveness),
    /// A batch of lines from the followed pod's containers.
    LogLines {
        pod: String,
        lines: Vec<String>,
    },
    /// The followed pod's log stream ended (`reason` says why, if not a normal end).
    LogEnded {
        pod: String,
        reason: Option<String>,
    },
    ActionStarted {
        id: u64,
        what: String,
    },
    ActionFinished {
        id: u64,
        result: Result<String, String>,
    },
    /// Wall clock tick, seconds since the Unix epoch (sent while disconnected, for ages).
    Now(i64),
    /// Wall clock in milliseconds since the Unix epoch. The loop sends one before each batch
    /// of watcher messages so incidents are timed to the millisecond; it also moves `Now`.
    NowMs(i64),
    /// A step of the running deploy/teardown: the executor sends one per plan step when it
    /// starts (Queued or Skipped), then one per change of state.
    Step {
        service: String,
        action: StepAction,
        state: StepState,
        /// What the step's action said worth telling (sent with its final state).
        notes: Vec<String>,
    },
    /// A drain was refused because evicting would lose these pods (`drain::losses`):
    /// the dashboard asks for the node's name before draining anyway.
    DrainRefused {
        node: String,
        losses: Vec<String>,
    },
    /// The config on disk changed and was read: what it renders now.
    ConfigLoaded {
        rendered: Vec<Desired>,
    },
    /// The config on disk changed but cannot be used (file:line:col and what is wrong, or
    /// a change that needs a restart); the last good one stays.
    ConfigRejected {
        reason: String,
    },
    /// The running deploy/teardown ended. Exactly one per `Act(Deploy | Teardown)`, also when
    /// it could not be planned or was cancelled; until then the model refuses another one.
    WorkflowFinished {
        ok: bool,
        summary: String,
    },
    /// The names a picker offers (`Effect::ListChoices`), or why they could not be listed.
    Choices {
        pick: Pick,
        result: Result<Vec<Choice>, String>,
    },
    /// This model is the new target's (`Effect::Switch`); `from` is `context/namespace`
    /// the dashboard showed before.
    Switched {
        from: String,
    },
    /// `Effect::Switch` could not be carried out: the dashboard stays where it is.
    SwitchFailed {
        target: Target,
        error: String,
    },
}

impl Msg {
    /// Whether it is a watcher's report on objects (what `Store::observe` folds in).
    pub fn is_watch(&self) -> bool {
        matches!(
            self,
            Msg::Applied(_)
                | Msg::Deleted(_)
                | Msg::Resynced(..)
                | Msg::WatchLost(_)
                | Msg::Forbidden(_)
                | Msg::ForeignResynced(..)
                | Msg::ForeignSeen(_)
                | Msg::ForeignGone(_)
                | Msg::ForeignWatch(..)
        )
    }
}

/// What the operator explicitly allowed beyond a plain create (the CLI's flags; in the
/// dashboard, a confirmation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consent {
    /// Take over objects with kolla-dash's names that are not kolla-dash's (`--adopt`).
    pub adopt: bool,
    /// Bootstrap over data that records an earlier bootstrap (`--force-bootstrap`).
    pub force_bootstrap: bool,
}

impl Consent {
    pub const ADOPT: Consent = Consent {
        adopt: true,
        force_bootstrap: false,
    };
    pub const FORCE_BOOTSTRAP: Consent = Consent {
        adopt: false,
        force_bootstrap: true,
    };
}

/// The CLI flags of a consent (` --adopt --force-bootstrap`), empty for none.
impl fmt::Display for Consent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.adopt {
            f.write_str(" --adopt")?;
        }
        if self.force_bootstrap {
            f.write_str(" --force-bootstrap")?;
        }
        Ok(())
    }
}

/// A mutating operation, executed by the same engine as the CLI verbs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        service: String,
        kind: Kind,
        consent: Consent,
    },
    Delete {
        service: String,
        kind: Kind,
        delete_data: bool,
    },
    Bootstrap {
        services: Vec<String>,
        consent: Consent,
    },
    Run {
        services: Vec<String>,
        consent: Consent,
    },
    Kill {
        services: Vec<String>,
        delete_data: bool,
    },
    /// Deploy services (empty: all) and what they depend on, in dependency order.
    Deploy {
        services: Vec<String>,
        consent: Consent,
    },
    /// Remove services (empty: all) in reverse dependency order.
    Teardown {
        services: Vec<String>,
        delete_data: bool,
    },
    Node {
        node: String,
        op: NodeOp,
    },
    /// A node operation on every node at once (the whole-cluster drill).
    EveryNode {
        op: NodeOp,
    },
}

/// What to do to a node, from the nodes view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOp {
    Cordon,
    Uncordon,
    /// Cordon, then evict every pod (evictions respect PodDisruptionBudgets); refused
    /// before cordoning when that would lose pods (`drain::verdict`).
    Drain,
    /// Drain, evicting also the pods that will not come back (typed consent).
    DrainAnyway,
    /// Make the node NotReady: local demo cluster only (kwok's chaos stage).
    Fail,
    /// Make a failed node Ready again: local demo cluster only.
    Restore,
}

impl NodeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeOp::Cordon => "cordon",
            NodeOp::Uncordon => "uncordon",
            NodeOp::Drain => "drain",
            NodeOp::DrainAnyway => "drain --force",
            NodeOp::Fail => "fail-node",
            NodeOp::Restore => "restore-node",
        }
    }

    /// Whether the operation exists only on the local demo cluster.
    pub fn local_only(self) -> bool {
        matches!(self, NodeOp::Fail | NodeOp::Restore)
    }
}

impl Action {
    /// Whether carrying it out destroys an operator's data.
    pub fn destroys_data(&self) -> bool {
        match self {
            Action::Delete {
                kind, delete_data, ..
            } => *delete_data && kind.holds_data(),
            Action::Kill { delete_data, .. } | Action::Teardown { delete_data, .. } => *delete_data,
            // Pods no controller recreates, emptyDir data.
            Action::Node {
                op: NodeOp::DrainAnyway,
                ..
            } => true,
            _ => false,
        }
    }
}

/// The CLI spelling of the action (`resource delete mariadb pvc --delete-data`).
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data_flag = |on: bool| if on { " --delete-data" } else { "" };
        match self {
            Action::Create {
                service,
                kind,
                consent,
            } => write!(f, "resource create {service} {kind}{consent}"),
            Action::Delete {
                service,
                kind,
                delete_data,
            } => {
                write!(
                    f,
                    "resource delete {service} {kind}{}",
                    data_flag(*delete_data)
                )
            }
            Action::Bootstrap { services, consent } => {
                write!(f, "bootstrap {}{consent}", services.join(" "))
            }
            Action::Run { services, consent } => write!(f, "run {}{consent}", services.join(" ")),
            Action::Kill {
                services,
                delete_data,
            } => {
                write!(f, "kill {}{}", services.join(" "), data_flag(*delete_data))
            }
            Action::Deploy { services, consent } => {
                write!(f, "deploy{}{consent}", words(services))
            }
            Action::Teardown {
                services,
                delete_data,
            } => write!(f, "teardown{}{}", words(services), data_flag(*delete_data)),
            Action::Node { node, op } => write!(f, "{} {node}", op.as_str()),
            Action::EveryNode { op } => write!(f, "{} --all", op.as_str()),
        }
    }
}

/// " a b" for a list of services, "" for none (meaning all).
fn words(services: &[String]) -> String {
    services.iter().map(|s| format!(" {s}")).collect()
}

/// What the model asks the event loop to do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Act(Action),
    FollowLogs {
        pod: String,
        /// Show the previous run's last lines first (its container keeps crashing).
        previous: bool,
    },
    StopLogs,
    /// Stop the running deploy/teardown (the executor's cancel).
    CancelWorkflow,
    /// Write `Model::incidents().to_json_lines()` to `path`.
    ExportIncidents {
        path: PathBuf,
    },
    /// List the contexts or namespaces a picker offers; answered with `Msg::Choices`.
    ListChoices(Pick),
    /// Look at another context or namespace: new engine, watchers and model (answered with
    /// `Msg::Switched` in the new model, or `Msg::SwitchFailed`).
    Switch(Target),
    Quit,
}
