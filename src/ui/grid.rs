//! The grid: services by kind, one status per cell, scrolled to keep the selection in view.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Widget};

use super::theme::CellText;
use super::{put_n, theme};
use crate::kind::Kind;
use crate::model::{CellStatus, Model, Msg, Pane};

/// Where things are inside the grid's box; shared by drawing and hit-testing.
struct Geometry {
    inner: Rect,
    name_width: u16,
    col_width: u16,
    /// First visible row (position in `Grid::visible`).
    offset: usize,
    /// Rows that fit under the column heading.
    shown: usize,
}

fn geometry(area: Rect, model: &Model) -> Geometry {
    let inner = Block::new().borders(Borders::ALL).inner(area);
    let longest = model
        .grid()
        .rows()
        .iter()
        .map(|r| r.service.len())
        .max()
        .unwrap_or(0);
    let longest = u16::try_from(longest).unwrap_or(u16::MAX).saturating_add(1);
    let name_width = longest.clamp(4, 16).min(inner.width / 4);
    let col_width = inner.width.saturating_sub(name_width) / Kind::COUNT as u16;
    let shown = usize::from(inner.height.saturating_sub(1));
    // Stateless scrolling: the selection is the last shown row once it passes the bottom.
    let offset = (model.grid().cursor() + 1).saturating_sub(shown.max(1));
    Geometry {
        inner,
        name_width,
        col_width,
        offset,
        shown,
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, model: &Model) {
    let grid = model.grid();
    let mut title = String::from(" services ");
    if !grid.filter().is_empty() {
        title = format!(
            " services /{} ({} of {}) ",
            grid.filter(),
            grid.visible().len(),
            grid.rows().len()
        );
    }
    // Stale cells are dimmed, and the title says so in words.
    if let Some(age) = model.stale_for() {
        title.push_str(&format!("· stale: last update {age}s ago "));
    } else if model.never_reached() {
        title.push_str("· nothing listed yet ");
    }
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme::border(model.focus() == Pane::Grid))
        .title(title)
        .render(area, buf);
    let g = geometry(area, model);
    if g.inner.is_empty() {
        return;
    }
    let heading_y = g.inner.y;
    for kind in Kind::ALL {
        let x = column_x(&g, kind);
        let label = theme::kind_label(kind, usize::from(g.col_width.saturating_sub(1)));
        put_n(
            buf,
            g.inner,
            x,
            heading_y,
            label,
            g.col_width.saturating_sub(1),
            theme::title(),
        );
    }
    let stale = model.stale_for().is_some();
    let selected_kind = grid.selected_kind();
    for (i, &row) in grid
        .visible()
        .iter()
        .enumerate()
        .skip(g.offset)
        .take(g.shown)
    {
        let y = heading_y + 1 + u16::try_from(i - g.offset).unwrap_or(0);
        let is_selected = grid.selected_row() == Some(row);
        let name_style = if is_selected {
            theme::title()
        } else {
            Style::new()
        };
        let service = &grid.rows()[row].service;
        put_n(
            buf,
            g.inner,
            g.inner.x,
            y,
            service,
            g.name_width.saturating_sub(1),
            name_style,
        );
        for kind in Kind::ALL {
            let status = model.status(row, kind);
            let so_far = (*status == CellStatus::Unknown)
                .then(|| model.store().listing(kind))
                .flatten()
                .map(theme::so_far);
            let (text, mut style) = match (model.running_step(row, kind), &so_far) {
                (Some(step), _) => (CellText::of_step(step), theme::step_style(&step.state)),
                (None, Some(n)) => (CellText::listing(n), theme::status_style(status)),
                (None, None) => (CellText::of_status(status), theme::status_style(status)),
            };
            if stale {
                style = style.patch(theme::dim());
            }
            if is_selected && kind == selected_kind {
                style = style.patch(theme::selected());
            }
            let width = g.col_width.saturating_sub(1);
            cell(buf, g.inner, column_x(&g, kind), y, width, &text, style);
        }
    }
}

fn column_x(g: &Geometry, kind: Kind) -> u16 {
    let index = u16::try_from(kind.index()).unwrap_or(0);
    g.inner.x + g.name_width + index * g.col_width
}

/// Paints one cell in `width` columns: "✓ ready 3/3" (the word, then the counts) when it
/// fits, else "✓ 3/3"; a reason stands instead of the word ("… running", "✗ Released"),
/// as "pending running" would read as nonsense; else the word, else a short word.
fn cell(buf: &mut Buffer, area: Rect, x: u16, y: u16, width: u16, text: &CellText, style: Style) {
    if width == 0 || text.symbol.is_empty() {
        // Keep the selection visible on a blank cell.
        if width > 0 && style.add_modifier.contains(Modifier::REVERSED) {
            put_n(buf, area, x, y, " ", 1, style);
        }
        return;
    }
    let counts = text
        .counts
        .map(|(ready, total)| format!("{ready}/{total}"))
        .unwrap_or_default();
    let (word, short) = (text.word, text.short);
    let room = usize::from(width).saturating_sub(2);
    let fits = |text: &str| text.chars().count() <= room;
    let end = x.saturating_add(width);
    let mut at = put_n(buf, area, x, y, text.symbol, width, style);
    at = put_n(buf, area, at, y, " ", end.saturating_sub(at), style);
    let first = if !counts.is_empty() {
        if word.len() + 1 + counts.len() <= room {
            at = put_n(buf, area, at, y, word, end.saturating_sub(at), style);
            at = put_n(buf, area, at, y, " ", end.saturating_sub(at), style);
        }
        counts.as_str()
    } else if !text.reason.is_empty() && fits(text.reason) {
        text.reason
    } else if fits(word) {
        word
    } else {
        short
    };
    put_n(buf, area, at, y, first, end.saturating_sub(at), style);
}

pub fn hit(area: Rect, model: &Model, x: u16, y: u16) -> Option<Msg> {
    let g = geometry(area, model);
    let first_row_y = g.inner.y.checked_add(1)?;
    if y < first_row_y || y >= g.inner.bottom() || x < g.inner.x || x >= g.inner.right() {
        return None;
    }
    let position = g.offset + usize::from(y - first_row_y);
    let row = *model.grid().visible().get(position)?;
    let kind = match (x - g.inner.x).checked_sub(g.name_width) {
        // A click on the service name keeps the column.
        None => model.grid().selected_kind(),
        Some(dx) if g.col_width > 0 => *Kind::ALL.get(usize::from(dx / g.col_width))?,
        Some(_) => return None,
    };
    Some(Msg::Select { row, kind })
}
