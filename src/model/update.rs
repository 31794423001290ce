//! The reducer: `update(&mut Model, Msg) -> Vec<Effect>`, keys included.

use tui_input::{Input, InputRequest};

use crate::kind::Kind;
use crate::model::command::{self, Request};
use crate::model::log::{LogSource, NoteLevel};
use crate::model::msg::{Action, Connection, Effect, Key, Msg};
use crate::model::state::{Confirm, Mode, Model, Pane, StatusLine};
use crate::model::status::{PodHealth, pod_health};
use crate::model::store::Sync;
use crate::model::summary::ObjRef;

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
        Msg::Applied(obj) => model.store.apply(obj),
        Msg::Deleted(obj) => model.store.delete(&obj),
        Msg::Resynced(kind, objs) => model.store.resync(kind, objs),
        Msg::WatchLost(kind) => model.store.set_sync(kind, Sync::Lost),
        Msg::Forbidden(kind) => {
            model.store.set_sync(kind, Sync::Forbidden);
            let text = format!("forbidden to list {kind} objects: their cells show ⊘");
            model.log.note(NoteLevel::Error, text);
        }
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
    }
    Vec::new()
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
        Key::Char('/') => model.mode = Mode::Filter(Input::new(model.grid.filter().to_string())),
        Key::Char(':') => model.mode = Mode::Command(Input::default()),
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

/// Refuses in read-only sessions, asks before destroying, else hands the action out.
fn request(model: &mut Model, action: Action) -> Vec<Effect> {
    if model.header.readonly {
        set_status(
            model,
            NoteLevel::Error,
            format!("read-only session: '{action}' refused"),
        );
        return Vec::new();
    }
    if matches!(action, Action::Delete { .. } | Action::Kill { .. }) {
        let typed = action.destroys_data().then(Input::default);
        model.mode = Mode::Confirm(Confirm { action, typed });
        return Vec::new();
    }
    act(model, action)
}

fn act(model: &mut Model, action: Action) -> Vec<Effect> {
    set_status(model, NoteLevel::Info, format!("requested: {action}"));
    vec![Effect::Act(action)]
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

/// Edits a tui-input line with the keys every input understands; false for other keys.
fn edit(input: &mut Input, key: Key) -> bool {
    let request = match key {
        Key::Char(c) => InputRequest::InsertChar(c),
        Key::Backspace => InputRequest::DeletePrevChar,
        Key::Delete => InputRequest::DeleteNextChar,
        Key::Left => InputRequest::GoToPrevChar,
        Key::Right => InputRequest::GoToNextChar,
        Key::Home | Key::Ctrl('a') => InputRequest::GoToStart,
        Key::End | Key::Ctrl('e') => InputRequest::GoToEnd,
        Key::Ctrl('u') => InputRequest::DeleteLine,
        Key::Ctrl('w') => InputRequest::DeletePrevWord,
        _ => return false,
    };
    input.handle(request);
    true
}

fn filter_key(model: &mut Model, mut input: Input, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => model.grid.set_filter(""),
        Key::Enter => {}
        _ => {
            if edit(&mut input, key) {
                model.grid.set_filter(input.value());
            }
            model.mode = Mode::Filter(input);
        }
    }
    Vec::new()
}

fn command_key(model: &mut Model, mut input: Input, key: Key) -> Vec<Effect> {
    match key {
        Key::Esc => Vec::new(),
        Key::Enter => match command::parse(input.value(), model.grid.rows()) {
            Ok(Request::Act(action)) => request(model, action),
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
            edit(&mut input, key);
            model.mode = Mode::Command(input);
            Vec::new()
        }
    }
}

fn confirm_key(model: &mut Model, mut confirm: Confirm, key: Key) -> Vec<Effect> {
    let expected = confirm.expected();
    match (&mut confirm.typed, key) {
        (_, Key::Esc) | (None, Key::Char('n' | 'N')) => {
            set_status(model, NoteLevel::Info, "cancelled".to_string());
            return Vec::new();
        }
        (None, Key::Char('y' | 'Y')) => return act(model, confirm.action),
        (Some(input), Key::Enter) if input.value() == expected => {
            return act(model, confirm.action);
        }
        (Some(_), Key::Enter) => {
            set_status(
                model,
                NoteLevel::Error,
                format!("type '{expected}' exactly to confirm"),
            );
        }
        (Some(input), key) => {
            edit(input, key);
        }
        (None, _) => {}
    }
    model.mode = Mode::Confirm(confirm);
    Vec::new()
}
