//! Watches the operator's config directory while the dashboard runs. The kernel says when a
//! file there is written or replaced (inotify, through nix, which kolla-dash already
//! builds with), so nothing polls: a save wakes the dashboard, which re-reads the config
//! and judges drift against it. Only YAML files in the directory and templates under its
//! `templates/` count (editors' swap and backup files do not); a burst of events (an
//! editor writing, renaming, closing) is one change.

use std::os::fd::{AsFd as _, AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// How long a burst of events may go on before the change is reported.
const SETTLE: Duration = Duration::from_millis(50);

/// The directory the config is read from: `--config-dir`, else `./etc` when it exists (as
/// `Config::load` decides); `None` when only the built-in defaults apply.
pub fn config_dir(given: Option<&Path>) -> Option<PathBuf> {
    match given {
        Some(dir) => Some(dir.to_path_buf()),
        None => Some(PathBuf::from("etc")).filter(|d| d.is_dir()),
    }
}

/// The inotify descriptor, as tokio waits on it.
struct Watch(Inotify);

impl AsRawFd for Watch {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Starts watching `dir`; `changed` hears once per settled change of a config file.
pub fn start(dir: &Path, changed: UnboundedSender<()>) -> anyhow::Result<JoinHandle<()>> {
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
    let events = AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_DELETE;
    for watched in watched_dirs(dir) {
        inotify
            .add_watch(&watched, events)
            .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", watched.display()))?;
    }
    // SAFETY: the Inotify owns its descriptor; it stays open, and is neither closed nor
    // replaced, for as long as the AsyncFd holds it (it closes when the AsyncFd drops).
    let fd = unsafe { AsyncFd::register(Watch(inotify))? };
    Ok(tokio::spawn(async move {
        loop {
            match next_change(&fd).await {
                Ok(true) => {
                    // Let the rest of the burst arrive, then report it once.
                    tokio::time::sleep(SETTLE).await;
                    if drain(&fd).is_err() || changed.send(()).is_err() {
                        return;
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the config watch stopped");
                    return;
                }
            }
        }
    }))
}

/// The config directory and every directory of its template overrides (`templates/`, as
/// they are at start: inotify watches one directory, not a tree).
fn watched_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![dir.to_path_buf()];
    let mut pending = vec![dir.join("templates")];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        pending.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        dirs.push(d);
    }
    dirs
}

/// Waits for events; true when one concerns a config file.
async fn next_change(fd: &AsyncFd<Watch>) -> std::io::Result<bool> {
    loop {
        let mut ready = fd.readable().await?;
        match ready.try_io(|w| w.get_ref().0.read_events().map_err(std::io::Error::from)) {
            Ok(events) => return Ok(events?.iter().any(|e| is_config(e.name.as_deref()))),
            Err(_would_block) => continue,
        }
    }
}

/// Reads whatever else is queued.
fn drain(fd: &AsyncFd<Watch>) -> std::io::Result<()> {
    match fd.get_ref().0.read_events() {
        Ok(_) | Err(nix::errno::Errno::EAGAIN) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn is_config(name: Option<&std::ffi::OsStr>) -> bool {
    let Some(name) = name.and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.') && [".yml", ".yaml", ".j2"].iter().any(|e| name.ends_with(e))
}
