//! The reducer: `update(&mut Model, Msg) -> Vec<Effect>`, keys included.

use crate::kind::Kind;
use crate::model::command::{self, Request};
use crate::model::incident::Step as IncidentStep;
use crate::model::input::TextInput;
use crate::model::log::{LogSource, NoteLevel};
use crate::model::msg::{Action, Connection, Effect, Key, Msg, NodeOp};
use crate::model::state::{Confirm, Mode, Model, Pane, StatusLine, Subject, Typed};
use crate::model::workflow::{WorkflowView, describe, step_label};
use crate::status::{PodHealth, pod_health};
use crate::summary::ObjRef;
use crate::workflow::plan::StepAction;
use crate::workflow::schedule::StepState;

/// Lines PgUp/PgDn move the log pane.
const PAGE: isize = 10;

/// Applies one message; returns what the event loop must do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => return on_key(model, key),
        Msg::Select { row, kind } => {
            if matches!(model.mode, Mode::Normal) {
                model.grid.select(row, kind);
                model.focus = Pane::Grid;
                model.log.scroll = 0;
            }
        }
        Msg::Applied(_)
        | Msg::Deleted(_)
        | Msg::Resynced(..)
        | Msg::WatchLost(_)
        | Msg::Forbidden(_) => watched(model, msg),
        Msg::Event(event) => {
            let row = event_row(model, &event.regarding);
            let shown_before = model.log.entries.len();
            model.log.push_event(event, row);
            // Keep a scrolled-up view where it is while new entries arrive below it.
            if model.log.scroll > 0 && model.log.entries.len() > shown_before {
                model.log.scroll += 1;
            }
        }
        Msg::Connection(connection) => {
            if let Connection::Lost { since, .. } = connection {
                model.now = model.now.max(since);
            }
            model.connection = connection;
        }
        Msg::LogLines { pod, lines } => {
            if following(model) == Some(pod.as_str()) {
                for line in lines {
                    model.log.pod_lines.push(line);
                }
            }
        }
        Msg::LogEnded { pod, reason } => {
            if let LogSource::Pod { name, ended } = &mut model.log.source
                && *name == pod
            {
                *ended = Some(reason.unwrap_or_else(|| "log stream ended".to_string()));
            }
        }
        Msg::ActionStarted { id, what } => {
            set_status(model, NoteLevel::Progress, format!("{what}…"));
            model
                .log
                .note(NoteLevel::Progress, format!("started: {what}"));
            model.in_flight.insert(id, what);
        }
        Msg::ActionFinished { id, result } => {
            let what = model
                .in_flight
                .remove(&id)
                .unwrap_or_else(|| format!("action {id}"));
            let (level, text) = match result {
                Ok(msg) => (NoteLevel::Success, format!("{what}: {msg}")),
                Err(err) => (NoteLevel::Error, format!("{what} failed: {err}")),
            };
            model.log.note(level, text.clone());
            set_status(model, level, text);
        }
        Msg::Now(now) => model.now = now,
        Msg::NowMs(ms) => {
            model.now_ms = ms;
            model.now = ms.div_euclid(1000);
        }
        Msg::Step {
            service,
            action,
            state,
        } => on_step(model, &service, action, state),
        Msg::WorkflowFinished { ok, summary } => {
            let what = model
                .workflow
                .as_ref()
                .map_or_else(|| "workflow".to_string(), |w| w.what.clone());
            let (level, text) = if ok {
                (NoteLevel::Success, format!("{what} finished: {summary}"))
            } else {
                (NoteLevel::Error, format!("{what} failed: {summary}"))
            };
            if let Some(w) = &mut model.workflow {
                w.running = false;
                w.outcome = Some((ok, summary));
            }
            model.log.note(level, text.clone());
            set_status(model, level, text);
        }
    }
    Vec::new()
}

/// A watcher message: the incident tracker sees it first (it compares with what it knew),
/// then the store folds it in.
fn watched(model: &mut Model, msg: Msg) {
    for event in model.incidents.observe(&msg, model.now_ms) {
        let level = match &event.step {
            IncidentStep::NodeDown { .. } | IncidentStep::PodTerminating { stuck: Some(_), .. } => {
                NoteLevel::Error
            }
            IncidentStep::ServiceHealed { .. }
            | IncidentStep::Closed { .. }
            | IncidentStep::NodeUp => NoteLevel::Success,
            _ => NoteLevel::Info,
        };
        model.log.note(level, event.to_string());
    }
    if let Msg::Forbidden(kind) = &msg {
        let text = format!("forbidden to list {kind} objects: their cells show ⊘");
        model.log.note(NoteLevel::Error, text);
    }
    model.store.observe(msg);
}

/// A workflow step moved: the cell's overlay, a log note on real transitions, and the
/// progress in the status line.
fn on_step(model: &mut Model, service: &str, action: StepAction, state: StepState) {
    let Some(row) = model.store.row_of_service(service) else {
        let text = format!("workflow step for unknown service '{service}'");
        model.log.note(NoteLevel::Error, text);
        return;
    };
    let rows = model.grid.rows().len();
    let workflow = model
        .workflow
        .get_or_insert_with(|| WorkflowView::new("workflow".to_string(), rows));
    let level = match &state {
        StepState::Failed(_) | StepState::Blocked(_) => NoteLevel::Error,
        StepState::Done => NoteLevel::Success,
        StepState::Acting | StepState::Waiting(_) => NoteLevel::Progress,
        StepState::Queued | StepState::Skipped | StepState::Cancelled => NoteLevel::Info,
    };
    // Plans report every step at the start, queued or skipped: not news step by step.
    let initial = matches!(state, StepState::Queued | StepState::Skipped);
    let note = (!initial).then(|| {
        let what = &workflow.what;
        format!(
            "{what}: {}: {}",
            step_label(service, action),
            describe(&state)
        )
    });
    let news = workflow.set(row, action, state);
    let (done, total) = workflow.progress();
    let mut line = format!("{}: {done}/{total} steps finished", workflow.what);
    if let Some((r, kind, step)) = workflow.current() {
        let current = &model.grid.rows()[r].service;
        line.push_str(&format!("; {current} {kind}: {}", describe(&step.state)));
    }
    if let Some(note) = note.filter(|_| news) {
        model.log.note(level, note);
    }
    set_status(model, NoteLevel::Progress, line);
}

/// The grid row of an event's object: its owner if the object is known, else the service
/// whose name prefixes the object's (objects already deleted keep their events attributed).
fn event_row(model: &Model, regarding: &ObjRef) -> Option<usize> {
    model.store.row_of_object(regarding).or_else(|| {
        let rows = model.grid.rows();
        (0..rows.len())
            .filter(|&i| {
                let service = rows[i].service.as_str();
                regarding.name == service
                    || regarding
                        .name
                        .strip_prefix(service)
                        .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|&i| rows[i].service.len())
    })
}

fn following(model: &Model) -> Option<&str> {
    match &model.log.source {
        LogSource::Pod { name, .. } => Some(name),
        LogSource::Events => None,
    }
}

fn set_status(model: &mut Model, level: NoteLevel, text: String) {
    model.status_line = Some(StatusLine { level, text });
}

fn on_key(model: &mut Model, key: Key) -> Vec<Effect> {
    if key == Key::Ctrl('c') {
        return vec![Effect::Quit];
    }
    match std::mem::replace(&mut model.mode, Mode::Normal) {
        Mode::Normal => normal_key(model, key),
        Mode::Help => {
            if !matches!(key, Key::Esc | Key::Char('?' | 'q')) {
                model.mode = Mode::Help;
            }
            Vec::new()
        }
        Mode::Detail { row, kind } => {
            if !matches!(key, Key::Esc | Key::Enter | Key::Char('q')) {
                model.mode = Mode::Detail { row, kind };
            }
            Vec::new()
        }
        Mode::Nodes => nodes_key(model, key),
        Mode::Incidents => incidents_key(model, key),
        Mode::Filter(input) => filter_key(model, input, key),
        Mode::Command(input) => command_key(model, input, key),
        Mode::Confirm(confirm) => confirm_key(model, confirm, key),
    }
}

fn normal_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let on_log = model.focus == Pane::Log;
    match key {
        Key::Char('q') => return vec![Effect::Quit],
        Key::Char('?') => model.mode = Mode::Help,
        Key::Up | Key::Char('k') if on_log => model.log.scroll_by(1),
        Key::Down | Key::Char('j') if on_log => model.log.scroll_by(-1),
        Key::Up | Key::Char('k') => move_rows(model, -1),
        Key::Down | Key::Char('j') => move_rows(model, 1),
        Key::Left | Key::Char('h') => model.grid.move_columns(-1),
        // `l` moves right; on the rightmost (pod) column, where there is no right, it follows.
        Key::Char('l') if model.grid.selected_kind() == Kind::Pod => return follow_logs(model),
        Key::Right | Key::Char('l') => model.grid.move_columns(1),
        Key::Tab | Key::BackTab => {
            model.focus = if on_log { Pane::Grid } else { Pane::Log };
        }
        Key::PageUp => model.log.scroll_by(PAGE),
        Key::PageDown => model.log.scroll_by(-PAGE),
        Key::Char('/') => model.mode = Mode::Filter(TextInput::new(model.grid.filter())),
        Key::Char(':') => model.mode = Mode::Command(TextInput::default()),
        Key::Char('a') => {
            model.log.show_all = !model.log.show_all;
            model.log.scroll = 0;
        }
        Key::Enter => {
            if let Some(row) = model.grid.selected_row() {
                model.mode = Mode::Detail {
                    row,
                    kind: model.grid.selected_kind(),
                };
            }
        }
        Key::Esc => {
            if following(model).is_some() {
                model.log.source = LogSource::Events;
                model.log.scroll = 0;
                return vec![Effect::StopLogs];
            }
            model.grid.set_filter("");
        }
        Key::Char(c @ ('c' | 'd' | 'b' | 'r' | 'K')) => return cell_action(model, c),
        Key::Char('D') => {
            return request(
                model,
                Action::Deploy {
                    services: Vec::new(),
                },
            );
        }
        Key::Char('X') => cancel_workflow(model),
        Key::Char('N') => model.mode = Mode::Nodes,
        Key::Char('I') => model.mode = Mode::Incidents,
        _ => {}
    }
    Vec::new()
}

fn move_rows(model: &mut Model, delta: isize) {
    let before = model.grid.selected_row();
    model.grid.move_rows(delta);
    if model.grid.selected_row() != before {
        model.log.scroll = 0;
    }
}

/// c/d on the selected cell, b/r/K on the selected row.
fn cell_action(model: &mut Model, key: char) -> Vec<Effect> {
    let Some(row) = model.grid.selected_row() else {
        set_status(model, NoteLevel::Error, "no service selected".to_string());
        return Vec::new();
    };
    let service = model.grid.rows()[row].service.clone();
    let kind = model.grid.selected_kind();
    let action = match key {
        'b' => Action::Bootstrap {
            services: vec![service],
        },
        'r' => Action::Run {
            services: vec![service],
        },
        'K' => Action::Kill {
            services: vec![service],
            delete_data: false,
        },
        _ if !model.grid.rows()[row].has(kind) => {
            set_status(model, NoteLevel::Error, format!("{service} has no {kind}"));
            return Vec::new();
        }
        'c' => Action::Create { service, kind },
        // The typed-name dialog is the consent for deleting a data kind.
        _ => Action::Delete {
            service,
            kind,
            delete_data: kind.holds_data(),
        },
    };
    request(model, action)
}

/// Refuses in read-only sessions (and a second workflow), asks before anything but a plain
/// create/bootstrap/run, else hands the action out.
fn request(model: &mut Model, action: Action) -> Vec<Effect> {
    if model.header.readonly {
        set_status(
            model,
            NoteLevel::Error,
            format!("read-only session: '{action}' refused"),
        );
        return Vec::new();
    }
    let workflow = matches!(action, Action::Deploy { .. } | Action::Teardown { .. });
    if workflow && let Some(running) = model.workflow.as_ref().filter(|w| w.running) {
        let text = format!("'{}' is still running: X cancels it", running.what);
        set_status(model, NoteLevel::Error, text);
        return Vec::new();
    }
    if matches!(
        action,
        Action::Create { .. } | Action::Bootstrap { .. } | Action::Run { .. }
    ) {
        return act(model, action);
    }
    let typed = action.destroys_data().then(|| Typed {
        expected: name_to_type(model, &action),
        input: TextInput::default(),
    });
    model.mode = Mode::Confirm(Confirm {
        subject: Subject::Act(action),
        typed,
    });
    Vec::new()
}

/// What the operator types to destroy data: the namespace for a teardown, else the
/// service(s) losing it.
fn name_to_type(model: &Model, action: &Action) -> String {
    match action {
        Action::Teardown { .. } => model.header.namespace.clone(),
        Action::Delete { service, .. } => service.clone(),
        Action::Kill { services, .. } => services.join(" "),
        other => other.to_string(),
    }
}

fn act(model: &mut Model, action: Action) -> Vec<Effect> {
    if matches!(action, Action::Deploy { .. } | Action::Teardown { .. }) {
        let rows = model.grid.rows().len();
        model.workflow = Some(WorkflowView::new(action.to_string(), rows));
    }
    set_status(model, NoteLevel::Info, format!("requested: {action}"));
    vec![Effect::Act(action)]
}

fn cancel_workflow(model: &mut Model) {
    if model.workflow_running() {
        model.mode = Mode::Confirm(Confirm {
            subject: Subject::CancelWorkflow,
            typed: None,
        });
    } else {
        let text = "no deploy or teardown is running".to_string();
        set_status(model, NoteLevel::Info, text);
    }
}

/// Keys of the nodes view: move, node actions, close.
fn nodes_key(model: &mut Model, key: Key) -> Vec<Effect> {
    model.mode = Mode::Nodes;
    let last = model.nodes().len().saturating_sub(1);
    let op = match key {
        Key::Esc | Key::Char('N' | 'q') => {
            model.mode = Mode::Normal;
            return Vec::new();
        }
        Key::Char('I') => {
            model.mode = Mode::Incidents;
            return Vec::new();
        }
        Key::Up | Key::Char('k') => {
            model.node_cursor = model.node_cursor.min(last).saturating_sub(1);
            return Vec::new();
        }
        Key::Down | Key::Char('j') => {
            model.node_cursor = (model.node_cursor + 1).min(last);
            return Vec::new();
        }
        Key::Char('c') => NodeOp::Cordon,
        Key::Char('u') => NodeOp::Uncordon,
        Key::Char('d') => NodeOp::Drain,
        Key::Char('f') => NodeOp::Fail,
        Key::Char('r') => NodeOp::Restore,
        _ => return Vec::new(),
    };
    let Some(node) = model.selected_node().map(str::to_string) else {
        set_status(model, NoteLevel::Error, "no node selected".to_string());
        return Vec::new();
    };
    if op.local_only() && !model.local_cluster {
        let text = format!(
            "{} works only on the local demo cluster (kolla-dash demo)",
            op.as_str()
        );
        set_status(model, NoteLevel::Error, text);
        return Vec::new();
    }
    request(model, Action::Node { node, op })
}

/// Keys of the incidents view: scroll, close.
fn incidents_key(model: &mut Model, key: Key) -> Vec<Effect> {
    model.mode = Mode::Incidents;
    let scroll = &mut model.incident_scroll;
    match key {
        Key::Esc | Key::Char('I' | 'q') => model.mode = Mode::Normal,
        Key::Char('N') => model.mode = Mode::Nodes,
        Key::Up | Key::Char('k') => *scroll = scroll.saturating_sub(1),
        Key::Down | Key::Char('j') => *scroll = scroll.saturating_add(1),
        Key::PageUp => *scroll = scroll.saturating_sub(PAGE.unsigned_abs()),
        Key::PageDown => *scroll = scroll.saturating_add(PAGE.unsigned_abs()),
        _ => {}
    }
    Vec::new()
}

fn follow_logs(model: &mut Model) -> Vec<Effect> {
    let Some(row) = model.grid.selected_row() else {
        return Vec::new();
    };
    // Prefer a ready pod, then the newest live one.
    let pod = model
        .store
        .cell_objects(row, Kind::Pod)
        .into_iter()
        .filter(|o| !o.deleting && pod_health(o).is_some())
        .max_by_key(|o| (pod_health(o) == Some(PodHealth::Ready), o.created))
        .map(|o| o.obj.name.clone());
    let Some(pod) = pod else {
        let service = &model.grid.rows()[row].service;
        set_status(
            model,
            NoteLevel::Error,
            format!("{service} has no pod to follow"),
        );
        return Vec::new();
    };
    let mut effects = Vec::new();
    if following(model).is_some() {
        effects.push(Effect::StopLogs);
    }
    model.log.pod_lines.clear();
    model.log.scroll = 0;
    model.log.source = LogSource::Pod {
        name: pod.clone(),
        ended: None,
    };
    effects.push(Effect::FollowLogs { pod });
    effects
}

fn filter_key(model: &mut Model, mut input: TextInput, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => model.grid.set_filter(""),
        Key::Enter => {}
        _ => {
            if input.edit(key) {
                model.grid.set_filter(input.value());
            }
            model.mode = Mode::Filter(input);
        }
    }
    Vec::new()
}

fn command_key(model: &mut Model, mut input: TextInput, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => Vec::new(),
        Key::Enter => match command::parse(input.value(), model.grid.rows()) {
            Ok(Request::Act(action)) => request(model, action),
            Ok(Request::ExportIncidents(path)) => {
                let count = model.incidents.incidents().len();
                let text = format!("exporting {count} incident(s) to {}", path.display());
                set_status(model, NoteLevel::Info, text);
                vec![Effect::ExportIncidents { path }]
            }
            Ok(Request::Show { row, kind }) => {
                let kind = kind.unwrap_or(model.grid.selected_kind());
                model.grid.select(row, kind);
                model.mode = Mode::Detail { row, kind };
                Vec::new()
            }
            Err(err) => {
                set_status(model, NoteLevel::Error, err);
                Vec::new()
            }
        },
        _ => {
            input.edit(key);
            model.mode = Mode::Command(input);
            Vec::new()
        }
    }
}

fn confirm_key(model: &mut Model, mut confirm: Confirm, key: Key) -> Vec<Effect> {
    // Node actions come from the nodes view and go back to it.
    let back = match &confirm.subject {
        Subject::Act(Action::Node { .. }) => Mode::Nodes,
        _ => Mode::Normal,
    };
    match (&mut confirm.typed, key) {
        (_, Key::Esc) | (None, Key::Char('n' | 'N')) => {
            model.mode = back;
            set_status(model, NoteLevel::Info, "cancelled".to_string());
            return Vec::new();
        }
        (None, Key::Char('y' | 'Y')) => {
            model.mode = back;
            return confirmed(model, confirm.subject);
        }
        (Some(typed), Key::Enter) if typed.input.value() == typed.expected => {
            model.mode = back;
            return confirmed(model, confirm.subject);
        }
        (Some(typed), Key::Enter) => {
            let text = format!("type '{}' exactly to confirm", typed.expected);
            set_status(model, NoteLevel::Error, text);
        }
        (Some(typed), key) => {
            typed.input.edit(key);
        }
        (None, _) => {}
    }
    model.mode = Mode::Confirm(confirm);
    Vec::new()
}

fn confirmed(model: &mut Model, subject: Subject) -> Vec<Effect> {
    match subject {
        Subject::Act(action) => act(model, action),
        Subject::CancelWorkflow => {
            set_status(model, NoteLevel::Progress, "cancelling…".to_string());
            vec![Effect::CancelWorkflow]
        }
    }
}
