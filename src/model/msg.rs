//! What flows into the model (`Msg`) and what it asks the outside world to do (`Effect`).

use std::fmt;

use crate::kind::Kind;
use crate::model::summary::{EventSummary, ObjKind, ObjRef, ObjectSummary};

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
    Event(EventSummary),
    Connection(Connection),
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
}

/// A mutating operation, executed by the same engine as the CLI verbs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        service: String,
        kind: Kind,
    },
    Delete {
        service: String,
        kind: Kind,
        delete_data: bool,
    },
    Bootstrap {
        services: Vec<String>,
    },
    Run {
        services: Vec<String>,
    },
    Kill {
        services: Vec<String>,
        delete_data: bool,
    },
}

impl Action {
    /// Whether carrying it out destroys an operator's data.
    pub fn destroys_data(&self) -> bool {
        match self {
            Action::Delete {
                kind, delete_data, ..
            } => *delete_data && kind.holds_data(),
            Action::Kill { delete_data, .. } => *delete_data,
            _ => false,
        }
    }
}

/// The CLI spelling of the action (`resource delete mariadb pvc --delete-data`).
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data_flag = |on: bool| if on { " --delete-data" } else { "" };
        match self {
            Action::Create { service, kind } => write!(f, "resource create {service} {kind}"),
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
            Action::Bootstrap { services } => write!(f, "bootstrap {}", services.join(" ")),
            Action::Run { services } => write!(f, "run {}", services.join(" ")),
            Action::Kill {
                services,
                delete_data,
            } => {
                write!(f, "kill {}{}", services.join(" "), data_flag(*delete_data))
            }
        }
    }
}

/// What the model asks the event loop to do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Act(Action),
    FollowLogs { pod: String },
    StopLogs,
    Quit,
}
