//! The screen's edges: the header (where, connection, nodes), the status/input line, and
//! the footer's key hints.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;

use super::panels::wrap;
use super::{put, theme};
use crate::model::disruption::Evictions;
use crate::model::{Connection, Mode, Model, Tally, keymap};

pub fn header(buf: &mut Buffer, area: Rect, model: &Model) {
    let h = model.header();
    let y = area.y;
    let mut x = put(buf, area, area.x, y, "kolla-dash ", theme::title());
    x = put(buf, area, x, y, h.context.as_str(), theme::accent());
    x = put(buf, area, x, y, "/", theme::dim());
    x = put(buf, area, x, y, h.namespace.as_str(), theme::accent());
    x = put(buf, area, x, y, "  ", Style::new());
    x = match model.connection() {
        Connection::Connecting => put(
            buf,
            area,
            x,
            y,
            "◌ connecting…",
            theme::level_style(crate::model::log::NoteLevel::Progress),
        ),
        Connection::Connected => put(buf, area, x, y, "● connected", theme::good()),
        _ if model.never_reached() => {
            let text = "⚠ cannot reach the API server (nothing heard from it yet)";
            put(buf, area, x, y, text, theme::warning_style())
        }
        Connection::Lost { .. } => {
            let age = model.stale_for().unwrap_or(0);
            let text = format!("⚠ reconnecting, last update {age}s ago");
            put(buf, area, x, y, &text, theme::warning_style())
        }
        Connection::Silent { .. } => {
            let age = model.silent_for().unwrap_or(0);
            let text = format!("⚠ not responding for {age} s");
            put(buf, area, x, y, &text, theme::warning_style())
        }
    };
    let tally = model.node_tally();
    let (words, style) = theme::node_tally(tally);
    let nodes = match tally {
        Tally::Known { .. } => format!("  nodes {words}"),
        _ => format!("  nodes: {words}"),
    };
    x = put(buf, area, x, y, &nodes, style);
    let open = model
        .incidents()
        .incidents()
        .iter()
        .filter(|i| i.is_open())
        .count();
    if open > 0 {
        let plural = if open == 1 { "" } else { "s" };
        let text = format!("  ⚠ {open} open incident{plural} (I)");
        x = put(buf, area, x, y, &text, theme::warning_style());
    }
    if h.readonly {
        put(buf, area, x, y, "  [read-only]", theme::warning_style());
    }
}

/// The lines under the header while Kubernetes holds evictions back (many nodes down):
/// why nothing moves. None otherwise.
fn banner_text(model: &Model) -> Option<String> {
    let evictions = model.evictions();
    (evictions != Evictions::Normal).then(|| format!("⚠ {evictions}"))
}

/// How many lines the banner takes at `width` columns (wrapped, at most three).
pub fn banner_height(model: &Model, width: u16) -> u16 {
    banner_text(model).map_or(0, |text| {
        let lines = wrap(&text, usize::from(width)).len();
        u16::try_from(lines).unwrap_or(u16::MAX).min(3)
    })
}

pub fn banner(buf: &mut Buffer, area: Rect, model: &Model) {
    let Some(text) = banner_text(model) else {
        return;
    };
    for (y, line) in (area.y..area.bottom()).zip(wrap(&text, usize::from(area.width))) {
        put(buf, area, area.x, y, &line, theme::warning_style());
    }
}

/// The status line, or the filter/command input; returns where the cursor goes.
pub fn status(buf: &mut Buffer, area: Rect, model: &Model) -> Option<Position> {
    let y = area.y;
    let (prompt, input) = match model.mode() {
        Mode::Filter(input) => ("/", input),
        Mode::Command(input) => (":", input),
        _ => {
            if let Some(line) = model.status_line() {
                let x = put(
                    buf,
                    area,
                    area.x,
                    y,
                    theme::level_symbol(line.level),
                    theme::level_style(line.level),
                );
                put(
                    buf,
                    area,
                    x + 1,
                    y,
                    &line.text,
                    theme::level_style(line.level),
                );
            } else if !model.in_flight().is_empty() {
                put(
                    buf,
                    area,
                    area.x,
                    y,
                    "… actions under way",
                    theme::level_style(crate::model::log::NoteLevel::Progress),
                );
            }
            return None;
        }
    };
    let x = put(buf, area, area.x, y, prompt, theme::title());
    let width = usize::from(area.right().saturating_sub(x).saturating_sub(1));
    let input = super::display_input(input);
    let scroll = input.visual_scroll(width);
    let visible: String = input.value().chars().skip(scroll).collect();
    put(buf, area, x, y, &visible, Style::new());
    let cursor_x =
        x.saturating_add(u16::try_from(input.visual_cursor().saturating_sub(scroll)).unwrap_or(0));
    (area.height > 0 && cursor_x < area.right()).then_some(Position::new(cursor_x, y))
}

/// Key hints for the current mode; action keys are hidden in read-only sessions.
pub fn footer(buf: &mut Buffer, area: Rect, model: &Model) {
    use keymap::FooterContext as F;
    let context = match model.mode() {
        Mode::Normal if model.workflow_running() && !model.header().readonly => F::Workflow,
        Mode::Normal => F::Normal,
        Mode::Filter(_) => F::Filter,
        Mode::Command(_) => F::Command,
        Mode::Confirm(c) if c.typed.is_some() => F::TypedConfirm,
        Mode::Confirm(_) => F::Confirm,
        Mode::Nodes => F::Nodes,
        Mode::Incidents => F::Incidents,
        Mode::Help => F::Help,
        Mode::Detail { .. } | Mode::Diff { .. } => F::Detail,
        Mode::Picker(_) => F::Picker,
    };
    let hints = keymap::footer(context, model.header().readonly, model.local_cluster());
    let y = area.y;
    let mut x = area.x;
    for (key, what) in &hints {
        let needs = key.chars().count() + 1 + what.chars().count();
        if usize::from(x) + needs > usize::from(area.right()) {
            continue;
        }
        x = put(buf, area, x, y, key, theme::accent());
        x = put(buf, area, x + 1, y, what, theme::dim());
        x = x.saturating_add(2);
    }
}
