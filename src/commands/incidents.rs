//! `kolla-dash incidents`: the dashboard's incident tracker, headless, for scripts.

use std::collections::BTreeSet;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::cli::{GlobalArgs, IncidentsArgs, Output};
use crate::cluster::watch;
use crate::engine::Engine;
use crate::model::incident::time_of_day;
use crate::model::{Connection, IncidentTracker, Msg};
use crate::status::forbidden_note;
use crate::summary::ObjKind;
use crate::tui::link::Link;

pub async fn incidents(global: &GlobalArgs, args: &IncidentsArgs) -> anyhow::Result<()> {
    let engine = Engine::connect(global).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _watchers = watch::start(&engine.cluster.client, engine.namespace(), tx);
    let mut tracker = IncidentTracker::default();
    // Said once every kind is listed: from then on no change slips past (scripts wait
    // for this line before they break something).
    let mut unlisted: BTreeSet<ObjKind> = ObjKind::WATCHED.into_iter().collect();
    // One listener for the whole run: a Ctrl-C arriving while a message is being handled
    // must not be missed.
    let mut interrupt = signal(SignalKind::interrupt())?;
    // Connection changes bound the API server's outages, which the tracker blames node
    // failures on; they are said on stderr, as the dashboard's header says them.
    let mut link = Link::default();
    let mut connected_once = false;
    loop {
        let msg = tokio::select! {
            msg = rx.recv() => msg.ok_or_else(|| anyhow::anyhow!("the watchers stopped"))?,
            _ = interrupt.recv() => return Ok(()),
        };
        if let Msg::Resynced(kind, _) | Msg::Forbidden(kind) = &msg
            && unlisted.remove(kind)
            && unlisted.is_empty()
        {
            eprintln!(
                "watching nodes and kolla pods in namespace {} (Ctrl-C stops)",
                engine.namespace()
            );
        }
        // Without nodes or pods there is nothing to tell: say so once, and go on watching.
        if let Msg::Forbidden(kind @ (ObjKind::Node | ObjKind::Pod)) = &msg {
            eprintln!("kolla-dash: {}", forbidden_note(*kind));
        }
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let change = link.observe(&msg, now_ms.div_euclid(1000));
        for msg in std::iter::once(msg).chain(change) {
            if let Msg::Connection(connection) = &msg {
                let first = !std::mem::replace(&mut connected_once, true);
                if let Some(line) = connection_line(*connection, first) {
                    eprintln!("{} {line}", clock(now_ms));
                }
            }
            for event in tracker.observe(&msg, now_ms) {
                match args.output {
                    Output::Json => println!("{}", serde_json::to_string(&event)?),
                    Output::Table => println!("{} {event}", clock(event.at_ms)),
                }
            }
        }
    }
}

/// What a connection change means, for stderr (nothing for the first connect).
fn connection_line(connection: Connection, first: bool) -> Option<String> {
    match connection {
        Connection::Connected if first => None,
        Connection::Connected => Some("connected again".to_string()),
        Connection::Connecting => None,
        Connection::Lost { .. } => Some("lost the API server; reconnecting".to_string()),
        Connection::Silent { last_heard } => Some(format!(
            "the API server is not responding (nothing heard since {})",
            time_of_day(last_heard * 1000)
        )),
    }
}

/// `[HH:MM:SS]` in UTC, as the log pane shows times.
fn clock(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("[%H:%M:%S]").to_string())
        .unwrap_or_else(|_| "[??:??:??]".into())
}
