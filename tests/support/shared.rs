//! One local cluster per test binary, shared by the tests that only need namespaces of
//! their own.
//!
//! A throwaway cluster's processes carry PR_SET_PDEATHSIG, which fires when the *thread*
//! that started them ends, not the process: a cluster started on a test's thread dies
//! with that test. So the shared one is started, and kept, on a thread of its own that
//! never ends: its processes go when the test binary goes, however it goes. A static is
//! never dropped, so on a normal exit (every test passed, or some failed) an `atexit`
//! hook stops the processes and removes the state directory.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::mpsc::Sender;

use kolla_dash::devcluster::{self, DevCluster, StartOptions};

/// Where the shared cluster is.
#[derive(Debug)]
pub struct Shared {
    pub state_dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub pod_logs: PathBuf,
}

/// The outcome of the one start attempt: every test that asks gets the same answer.
static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

/// The test binary's shared cluster, started by the first test that asks.
pub fn get() -> &'static Shared {
    match SHARED.get_or_init(start) {
        Ok(shared) => shared,
        Err(e) => panic!(
            "cannot start the shared local control plane (build it with scripts/k8s-bins): {e}"
        ),
    }
}

fn start() -> Result<Shared, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("shared-cluster".into())
        .spawn(move || keep(&tx))
        .map_err(|e| format!("cannot start the thread that keeps it: {e}"))?;
    let shared = rx
        .recv()
        .map_err(|_| "the thread keeping it ended before it started".to_string())??;
    // SAFETY: registers a plain `extern "C" fn()` with the C library, once.
    if unsafe { atexit(stop_at_exit) } != 0 {
        return Err("cannot register the hook that stops it at exit".into());
    }
    Ok(shared)
}

/// Starts the cluster on this thread, reports where it is, and never returns.
fn keep(tx: &Sender<Result<Shared, String>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = tx.send(Err(format!("no tokio runtime: {e}")));
            return;
        }
    };
    // A current-thread runtime: the processes are spawned from this very thread.
    match runtime.block_on(DevCluster::start(StartOptions::default())) {
        Ok(cluster) => {
            let shared = Shared {
                state_dir: cluster.state_dir().to_path_buf(),
                kubeconfig: cluster.kubeconfig_path(),
                pod_logs: cluster.pod_logs_dir(),
            };
            if tx.send(Ok(shared)).is_err() {
                return;
            }
            // Held, never dropped: the atexit hook (or the kernel) stops it.
            let _cluster = cluster;
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            let _ = tx.send(Err(format!("{e:#}")));
        }
    }
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

/// Stops the shared cluster's processes and removes its directory. Runs after the last
/// test, when the binary exits; it must not panic (it would abort).
extern "C" fn stop_at_exit() {
    if let Some(Ok(shared)) = SHARED.get()
        && let Err(e) = devcluster::destroy(&shared.state_dir)
    {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "stopping the shared cluster in {}: {e:#}",
            shared.state_dir.display()
        );
    }
}
