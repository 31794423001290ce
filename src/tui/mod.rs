//! The dashboard's event loop: one task owns the terminal and the model; input, watchers,
//! actions and log followers feed it messages; it redraws only after a change, at most
//! ~60 frames a second. Nothing here polls the cluster.

mod actions;
mod config_watch;
mod keys;
pub mod link;
pub mod target;
mod terminal;
mod workflow;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use ratatui::crossterm::event::EventStream;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::access;
use crate::cli::GlobalArgs;
use crate::cluster::logs;
use crate::drift::Desired;
use crate::engine::{Engine, load_config};
use crate::executor as run;
use crate::model::state::{Model, ModelConfig};
use crate::model::switch::Target;
use crate::model::{Action, Effect, Msg, update};
use crate::summary::ObjKind;
use crate::workflow::plan::DeployOptions;

/// The shortest time between two frames (~60 frames a second). A grid frame costs well
/// under a millisecond, so under a steady stream of changes the wait for the next frame,
/// not drawing it, is what bounds how soon a change shows (README, Performance).
pub const FRAME: Duration = Duration::from_millis(16);

/// What the dashboard is opened on.
#[derive(Debug, Clone, Copy, Default)]
pub struct DashOptions {
    pub readonly: bool,
    /// The cluster is the local demo cluster (nodes can be failed and restored).
    pub local_cluster: bool,
    /// `--no-color` or `NO_COLOR`: symbols, words and attributes only.
    pub no_color: bool,
}

/// The model's starting state for this engine's catalog and cluster: one row per service,
/// with the kinds that render objects under the current config, and what they render.
pub fn initial_model(
    engine: &Engine,
    options: DashOptions,
    foreign_watched: Vec<ObjKind>,
) -> anyhow::Result<Model> {
    let specs = run::service_specs(engine)?;
    Ok(Model::new(ModelConfig {
        context: engine.cluster.context.clone(),
        namespace: engine.namespace().to_string(),
        readonly: options.readonly,
        rows: run::rows(&specs),
        watched: ObjKind::WATCHED.to_vec(),
        foreign_watched,
        local_cluster: options.local_cluster,
        desired: run::desired(engine)?,
        deploy: DeployOptions::for_provider(engine.config.storage.provider),
    }))
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The dashboard minus the terminal: the model, the watchers' channel, and what carries
/// out effects. The event loop (and the benchmark) feed it messages and draw its model.
pub struct Dashboard {
    pub model: Model,
    engine: Arc<Engine>,
    options: DashOptions,
    tx: mpsc::UnboundedSender<Msg>,
    log_tx: mpsc::UnboundedSender<logs::LogMsg>,
    follower: Option<JoinHandle<()>>,
    next_action: u64,
    link: link::Link,
    workflow: Option<workflow::Running>,
    /// A context or namespace the model asked to switch to, for the event loop to build
    /// (`take_switch`, then `retarget`).
    switch: Option<Target>,
    /// The namespace the config (or `--namespace`) named at start: a save that names
    /// another is refused (`:ns` switches), one that does not keeps the current one.
    config_namespace: String,
    _watchers: JoinSet<()>,
}

/// The receiving ends the loop selects on.
pub struct Inbox {
    pub msgs: mpsc::UnboundedReceiver<Msg>,
    pub logs: mpsc::UnboundedReceiver<logs::LogMsg>,
}

/// One target's model and the watchers feeding it, with their channels.
struct Wiring {
    model: Model,
    watchers: JoinSet<()>,
    tx: mpsc::UnboundedSender<Msg>,
    log_tx: mpsc::UnboundedSender<logs::LogMsg>,
    inbox: Inbox,
}

/// Starts the watchers of `engine`'s cluster and namespace on fresh channels, and the model
/// they feed (one row per service of its catalog).
fn wire(engine: &Arc<Engine>, options: DashOptions) -> anyhow::Result<Wiring> {
    let (tx, msgs) = mpsc::unbounded_channel::<Msg>();
    let (log_tx, logs) = mpsc::unbounded_channel::<logs::LogMsg>();
    let (mut watchers, foreign_watched) = run::start_watches(engine, &tx)?;
    let model = initial_model(engine, options, foreign_watched)?;
    if !options.readonly {
        watchers.spawn(probe_writes(Arc::clone(engine), tx.clone()));
    }
    Ok(Wiring {
        model,
        watchers,
        tx,
        log_tx,
        inbox: Inbox { msgs, logs },
    })
}

impl Dashboard {
    /// Builds the model and starts the watchers.
    pub fn start(engine: Engine, options: DashOptions) -> anyhow::Result<(Dashboard, Inbox)> {
        let engine = Arc::new(engine);
        let wiring = wire(&engine, options)?;
        let dash = Dashboard {
            model: wiring.model,
            config_namespace: engine.namespace().to_string(),
            engine,
            options,
            tx: wiring.tx,
            log_tx: wiring.log_tx,
            follower: None,
            next_action: 0,
            link: link::Link::default(),
            workflow: None,
            switch: None,
            _watchers: wiring.watchers,
        };
        Ok((dash, wiring.inbox))
    }

    /// Points the dashboard at `engine`: another context, namespace, or config. The one
    /// place where what the dashboard looks at changes (`:ctx`, `:ns`; a config reload can
    /// use it too). The new watchers and a fresh model (the new catalog's rows) are set up
    /// first, so a failure leaves everything as it was; then the old watchers, the log
    /// follower and a running workflow are stopped (the model asked before leaving one
    /// behind). Returns the new inbox: the caller drops the old one, so nothing queued
    /// from the old target reaches the new model, and its senders are all gone once the old
    /// tasks are.
    pub fn retarget(&mut self, engine: Engine) -> anyhow::Result<Inbox> {
        let engine = Arc::new(engine);
        let wiring = wire(&engine, self.options)?;
        self.stop_logs();
        if let Some(mut running) = self.workflow.take() {
            running.cancel();
        }
        self.engine = engine;
        self.model = wiring.model;
        self.tx = wiring.tx;
        self.log_tx = wiring.log_tx;
        self.link = link::Link::default();
        // Dropping the old set aborts the old supervisor, which owns every old watcher.
        self._watchers = wiring.watchers;
        Ok(wiring.inbox)
    }

    /// The engine of what the dashboard looks at now (the base of a switch).
    pub fn engine(&self) -> Arc<Engine> {
        Arc::clone(&self.engine)
    }

    /// `context/namespace`, as the header shows them.
    pub fn target(&self) -> String {
        let header = self.model.header();
        format!("{}/{}", header.context, header.namespace)
    }

    /// The switch the model asked for since the last call, if any.
    pub fn take_switch(&mut self) -> Option<Target> {
        self.switch.take()
    }

    /// Whether the connection is lost (the clock should tick for the header's ages).
    pub fn disconnected(&self) -> bool {
        self.link.is_lost()
    }

    /// Applies messages in order and carries out their effects; true when asked to quit.
    pub fn handle(&mut self, msgs: Vec<Msg>) -> bool {
        let mut quit = false;
        // Incident timelines need the time each batch arrived.
        let mut queue = VecDeque::from(msgs);
        queue.push_front(Msg::NowMs(now_ms()));
        while let Some(msg) = queue.pop_front() {
            // Runs of watch messages are judged once per run; anything else (a key, an
            // action's result) sees every cell judged.
            if msg.is_watch() {
                self.model.hold_judgement();
            } else {
                self.model.judge_held();
            }
            if let Some(change) = self.link.observe(&msg, now()) {
                queue.push_back(change);
            }
            if let Some(running) = &self.workflow
                && msg.is_watch()
            {
                running.feed(&msg);
            }
            let finished = matches!(msg, Msg::WorkflowFinished { .. });
            for effect in update(&mut self.model, msg) {
                quit |= self.carry_out(effect);
            }
            if finished {
                self.workflow = None;
            }
        }
        self.model.judge_held();
        quit
    }

    /// Does what the model asked; true for Quit.
    fn carry_out(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return true,
            Effect::Act(Action::Deploy { services, consent }) => {
                self.start_workflow(workflow::Job::Deploy { services, consent });
            }
            Effect::Act(Action::Teardown {
                services,
                delete_data,
            }) => self.start_workflow(workflow::Job::Teardown {
                services,
                delete_data,
            }),
            Effect::Act(action) => {
                let engine = Arc::clone(&self.engine);
                actions::spawn(engine, self.next_id(), action, self.tx.clone());
            }
            Effect::CancelWorkflow => {
                if let Some(running) = &mut self.workflow {
                    running.cancel();
                }
            }
            Effect::ExportIncidents { path } => {
                // Serialised here (the model is ours), written off the event loop.
                let text = self.model.incidents().to_json_lines();
                let id = self.next_id();
                let what = format!("export incidents {}", path.display());
                let _ = self.tx.send(Msg::ActionStarted { id, what });
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match text {
                        Ok(text) => tokio::fs::write(&path, text)
                            .await
                            .map(|()| format!("incidents written to {}", path.display()))
                            .map_err(|e| format!("cannot write {}: {e}", path.display())),
                        Err(e) => Err(format!("cannot serialise the incidents: {e}")),
                    };
                    let _ = tx.send(Msg::ActionFinished { id, result });
                });
            }
            Effect::FollowLogs { pod, previous } => {
                self.stop_logs();
                self.follower = Some(tokio::spawn(logs::follow(
                    self.engine.cluster.client.clone(),
                    self.engine.namespace().to_string(),
                    pod,
                    previous,
                    self.log_tx.clone(),
                )));
            }
            Effect::StopLogs => self.stop_logs(),
            Effect::ListChoices(pick) => {
                let (engine, tx) = (Arc::clone(&self.engine), self.tx.clone());
                tokio::spawn(async move {
                    let result = target::choices(&engine, pick).await;
                    let _ = tx.send(Msg::Choices { pick, result });
                });
            }
            Effect::Switch(target) => self.switch = Some(target),
        }
        false
    }

    /// Reads the config again (after it changed on disk) as the command line asked for it,
    /// in the namespace the dashboard looks at: a good one replaces the engine's, so
    /// actions, deploys and switches use it, and the model judges drift against what it
    /// renders. One that cannot be read, or that would change what the watches look at
    /// (the namespace, the grid, the objects' names), is refused and the last good one
    /// stays.
    pub fn reload_config(&mut self, global: &GlobalArgs) -> Msg {
        match self.read_config(global) {
            Ok((engine, rendered)) => {
                self.engine = Arc::new(engine);
                Msg::ConfigLoaded { rendered }
            }
            Err(e) => Msg::ConfigRejected {
                reason: format!("{e:#}"),
            },
        }
    }

    fn read_config(&self, global: &GlobalArgs) -> anyhow::Result<(Engine, Vec<Desired>)> {
        let (catalog, mut config) = load_config(global)?;
        // The namespace is switched with `:ns`, never by a save: the config keeps the one
        // the dashboard looks at now, unless the save names another.
        if config.namespace != self.config_namespace {
            anyhow::bail!(
                "it changes the namespace to {} (the dashboard watches {}): `:ns {}` switches                  to it",
                config.namespace,
                self.engine.namespace(),
                config.namespace
            );
        }
        config.set_namespace(self.engine.namespace())?;
        let engine = Engine::new(catalog, config, self.engine.cluster.clone());
        let restart =
            |what: &str| anyhow::anyhow!("it changes {what}; restart kolla-dash to use it");
        if run::rows(&run::service_specs(&engine)?) != self.model.grid().rows() {
            return Err(restart("the grid's services or kinds"));
        }
        if run::expected_names(&engine)? != run::expected_names(&self.engine)? {
            return Err(restart("the names of the objects kolla-dash renders"));
        }
        let rendered = run::desired(&engine)?;
        Ok((engine, rendered))
    }

    fn next_id(&mut self) -> u64 {
        self.next_action += 1;
        self.next_action
    }

    fn start_workflow(&mut self, job: workflow::Job) {
        let store = self.model.store().clone();
        let engine = Arc::clone(&self.engine);
        self.workflow = Some(workflow::start(engine, store, job, self.tx.clone()));
    }

    fn stop_logs(&mut self) {
        if let Some(old) = self.follower.take() {
            old.abort();
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.stop_logs();
        if let Some(running) = &mut self.workflow {
            running.cancel();
        }
    }
}

fn log_msg(log: logs::LogMsg) -> Msg {
    match log {
        logs::LogMsg::Lines { pod, lines } => Msg::LogLines { pod, lines },
        logs::LogMsg::Ended { pod, reason } => Msg::LogEnded {
            pod,
            reason: Some(reason),
        },
    }
}

/// Finds out once whether the credentials may change anything kolla-dash manages here; if
/// not, the session turns read-only, so actions are refused before they reach the cluster.
async fn probe_writes(engine: Arc<Engine>, tx: mpsc::UnboundedSender<Msg>) {
    let writes = match access::writes(&engine.catalog, &engine.config) {
        Ok(writes) => writes,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the rights kolla-dash needs");
            return;
        }
    };
    let _ = tx.send(Msg::MayWrite(engine.access.allows_any(&writes).await));
}

/// An engine built for a switch, with the switch it answers (only the latest counts).
type Built = (u64, Target, anyhow::Result<Engine>);

/// Runs the dashboard until the operator quits or a SIGTERM/SIGHUP arrives. `global` says
/// where the config comes from (it is read again whenever it changes on disk) and the
/// request timeout for the clients of contexts switched to.
pub async fn run(engine: Engine, options: DashOptions, global: &GlobalArgs) -> anyhow::Result<()> {
    let no_color = options.no_color;
    let timeout = global.request_timeout;
    let (mut dash, mut inbox) = Dashboard::start(engine, options)?;
    let (built_tx, mut built) = mpsc::unbounded_channel::<Built>();
    let mut switches: u64 = 0;
    let (changed_tx, mut config_changed) = mpsc::unbounded_channel::<()>();
    let _config_watch = config_watch::config_dir(global.config_dir.as_deref())
        .map(|dir| config_watch::start(&dir, changed_tx))
        .transpose()
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the config is not watched");
            None
        });
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;

    let mut guard = terminal::TerminalGuard::enter()?;
    let mut input = EventStream::new();
    let mut area = Rect::from(guard.terminal.size()?);
    let mut dirty = true;
    let mut last_frame = Instant::now() - FRAME;
    // Ticks only while disconnected, so the header's "last update Ns ago" stays true.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    // For tests/dashboard.rs only (documented in docs/architecture.md): a panic once the
    // first frame is drawn shows that a panic gives the terminal back.
    let test_panic = std::env::var_os("KOLLA_DASH_TEST_PANIC").is_some();

    loop {
        let mut msgs: Vec<Msg> = Vec::new();
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(ev)) => {
                    if let ratatui::crossterm::event::Event::Resize(w, h) = ev {
                        area = Rect::new(0, 0, w, h);
                        dirty = true;
                    }
                    msgs.extend(keys::translate(&ev, &dash.model, area));
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(first) = inbox.msgs.recv() => {
                msgs.push(first);
                // Drain what else is queued: one redraw per burst.
                while let Ok(more) = inbox.msgs.try_recv() {
                    msgs.push(more);
                }
            }
            Some(log) = inbox.logs.recv() => msgs.push(log_msg(log)),
            Some((seq, target, engine)) = built.recv() => {
                // A newer switch was asked for meanwhile: this one is moot.
                if seq == switches {
                    let from = dash.target();
                    match engine.and_then(|engine| dash.retarget(engine)) {
                        Ok(new) => {
                            inbox = new;
                            msgs.push(Msg::Switched { from });
                        }
                        Err(e) => msgs.push(Msg::SwitchFailed { target, error: format!("{e:#}") }),
                    }
                }
            }
            Some(()) = config_changed.recv() => msgs.push(dash.reload_config(global)),
            _ = clock.tick(), if dash.disconnected() => msgs.push(Msg::Now(now())),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = tokio::time::sleep_until(last_frame + FRAME), if dirty => {
                guard.terminal.draw(|f| {
                    crate::ui::draw(f, &dash.model);
                    if no_color {
                        crate::ui::uncolor(f.buffer_mut());
                    }
                })?;
                area = guard.terminal.get_frame().area();
                last_frame = Instant::now();
                dirty = false;
                assert!(!test_panic, "KOLLA_DASH_TEST_PANIC is set: panicking after the first frame");
            }
        }
        if !msgs.is_empty() {
            dirty = true;
            if dash.handle(msgs) {
                break;
            }
        }
        if let Some(target) = dash.take_switch() {
            switches += 1;
            let (seq, current, tx) = (switches, dash.engine(), built_tx.clone());
            tokio::spawn(async move {
                let engine = target::engine_for(&current, &target, timeout).await;
                let _ = tx.send((seq, target, engine));
            });
        }
    }
    Ok(())
}
