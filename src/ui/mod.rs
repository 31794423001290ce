//! Drawing: `draw(frame, &Model)` paints the whole screen from the model (read-only), and
//! `hit_test` maps a mouse click back to a message. Only ratatui here.

mod chrome;
mod grid;
mod log;
mod overlay;
mod panels;
pub mod theme;

#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;

use crate::model::{Model, Msg, TextInput};

/// Takes every colour out of a drawn frame (`NO_COLOR`): symbols, words and attributes
/// (bold, reversed selection, dim) carry every meaning on their own.
pub fn uncolor(buf: &mut Buffer) {
    for cell in &mut buf.content {
        cell.set_fg(ratatui::style::Color::Reset);
        cell.set_bg(ratatui::style::Color::Reset);
    }
}

/// The model's text input as tui-input sees it, for display widths and scrolling.
fn display_input(input: &TextInput) -> tui_input::Input {
    tui_input::Input::new(input.value().to_string()).with_cursor(input.cursor())
}

/// The screen's horizontal bands.
struct Regions {
    header: Rect,
    /// Under the header while evictions are held back; empty otherwise.
    banner: Rect,
    grid: Rect,
    log: Rect,
    status: Rect,
    footer: Rect,
}

/// Splits the screen: the grid takes what its rows need (leaving the log pane some room),
/// the log pane the rest.
fn regions(area: Rect, model: &Model) -> Regions {
    let banner = chrome::banner_height(model, area.width);
    let body = area.height.saturating_sub(3 + banner);
    // Rows plus the two borders and the column heading.
    let wanted = u16::try_from(model.grid().visible().len())
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let grid_height = wanted.min(body.saturating_sub(5).max(body / 2));
    let [header, banner, grid, log, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner),
        Constraint::Length(grid_height),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Regions {
        header,
        banner,
        grid,
        log,
        status,
        footer,
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, model: &Model) {
    let area = frame.area();
    let r = regions(area, model);
    let buf = frame.buffer_mut();
    chrome::header(buf, r.header, model);
    chrome::banner(buf, r.banner, model);
    grid::draw(buf, r.grid, model);
    log::draw(buf, r.log, model);
    chrome::footer(buf, r.footer, model);
    let cursor = chrome::status(buf, r.status, model);
    let cursor = overlay::draw(buf, area, model).or(cursor);
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

/// The message a left click at (x, y) means, for a screen of `area` showing `model`.
pub fn hit_test(area: Rect, model: &Model, x: u16, y: u16) -> Option<Msg> {
    grid::hit(regions(area, model).grid, model, x, y)
}

/// Writes `text` at (x, y), clipped to `area`; returns the column after it.
fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, text: &str, style: Style) -> u16 {
    if y < area.top() || y >= area.bottom() || x < area.left() || x >= area.right() {
        return x;
    }
    buf.set_stringn(x, y, text, usize::from(area.right() - x), style)
        .0
}

/// Writes `text` within `width` columns from x (also clipped to `area`).
fn put_n(
    buf: &mut Buffer,
    area: Rect,
    x: u16,
    y: u16,
    text: &str,
    width: u16,
    style: Style,
) -> u16 {
    let end = x.saturating_add(width).min(area.right());
    let clip = Rect {
        x: area.x,
        y: area.y,
        width: end.saturating_sub(area.x),
        height: area.height,
    };
    put(buf, clip, x, y, text, style)
}
