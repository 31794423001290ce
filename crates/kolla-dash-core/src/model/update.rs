//! The reducer: `update(&mut Model, Msg) -> Vec<Effect>`, keys included.

use crate::drain;
use crate::drift::Desired;
use crate::kind::Kind;
use crate::model::command::{self, Request};
use crate::model::confirm::confirmation;
use crate::model::incident::{Step as IncidentStep, time_of_day};
use crate::model::input::TextInput;
use crate::model::keymap::{self, Command, KeyMode};
use crate::model::log::{LogSource, NoteLevel};
use crate::model::msg::{Action, Connection, Consent, Effect, Key, Liveness, Msg, NodeOp};
use crate::model::state::{Confirm, Mode, Model, Pane, StatusLine, Subject, Typed};
use crate::model::switch;
use crate::model::workflow::{WorkflowView, describe, step_label};
use crate::status::CellStatus;
use crate::status::{PodHealth, pod_health};
use crate::summary::{ObjRef, ObjState};
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
        | Msg::Forbidden(_)
        | Msg::ForeignResynced(..)
        | Msg::ForeignSeen(_)
        | Msg::ForeignGone(_)
        | Msg::ForeignWatch(..) => watched(model, msg),
        Msg::Event(event) => {
            model.store.note_event(&event);
            let row = event_row(model, &event.regarding);
            let shown_before = model.log.entries.len();
            model.log.push_event(event, row);
            // Keep a scrolled-up view where it is while new entries arrive below it.
            if model.log.scroll > 0 && model.log.entries.len() > shown_before {
                model.log.scroll += 1;
            }
        }
        Msg::MayWrite(false) if !model.header.readonly => {
            model.header.readonly = true;
            let text = crate::access::readonly_note(&model.header.namespace);
            model.log.note(model.now, NoteLevel::Error, text.clone());
            set_status(model, NoteLevel::Error, text);
        }
        Msg::MayWrite(_) => {}
        Msg::Connection(connection) => {
            if let Connection::Lost { since, .. } = connection {
                model.now = model.now.max(since);
            }
            // The tracker bounds the dashboard's outages of the API server with these.
            track_incidents(model, &Msg::Connection(connection));
            model.connection = connection;
        }
        Msg::Liveness(liveness) => {
            let (level, text) = match liveness {
                Liveness::Silent { last_heard } => (
                    NoteLevel::Error,
                    format!(
                        "the API server is not responding (nothing heard since {}): cells are \
                         stale until it answers",
                        time_of_day(last_heard * 1000)
                    ),
                ),
                Liveness::Answering => (
                    NoteLevel::Success,
                    "the API server answers again: relisting everything".to_string(),
                ),
            };
            model.log.note(model.now, level, text);
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
                .note(model.now, NoteLevel::Progress, format!("started: {what}"));
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
            model.log.note(model.now, level, text.clone());
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
            notes,
        } => {
            on_step(model, &service, action, state);
            for note in notes {
                model.log.note(model.now, NoteLevel::Info, note);
            }
        }
        Msg::DrainRefused { node, losses } => {
            let warning = drain::warning(&node, &losses);
            model.mode = Mode::Confirm(Confirm {
                subject: Subject::Act(Action::Node {
                    node: node.clone(),
                    op: NodeOp::DrainAnyway,
                }),
                typed: Some(Typed {
                    expected: node,
                    input: TextInput::default(),
                }),
                warning: Some(warning),
                plan: Vec::new(),
            });
        }
        Msg::ConfigLoaded { rendered } => config_loaded(model, rendered),
        Msg::ConfigRejected { reason } => {
            if model.config_error.as_ref() != Some(&reason) {
                let text = format!("config not applied (the last good one stays): {reason}");
                model.log.note(model.now, NoteLevel::Error, text.clone());
                set_status(model, NoteLevel::Error, text);
            }
            model.config_error = Some(reason);
        }
        Msg::Choices { pick, result } => switch::listed(model, pick, result),
        Msg::Switched { from } => switch::arrived(model, &from),
        Msg::SwitchFailed { target, error } => switch::failed(model, &target, &error),
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
            model.log.note(model.now, level, text.clone());
            set_status(model, level, text);
        }
    }
    Vec::new()
}

/// The config on disk changed and was read: cells are judged against its rendering; the
/// status line names the cells that now differ. A save that renders the same says nothing
/// (unless it mends a refused one).
fn config_loaded(model: &mut Model, rendered: Vec<Desired>) {
    let mended = model.config_error.take().is_some();
    if !model.store.set_desired(rendered) && !mended {
        return;
    }
    let rows = model.grid.rows();
    let cells: Vec<String> = model
        .drifting()
        .into_iter()
        .map(|(row, kind)| format!("{} {kind}", rows[row].service))
        .collect();
    let text = match cells.as_slice() {
        [] => "config read: the cluster runs what it renders".to_string(),
        [one] => format!("config read: {one} differs from it; deploy applies the change"),
        many => format!(
            "config read: {} cells differ from it ({}); deploy applies the changes",
            many.len(),
            many.join(", ")
        ),
    };
    model.log.note(model.now, NoteLevel::Info, text.clone());
    set_status(model, NoteLevel::Info, text);
}

/// A watcher message: the incident tracker sees it first (it compares with what it knew),
/// then the store folds it in.
fn watched(model: &mut Model, msg: Msg) {
    track_incidents(model, &msg);
    if let Msg::Forbidden(kind) = &msg
        && model.store.matters(*kind)
    {
        let text = crate::status::forbidden_note(*kind);
        model.log.note(model.now, NoteLevel::Error, text);
    }
    model.store.observe(msg);
}

/// Lets the incident tracker see a message; what it makes of it goes to the log pane.
fn track_incidents(model: &mut Model, msg: &Msg) {
    for event in model.incidents.observe(msg, model.now_ms) {
        let level = match &event.step {
            IncidentStep::NodeDown { .. }
            | IncidentStep::PodTerminating { stuck: Some(_), .. }
            | IncidentStep::Disrupted { .. } => NoteLevel::Error,
            IncidentStep::ServiceHealed { .. }
            | IncidentStep::Closed { .. }
            | IncidentStep::NodeUp { .. }
            | IncidentStep::EvictionsResumed { .. } => NoteLevel::Success,
            _ => NoteLevel::Info,
        };
        model.log.note(model.now, level, event.to_string());
    }
}

/// A workflow step moved: the cell's overlay, a log note on real transitions, and the
/// progress in the status line.
fn on_step(model: &mut Model, service: &str, action: StepAction, state: StepState) {
    let Some(row) = model.store.row_of_service(service) else {
        let text = format!("workflow step for unknown service '{service}'");
        model.log.note(model.now, NoteLevel::Error, text);
        return;
    };
    let rows = model.grid.rows().len();
    let workflow = model
        .workflow
        .get_or_insert_with(|| WorkflowView::new("workflow".to_string(), rows));
    let level = match &state {
        StepState::Failed(_) | StepState::Blocked(_) | StepState::Held(_) => NoteLevel::Error,
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
        model.log.note(model.now, level, note);
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

/// The keymap's mode for what has the keyboard.
fn key_mode(mode: &Mode) -> KeyMode {
    match mode {
        Mode::Normal => KeyMode::Normal,
        Mode::Help => KeyMode::Help,
        Mode::Detail { .. } | Mode::Diff { .. } => KeyMode::Detail,
        Mode::Nodes => KeyMode::Nodes,
        Mode::Incidents => KeyMode::Incidents,
        Mode::Picker(_) => KeyMode::Picker,
        Mode::Filter(_) => KeyMode::Filter,
        Mode::Command(_) => KeyMode::Command,
        Mode::Confirm(Confirm { typed: Some(_), .. }) => KeyMode::TypedConfirm,
        Mode::Confirm(_) => KeyMode::Confirm,
    }
}

fn on_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let command = keymap::command(
        key_mode(&model.mode),
        key,
        model.focus == Pane::Log,
        model.grid.selected_kind() == Kind::Pod,
    );
    if command == Some(Command::QuitNow) {
        return vec![Effect::Quit];
    }
    match std::mem::replace(&mut model.mode, Mode::Normal) {
        Mode::Normal => command.map_or_else(Vec::new, |c| normal_command(model, c)),
        mode @ (Mode::Help | Mode::Detail { .. } | Mode::Diff { .. }) => {
            if command != Some(Command::Back) {
                model.mode = mode;
            }
            Vec::new()
        }
        Mode::Nodes => nodes_command(model, command),
        Mode::Incidents => incidents_command(model, command),
        Mode::Picker(picker) => switch::key(model, picker, command),
        Mode::Filter(input) => filter_key(model, input, command, key),
        Mode::Command(input) => command_key(model, input, command, key),
        Mode::Confirm(confirm) => confirm_key(model, confirm, command, key),
    }
}

fn normal_command(model: &mut Model, command: Command) -> Vec<Effect> {
    match command {
        Command::Quit => return vec![Effect::Quit],
        Command::Help => model.mode = Mode::Help,
        Command::ScrollLogUp => model.log.scroll_by(1),
        Command::ScrollLogDown => model.log.scroll_by(-1),
        Command::MoveUp => move_rows(model, -1),
        Command::MoveDown => move_rows(model, 1),
        Command::MoveLeft => model.grid.move_columns(-1),
        Command::MoveRight => model.grid.move_columns(1),
        Command::FollowLogs => return follow_logs(model),
        Command::SwitchPane => {
            model.focus = match model.focus {
                Pane::Log => Pane::Grid,
                Pane::Grid => Pane::Log,
            };
        }
        Command::PageUp => model.log.scroll_by(PAGE),
        Command::PageDown => model.log.scroll_by(-PAGE),
        Command::Filter => model.mode = Mode::Filter(TextInput::new(model.grid.filter())),
        Command::CommandLine => model.mode = Mode::Command(TextInput::default()),
        Command::ToggleAllEvents => {
            model.log.show_all = !model.log.show_all;
            model.log.scroll = 0;
        }
        Command::Detail => {
            if let Some(row) = model.grid.selected_row() {
                model.mode = Mode::Detail {
                    row,
                    kind: model.grid.selected_kind(),
                };
            }
        }
        Command::Diff => {
            if let Some(row) = model.grid.selected_row() {
                model.mode = Mode::Diff {
                    row,
                    kind: model.grid.selected_kind(),
                };
            }
        }
        Command::Back => {
            if following(model).is_some() {
                model.log.source = LogSource::Events;
                model.log.scroll = 0;
                return vec![Effect::StopLogs];
            }
            model.grid.set_filter("");
        }
        Command::Create | Command::Delete | Command::Bootstrap | Command::Run | Command::Kill => {
            return cell_action(model, command);
        }
        Command::Deploy => {
            return request(
                model,
                Action::Deploy {
                    services: Vec::new(),
                    consent: Consent::default(),
                },
            );
        }
        Command::CancelWorkflow => cancel_workflow(model),
        Command::Nodes => model.mode = Mode::Nodes,
        Command::Incidents => model.mode = Mode::Incidents,
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

/// Create/delete on the selected cell, bootstrap/run/kill on the selected row.
fn cell_action(model: &mut Model, command: Command) -> Vec<Effect> {
    let Some(row) = model.grid.selected_row() else {
        set_status(model, NoteLevel::Error, "no service selected".to_string());
        return Vec::new();
    };
    let service = model.grid.rows()[row].service.clone();
    let kind = model.grid.selected_kind();
    let consent = Consent::default();
    let action = match command {
        Command::Bootstrap => Action::Bootstrap {
            services: vec![service],
            consent,
        },
        Command::Run => Action::Run {
            services: vec![service],
            consent,
        },
        Command::Kill => Action::Kill {
            services: vec![service],
            delete_data: false,
        },
        _ if !model.grid.rows()[row].has(kind) => {
            set_status(model, NoteLevel::Error, format!("{service} has no {kind}"));
            return Vec::new();
        }
        Command::Create => Action::Create {
            service,
            kind,
            consent,
        },
        // The typed-name dialog is the consent for deleting a data kind.
        _ => Action::Delete {
            service,
            kind,
            delete_data: kind.holds_data(),
        },
    };
    request(model, action)
}

/// Refuses in read-only sessions, a second workflow, and anything on kolla's objects before
/// every watch has listed them; asks where `confirm::confirmation` says so; else hands the
/// action out.
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
    // A plan or a check made from half-listed watches acts on what only seems absent.
    if !listed(model, &action) {
        let text = format!(
            "'{action}' refused: {} watches are still listing the cluster; try again once \
             the cells it acts on show their state",
            model.store.unsettled()
        );
        set_status(model, NoteLevel::Error, text);
        return Vec::new();
    }
    match confirmation(model, action.clone()) {
        Some(confirm) => {
            model.mode = Mode::Confirm(confirm);
            Vec::new()
        }
        None => act(model, action),
    }
}

/// Whether everything `action` acts on has been listed: its cell, its services' rows, or
/// (deploy, teardown) the whole namespace. Node actions act on the node list.
fn listed(model: &Model, action: &Action) -> bool {
    let store = &model.store;
    let row_listed = |service: &String| {
        store.row_of_service(service).is_some_and(|row| {
            Kind::ALL
                .into_iter()
                .all(|kind| *store.status(row, kind) != CellStatus::Unknown)
        })
    };
    match action {
        Action::Create { service, kind, .. } | Action::Delete { service, kind, .. } => store
            .row_of_service(service)
            .is_some_and(|row| *store.status(row, *kind) != CellStatus::Unknown),
        Action::Bootstrap { services, .. }
        | Action::Run { services, .. }
        | Action::Kill { services, .. } => services.iter().all(row_listed),
        Action::Deploy { .. } | Action::Teardown { .. } => store.all_settled(),
        Action::Node { .. } | Action::EveryNode { .. } => true,
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
            warning: None,
            plan: Vec::new(),
        });
    } else {
        let text = "no deploy or teardown is running".to_string();
        set_status(model, NoteLevel::Info, text);
    }
}

/// The nodes view: move, node actions, close.
fn nodes_command(model: &mut Model, command: Option<Command>) -> Vec<Effect> {
    model.mode = Mode::Nodes;
    let last = model.nodes().len().saturating_sub(1);
    let op = match command {
        Some(Command::Back) => {
            model.mode = Mode::Normal;
            return Vec::new();
        }
        Some(Command::Incidents) => {
            model.mode = Mode::Incidents;
            return Vec::new();
        }
        Some(Command::MoveUp) => {
            model.node_cursor = model.node_cursor.min(last).saturating_sub(1);
            return Vec::new();
        }
        Some(Command::MoveDown) => {
            model.node_cursor = (model.node_cursor + 1).min(last);
            return Vec::new();
        }
        Some(Command::Cordon) => NodeOp::Cordon,
        Some(Command::Uncordon) => NodeOp::Uncordon,
        Some(Command::Drain) => NodeOp::Drain,
        Some(Command::FailNode) => NodeOp::Fail,
        Some(Command::RestoreNode) => NodeOp::Restore,
        Some(Command::FailEveryNode) => return every_node(model, NodeOp::Fail),
        Some(Command::RestoreEveryNode) => return every_node(model, NodeOp::Restore),
        _ => return Vec::new(),
    };
    let Some(node) = model.selected_node().map(str::to_string) else {
        set_status(model, NoteLevel::Error, "no node selected".to_string());
        return Vec::new();
    };
    if refuse_local_only(model, op) {
        return Vec::new();
    }
    request(model, Action::Node { node, op })
}

/// A node operation on every node (whole-cluster drills).
fn every_node(model: &mut Model, op: NodeOp) -> Vec<Effect> {
    if refuse_local_only(model, op) {
        return Vec::new();
    }
    request(model, Action::EveryNode { op })
}

/// Refuses (with a status line) what exists only on the local demo cluster elsewhere.
fn refuse_local_only(model: &mut Model, op: NodeOp) -> bool {
    let refused = op.local_only() && !model.local_cluster;
    if refused {
        let text = format!(
            "{} works only on the local demo cluster (kolla-dash demo)",
            op.as_str()
        );
        set_status(model, NoteLevel::Error, text);
    }
    refused
}

/// The incidents view: scroll, close.
fn incidents_command(model: &mut Model, command: Option<Command>) -> Vec<Effect> {
    model.mode = Mode::Incidents;
    let scroll = &mut model.incident_scroll;
    match command {
        Some(Command::Back) => model.mode = Mode::Normal,
        Some(Command::Nodes) => model.mode = Mode::Nodes,
        Some(Command::MoveUp) => *scroll = scroll.saturating_sub(1),
        Some(Command::MoveDown) => *scroll = scroll.saturating_add(1),
        Some(Command::PageUp) => *scroll = scroll.saturating_sub(PAGE.unsigned_abs()),
        Some(Command::PageDown) => *scroll = scroll.saturating_add(PAGE.unsigned_abs()),
        _ => {}
    }
    Vec::new()
}

fn follow_logs(model: &mut Model) -> Vec<Effect> {
    let Some(row) = model.grid.selected_row() else {
        return Vec::new();
    };
    // The pod the why-line names first (what the operator is troubleshooting), else a ready
    // one, else the newest live one.
    let cell = model.store.cell_objects(row, Kind::Pod);
    let named = model
        .store
        .problems(row, Kind::Pod)
        .into_iter()
        .find_map(|p| p.pods.into_iter().next());
    let chosen = named
        .and_then(|name| cell.iter().find(|o| o.obj.name == name).copied())
        .or_else(|| {
            cell.iter()
                .filter(|o| !o.deleting && pod_health(o).is_some())
                .max_by_key(|o| (pod_health(o) == Some(PodHealth::Ready), o.created))
                .copied()
        });
    // A container that keeps crashing: its previous run's last lines say why.
    let previous = chosen.is_some_and(|o| match &o.state {
        ObjState::Pod { detail, .. } => detail
            .containers
            .iter()
            .any(|c| c.restarts > 0 && c.last_exit.is_some()),
        _ => false,
    });
    let Some(pod) = chosen.map(|o| o.obj.name.clone()) else {
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
    effects.push(Effect::FollowLogs { pod, previous });
    effects
}

fn filter_key(
    model: &mut Model,
    mut input: TextInput,
    command: Option<Command>,
    key: Key,
) -> Vec<Effect> {
    match command {
        Some(Command::Back) => model.grid.set_filter(""),
        Some(Command::Accept) => {}
        _ => {
            if input.edit(key) {
                model.grid.set_filter(input.value());
            }
            model.mode = Mode::Filter(input);
        }
    }
    Vec::new()
}

fn command_key(
    model: &mut Model,
    mut input: TextInput,
    command: Option<Command>,
    key: Key,
) -> Vec<Effect> {
    match command {
        Some(Command::Back) => Vec::new(),
        Some(Command::Accept) => match command::parse(input.value(), model.grid.rows()) {
            Ok(Request::Act(action)) => request(model, action),
            Ok(Request::ExportIncidents(path)) => {
                let count = model.incidents.incidents().len();
                let text = format!("exporting {count} incident(s) to {}", path.display());
                set_status(model, NoteLevel::Info, text);
                vec![Effect::ExportIncidents { path }]
            }
            Ok(Request::Switch(target)) => switch::switch(model, target),
            Ok(Request::Pick(pick)) => switch::open(model, pick),
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

fn confirm_key(
    model: &mut Model,
    mut confirm: Confirm,
    command: Option<Command>,
    key: Key,
) -> Vec<Effect> {
    // Node actions come from the nodes view and go back to it.
    let back = match &confirm.subject {
        Subject::Act(Action::Node { .. } | Action::EveryNode { .. }) => Mode::Nodes,
        _ => Mode::Normal,
    };
    match (&mut confirm.typed, command) {
        (_, Some(Command::No)) => {
            model.mode = back;
            set_status(model, NoteLevel::Info, "cancelled".to_string());
            return Vec::new();
        }
        (None, Some(Command::Yes)) => {
            model.mode = back;
            return confirmed(model, confirm.subject);
        }
        (Some(typed), Some(Command::Accept)) if typed.input.value() == typed.expected => {
            model.mode = back;
            return confirmed(model, confirm.subject);
        }
        (Some(typed), Some(Command::Accept)) => {
            let text = format!("type '{}' exactly to confirm", typed.expected);
            set_status(model, NoteLevel::Error, text);
        }
        (Some(typed), _) => {
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
        Subject::Switch(target) => switch::go(model, target),
    }
}
