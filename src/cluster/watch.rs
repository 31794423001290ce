//! One watcher per object kind, label-scoped to what kolla-dash manages (nodes: all),
//! each turning objects into summaries and sending model messages. Never polls the
//! objects; a supervisor asks the API server whether it is there when the watches have been
//! quiet for a moment (see `liveness`). Watches request bookmarks (kube's default), which
//! keep their resume points fresh.
//!
//! After any watch error the stream is dropped and, after a backoff, recreated: the fresh
//! list is sent as `Resynced`, so objects deleted while disconnected disappear. When the
//! API server stops answering, every kind is reported lost; when it answers again, every
//! watcher starts afresh.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use k8s_openapi::api::events::v1::Event;
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Client};
use rand::Rng as _;
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::kinds::{self, ForKind, Readable};
use super::liveness::{self, Heard, PROBE_AFTER, PROBE_TIMEOUT};
use super::summarize::summarize_event;
use crate::model::{Liveness, Msg};
use crate::summary::ObjKind;

/// A long first list reports how far it got every this many objects (a list page).
const PROGRESS_EVERY: usize = 500;
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Event name -> occurrences already sent, kept across restarts of the watchers so each
/// occurrence reaches the log once.
type SentEvents = Arc<Mutex<HashMap<String, u32>>>;

/// Starts every watcher and their supervisor; they run until the returned set is dropped
/// or `tx` closes.
pub fn start(client: &Client, namespace: &str, tx: UnboundedSender<Msg>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    set.spawn(supervise(client.clone(), namespace.to_string(), tx));
    set
}

/// Runs the watchers and probes the API server whenever nothing has been heard from it for
/// a moment. When it stops answering, every kind is reported lost (cells go stale as during
/// a reconnect); when it answers again, the watchers start afresh, so none stays stuck on a
/// request the silent server swallowed and every kind is relisted.
async fn supervise(client: Client, namespace: String, tx: UnboundedSender<Msg>) {
    let heard = Arc::new(Heard::default());
    let sent = SentEvents::default();
    let spawn = || spawn_watchers(&client, &namespace, &tx, &heard, &sent);
    let mut watchers = spawn();
    let mut silent = false;
    while !tx.is_closed() {
        if !silent {
            let ask_at = heard.last() + PROBE_AFTER;
            if Instant::now() < ask_at {
                tokio::time::sleep_until(ask_at).await;
                continue;
            }
        }
        let asked = Instant::now();
        if liveness::probe(&client).await {
            heard.touch();
            if std::mem::replace(&mut silent, false) {
                tracing::info!("the API server answers again; restarting the watchers");
                watchers.shutdown().await;
                if tx.send(Msg::Liveness(Liveness::Answering)).is_err() {
                    return;
                }
                watchers = spawn();
            }
            continue;
        }
        if !silent && heard.silent() {
            silent = true;
            let last_heard = heard.last_wall_clock();
            tracing::warn!(last_heard, "the API server is not responding");
            let verdict = Msg::Liveness(Liveness::Silent { last_heard });
            for msg in std::iter::once(verdict).chain(ObjKind::WATCHED.map(Msg::WatchLost)) {
                if tx.send(msg).is_err() {
                    return;
                }
            }
        }
        // A quick refusal is asked again after a probe's time, not in a tight loop.
        tokio::time::sleep_until(asked + PROBE_TIMEOUT).await;
    }
}

/// Starts one watcher per kind, and the event watches once every kind is listed.
fn spawn_watchers(
    client: &Client,
    namespace: &str,
    tx: &UnboundedSender<Msg>,
    heard: &Arc<Heard>,
    sent: &SentEvents,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let first_sync = Arc::new(FirstSync::default());
    for kind in ObjKind::WATCHED {
        let spawn = Spawn {
            tx: tx.clone(),
            first_sync: Arc::clone(&first_sync),
            heard: Arc::clone(heard),
        };
        set.spawn(kinds::with_type(kind, client, namespace, None, spawn));
    }
    // Every event of the namespace: kolla-dash's objects are all there is in it, and the
    // intermediates' events (a ReplicaSet's FailedCreate, a claim's ProvisioningFailed) are
    // what explains a stuck cell. It starts once the grid is listed: a big event backlog
    // would otherwise compete with the grid's lists for the API server and delay the first
    // complete screen.
    let api = Api::namespaced(client.clone(), namespace);
    let events = EventWatch {
        tx: tx.clone(),
        heard: Arc::clone(heard),
        sent: Arc::clone(sent),
    };
    let first_sync = Arc::clone(&first_sync);
    set.spawn(async move {
        first_sync.wait().await;
        events.run(api, watcher::Config::default()).await;
    });
    set
}

/// The watch task of one kind.
struct Spawn {
    tx: UnboundedSender<Msg>,
    first_sync: Arc<FirstSync>,
    heard: Arc<Heard>,
}

impl ForKind for Spawn {
    type Out = BoxFuture<'static, ()>;

    fn run<K: Readable>(self, api: Api<K>, selector: Option<String>) -> Self::Out {
        let config = match selector {
            Some(selector) => watcher::Config::default().labels(&selector),
            None => watcher::Config::default(),
        };
        Box::pin(watch_kind(
            api,
            config,
            self.tx,
            self.first_sync,
            self.heard,
        ))
    }
}

/// Counts the object watchers that finished their first list (or failed it); events wait
/// for all.
#[derive(Default)]
struct FirstSync {
    listed: AtomicUsize,
    done: Notify,
}

impl FirstSync {
    fn listed_once(&self) {
        if self.listed.fetch_add(1, Ordering::SeqCst) + 1 == ObjKind::WATCHED.len() {
            self.done.notify_waiters();
        }
    }

    async fn wait(&self) {
        let done = self.done.notified();
        if self.listed.load(Ordering::SeqCst) < ObjKind::WATCHED.len() {
            done.await;
        }
    }
}

/// Doubles the delay after each failure, resets after a successful sync. Each wait is
/// jittered (50–150 %), so watchers that failed together do not all retry together.
pub(super) struct Backoff(Duration);

impl Backoff {
    pub(super) fn new() -> Self {
        Backoff(BACKOFF_MIN)
    }
    pub(super) async fn wait(&mut self) {
        let jitter = rand::rng().random_range(0.5..1.5);
        tokio::time::sleep(self.0.mul_f64(jitter)).await;
        self.0 = (self.0 * 2).min(BACKOFF_MAX);
    }
    pub(super) fn reset(&mut self) {
        self.0 = BACKOFF_MIN;
    }
}

pub(super) fn is_forbidden(err: &watcher::Error) -> bool {
    let api_err = match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
        _ => return false,
    };
    matches!(api_err, kube::Error::Api(s) if s.is_forbidden())
}

async fn watch_kind<K>(
    api: Api<K>,
    config: watcher::Config,
    tx: UnboundedSender<Msg>,
    first_sync: Arc<FirstSync>,
    heard: Arc<Heard>,
) where
    K: Readable,
{
    let mut backoff = Backoff::new();
    let mut listed = false;
    let mut forbidden = false;
    loop {
        let mut stream = watcher(api.clone(), config.clone()).boxed();
        let mut listing = Vec::new();
        let failure = loop {
            let next = stream.next().await;
            if matches!(next, Some(Ok(_))) {
                heard.touch();
            }
            let msg = match next {
                Some(Ok(watcher::Event::Init)) => {
                    listing.clear();
                    continue;
                }
                Some(Ok(watcher::Event::InitApply(obj))) => {
                    listing.push(obj.summarize());
                    if !listing.len().is_multiple_of(PROGRESS_EVERY) {
                        continue;
                    }
                    Msg::Listing(K::KIND, listing.len())
                }
                Some(Ok(watcher::Event::InitDone)) => {
                    backoff.reset();
                    forbidden = false;
                    if !std::mem::replace(&mut listed, true) {
                        first_sync.listed_once();
                    }
                    Msg::Resynced(K::KIND, std::mem::take(&mut listing))
                }
                Some(Ok(watcher::Event::Apply(obj))) => Msg::Applied(obj.summarize()),
                Some(Ok(watcher::Event::Delete(obj))) => Msg::Deleted(obj.summarize().obj),
                Some(Err(e)) => break e,
                None => return,
            };
            if tx.send(msg).is_err() {
                return;
            }
        };
        tracing::warn!(kind = %K::KIND, error = %failure, "watch failed; relisting after backoff");
        // A kind that cannot be listed must not hold the event watches back forever.
        if !std::mem::replace(&mut listed, true) {
            first_sync.listed_once();
        }
        let msg = if is_forbidden(&failure) {
            // Said once: RBAC rarely changes, and each report is a line in the log pane.
            (!std::mem::replace(&mut forbidden, true)).then_some(Msg::Forbidden(K::KIND))
        } else {
            forbidden = false;
            Some(Msg::WatchLost(K::KIND))
        };
        if let Some(msg) = msg
            && tx.send(msg).is_err()
        {
            return;
        }
        backoff.wait().await;
    }
}

/// The watch of one kind of events.
struct EventWatch {
    tx: UnboundedSender<Msg>,
    heard: Arc<Heard>,
    sent: SentEvents,
}

impl EventWatch {
    /// Events are a log, not state: each occurrence is sent once, also across relists.
    async fn run(self, api: Api<Event>, config: watcher::Config) {
        let mut backoff = Backoff::new();
        loop {
            let mut stream = watcher(api.clone(), config.clone()).boxed();
            let failure = loop {
                let next = stream.next().await;
                if matches!(next, Some(Ok(_))) {
                    self.heard.touch();
                }
                let event = match next {
                    Some(Ok(watcher::Event::InitApply(e) | watcher::Event::Apply(e))) => e,
                    Some(Ok(watcher::Event::InitDone)) => {
                        backoff.reset();
                        continue;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => break e,
                    None => return,
                };
                if let Some(summary) = self.first_time(&event)
                    && self.tx.send(Msg::Event(summary)).is_err()
                {
                    return;
                }
            };
            tracing::warn!(error = %failure, "event watch failed; relisting after backoff");
            backoff.wait().await;
        }
    }

    /// The event's summary unless this occurrence was sent already.
    fn first_time(&self, event: &Event) -> Option<crate::summary::EventSummary> {
        let summary = summarize_event(event)?;
        let name = event.metadata.name.clone().unwrap_or_default();
        // Bounded: cleared when it grows large, which at worst repeats a few old lines.
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sent.get(&name).is_some_and(|&n| n >= summary.count) {
            return None;
        }
        if sent.len() > 50_000 {
            sent.clear();
        }
        sent.insert(name, summary.count);
        Some(summary)
    }
}
