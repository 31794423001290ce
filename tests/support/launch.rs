//! The one way tests and benchmarks start the kolla-dash binary: with the test process's
//! environment minus everything that would steer it somewhere else than the test says (a
//! developer's KOLLA_DASH_* settings, an in-cluster service account, NO_COLOR, XDG state
//! and config directories, a KUBECONFIG, RUST_BACKTRACE), so a run means the same on every
//! machine. What a run needs (KUBECONFIG, TERM, NO_COLOR) the test sets explicitly.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_kolla-dash");

/// Variables that only say where the local control plane's binaries are (see
/// docs/dev-cluster.md): the binary must find the same ones as the test process.
const KEPT: [&str; 3] = [
    "KOLLA_DASH_K8S_BIN_DIR",
    "KOLLA_DASH_CACHE_DIR",
    "XDG_CACHE_HOME",
];

/// Whether a variable of the test process may reach the binary.
fn passes(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return true;
    };
    if KEPT.contains(&name) {
        return true;
    }
    let steers = name.starts_with("KOLLA_DASH_")
        || name.starts_with("KUBERNETES_SERVICE_")
        || name.starts_with("XDG_")
        || name.ends_with("_BACKTRACE")
        || name == "KUBECONFIG"
        || name == "NO_COLOR";
    !steers
}

/// The environment every run of the binary starts from.
pub fn clean_env() -> Vec<(OsString, OsString)> {
    std::env::vars_os().filter(|(k, _)| passes(k)).collect()
}

/// `kolla-dash` with the clean environment, run from the repository (where `./etc` is).
pub fn command() -> Command {
    command_for(BIN)
}

/// Any program (a shell that runs kolla-dash) with the same clean environment.
pub fn command_for(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .envs(clean_env())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `kolla-dash dev-cluster ARGS --state-dir DIR`, as an operator types it.
pub fn dev_cluster(args: &[&str], state_dir: &Path) -> std::process::Output {
    command()
        .arg("dev-cluster")
        .args(args)
        .arg("--state-dir")
        .arg(state_dir)
        .output()
        .expect("run kolla-dash dev-cluster")
}

/// A kubeconfig whose only context points at a port nothing listens on: the binary draws
/// its screen or refuses bad names without a cluster, and anything that needs one fails.
pub fn unreachable_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("unreachable-kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n\
         clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n\
         users: [{name: dead, user: {token: not-a-token}}]\n\
         contexts: [{name: dead, context: {cluster: dead, user: dead, namespace: kolla}}]\n",
    )
    .expect("write a kubeconfig");
    path
}
