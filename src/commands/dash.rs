//! Opening the dashboard: on the current cluster, or (`demo`) on a throwaway local one.

use std::path::Path;

use anyhow::Context as _;

use crate::cli::{DashArgs, DemoArgs, GlobalArgs};
use crate::cluster::client::Cluster;
use crate::devcluster::bins::Binaries;
use crate::devcluster::{DevCluster, Progress, StartOptions};
use crate::engine::{Engine, load_config};
use crate::tui::{self, DashOptions};

pub async fn dash(global: &GlobalArgs, args: &DashArgs) -> anyhow::Result<()> {
    let engine = Engine::connect(global).await?;
    tui::run(
        engine,
        DashOptions {
            readonly: args.readonly,
            local_cluster: false,
            no_color: global.colour_off(),
        },
        global,
    )
    .await
}

/// Starts a local cluster (building the control plane first if this is a source checkout
/// without it), opens the dashboard on it, and stops the cluster when the dashboard closes.
pub async fn demo(global: &GlobalArgs, args: &DemoArgs) -> anyhow::Result<()> {
    if global.context.is_some() {
        anyhow::bail!("demo runs its own local cluster; --context applies to `kolla-dash dash`");
    }
    ensure_binaries()?;
    let (catalog, config) = load_config(global)?;
    eprintln!(
        "starting a local Kubernetes cluster with {} nodes ...",
        args.nodes
    );
    let dev = DevCluster::start(StartOptions {
        nodes: args.nodes,
        state_dir: None,
        progress: Progress::Stderr,
    })
    .await
    .context("the demo cluster did not start")?;
    let cluster = Cluster {
        client: dev.client(),
        context: "kolla-dash-demo".into(),
    };
    let engine = Engine::new(catalog, config, cluster);
    let result = tui::run(
        engine,
        DashOptions {
            readonly: args.dash.readonly,
            local_cluster: true,
            no_color: global.colour_off(),
        },
        global,
    )
    .await;
    eprintln!("stopping the demo cluster ...");
    // Dropping the throwaway cluster stops its processes and removes its state.
    drop(dev);
    result
}

/// Builds the control plane with the repository's script when its binaries are missing.
fn ensure_binaries() -> anyhow::Result<()> {
    if Binaries::locate().is_ok() {
        return Ok(());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/k8s-bins");
    if !script.is_file() {
        // Not a source checkout: say what is missing and how to get it.
        Binaries::locate()?;
    }
    eprintln!(
        "building the local control plane first ({}); this takes ~10-20 minutes once",
        script.display()
    );
    let status = std::process::Command::new(&script)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        anyhow::bail!(
            "{} failed ({status}); see its output above",
            script.display()
        );
    }
    Binaries::locate().map(|_| ())
}
