//! Windows drawn over the screen: help, the cell detail view, confirmation dialogs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::{panels, theme};
use crate::drift::CellDrift;
use crate::kind::Kind;
use crate::model::keymap;
use crate::model::workflow::{describe, step_label};
use crate::model::{Action, Confirm, Consent, Mode, Model, NodeOp, Subject};
use crate::record;
use crate::status::{object_status, rolling};
use crate::summary::{JobState, ObjState, ObjectSummary, Reason};

/// Draws the overlay of the current mode; returns where the cursor goes.
pub fn draw(buf: &mut Buffer, area: Rect, model: &Model) -> Option<Position> {
    match model.mode() {
        Mode::Help => help(buf, area, model),
        Mode::Detail { row, kind } => detail(buf, area, model, *row, *kind),
        Mode::Diff { row, kind } => diff(buf, area, model, *row, *kind),
        Mode::Confirm(confirm) => return dialog(buf, area, model, confirm),
        Mode::Nodes => panels::nodes(buf, area, model),
        Mode::Incidents => panels::incidents(buf, area, model),
        Mode::Picker(picker) => panels::picker(buf, area, model, picker),
        Mode::Normal | Mode::Filter(_) | Mode::Command(_) => {}
    }
    None
}

/// A window over nearly the whole screen (a margin of two columns and one row).
pub(super) fn large_window(buf: &mut Buffer, area: Rect, title: String) -> Rect {
    let (width, height) = (area.width.saturating_sub(4), area.height.saturating_sub(2));
    // The side margins are blank: letters of the screen below peeking through them read as
    // garbage. The header and footer rows above and below stay.
    let band = area.centered_vertically(Constraint::Length(height.min(area.height)));
    Clear.render(band, buf);
    window(buf, area, width, height, title)
}

/// A bordered window centered in `area`, cleared; returns its inside.
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
    if let Some(drift) = model.store().drift(row, kind) {
        lines.push(Line::styled("differs from the config", theme::title()));
        lines.extend(
            diff_text(drift)
                .into_iter()
                .map(|(t, s)| Line::styled(t, s)),
        );
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

/// The diff view: what deploy would change in one cell, the compact diff `=` opens.
fn diff(buf: &mut Buffer, area: Rect, model: &Model, row: usize, kind: Kind) {
    let Some(service) = model.grid().rows().get(row).map(|r| r.service.as_str()) else {
        return;
    };
    let text = match model.store().drift(row, kind) {
        Some(drift) => diff_text(drift),
        None if model.status(row, kind).is_ok() => vec![(
            "as the config renders it: deploy changes nothing here".to_string(),
            Style::new(),
        )],
        None => vec![(
            model
                .why_not_ready(row, kind)
                .unwrap_or_else(|| format!("{service} has no {kind}")),
            Style::new(),
        )],
    };
    let width = area.width.saturating_sub(4);
    let (lines, rows) = wrapped(text, width);
    let title = format!(" {service} / {kind}: diff against the config (Esc closes) ");
    let inner = window(buf, area, width, rows.saturating_add(2), title);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

/// A cell's drift as lines: objects, their changed fields, what deploy does about them.
fn diff_text(drift: &CellDrift) -> Vec<(String, Style)> {
    drift
        .lines()
        .into_iter()
        .map(|line| {
            let style = if line.starts_with("not ") {
                theme::warning_style()
            } else {
                Style::new()
            };
            (format!("  {line}"), style)
        })
        .collect()
}

/// `, bootstrapped at T by Job/x` for data that records its bootstrap.
fn recorded(value: Option<&str>) -> String {
    value.map_or_else(String::new, |v| {
        format!(", bootstrapped {}", record::BootstrapRecord::parse(v))
    })
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
        ObjState::Pv {
            phase,
            claim,
            bootstrapped,
        } => format!(
            "{phase:?}, claim {}{}",
            claim.as_deref().unwrap_or("-"),
            recorded(bootstrapped.as_deref())
        ),
        ObjState::Pvc {
            phase,
            volume,
            bootstrapped,
        } => format!(
            "{phase:?}, volume {}{}",
            volume.as_deref().unwrap_or("-"),
            recorded(bootstrapped.as_deref())
        ),
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
            ..
        } => format!(
            "replicas: {desired} desired, {ready} ready, {updated} updated{}{}",
            rolling(obj).map_or_else(String::new, |r| format!(", {}", r.short())),
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
        Subject::Switch(target) => format!("Switch to {target}?"),
    };
    let mut text = vec![(question, theme::title())];
    text.extend(confirm.plan.iter().map(|l| (l.clone(), Style::new())));
    // Against a silent API server the action would only queue up: say so before the yes.
    if let Some(age) = model.silent_for() {
        let silent = format!(
            "The API server has not answered for {age} s: this waits for it, up to the request \
             timeout."
        );
        text.push((silent, theme::warning_style()));
    }
    if let Some(warning) = &confirm.warning {
        text.push((warning.clone(), theme::warning_style()));
    }
    // A plan's lines read better wide.
    let width = match confirm.plan.is_empty() {
        true => DIALOG_WIDTH,
        false => area.width.saturating_sub(8).clamp(DIALOG_WIDTH, PLAN_WIDTH),
    };
    let Some(typed) = &confirm.typed else {
        text.push(("y: yes   n or Esc: no".to_string(), Style::new()));
        let (lines, height) = wrapped(text, width);
        // A spare row under a one-line question, as a yes/no dialog always had.
        let rows = (height + 2).max(5);
        let inner = window(buf, area, width, rows, " confirm ".to_string());
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .render(inner, buf);
        return None;
    };
    text.push((
        format!("Type {} and press Enter (Esc cancels):", typed.expected),
        Style::new(),
    ));
    text.push((format!("> {}", typed.input.value()), Style::new()));
    let (lines, height) = wrapped(text, width);
    let inner = window(
        buf,
        area,
        width,
        height + 2,
        " confirm data loss ".to_string(),
    );
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
    let x = inner.x.saturating_add(2).saturating_add(
        u16::try_from(super::display_input(&typed.input).visual_cursor()).unwrap_or(u16::MAX),
    );
    // The input is the last line.
    let y = inner.y.saturating_add(height.saturating_sub(1));
    (y < inner.bottom() && x < inner.right()).then_some(Position::new(x, y))
}

/// Rows `text` takes when wrapped at word boundaries to `width` columns (greedy, as the
/// paragraph wraps it; a word longer than a row is split).
fn word_wrapped_rows(text: &str, width: usize) -> usize {
    let mut rows = 1;
    let mut used = 0;
    for word in text.split(' ').map(|w| w.chars().count()) {
        let needed = if used == 0 { word } else { used + 1 + word };
        if needed <= width {
            used = needed;
        } else if word <= width {
            rows += 1;
            used = word;
        } else {
            rows += usize::from(used > 0) + (word - 1) / width;
            used = (word - 1) % width + 1;
        }
    }
    rows
}

/// Dialogs are this wide (borders included).
const DIALOG_WIDTH: u16 = 64;
/// A dialog showing a deploy's plan is at most this wide.
const PLAN_WIDTH: u16 = 120;

/// The dialog's lines and how many rows they take once wrapped inside its borders.
fn wrapped(text: Vec<(String, Style)>, width: u16) -> (Vec<Line<'static>>, u16) {
    let width = usize::from(width.saturating_sub(2));
    let rows: usize = text.iter().map(|(t, _)| word_wrapped_rows(t, width)).sum();
    let lines = text.into_iter().map(|(t, s)| Line::styled(t, s)).collect();
    (lines, u16::try_from(rows).unwrap_or(u16::MAX))
}

/// What a consent adds to a question.
fn consented(consent: Consent) -> &'static str {
    match (consent.force_bootstrap, consent.adopt) {
        (true, true) => " again over its recorded data, taking over what is not kolla-dash's",
        (true, false) => " again, over data that records a bootstrap",
        (false, _) => ", taking over what is not kolla-dash's",
    }
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
        Action::Create {
            service,
            kind,
            consent,
        } if consent.force_bootstrap || consent.adopt => {
            format!("Create {service}'s {kind}{}?", consented(*consent))
        }
        Action::Bootstrap { services, consent } | Action::Run { services, consent }
            if consent.force_bootstrap || consent.adopt =>
        {
            let verb = if matches!(action, Action::Run { .. }) {
                "Run"
            } else {
                "Bootstrap"
            };
            format!("{verb} {}{}?", services.join(", "), consented(*consent))
        }
        Action::Create { service, kind, .. } => format!("Create {service}'s {kind}?"),
        Action::Bootstrap { services, .. } => format!("Bootstrap {}?", services.join(", ")),
        Action::Run { services, .. } => format!("Run {}?", services.join(", ")),
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
        Action::Deploy { services, .. } => {
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
            NodeOp::DrainAnyway => format!("Drain {node} anyway?"),
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
