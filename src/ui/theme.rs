//! How statuses, kinds and levels look: symbol + word (never colour alone) and styles.
//!
//! One palette, readable on dark and light backgrounds alike: no yellow, white, grey or
//! light colours (unreadable on white), dim text by the terminal's own dim attribute, and
//! every meaning also carried by a symbol and a word, so `NO_COLOR` loses nothing.

use ratatui::style::{Color, Modifier, Style};

/// The palette's roles.
const OK: Color = Color::Green;
const BUSY: Color = Color::Blue;
const BAD: Color = Color::Red;
const ODD: Color = Color::Magenta;
const ACCENT: Color = Color::Blue;

use crate::kind::Kind;
use crate::model::log::NoteLevel;
use crate::model::workflow::CellStep;
use crate::model::{CellStatus, Tally};
use crate::workflow::plan::StepAction;
use crate::workflow::schedule::StepState;

/// What a grid cell shows: symbol, full and short word, counts and a reason.
pub struct CellText<'a> {
    pub symbol: &'static str,
    pub word: &'static str,
    pub short: &'static str,
    pub counts: Option<(u32, u32)>,
    pub reason: &'a str,
}

impl<'a> CellText<'a> {
    pub fn of_status(status: &'a CellStatus) -> Self {
        let (symbol, word, short) = status_words(status);
        let (counts, reason) = match status {
            CellStatus::Ready { count } | CellStatus::Drift { count } => (*count, ""),
            CellStatus::Pending {
                count: Some(count), ..
            } => (Some(*count), ""),
            CellStatus::Pending { reason, .. } | CellStatus::Failed { reason } => {
                (None, reason.as_str())
            }
            _ => (None, ""),
        };
        CellText {
            symbol,
            word,
            short,
            counts,
            reason,
        }
    }

    /// A cell whose objects are still being listed: `so_far` says how many arrived
    /// ("listing 3,500…", see `so_far`); a narrow cell keeps the word.
    pub fn listing(so_far: &'a str) -> Self {
        CellText {
            symbol: "◌",
            word: "listing",
            short: "list",
            counts: None,
            reason: so_far,
        }
    }

    /// A workflow step overlaid on the cell while the workflow runs.
    pub fn of_step(step: &'a CellStep) -> Self {
        let (symbol, word, short) = step_words(step);
        let reason = match &step.state {
            StepState::Waiting(r)
            | StepState::Failed(r)
            | StepState::Blocked(r)
            | StepState::Held(r) => r.as_str(),
            _ => "",
        };
        CellText {
            symbol,
            word,
            short,
            counts: None,
            reason,
        }
    }
}

/// "listing 3,200…": a first list in progress, its count with thousands separated.
pub fn so_far(count: usize) -> String {
    format!("listing {}…", thousands(count))
}

/// "3,200": a count with its thousands separated.
pub fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The symbol, full word and short word of a status.
pub fn status_words(status: &CellStatus) -> (&'static str, &'static str, &'static str) {
    match status {
        CellStatus::Blank => ("", "", ""),
        CellStatus::Unknown => ("?", "unknown", "unk"),
        CellStatus::Forbidden => ("⊘", "forbidden", "forbid"),
        CellStatus::Absent => ("○", "absent", "absent"),
        CellStatus::Pending { .. } => ("…", "pending", "pend"),
        CellStatus::Ready { .. } => ("✓", "ready", "ready"),
        CellStatus::Completed => ("✓", "completed", "done"),
        CellStatus::Failed { .. } => ("✗", "failed", "fail"),
        CellStatus::Terminating => ("⧖", "terminating", "term"),
        CellStatus::Foreign => ("≠", "foreign", "theirs"),
        CellStatus::Drift { .. } => ("Δ", "drift", "drift"),
    }
}

/// The symbol, full word and short word of a workflow step (symbols distinct from statuses).
pub fn step_words(step: &CellStep) -> (&'static str, &'static str, &'static str) {
    match (&step.state, step.action) {
        (StepState::Queued, _) => ("◦", "queued", "queued"),
        (StepState::Acting, StepAction::Create(_)) => ("▸", "creating", "create"),
        (StepState::Acting, StepAction::Delete(_)) => ("▸", "deleting", "delete"),
        (StepState::Waiting(_), _) => ("◷", "waiting", "wait"),
        (StepState::Done, _) => ("●", "done", "done"),
        (StepState::Skipped, _) => ("●", "skipped", "skip"),
        (StepState::Held(_), _) => ("‖", "not applied", "held"),
        (StepState::Failed(_), _) => ("✗", "failed", "fail"),
        (StepState::Blocked(_), _) => ("⊗", "blocked", "block"),
        (StepState::Cancelled, _) => ("×", "cancelled", "cancel"),
    }
}

pub fn step_style(state: &StepState) -> Style {
    let style = Style::new().add_modifier(Modifier::ITALIC);
    match state {
        StepState::Queued | StepState::Cancelled => style.add_modifier(Modifier::DIM),
        StepState::Acting | StepState::Waiting(_) => style.fg(BUSY),
        StepState::Done | StepState::Skipped => style.fg(OK),
        StepState::Failed(_) | StepState::Blocked(_) | StepState::Held(_) => bad(),
    }
}

pub fn status_style(status: &CellStatus) -> Style {
    let style = Style::new();
    match status {
        CellStatus::Blank => style,
        CellStatus::Unknown | CellStatus::Absent => dim(),
        CellStatus::Forbidden | CellStatus::Terminating | CellStatus::Drift { .. } => style.fg(ODD),
        CellStatus::Pending { .. } => style.fg(BUSY),
        CellStatus::Ready { .. } | CellStatus::Completed => style.fg(OK),
        CellStatus::Failed { .. } => bad(),
        CellStatus::Foreign => bad(),
    }
}

/// The node count as words and style: a number only when it is known.
pub fn node_tally(tally: Tally) -> (String, Style) {
    match tally {
        Tally::Known { ready, total } if ready < total => {
            (format!("{ready}/{total} Ready"), warning_style())
        }
        Tally::Known { ready, total } => (format!("{ready}/{total} Ready"), Style::new()),
        Tally::Listing => ("listing…".to_string(), dim()),
        Tally::Forbidden => (
            "forbidden".to_string(),
            status_style(&CellStatus::Forbidden),
        ),
        Tally::Disconnected => ("unknown (disconnected)".to_string(), warning_style()),
    }
}

/// A column heading that fits `width` columns.
pub fn kind_label(kind: Kind, width: usize) -> &'static str {
    match kind {
        Kind::Configmap if width < 9 => "config",
        Kind::Bootstrap if width < 9 => "boot",
        _ => kind.as_str(),
    }
}

pub fn level_symbol(level: NoteLevel) -> &'static str {
    match level {
        NoteLevel::Info => "·",
        NoteLevel::Progress => "…",
        NoteLevel::Success => "✓",
        NoteLevel::Error => "✗",
    }
}

pub fn level_style(level: NoteLevel) -> Style {
    match level {
        NoteLevel::Info => Style::new(),
        NoteLevel::Progress => Style::new().fg(BUSY),
        NoteLevel::Success => good(),
        NoteLevel::Error => bad(),
    }
}

pub fn warning_style() -> Style {
    Style::new().fg(ODD).add_modifier(Modifier::BOLD)
}

/// Something fine: a connection, a Ready node, a healed service.
pub fn good() -> Style {
    Style::new().fg(OK)
}

/// Something broken.
pub fn bad() -> Style {
    Style::new().fg(BAD).add_modifier(Modifier::BOLD)
}

/// Names to pick out: the context and namespace, keys in hints.
pub fn accent() -> Style {
    Style::new().fg(ACCENT)
}

pub fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn border(focused: bool) -> Style {
    if focused { accent() } else { dim() }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}
