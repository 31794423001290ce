//! Waiting on a condition instead of sleeping: every wait has a deadline, and the panic at
//! the deadline names what was waited for.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is checked again.
const POLL: Duration = Duration::from_millis(100);

/// What a condition returns: `true`, `Some(value)` or `Ok(value)` once it holds; an
/// `Err(text)` says what it is instead, for the message at the deadline.
pub trait Outcome {
    type Value;
    fn holds(self) -> Result<Self::Value, Option<String>>;
}

impl Outcome for bool {
    type Value = ();
    fn holds(self) -> Result<(), Option<String>> {
        self.then_some(()).ok_or(None)
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn holds(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T> Outcome for Result<T, String> {
    type Value = T;
    fn holds(self) -> Result<T, Option<String>> {
        self.map_err(Some)
    }
}

/// The panic at the deadline.
fn timed_out(what: &str, timeout: Duration, last: Option<String>) -> ! {
    match last {
        Some(last) => panic!("timed out after {timeout:?} waiting for {what}; last:\n{last}"),
        None => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}

/// Checks `condition` until it holds and returns its value; panics after `timeout` with
/// "timed out after ... waiting for WHAT" (and what the condition last said).
pub fn wait_for<O: Outcome>(
    what: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> O,
) -> O::Value {
    let deadline = Instant::now() + timeout;
    loop {
        match condition().holds() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => timed_out(what, timeout, last),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// [`wait_for`] for a condition that is itself asynchronous (it asks the cluster).
pub async fn wait_for_async<O, F, Fut>(what: &str, timeout: Duration, mut condition: F) -> O::Value
where
    O: Outcome,
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match condition().await.holds() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => timed_out(what, timeout, last),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
