//! `kolla-dash dev-cluster ...`: the local control plane from the command line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::{
    Component, DevCluster, Progress, StartOptions, destroy, is_running, process, staleness,
};
use crate::cli::{BreakMode, DevClusterCommand, GlobalArgs, NodeSet, StateDirArg};
use crate::cluster::simulate::{self, Breakage};
use crate::engine::load_config;

pub async fn run(cmd: DevClusterCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match cmd {
        DevClusterCommand::Up(args) => up(args.nodes, &state_dir(&args.state)?).await,
        DevClusterCommand::Status(arg) => status(&state_dir(&arg)?).await,
        DevClusterCommand::Down(arg) => down(&state_dir(&arg)?),
        DevClusterCommand::FailNode(arg) => {
            let cluster = DevCluster::attach(&state_dir(&arg.state)?).await?;
            for node in targets(&cluster, &arg.nodes).await? {
                if arg.vanish {
                    cluster.vanish_node(&node).await?;
                    println!("{node} vanishes: its lease lapses and it turns Unknown in ~10 s");
                } else {
                    cluster.fail_node(&node).await?;
                    println!("{node} fails: it turns NotReady within seconds");
                }
            }
            Ok(())
        }
        DevClusterCommand::Break(arg) => {
            let (_, config) = load_config(global)?;
            let cluster = DevCluster::attach(&state_dir(&arg.state)?).await?;
            let how = breakage(arg.mode);
            simulate::break_pod(&cluster.client(), &config.namespace, &arg.pod, how).await?;
            println!("{} in {}: {}", arg.pod, config.namespace, how.what());
            Ok(())
        }
        DevClusterCommand::RestoreNode(arg) => {
            let cluster = DevCluster::attach(&state_dir(&arg.state)?).await?;
            for node in targets(&cluster, &arg.nodes).await? {
                cluster.restore_node(&node).await?;
                println!("{node} restored: it turns Ready within seconds");
            }
            Ok(())
        }
        DevClusterCommand::PauseApiserver(arg) => {
            let cluster = DevCluster::attach(&state_dir(&arg)?).await?;
            let pid = cluster.pause_component(Component::ApiServer)?;
            println!(
                "kube-apiserver (pid {pid}) paused: it keeps its port but answers nothing; \
                 `kolla-dash dev-cluster resume-apiserver` lets it run again"
            );
            Ok(())
        }
        DevClusterCommand::ResumeApiserver(arg) => {
            let cluster = DevCluster::attach(&state_dir(&arg)?).await?;
            let pid = cluster.resume_component(Component::ApiServer)?;
            println!("kube-apiserver (pid {pid}) runs again");
            Ok(())
        }
    }
}

/// The nodes a drill names, or every node with `--all`.
async fn targets(cluster: &DevCluster, set: &NodeSet) -> anyhow::Result<Vec<String>> {
    if set.all {
        cluster.all_nodes().await
    } else {
        Ok(set.nodes.clone())
    }
}

fn breakage(mode: BreakMode) -> Breakage {
    match mode {
        BreakMode::Imagepull => Breakage::ImagePull,
        BreakMode::Crashloop => Breakage::CrashLoop,
        BreakMode::Oom => Breakage::Oom,
        BreakMode::Unready => Breakage::Unready,
        BreakMode::Evicted => Breakage::Evicted,
    }
}

/// `--state-dir`, else `$XDG_STATE_HOME/kolla-dash/dev-cluster`, else
/// `~/.local/state/kolla-dash/dev-cluster`.
fn state_dir(arg: &StateDirArg) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &arg.state_dir {
        return Ok(dir.clone());
    }
    let base = match std::env::var_os("XDG_STATE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => super::bins::home_dir()?.join(".local").join("state"),
    };
    Ok(base.join("kolla-dash").join("dev-cluster"))
}

async fn up(nodes: u32, dir: &Path) -> anyhow::Result<()> {
    if is_running(dir)? {
        println!("a dev-cluster is already running in {}", dir.display());
        print_usage(dir);
        return Ok(());
    }
    if let Some(stale) = staleness(dir)? {
        eprintln!(
            "[dev-cluster] {} is stale ({}): cleaning it",
            dir.display(),
            stale.join("; ")
        );
    }
    let opts = StartOptions {
        nodes,
        state_dir: Some(dir.to_owned()),
        progress: Progress::Stderr,
    };
    let cluster = tokio::select! {
        started = DevCluster::start(opts) => started.with_context(|| {
            format!("starting the dev-cluster (logs in {})", dir.join("logs").display())
        })?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("[dev-cluster] interrupted: stopping what was started");
            destroy(dir)?;
            anyhow::bail!("interrupted");
        }
    };
    println!(
        "dev-cluster up: Kubernetes {}, {} nodes Ready, state in {}",
        cluster.versions().kube,
        nodes,
        dir.display()
    );
    print_usage(dir);
    Ok(())
}

fn print_usage(dir: &Path) {
    let flag = format!(" --state-dir {}", dir.display());
    println!("\n  export KUBECONFIG={}", dir.join("kubeconfig").display());
    println!("  kubectl get nodes");
    println!("  kolla-dash dev-cluster status{flag}");
    println!("  kolla-dash dev-cluster fail-node kolla-node-1{flag}");
    println!("  kolla-dash dev-cluster fail-node --all{flag}");
    println!("  kolla-dash dev-cluster pause-apiserver{flag}");
    println!("  kolla-dash dev-cluster down{flag}");
}

async fn status(dir: &Path) -> anyhow::Result<()> {
    if let Some(stale) = staleness(dir)? {
        println!(
            "dev-cluster in {}: stale, none of its processes runs",
            dir.display()
        );
        for line in stale {
            println!("  {line}");
        }
        println!("`kolla-dash dev-cluster up` or `down` cleans it");
        return Ok(());
    }
    let cluster = DevCluster::attach(dir).await?;
    let ports = cluster.ports();
    println!("dev-cluster in {}", dir.display());
    println!("{:<24} {:>8}  {:<6}  PORT", "COMPONENT", "PID", "STATE");
    for component in Component::ALL {
        let proc = cluster.state.pids.get(&component);
        // A pid someone else has now is not this component.
        let state = match proc {
            Some(p) if p.is_running() && process::is_paused(p.pid) => "paused",
            Some(p) if p.is_running() => "alive",
            _ => "dead",
        };
        println!(
            "{:<24} {:>8}  {:<6}  {}",
            component.to_string(),
            proc.map_or_else(|| "-".to_owned(), |p| p.pid.to_string()),
            state,
            component
                .port(&ports)
                .map_or_else(|| "-".to_owned(), |p| p.to_string())
        );
    }
    println!();
    match tokio::time::timeout(Duration::from_secs(5), cluster.node_readiness()).await {
        Ok(Ok(nodes)) => {
            println!("{:<24} READY", "NODE");
            for (name, ready) in nodes {
                println!("{name:<24} {}", if ready { "Ready" } else { "NotReady" });
            }
        }
        Ok(Err(e)) => println!("nodes: cannot list them: {e:#}"),
        Err(_) => println!("nodes: the apiserver did not answer within 5 s"),
    }
    Ok(())
}

fn down(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        println!("no dev-cluster in {}", dir.display());
        return Ok(());
    }
    if let Some(stale) = staleness(dir)? {
        println!("{} was stale: {}", dir.display(), stale.join("; "));
    }
    destroy(dir)?;
    println!("dev-cluster stopped; {} removed", dir.display());
    Ok(())
}
