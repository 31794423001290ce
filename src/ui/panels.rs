//! Panels over the grid: the nodes view (state, taints, cordon, the catalog's pods on
//! each), the incidents view (timelines and time-to-heal), the context/namespace picker.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::overlay::{large_window, window};
use super::theme;
use crate::model::CellStatus;
use crate::model::incident::{Incident, seconds};
use crate::model::log::NoteLevel;
use crate::model::store::Sync;
use crate::model::switch::{self, Pick, Picker};
use crate::model::{Model, Tally};
use crate::status::{forbidden_note, object_status};
use crate::summary::{NodeReady, NodeSummary, ObjKind, ObjectSummary};

/// The context or namespace picker: kolla-dash's namespaces marked, the current one said.
pub fn picker(buf: &mut Buffer, area: Rect, model: &Model, picker: &Picker) {
    let (plural, verb) = match picker.pick {
        Pick::Context => ("contexts", "ctx"),
        Pick::Namespace => ("namespaces", "ns"),
    };
    let here = switch::current(model, picker.pick);
    let mut lines = Vec::new();
    match &picker.choices {
        None => lines.push(Line::styled(format!("listing {plural}…"), theme::dim())),
        Some(Err(why)) => {
            lines.push(Line::styled(
                why.clone(),
                theme::level_style(NoteLevel::Error),
            ));
            lines.push(Line::styled(
                format!(":{verb} NAME switches to one by name"),
                theme::dim(),
            ));
        }
        Some(Ok(choices)) if choices.is_empty() => {
            lines.push(Line::styled(format!("no {plural} listed"), theme::dim()));
        }
        Some(Ok(choices)) => {
            let width = choices
                .iter()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0);
            for (i, choice) in choices.iter().enumerate() {
                let selected = i == picker.cursor;
                let name_style = if selected {
                    theme::title().patch(theme::selected())
                } else {
                    theme::title()
                };
                let mut spans = vec![
                    Span::raw(if selected { "▸ " } else { "  " }),
                    Span::styled(format!("{:<width$}", choice.name), name_style),
                ];
                if choice.kolla {
                    spans.push(Span::styled("  kolla-dash's", theme::accent()));
                }
                if choice.name == here {
                    spans.push(Span::styled("  (current)", theme::dim()));
                }
                lines.push(Line::from(spans));
            }
        }
    }
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .min(area.height.saturating_sub(2));
    let title = format!(" {plural} (Enter switches, Esc closes) ");
    let inner = window(buf, area, 60, height, title);
    // Stateless scrolling: the selected name stays in view.
    let scroll = (picker.cursor + 1).saturating_sub(usize::from(inner.height));
    Paragraph::new(lines)
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
        .render(inner, buf);
}

fn ready_words(ready: NodeReady) -> (&'static str, &'static str, Style) {
    match ready {
        NodeReady::True => ("✓", "Ready", theme::good()),
        NodeReady::False => ("✗", "NotReady", theme::level_style(NoteLevel::Error)),
        NodeReady::Unknown => ("?", "Unknown", theme::warning_style()),
    }
}

/// The nodes view. Each node takes a fixed number of lines (its pods summed up when they
/// do not fit one), so only the nodes on screen are drawn, however many there are.
pub fn nodes(buf: &mut Buffer, area: Rect, model: &Model) {
    let tally = model.node_tally();
    let title = format!(" nodes: {} (Esc closes) ", theme::node_tally(tally).0);
    let inner = large_window(buf, area, title);
    let nodes = model.nodes();
    let width = nodes.keys().map(String::len).max().unwrap_or(4).max(4);
    let mut lines = Vec::new();
    if tally == Tally::Forbidden {
        let note = forbidden_note(ObjKind::Node);
        lines.push(Line::styled(note, theme::level_style(NoteLevel::Error)));
    } else if nodes.is_empty() {
        lines.push(Line::styled("no nodes listed yet", theme::dim()));
    }
    // Without the pod list, "no pods" would be a guess.
    let pods_known = model.store().sync(ObjKind::Pod) == Some(Sync::Synced);
    let cursor = model.node_cursor().min(nodes.len().saturating_sub(1));
    let height = |node: &NodeSummary| if node.taints.is_empty() { 2 } else { 3 };
    // Stateless scrolling: the selected node's lines stay in view.
    let selected_end: usize =
        lines.len() + nodes.values().take(cursor + 1).map(height).sum::<usize>();
    let mut skip = selected_end.saturating_sub(usize::from(inner.height));
    let room = usize::from(inner.width);
    for (i, (name, node)) in nodes.iter().enumerate() {
        if lines.len() >= usize::from(inner.height) {
            break;
        }
        if skip >= height(node) {
            skip -= height(node);
            continue;
        }
        let selected = i == cursor;
        let (symbol, word, style) = ready_words(node.ready);
        let name_style = if selected {
            theme::title().patch(theme::selected())
        } else {
            theme::title()
        };
        let mut node_lines = vec![Line::from(vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::styled(format!("{name:<width$}"), name_style),
            Span::styled(format!("  {symbol} {word:<8}"), style),
            if node.unschedulable {
                Span::styled("  cordoned", theme::warning_style())
            } else {
                Span::styled("  schedulable", theme::dim())
            },
        ])];
        if !node.taints.is_empty() {
            node_lines.push(Line::styled(
                format!("    taints: {}", node.taints.join(", ")),
                theme::dim(),
            ));
        }
        node_lines.push(if pods_known {
            pods_line(model.pods_on(name), room)
        } else {
            Line::from(vec![
                Span::styled("    pods: ", theme::dim()),
                Span::styled("unknown (not listed)", theme::dim()),
            ])
        });
        lines.extend(node_lines.into_iter().skip(skip));
        skip = 0;
    }
    Paragraph::new(lines).render(inner, buf);
}

/// A node's pods in one line of `room` columns: each with its status while they all fit;
/// else how many there are, ready and completed, then the others by name, as many as fit.
fn pods_line<'a>(pods: impl Iterator<Item = &'a ObjectSummary>, room: usize) -> Line<'static> {
    let lead = Span::styled("    pods: ", theme::dim());
    let pods: Vec<(&str, CellStatus)> = pods
        .map(|p| (p.obj.name.as_str(), object_status(p)))
        .collect();
    if pods.is_empty() {
        return Line::from(vec![lead, Span::styled("none of kolla's", theme::dim())]);
    }
    let every = pod_spans(&pods);
    if width(&every) + lead.width() <= room {
        return Line::from([vec![lead], every].concat());
    }
    let ready = pods
        .iter()
        .filter(|(_, s)| matches!(s, CellStatus::Ready { .. }))
        .count();
    // A finished Job pod is done, not in trouble: counted, not named.
    let completed = pods
        .iter()
        .filter(|(_, s)| *s == CellStatus::Completed)
        .count();
    let others: Vec<(&str, CellStatus)> = pods
        .iter()
        .filter(|(_, s)| !matches!(s, CellStatus::Ready { .. } | CellStatus::Completed))
        .cloned()
        .collect();
    let parts: Vec<String> = [
        (ready, "ready"),
        (completed, "completed"),
        (others.len(), "not"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{} {word}", theme::thousands(n)))
    .collect();
    let counts = format!("{} ({})", theme::thousands(pods.len()), parts.join(", "));
    let mut line = vec![lead, Span::raw(counts)];
    // The others by name, as many as fit with room left to say how many did not.
    let mut shown = 0;
    while shown < others.len() {
        let next = pod_spans(&others[shown..=shown]);
        let left = others.len() - shown - 1;
        let more = if left > 0 {
            format!(", +{left} more").len()
        } else {
            0
        };
        if width(&line) + 2 + width(&next) + more > room {
            break;
        }
        line.push(Span::styled(
            if shown == 0 { ": " } else { ", " },
            theme::dim(),
        ));
        line.extend(next);
        shown += 1;
    }
    if shown > 0 && shown < others.len() {
        let more = format!(", +{} more", others.len() - shown);
        line.push(Span::styled(more, theme::dim()));
    }
    Line::from(line)
}

fn width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// "name ✓ ready, name ⧖ terminating".
fn pod_spans(pods: &[(&str, CellStatus)]) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, (name, status)) in pods.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(", ", theme::dim()));
        }
        let (sym, word, _) = theme::status_words(status);
        spans.push(Span::raw(name.to_string()));
        spans.push(Span::styled(
            format!(" {sym} {word}"),
            theme::status_style(status),
        ));
    }
    spans
}

pub fn incidents(buf: &mut Buffer, area: Rect, model: &Model) {
    let all = model.incidents().incidents();
    let open = all.iter().filter(|i| i.is_open()).count();
    let title = format!(" incidents: {open} open, {} total (Esc closes) ", all.len());
    let inner = large_window(buf, area, title);
    let mut lines = Vec::new();
    if all.is_empty() {
        lines.push(Line::styled(
            "no incidents: one opens when a node goes NotReady or Unknown",
            theme::dim(),
        ));
    }
    // Newest first.
    for incident in all.iter().rev() {
        incident_lines(incident, model.now_ms(), inner.width, &mut lines);
    }
    let scroll = u16::try_from(model.incident_scroll()).unwrap_or(u16::MAX);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .render(inner, buf);
}

fn incident_lines(incident: &Incident, now_ms: i64, width: u16, lines: &mut Vec<Line<'static>>) {
    let clock = super::log::clock(incident.opened_ms.div_euclid(1000));
    let at = std::str::from_utf8(&clock).unwrap_or("??:??:??");
    let names: Vec<&str> = incident.nodes.keys().map(String::as_str).collect();
    let (what, still) = match names.as_slice() {
        [one] => (format!("node {one}"), "node still down".to_string()),
        many => {
            let down = incident.down().count();
            let still = format!("{down} of {} nodes still down", many.len());
            (format!("nodes {}", many.join(", ")), still)
        }
    };
    // A node that came back while kolla-dash was not running: when it went down is not
    // known.
    let back_unseen = incident.reconstructed && incident.services.is_empty();
    let (state, style) = match incident.closed_ms {
        Some(_) if back_unseen => (
            "reconstructed at start: it was down while kolla-dash was not running and was \
             Ready again at this time"
                .to_string(),
            theme::good(),
        ),
        Some(closed) => (
            format!("closed after {}", seconds(closed - incident.opened_ms)),
            theme::good(),
        ),
        None if incident.down().next().is_some() => (
            format!("open for {}, {still}", seconds(now_ms - incident.opened_ms)),
            theme::warning_style(),
        ),
        None => (
            format!("open for {}", seconds(now_ms - incident.opened_ms)),
            theme::warning_style(),
        ),
    };
    let mut head = vec![
        Span::styled(
            format!("#{} {what} down at {at}  ", incident.id),
            theme::title(),
        ),
        Span::styled(state, style),
    ];
    if incident.reconstructed && !back_unseen {
        head.push(Span::styled(
            "  (reconstructed at start from the nodes' conditions)",
            theme::dim(),
        ));
    }
    lines.push(Line::from(head));
    if let Some(outage) = incident.api_outage {
        lines.push(Line::styled(
            format!("   possibly caused by {outage}"),
            theme::warning_style(),
        ));
    }
    if let Some(mode) = incident.disruption().filter(|_| incident.is_open()) {
        lines.push(Line::styled(format!("   ⚠ {mode}"), theme::warning_style()));
    }
    let clock_note = if incident.heal_from_ms == incident.opened_ms {
        String::new()
    } else {
        let from = seconds(incident.heal_from_ms - incident.opened_ms);
        format!(" (from +{from}, when evictions resumed)")
    };
    let mut heal = vec![Span::styled(
        format!("   time-to-heal{clock_note}: "),
        theme::dim(),
    )];
    if incident.services.is_empty() {
        heal.push(Span::styled("no kolla pods were on the node", theme::dim()));
    }
    for (i, (service, h)) in incident.services.iter().enumerate() {
        if i > 0 {
            heal.push(Span::styled(" · ", theme::dim()));
        }
        match h.healed_after_ms {
            Some(ms) => heal.push(Span::styled(
                format!("{service} ✓ {}", seconds(ms)),
                theme::good(),
            )),
            None => heal.push(Span::styled(
                format!("{service} … not yet (needs {} ready)", h.replicas),
                theme::warning_style(),
            )),
        }
    }
    lines.push(Line::from(heal));
    // Continuation lines hang under the text, past the time column.
    const INDENT: usize = 13;
    let room = usize::from(width).saturating_sub(INDENT).max(16);
    for t in &incident.timeline {
        let offset = format!("+{}", seconds(t.at_ms - incident.opened_ms));
        for (i, part) in wrap(&t.step.to_string(), room).into_iter().enumerate() {
            let time = if i == 0 { offset.as_str() } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{time:>10}   "), theme::dim()),
                Span::raw(part),
            ]));
        }
    }
}

/// Greedy word wrap to `width` columns (a longer word gets a line of its own).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_breaks_between_words() {
        assert_eq!(super::wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(super::wrap("abcdefgh x", 4), ["abcdefgh", "x"]);
        assert_eq!(super::wrap("", 4), [""]);
    }
}
