//! Workflow benchmark against a local control plane (not a test: it prints numbers).
//!
//!   cargo bench --bench deploy
//!
//! Wall time of `kolla-dash deploy` from an empty namespace until every service is ready
//! (the command exits only then), next to the guide's sleep-based operator sequence: the
//! same verbs run back to back (their own time) plus the guide's five `sleep 30`. Also the
//! local control plane's start-up, alone on the machine.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::cluster::TestCluster;

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

/// Runs `kolla-dash ARGS` in `ns` (the one launcher tests use); how long it took.
fn kolla(cluster: &TestCluster, ns: &str, args: &[&str]) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let run = cluster.kolla(ns).run(&args.join(" "));
    let took = t.elapsed();
    anyhow::ensure!(
        run.success,
        "kolla-dash {} failed: {}",
        args.join(" "),
        run.stderr
    );
    Ok(took)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    println!("kolla-dash deploy benchmark ({RUNS} runs, fresh namespace each)");
    let t = Instant::now();
    let cluster = TestCluster::start();
    println!(
        "local control plane up, 3 nodes Ready: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let mut deploys = Vec::new();
    for run in 0..RUNS {
        let took = kolla(&cluster, &format!("deploy-{run}"), &["deploy"])?;
        println!("  deploy #{run}: {:.2} s", took.as_secs_f64());
        deploys.push(took);
    }
    let noop = kolla(&cluster, "deploy-0", &["deploy"])?;

    // The guide's commands without their sleeps, to add the sleeps to.
    let mut commands = Duration::ZERO;
    let mut sleeps = 0;
    for (verb, rest, sleep) in GUIDE {
        let mut args: Vec<&str> = verb.split(' ').collect();
        args.extend(rest.split(' '));
        commands += kolla(&cluster, "guide", &args)?;
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
