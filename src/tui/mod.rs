//! The dashboard's event loop: one task owns the terminal and the model; input, watchers,
//! actions and log followers feed it messages; it redraws only after a change, at most
//! ~30 frames a second. Nothing here polls the cluster.

mod actions;
mod keys;
mod link;
mod terminal;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use ratatui::crossterm::event::EventStream;
use ratatui::layout::Rect;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cluster::{logs, watch};
use crate::engine::Engine;
use crate::model::state::{Model, ModelConfig};
use crate::model::{update, Effect, Msg, Row};

/// The shortest time between two frames (~30 frames a second).
const FRAME: Duration = Duration::from_millis(33);

/// What the dashboard is opened on.
pub struct DashOptions {
    pub readonly: bool,
    /// The cluster is the local demo cluster (nodes can be failed and restored).
    pub local_cluster: bool,
}

/// The model's starting state for this engine's catalog and cluster.
pub fn initial_model(engine: &Engine, options: &DashOptions) -> Model {
    let rows = engine
        .catalog
        .services()
        .iter()
        .map(|s| Row::new(s.name.clone(), s.kinds()))
        .collect();
    Model::new(ModelConfig {
        context: engine.connection.context.clone(),
        namespace: engine.namespace().to_string(),
        readonly: options.readonly,
        rows,
        watched: watch::WATCHED.to_vec(),
        local_cluster: options.local_cluster,
    })
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs the dashboard until the operator quits or a SIGTERM/SIGHUP arrives.
pub async fn run(engine: Engine, options: DashOptions) -> anyhow::Result<()> {
    let engine = Arc::new(engine);
    let mut model = initial_model(&engine, &options);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let _watchers = watch::start(&engine.connection.client, engine.namespace(), tx.clone());
    let (log_tx, mut log_rx) = mpsc::unbounded_channel::<logs::LogMsg>();
    let mut follower: Option<JoinHandle<()>> = None;
    let mut next_action = 0u64;
    let mut link = link::Link::default();

    let mut guard = terminal::TerminalGuard::enter()?;
    let mut input = EventStream::new();
    let mut area = Rect::from(guard.terminal.size()?);
    let mut dirty = true;
    let mut last_frame = Instant::now() - FRAME;
    // Ticks only while disconnected, so the header's "last update Ns ago" stays true.
    let mut clock = tokio::time::interval(Duration::from_secs(1));

    loop {
        let mut msgs: Vec<Msg> = Vec::new();
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(ev)) => {
                    if let ratatui::crossterm::event::Event::Resize(w, h) = ev {
                        area = Rect::new(0, 0, w, h);
                        dirty = true;
                    }
                    msgs.extend(keys::translate(&ev, &model, area));
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(first) = rx.recv() => {
                msgs.push(first);
                // Drain what else is queued: one redraw per burst.
                while let Ok(more) = rx.try_recv() {
                    msgs.push(more);
                }
            }
            Some(log) = log_rx.recv() => msgs.push(match log {
                logs::LogMsg::Lines { pod, lines } => Msg::LogLines { pod, lines },
                logs::LogMsg::Ended { pod, reason } => Msg::LogEnded { pod, reason: Some(reason) },
            }),
            _ = clock.tick(), if link.is_lost() => msgs.push(Msg::Now(now())),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = tokio::time::sleep_until(last_frame + FRAME), if dirty => {
                guard.terminal.draw(|f| crate::ui::draw(f, &model))?;
                area = guard.terminal.get_frame().area();
                last_frame = Instant::now();
                dirty = false;
            }
        }
        let mut quit = false;
        let mut queue = std::collections::VecDeque::from(msgs);
        while let Some(msg) = queue.pop_front() {
            if let Some(change) = link.observe(&msg, now()) {
                queue.push_back(change);
            }
            dirty = true;
            for effect in update(&mut model, msg) {
                match effect {
                    Effect::Quit => quit = true,
                    Effect::Act(action) => {
                        next_action += 1;
                        actions::spawn(Arc::clone(&engine), next_action, action, tx.clone());
                    }
                    Effect::FollowLogs { pod } => {
                        if let Some(old) = follower.take() {
                            old.abort();
                        }
                        follower = Some(tokio::spawn(logs::follow(
                            engine.connection.client.clone(),
                            engine.namespace().to_string(),
                            pod,
                            log_tx.clone(),
                        )));
                    }
                    Effect::StopLogs => {
                        if let Some(old) = follower.take() {
                            old.abort();
                        }
                    }
                    // Not wired yet (the lead's): no workflow runs from the dashboard, so
                    // there is nothing to cancel; exporting is reported as unavailable.
                    Effect::CancelWorkflow => {}
                    Effect::ExportIncidents { path } => {
                        queue.push_back(Msg::ActionFinished {
                            id: 0,
                            result: Err(format!(
                                "exporting incidents to {} is not wired into the event loop yet",
                                path.display()
                            )),
                        });
                    }
                }
            }
        }
        if quit {
            break;
        }
    }
    if let Some(f) = follower {
        f.abort();
    }
    Ok(())
}
