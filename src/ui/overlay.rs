//! Windows drawn over the screen: help, the cell detail view, confirmation dialogs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::{panels, theme};
use crate::kind::Kind;
use crate::model::keymap;
use crate::model::workflow::{describe, step_label};
use crate::model::{Action, Confirm, Mode, Model, NodeOp, Subject};
use crate::status::object_status;
use crate::summary::{JobState, ObjState, ObjectSummary, Reason};

/// Draws the overlay of the current mode; returns where the cursor goes.
pub fn draw(buf: &mut Buffer, area: Rect, model: &Model) -> Option<Position> {
    match model.mode() {
        Mode::Help => help(buf, area, model),
        Mode::Detail { row, kind } => detail(buf, area, model, *row, *kind),
        Mode::Confirm(confirm) => return dialog(buf, area, model, confirm),
        Mode::Nodes => panels::nodes(buf, area, model),
        Mode::Incidents => panels::incidents(buf, area, model),
        Mode::Normal | Mode::Filter(_) | Mode::Command(_) => {}
    }
    None
}

/// A bordered window centered in `area`, cleared; returns its inside.
/// A window over nearly the whole screen (a margin of two columns and one row).
pub(super) fn large_window(buf: &mut Buffer, area: Rect, title: String) -> Rect {
    let (width, height) = (area.width.saturating_sub(4), area.height.saturating_sub(2));
    // The side margins are blank: letters of the screen below peeking through them read as
    // garbage. The header and footer rows above and below stay.
    let band = area.centered_vertically(Constraint::Length(height.min(area.height)));
    Clear.render(band, buf);
    window(buf, area, width, height, title)
}

pub(super) fn window(buf: &mut Buffer, area: Rect, width: u16, height: u16, title: String) -> Rect {
    let rect = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    Clear.render(rect, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::border(true))
        .title(title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

fn help(buf: &mut Buffer, area: Rect, model: &Model) {
    let readonly = model.header().readonly;
    let lines: Vec<Line> = keymap::help()
        .into_iter()
        .map(|line| {
            let off = line.mutates && readonly;
            let what_style = if off { theme::dim() } else { Style::new() };
            let mut spans = vec![
                Span::styled(format!("{:>10}  ", line.keys), theme::title()),
                Span::styled(line.description, what_style),
            ];
            if off {
                spans.push(Span::styled(" (off)", theme::dim()));
            }
            Line::from(spans)
        })
        .collect();
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let inner = window(buf, area, 96, height, " keys (Esc closes) ".to_string());
    Paragraph::new(lines).render(inner, buf);
}

fn detail(buf: &mut Buffer, area: Rect, model: &Model, row: usize, kind: Kind) {
    let Some(service) = model.grid().rows().get(row).map(|r| r.service.as_str()) else {
        return;
    };
    let status = model.status(row, kind);
    let (symbol, word, _) = theme::status_words(status);
    let mut lines = Vec::new();
    if let Some(why) = model.why_not_ready(row, kind) {
        lines.push(Line::from(vec![
            Span::styled("why: ", theme::title()),
            Span::raw(why),
        ]));
    }
    if let Some(workflow) = model.workflow()
        && let Some(step) = workflow.step(row, kind)
    {
        let when = if workflow.running { "" } else { " (finished)" };
        lines.push(Line::from(vec![
            Span::styled(format!("{}{when}: ", workflow.what), theme::title()),
            Span::styled(
                format!(
                    "{}: {}",
                    step_label(service, step.action),
                    describe(&step.state)
                ),
                theme::step_style(&step.state),
            ),
        ]));
    }
    let problems = model.store().problems(row, kind);
    if problems.len() > 1 && !status.is_ok() {
        lines.push(Line::styled(
            format!("problems ({})", problems.len()),
            theme::title(),
        ));
        for p in &problems {
            lines.push(Line::from(vec![
                Span::styled("  ✗ ", theme::warning_style()),
                Span::raw(p.sentence()),
            ]));
        }
    }
    let objects = model.cell_objects(row, kind);
    lines.push(Line::styled(
        format!("objects ({})", objects.len()),
        theme::title(),
    ));
    for obj in &objects {
        let st = object_status(obj);
        let (sym, w, _) = theme::status_words(&st);
        lines.push(Line::from(vec![
            Span::styled(format!("  {sym} {w:<11} "), theme::status_style(&st)),
            Span::raw(format!("{}/{}", obj.obj.kind, obj.obj.name)),
            Span::styled(format!("  {}", facts(obj)), theme::dim()),
        ]));
        lines.extend(containers(obj, model.now()));
    }
    let warnings = model.store().warnings_of(&objects);
    if !warnings.is_empty() {
        lines.push(Line::styled("warnings (latest per object)", theme::title()));
        for e in warnings {
            lines.push(Line::from(vec![
                Span::styled("  Warning ", theme::warning_style()),
                Span::raw(format!(
                    "{}/{} {}: {}",
                    e.regarding.kind, e.regarding.name, e.reason, e.note
                )),
            ]));
        }
    }
    let events = model.cell_events(row, kind, 8);
    lines.push(Line::styled("last events", theme::title()));
    if events.is_empty() {
        lines.push(Line::styled("  none", theme::dim()));
    }
    for e in events {
        let style = if e.warning {
            theme::warning_style()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", if e.warning { "Warning" } else { "Normal " }),
                style,
            ),
            Span::raw(format!(
                "{}/{} {}: {}",
                e.regarding.kind, e.regarding.name, e.reason, e.note
            )),
        ]));
    }
    let title = format!(" {service} / {kind}: {symbol} {word} (Esc closes) ");
    let inner = large_window(buf, area, title);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

/// A pod's containers that restarted or ended: how each last ended, and when.
fn containers(obj: &ObjectSummary, now: i64) -> Vec<Line<'static>> {
    let ObjState::Pod { detail, .. } = &obj.state else {
        return Vec::new();
    };
    detail
        .containers
        .iter()
        .filter_map(|c| {
            let exit = c.last_exit.as_ref()?;
            let ago = if exit.at > 0 && now >= exit.at {
                format!(" {} s ago", (now - exit.at).max(0))
            } else {
                String::new()
            };
            Some(Line::styled(
                format!(
                    "      container {}: last exit {} {}{ago}, {} restarts",
                    c.name, exit.code, exit.reason, c.restarts
                ),
                theme::dim(),
            ))
        })
        .collect()
}

/// The conditions-ish facts of one object, one line.
fn facts(obj: &ObjectSummary) -> String {
    match &obj.state {
        ObjState::Present => String::new(),
        ObjState::Pv { phase, claim } => {
            format!("{phase:?}, claim {}", claim.as_deref().unwrap_or("-"))
        }
        ObjState::Pvc { phase, volume } => {
            format!("{phase:?}, volume {}", volume.as_deref().unwrap_or("-"))
        }
        ObjState::Service { cluster_ip } => {
            format!("cluster IP {}", cluster_ip.as_deref().unwrap_or("none yet"))
        }
        ObjState::Endpoints {
            service,
            ready,
            total,
        } => format!("{ready}/{total} endpoints ready for {service}"),
        ObjState::Job {
            state,
            active,
            succeeded,
            failed,
        } => {
            let state = match state {
                JobState::Running => "Running",
                JobState::Complete => "Complete",
                JobState::Failed { reason, .. } => reason.as_str(),
            };
            format!("{state}; pods active {active}, succeeded {succeeded}, failed {failed}")
        }
        ObjState::Workload {
            desired,
            ready,
            updated,
            problems,
        } => format!(
            "replicas: {desired} desired, {ready} ready, {updated} updated{}",
            conditions(problems)
        ),
        ObjState::ReplicaSet {
            desired,
            ready,
            problems,
        } => format!(
            "replicas: {desired} desired, {ready} ready{}",
            conditions(problems)
        ),
        ObjState::Pod {
            phase,
            ready,
            node,
            owner,
            detail,
        } => format!(
            "{phase:?}{}, node {}, restarts {}{}{}",
            if *ready { " ready" } else { "" },
            node.as_deref().unwrap_or("none"),
            detail.restarts(),
            detail
                .waiting()
                .or(detail.end_reason())
                .map(|r| format!(", {r}"))
                .unwrap_or_default(),
            owner
                .as_ref()
                .map(|o| format!(", owned by {}/{}", o.kind, o.name))
                .unwrap_or_default(),
        ),
        ObjState::Node(n) => format!("{:?}", n.ready),
    }
}

/// A controller's failing conditions, appended to its line.
fn conditions(problems: &[Reason]) -> String {
    problems
        .iter()
        .map(|p| format!("; {}: {}", p.reason, p.message))
        .collect()
}

fn dialog(buf: &mut Buffer, area: Rect, model: &Model, confirm: &Confirm) -> Option<Position> {
    let question = match &confirm.subject {
        Subject::CancelWorkflow => {
            let what = model.workflow().map_or("the workflow", |w| w.what.as_str());
            format!("Cancel '{what}'? Steps under way stop; what exists stays.")
        }
        Subject::Act(action) => question(action),
    };
    let mut lines = vec![Line::styled(question, theme::title())];
    // Against a silent API server the action would only queue up: say so before the yes.
    let silent = model.silent_for().map(|age| {
        Line::styled(
            format!(
                "The API server has not answered for {age} s: this waits for it, up to the \
                 request timeout."
            ),
            theme::warning_style(),
        )
    });
    let extra = u16::from(silent.is_some()) * 2;
    lines.extend(silent);
    let Some(typed) = &confirm.typed else {
        lines.push(Line::raw("y: yes   n or Esc: no"));
        let inner = window(buf, area, 64, 5 + extra, " confirm ".to_string());
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .render(inner, buf);
        return None;
    };
    lines.push(Line::styled(
        "This deletes data (disk, pv, pvc): it cannot be undone.",
        theme::warning_style(),
    ));
    lines.push(Line::raw(format!(
        "Type {} and press Enter (Esc cancels):",
        typed.expected
    )));
    lines.push(Line::raw(format!("> {}", typed.input.value())));
    let inner = window(buf, area, 64, 6 + extra, " confirm data loss ".to_string());
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
    let x = inner.x.saturating_add(2).saturating_add(
        u16::try_from(super::display_input(&typed.input).visual_cursor()).unwrap_or(u16::MAX),
    );
    let y = inner.y.saturating_add(3 + extra);
    (y < inner.bottom() && x < inner.right()).then_some(Position::new(x, y))
}

/// The dialog's question for an action.
fn question(action: &Action) -> String {
    let all = |services: &[String]| {
        if services.is_empty() {
            "every service".to_string()
        } else {
            services.join(", ")
        }
    };
    match action {
        Action::Create { service, kind } => format!("Create {service}'s {kind}?"),
        Action::Bootstrap { services } => format!("Bootstrap {}?", services.join(", ")),
        Action::Run { services } => format!("Run {}?", services.join(", ")),
        Action::Delete { service, kind, .. } => format!("Delete {service}'s {kind}?"),
        Action::Kill {
            services,
            delete_data: false,
        } => format!(
            "Kill {}: delete its resources, keeping disk, pv and pvc?",
            services.join(", ")
        ),
        Action::Kill {
            services,
            delete_data: true,
        } => format!(
            "Kill {}: delete every resource, data included?",
            services.join(", ")
        ),
        Action::Deploy { services } => {
            format!(
                "Deploy {} (and what it needs) in dependency order?",
                all(services)
            )
        }
        Action::Teardown {
            services,
            delete_data: false,
        } => format!("Tear down {}, keeping disk, pv and pvc?", all(services)),
        Action::Teardown {
            services,
            delete_data: true,
        } => format!("Tear down {}, data included?", all(services)),
        Action::Node { node, op } => match op {
            NodeOp::Cordon => format!("Cordon {node}: no new pods are scheduled on it?"),
            NodeOp::Uncordon => format!("Uncordon {node}: pods may be scheduled on it again?"),
            NodeOp::Drain => format!(
                "Drain {node}: cordon it and evict its pods (respecting disruption budgets)?"
            ),
            NodeOp::Fail => format!("Fail {node}: make it NotReady and watch the cluster heal?"),
            NodeOp::Restore => format!("Restore {node}: make it Ready again?"),
        },
        Action::EveryNode { op: NodeOp::Fail } => {
            "Fail every node: make them all NotReady (Kubernetes then pauses evictions)?"
                .to_string()
        }
        Action::EveryNode {
            op: NodeOp::Restore,
        } => "Restore every failed node: make them all Ready again?".to_string(),
        other => format!("{other}?"),
    }
}
