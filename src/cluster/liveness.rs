//! Whether the API server is there, judged by what it sends rather than by the absence of
//! errors: a paused or hung server (or a path that drops packets) breaks no connection, so
//! the watches would wait silently for minutes. Anything the watchers receive counts as
//! hearing from the server; after [`PROBE_AFTER`] of quiet, one cheap request (`GET
//! /version`, on the same client) asks; with no answer [`SILENT_AFTER`] after the server was
//! last heard, it is declared silent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kube::Client;
use tokio::time::Instant;

/// Quiet this long before the probe asks (so at idle it sends about 40 requests a minute,
/// and none while watch traffic flows).
pub const PROBE_AFTER: Duration = Duration::from_millis(1500);
/// How long the probe waits for an answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Declared silent when nothing was heard for this long (at most [`PROBE_AFTER`] +
/// [`PROBE_TIMEOUT`] after the server went quiet).
pub const SILENT_AFTER: Duration = Duration::from_millis(3500);

/// When the API server was last heard from; shared by the watchers and the probe.
#[derive(Debug)]
pub struct Heard {
    base: Instant,
    /// Milliseconds after `base`.
    last_ms: AtomicU64,
}

impl Default for Heard {
    fn default() -> Self {
        Heard {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl Heard {
    /// Something came from the server just now.
    pub fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    pub fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// The last word as wall-clock seconds since the Unix epoch.
    pub fn last_wall_clock(&self) -> i64 {
        let ago = i64::try_from(self.last().elapsed().as_millis()).unwrap_or(i64::MAX);
        (jiff::Timestamp::now().as_millisecond() - ago).div_euclid(1000)
    }

    /// Whether nothing was heard for [`SILENT_AFTER`].
    pub fn silent(&self) -> bool {
        self.last().elapsed() >= SILENT_AFTER
    }
}

/// Asks the server for its version, waiting [`PROBE_TIMEOUT`] at most. Any HTTP answer
/// counts, a refusal or an error status too: the server is there.
pub async fn probe(client: &Client) -> bool {
    match tokio::time::timeout(PROBE_TIMEOUT, client.apiserver_version()).await {
        Ok(Ok(_) | Err(kube::Error::Api(_))) => true,
        Ok(Err(_)) | Err(_) => false,
    }
}
