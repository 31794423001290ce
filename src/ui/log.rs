//! The log pane: the selected service's events (or all), or the followed pod's lines,
//! newest at the bottom.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Widget};

use super::{put, put_n, theme};
use crate::model::Model;
use crate::model::Pane;
use crate::model::log::{Entry, LogSource};
use crate::summary::EventSummary;

pub fn draw(buf: &mut Buffer, area: Rect, model: &Model) {
    let log = model.log();
    let scrolled = if log.scroll > 0 {
        format!(" ↑{}", log.scroll)
    } else {
        String::new()
    };
    let title = match &log.source {
        // kolla-dash's own notes (actions, deploy steps, incidents) show under every filter.
        LogSource::Events if log.show_all => format!(" events: all · notes{scrolled} "),
        LogSource::Events => {
            let service = model.grid().selected_service().unwrap_or("none");
            format!(" events: {service} · notes: all (a: all events){scrolled} ")
        }
        LogSource::Pod { name, ended: None } => format!(" logs: {name}{scrolled} "),
        LogSource::Pod {
            name,
            ended: Some(why),
        } => format!(" logs: {name} ({why}){scrolled} "),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::border(model.focus() == Pane::Log))
        .title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    let height = usize::from(inner.height);
    if height == 0 || inner.width == 0 {
        return;
    }
    match &log.source {
        LogSource::Pod { .. } => {
            let lines = log.pod_lines.iter().rev().skip(log.scroll).take(height);
            let count = lines.len();
            for (i, line) in lines.enumerate() {
                put(
                    buf,
                    inner,
                    inner.x,
                    bottom_up(inner, count, i),
                    line,
                    Style::new(),
                );
            }
        }
        LogSource::Events => {
            let entries: Vec<&Entry> = log
                .entries
                .iter()
                .rev()
                .filter(|e| model.shows(e))
                .skip(log.scroll)
                .take(height)
                .collect();
            if entries.is_empty() && log.scroll == 0 {
                let text = if log.show_all {
                    "no events yet"
                } else {
                    "no events for this service yet (a: all services)"
                };
                put(buf, inner, inner.x, inner.y, text, theme::dim());
            }
            for (i, entry) in entries.iter().enumerate() {
                let y = bottom_up(inner, entries.len(), i);
                match entry {
                    Entry::Event { event, .. } => event_line(buf, inner, y, event),
                    Entry::Note { time, level, text } => {
                        if *time > 0 {
                            let clock = clock(*time);
                            let at = std::str::from_utf8(&clock).unwrap_or_default();
                            put(buf, inner, inner.x, y, at, theme::dim());
                        }
                        let x = put(
                            buf,
                            inner,
                            inner.x + 9,
                            y,
                            theme::level_symbol(*level),
                            theme::level_style(*level),
                        );
                        put(buf, inner, x + 1, y, text, theme::level_style(*level));
                    }
                }
            }
        }
    }
}

/// The row for the i-th newest of `count` lines, filling the pane from the top.
fn bottom_up(inner: Rect, count: usize, i: usize) -> u16 {
    inner.y + u16::try_from(count - 1 - i).unwrap_or(0)
}

/// `12:03:04 Warning Pod/keystone-x  BackOff  Back-off pulling image`.
fn event_line(buf: &mut Buffer, area: Rect, y: u16, event: &EventSummary) {
    let clock = clock(event.time);
    let mut x = put(
        buf,
        area,
        area.x,
        y,
        std::str::from_utf8(&clock).unwrap_or("??:??:??"),
        theme::dim(),
    );
    let (kind_word, kind_style) = if event.warning {
        ("Warning", theme::warning_style())
    } else {
        ("Normal ", theme::dim())
    };
    x = put(buf, area, x + 1, y, kind_word, kind_style);
    x = put(
        buf,
        area,
        x + 1,
        y,
        event.regarding.kind.as_str(),
        Style::new(),
    );
    x = put(buf, area, x, y, "/", theme::dim());
    x = put_n(buf, area, x, y, &event.regarding.name, 40, Style::new());
    x = put(
        buf,
        area,
        x + 1,
        y,
        &event.reason,
        if event.warning {
            kind_style
        } else {
            theme::title()
        },
    );
    if event.count > 1 {
        x = put(buf, area, x, y, &format!(" ×{}", event.count), theme::dim());
    }
    put(buf, area, x + 1, y, &event.note, Style::new());
}

/// HH:MM:SS (UTC) of a Unix time, without allocating.
pub(super) fn clock(time: i64) -> [u8; 8] {
    let secs = time.rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let digit = |v: i64| b'0' + u8::try_from(v % 10).unwrap_or(0);
    [
        digit(h / 10),
        digit(h),
        b':',
        digit(m / 10),
        digit(m),
        b':',
        digit(s / 10),
        digit(s),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_formats_utc_time_of_day() {
        assert_eq!(&super::clock(1_700_000_175), b"22:16:15");
        assert_eq!(&super::clock(0), b"00:00:00");
    }
}
