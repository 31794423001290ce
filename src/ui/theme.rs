//! How statuses, kinds and levels look: symbol + word (never colour alone) and styles.

use ratatui::style::{Color, Modifier, Style};

use crate::kind::Kind;
use crate::model::CellStatus;
use crate::model::log::NoteLevel;

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
    }
}

pub fn status_style(status: &CellStatus) -> Style {
    let style = Style::new();
    match status {
        CellStatus::Blank => style,
        CellStatus::Unknown => style.fg(Color::Gray),
        CellStatus::Forbidden => style.fg(Color::Magenta),
        CellStatus::Absent => style.fg(Color::DarkGray),
        CellStatus::Pending { .. } => style.fg(Color::Yellow),
        CellStatus::Ready { .. } => style.fg(Color::Green),
        CellStatus::Completed => style.fg(Color::Cyan),
        CellStatus::Failed { .. } => style.fg(Color::Red).add_modifier(Modifier::BOLD),
        CellStatus::Terminating => style.fg(Color::LightMagenta),
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
        NoteLevel::Progress => Style::new().fg(Color::Yellow),
        NoteLevel::Success => Style::new().fg(Color::Green),
        NoteLevel::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

pub fn warning_style() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan)
    } else {
        dim()
    }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}
