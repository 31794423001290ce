//! Workflow benchmark against a local control plane (not a test: it prints numbers).
//!
//!   cargo bench --bench deploy
//!
//! Wall time of `kolla-dash deploy` from an empty namespace until every service is ready
//! (the command exits only then), next to the guide's sleep-based operator sequence: the
//! same verbs run back to back (their own time) plus the guide's five `sleep 30`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kolla_dash::devcluster::{DevCluster, StartOptions};

const RUNS: usize = 3;
/// The guide's operator sequence, and the seconds it sleeps after each command.
const GUIDE: [(&str, &str, u64); 8] = [
    ("bootstrap", "ceph", 0),
    ("bootstrap", "mariadb", 30),
    ("resource delete", "mariadb bootstrap", 0),
    ("run", "mariadb", 0),
    ("run", "memcached", 30),
    ("bootstrap", "keystone", 30),
    ("run", "keystone", 30),
    ("run", "horizon", 0),
];

fn kolla(kubeconfig: &Path, ns: &str, args: &[&str]) -> anyhow::Result<Duration> {
    let log = std::env::temp_dir().join("kolla-dash-bench-deploy.log");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
        .env("KUBECONFIG", kubeconfig)
        .arg("--namespace")
        .arg(ns)
        .arg("--log-file")
        .arg(&log)
        .args(args)
        .output()?;
    let took = t.elapsed();
    if !out.status.success() {
        anyhow::bail!(
            "kolla-dash {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    println!("kolla-dash deploy benchmark ({RUNS} runs, fresh namespace each)");
    let cluster = DevCluster::start(StartOptions::default()).await?;
    let kubeconfig = cluster.kubeconfig_path();
    let mut deploys = Vec::new();
    for run in 0..RUNS {
        let took = kolla(&kubeconfig, &format!("deploy-{run}"), &["deploy"])?;
        println!("  deploy #{run}: {:.2} s", took.as_secs_f64());
        deploys.push(took);
    }
    let noop = kolla(&kubeconfig, "deploy-0", &["deploy"])?;

    // The guide's commands without their sleeps, to add the sleeps to.
    let mut commands = Duration::ZERO;
    let mut sleeps = 0;
    for (verb, rest, sleep) in GUIDE {
        let mut args: Vec<&str> = verb.split(' ').collect();
        args.extend(rest.split(' '));
        commands += kolla(&kubeconfig, "guide", &args)?;
        sleeps += sleep;
    }
    let deploy = median(deploys);
    println!(
        "full deploy, empty namespace -> every service ready: {:.2} s (median of {RUNS})",
        deploy.as_secs_f64()
    );
    println!("second deploy (nothing to do): {:.2} s", noop.as_secs_f64());
    println!(
        "guide's operator sequence: {:.2} s of commands + {sleeps} s of sleep = {:.1} s, and nothing checked",
        commands.as_secs_f64(),
        commands.as_secs_f64() + sleeps as f64
    );
    println!("target: all ready in under 20 s");
    drop(cluster);
    Ok(())
}
