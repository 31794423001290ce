//! The local control plane against the real binaries (built by `scripts/k8s-bins`):
//! start-up, workloads, static volumes, node failure, `dev-cluster up/down` as a process,
//! and the test support's shared cluster, which must outlive the test that started it and
//! go with the test binary. Each test starts its own cluster (they fail nodes, stop the
//! API server, or are about starting and stopping), so they also show several clusters
//! running at once.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kolla_dash::devcluster::{Component, DevCluster, StartOptions};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use support::cluster::TestCluster;
use support::launch;
use support::wait::{wait_for, wait_for_async};

const NS: &str = "default";
/// The longest delay of kwok's pod-recover stage (assets/kwok/stages.yaml).
const POD_RECOVER_LONGEST_DELAY: Duration = Duration::from_millis(1500);

async fn start(nodes: u32) -> (DevCluster, Duration) {
    let t = Instant::now();
    let cluster = DevCluster::start(StartOptions {
        nodes,
        ..StartOptions::default()
    })
    .await
    .unwrap_or_else(|e| panic!("cannot start a dev-cluster: {e:#}"));
    (cluster, t.elapsed())
}

async fn create<K>(client: &Client, object: serde_json::Value) -> K
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + serde::Serialize,
    K::DynamicType: Default,
{
    let object: K = serde_json::from_value(object).expect("valid object");
    Api::<K>::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &object)
        .await
        .expect("create")
}

fn pod_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Ready pods of the `app=<app>` Deployment, as pod name -> node name.
async fn ready_pods(client: &Client, app: &str) -> BTreeMap<String, String> {
    let pods = Api::<Pod>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels(&format!("app={app}")))
        .await
        .expect("list pods");
    pods.items
        .iter()
        .filter(|p| pod_ready(p))
        .filter_map(|p| {
            let node = p.spec.as_ref()?.node_name.clone()?;
            Some((p.metadata.name.clone()?, node))
        })
        .collect()
}

fn deployment(name: &str, replicas: i32) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": {
                    // One per node, enforced by the scheduler; a tainted (failed) node is no
                    // longer a domain, so replacements may double up on the others.
                    "topologySpreadConstraints": [{
                        "maxSkew": 1,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "DoNotSchedule",
                        "nodeTaintsPolicy": "Honor",
                        "labelSelector": { "matchLabels": { "app": name } },
                    }],
                    "containers": [{ "name": "main", "image": "registry.invalid/app:1" }],
                },
            },
        },
    })
}

fn job(name: &str, annotations: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": { "name": name },
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": { "annotations": annotations },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{ "name": "main", "image": "registry.invalid/job:1" }],
                },
            },
        },
    })
}

async fn job_condition(client: &Client, name: &str) -> Option<String> {
    let job = Api::<Job>::namespaced(client.clone(), NS)
        .get(name)
        .await
        .ok()?;
    job.status?
        .conditions?
        .into_iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| c.type_)
}

/// Start-up time is printed (`cargo bench --bench deploy` measures it without other
/// clusters starting beside it); what is asserted is what `start` promises.
#[tokio::test]
async fn starts_and_runs_workloads_jobs_and_static_volumes() {
    let (mut cluster, took) = start(3).await;
    let readiness = cluster.node_readiness().await.expect("nodes");
    println!("apiserver ready and 3 nodes Ready {took:.1?} after start");
    assert_eq!(readiness.len(), 3, "{readiness:?}");
    assert!(readiness.values().all(|&r| r), "{readiness:?}");
    let client = cluster.client();

    create::<Deployment>(&client, deployment("web", 3)).await;
    let pods = wait_for_async("3 Ready pods of web", Duration::from_secs(30), || async {
        let pods = ready_pods(&client, "web").await;
        (pods.len() == 3).then_some(pods)
    })
    .await;
    let nodes: BTreeSet<&String> = pods.values().collect();
    assert_eq!(nodes.len(), 3, "pods not spread over the nodes: {pods:?}");

    create::<Job>(&client, job("done", json!({}))).await;
    create::<Job>(
        &client,
        job("broken", json!({ "kolla-dash.dev/simulate": "fail" })),
    )
    .await;
    let done = wait_for_async("job done to finish", Duration::from_secs(30), || {
        job_condition(&client, "done")
    })
    .await;
    assert_eq!(done, "Complete");
    let broken = wait_for_async("job broken to finish", Duration::from_secs(30), || {
        job_condition(&client, "broken")
    })
    .await;
    assert_eq!(broken, "Failed");
    let failed_pods = Api::<Pod>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels("job-name=broken"))
        .await
        .expect("list");
    let exit_codes: Vec<i32> = failed_pods
        .items
        .iter()
        .flat_map(|p| {
            p.status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
        })
        .filter_map(|c| Some(c.state.as_ref()?.terminated.as_ref()?.exit_code))
        .collect();
    assert_eq!(exit_codes, vec![1]);

    let pv: PersistentVolume = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": { "name": "data" },
        "spec": {
            "capacity": { "storage": "1Gi" },
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "manual",
            "hostPath": { "path": "/var/lib/kolla/data" },
        },
    }))
    .expect("pv");
    Api::<PersistentVolume>::all(client.clone())
        .create(&PostParams::default(), &pv)
        .await
        .expect("create pv");
    create::<PersistentVolumeClaim>(
        &client,
        json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": { "name": "data" },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "manual",
                "resources": { "requests": { "storage": "1Gi" } },
            },
        }),
    )
    .await;
    let pvcs = Api::<PersistentVolumeClaim>::namespaced(client.clone(), NS);
    let volume = wait_for_async("the claim to bind", Duration::from_secs(30), || async {
        let pvc = pvcs.get("data").await.ok()?;
        let bound = pvc.status?.phase.as_deref() == Some("Bound");
        bound.then_some(pvc.spec?.volume_name?)
    })
    .await;
    assert_eq!(volume, "data");

    // The apiserver can be stopped and started again mid-session (issue 6 relies on it).
    let old_pid = cluster.pids()[&Component::ApiServer];
    cluster.stop_component(Component::ApiServer).expect("stop");
    assert!(!cluster.pids().contains_key(&Component::ApiServer));
    assert!(!pid_alive(old_pid), "the old apiserver still runs");
    assert!(
        cluster.node_readiness().await.is_err(),
        "apiserver still answers"
    );
    cluster
        .start_component(Component::ApiServer)
        .await
        .expect("restart");
    assert_ne!(cluster.pids()[&Component::ApiServer], old_pid);
    // If the restart outlasted the node monitor's 10 s grace, the nodes' pods were marked
    // not ready meanwhile; the simulated kubelets report them ready again.
    wait_for_async(
        "web's 3 pods ready after the restart",
        Duration::from_secs(30),
        || async { (ready_pods(&client, "web").await.len() == 3).then_some(()) },
    )
    .await;

    let pids = cluster.pids();
    drop(cluster);
    for (component, pid) in pids {
        assert!(!pid_alive(pid), "{component} (pid {pid}) survived the drop");
    }
}

#[tokio::test]
async fn a_failed_node_loses_its_pods_and_comes_back() {
    let (cluster, _) = start(3).await;
    let client = cluster.client();
    create::<Deployment>(&client, deployment("api", 3)).await;
    let before = wait_for_async("3 Ready pods of api", Duration::from_secs(30), || async {
        let pods = ready_pods(&client, "api").await;
        (pods.len() == 3).then_some(pods)
    })
    .await;
    let victim = "kolla-node-2";
    let evicted: Vec<&String> = before
        .iter()
        .filter(|&(_, node)| node == victim)
        .map(|(pod, _)| pod)
        .collect();
    assert!(!evicted.is_empty(), "nothing ran on {victim}: {before:?}");

    let t = Instant::now();
    cluster.fail_node(victim).await.expect("fail node");
    wait_for_async(
        "the node to turn NotReady",
        Duration::from_secs(20),
        || async {
            let r = cluster.node_readiness().await.ok()?;
            (r.get(victim) == Some(&false)).then_some(())
        },
    )
    .await;
    let after = wait_for_async(
        "replacements Ready on other nodes",
        Duration::from_secs(60),
        || async {
            let pods = ready_pods(&client, "api").await;
            let moved = pods.len() == 3
                && pods.values().all(|node| node != victim)
                && evicted.iter().all(|p| !pods.contains_key(*p));
            moved.then_some(pods)
        },
    )
    .await;
    println!(
        "node failed -> replacements Ready in {:.1?}: {after:?}",
        t.elapsed()
    );
    let gone = Api::<Pod>::namespaced(client.clone(), NS)
        .list(&ListParams::default().fields(&format!("spec.nodeName={victim}")))
        .await
        .expect("list");
    assert!(gone.items.is_empty(), "pods left on {victim}");

    cluster.restore_node(victim).await.expect("restore");
    wait_for_async(
        "the node to be Ready again",
        Duration::from_secs(20),
        || async {
            let r = cluster.node_readiness().await.ok()?;
            (r.get(victim) == Some(&true)).then_some(())
        },
    )
    .await;
    let err = cluster
        .fail_node("no-such-node")
        .await
        .expect_err("unknown node");
    assert!(err.to_string().contains("kolla-node-1"), "{err}");
}

/// Marks a pod's Ready condition False as the node lifecycle controller does when a node's
/// lease lapses (it writes only that condition).
async fn mark_not_ready(client: &Client, pod: &str) {
    let patch = json!({ "status": { "conditions": [
        { "type": "Ready", "status": "False", "lastTransitionTime": jiff::Timestamp::now().to_string() }
    ] } });
    Api::<Pod>::namespaced(client.clone(), NS)
        .patch_status(
            pod,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Strategic(&patch),
        )
        .await
        .unwrap_or_else(|e| panic!("mark {pod} not ready: {e}"));
}

async fn is_ready(client: &Client, pod: &str) -> bool {
    let pod = Api::<Pod>::namespaced(client.clone(), NS)
        .get(pod)
        .await
        .expect("get pod");
    pod_ready(&pod)
}

/// What the simulated kubelets do with a pod marked not ready: on a Ready node they report
/// it Ready again; on a failed node (and for a pod simulating a failure) they do not, until
/// the node is restored.
#[tokio::test]
async fn simulated_kubelets_re_report_readiness_only_where_a_kubelet_would() {
    let (cluster, _) = start(3).await;
    let client = cluster.client();
    // Tolerating the not-ready taint, the pods stay on a failed node.
    let mut web = deployment("web", 3);
    web["spec"]["template"]["spec"]["tolerations"] = json!([{
        "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"
    }]);
    create::<Deployment>(&client, web).await;
    let pods = wait_for_async("3 Ready pods of web", Duration::from_secs(30), || async {
        let pods = ready_pods(&client, "web").await;
        (pods.len() == 3).then_some(pods)
    })
    .await;
    let on = |node: &str| {
        pods.iter()
            .find(|(_, n)| n.as_str() == node)
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| panic!("no web pod on {node}: {pods:?}"))
    };
    let (healthy, on_failed, rehearsing) =
        (on("kolla-node-1"), on("kolla-node-2"), on("kolla-node-3"));
    cluster.fail_node("kolla-node-2").await.expect("fail node");
    wait_for_async("kolla-node-2 NotReady", Duration::from_secs(20), || async {
        let r = cluster.node_readiness().await.ok()?;
        (r.get("kolla-node-2") == Some(&false)).then_some(())
    })
    .await;
    // A pod simulating a failure of its own is left to the stage simulating it.
    let annotate =
        json!({ "metadata": { "annotations": { "kolla-dash.dev/simulate": "rehearsal" } } });
    Api::<Pod>::namespaced(client.clone(), NS)
        .patch(
            &rehearsing,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&annotate),
        )
        .await
        .expect("annotate");

    for pod in [&on_failed, &rehearsing, &healthy] {
        mark_not_ready(&client, pod).await;
    }
    wait_for_async(
        "the pod on the Ready node to report Ready again",
        Duration::from_secs(20),
        || async { is_ready(&client, &healthy).await.then_some(()) },
    )
    .await;
    // No condition shows that a stage chose not to act: pod-recover writes 0.5-1.5 s after
    // it matches, and the others were marked first, so once that longest delay has passed
    // they would be Ready too if any stage re-readied them.
    tokio::time::sleep(POD_RECOVER_LONGEST_DELAY).await;
    assert!(
        !is_ready(&client, &on_failed).await,
        "a pod on a failed node stays not ready"
    );
    assert!(
        !is_ready(&client, &rehearsing).await,
        "a pod simulating a failure keeps failing"
    );

    cluster.restore_node("kolla-node-2").await.expect("restore");
    wait_for_async(
        "the pod on the restored node to report Ready again",
        Duration::from_secs(20),
        || async { is_ready(&client, &on_failed).await.then_some(()) },
    )
    .await;
    let annotations = Api::<Pod>::namespaced(client.clone(), NS)
        .get(&on_failed)
        .await
        .expect("get pod")
        .metadata
        .annotations
        .unwrap_or_default();
    assert!(
        !annotations.contains_key("kolla-dash.dev/node-failed"),
        "restore lifts the mark: {annotations:?}"
    );
}

fn pid_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(
        |s| !matches!(s.rsplit(')').next().map(str::trim_start), Some(r) if r.starts_with('Z')),
    )
}

fn kolla_dash(args: &[&str], state_dir: &Path) -> std::process::Output {
    launch::dev_cluster(args, state_dir)
}

/// What a command printed, stdout then stderr.
fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `dev-cluster down` on `state_dir`, which must succeed.
fn down(state_dir: &Path) {
    let out = kolla_dash(&["down"], state_dir);
    assert!(out.status.success(), "down failed: {}", text(&out));
}

/// component -> pid, as `cluster.json` records them (each with its start time and binary).
fn recorded_pids(state_dir: &Path) -> BTreeMap<String, u32> {
    let Some(state) = std::fs::read_to_string(state_dir.join("cluster.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        return BTreeMap::new();
    };
    let procs = state["pids"].as_object().cloned().unwrap_or_default();
    procs
        .into_iter()
        .filter_map(|(component, p)| Some((component, u32::try_from(p["pid"].as_u64()?).ok()?)))
        .collect()
}

/// A state directory left by a crashed cluster whose pids now belong to someone else (here
/// a `sleep`): its start time differs (apiserver), its binary differs (etcd), or only a
/// bare pid was recorded (controller-manager, as older versions wrote).
fn stale_state_dir(dir: &Path, other: u32) {
    let bins = kolla_dash::devcluster::Binaries::locate().expect("control plane built");
    std::fs::create_dir_all(dir).expect("mkdir");
    let start: u64 = std::fs::read_to_string(format!("/proc/{other}/stat"))
        .expect("stat")
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19)?.parse().ok())
        .expect("start time");
    let state = json!({
        "versions": bins.versions,
        "bin_dir": bins.dir,
        "ports": {"etcd_client": 1, "etcd_peer": 2, "apiserver": 3},
        "nodes": 1,
        "pids": {
            "api-server": {"pid": other, "start": start + 1,
                           "exe": bins.dir.join("kube-apiserver")},
            "etcd": {"pid": other, "start": start, "exe": bins.dir.join("etcd")},
            "controller-manager": other,
        },
    });
    std::fs::write(dir.join("cluster.json"), state.to_string()).expect("write cluster.json");
}

#[test]
fn a_recorded_pid_that_is_another_process_now_is_neither_running_nor_signalled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cluster");
    let mut other = Command::new("sleep").arg("600").spawn().expect("sleep");
    let pid = other.id();

    stale_state_dir(&dir, pid);
    let status = kolla_dash(&["status"], &dir);
    let out = text(&status);
    assert!(status.status.success(), "{out}");
    assert!(out.contains("stale") && !out.contains("alive"), "{out}");
    assert!(
        out.contains("the pid is now /") && out.contains("sleep's"),
        "{out}"
    );
    down(&dir);
    assert!(
        pid_alive(pid),
        "down signalled a process that is not the cluster's"
    );
    assert!(!dir.exists(), "down left the stale state");

    stale_state_dir(&dir, pid);
    let up = kolla_dash(&["up", "--nodes", "1"], &dir);
    let out = text(&up);
    assert!(up.status.success(), "{out}");
    assert!(
        !out.contains("already running") && out.contains("is stale") && out.contains("cleaning it"),
        "{out}"
    );
    assert!(
        pid_alive(pid),
        "up signalled a process that is not the cluster's"
    );

    // A running cluster recorded by an older version (bare pids) is still recognised: each
    // pid is one of our binaries naming this state dir.
    let path = dir.join("cluster.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let started = recorded_pids(&dir);
    assert_eq!(started.len(), 5, "{state}");
    state["pids"] = started
        .iter()
        .map(|(component, pid)| (component.clone(), json!(pid)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    std::fs::write(&path, state.to_string()).expect("write");
    let status = kolla_dash(&["status"], &dir);
    let out = text(&status);
    assert_eq!(out.matches("alive").count(), 5, "{out}");
    assert!(!out.contains("stale"), "{out}");
    assert!(text(&kolla_dash(&["up"], &dir)).contains("already running"));

    down(&dir);
    assert!(
        pid_alive(pid),
        "down signalled a process that is not the cluster's"
    );
    for (component, pid) in started {
        assert!(!pid_alive(pid), "{component} (pid {pid}) survived down");
    }
    other.kill().expect("stop sleep");
    other.wait().expect("reap sleep");
}

#[test]
fn cli_up_is_idempotent_and_down_stops_everything_even_after_an_interrupted_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cluster");

    let up = kolla_dash(&["up", "--nodes", "2"], &dir);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert!(String::from_utf8_lossy(&up.stdout).contains("export KUBECONFIG="));
    let pids = recorded_pids(&dir);
    assert_eq!(pids.len(), 5, "{pids:?}");

    let again = kolla_dash(&["up"], &dir);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already running"));
    assert_eq!(recorded_pids(&dir), pids, "a second up changed the cluster");

    let status = String::from_utf8_lossy(&kolla_dash(&["status"], &dir).stdout).into_owned();
    assert_eq!(status.matches("alive").count(), 5, "{status}");
    assert_eq!(status.matches(" Ready").count(), 2, "{status}");

    down(&dir);
    for (component, pid) in &pids {
        assert!(!pid_alive(*pid), "{component} (pid {pid}) survived down");
    }
    assert!(!dir.exists());

    // Interrupted: kill `up` once the apiserver has started, before the nodes exist.
    let mut up = launch::command()
        .args(["dev-cluster", "up", "--state-dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn up");
    wait_for("up to start the apiserver", Duration::from_secs(30), || {
        recorded_pids(&dir).contains_key("api-server")
    });
    up.kill().expect("kill up");
    let status = up.wait().expect("reap up");
    let left = recorded_pids(&dir);
    // `up` was still running (it waits for the apiserver to answer before it starts kwok):
    // the kill interrupted it, not a finished start.
    assert_eq!(status.signal(), Some(9), "up had finished: {status}");
    assert!(
        !left.contains_key("kwok"),
        "up got as far as the nodes: {left:?}"
    );
    assert!(
        left.values().any(|&pid| pid_alive(pid)),
        "nothing to clean up: {left:?}"
    );

    down(&dir);
    for (component, pid) in &left {
        assert!(!pid_alive(*pid), "{component} (pid {pid}) survived down");
    }
    assert!(!dir.exists());
}

#[test]
fn missing_binaries_name_the_build_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cluster");
    let out = launch::command()
        .args(["dev-cluster", "up", "--state-dir"])
        .arg(&dir)
        .env("KOLLA_DASH_K8S_BIN_DIR", tmp.path().join("no-bins"))
        .output()
        .expect("run kolla-dash");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scripts/k8s-bins"), "{stderr}");
    assert!(!dir.exists(), "a failed check left state behind");
}

#[test]
fn a_component_that_dies_at_start_shows_the_end_of_its_log() {
    let real = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/k8s-bins"))
        .arg("--print")
        .output()
        .expect("run scripts/k8s-bins --print");
    assert!(
        real.status.success(),
        "control plane not built: run scripts/k8s-bins"
    );
    let real = std::path::PathBuf::from(String::from_utf8_lossy(&real.stdout).trim());
    let tmp = tempfile::tempdir().expect("tempdir");
    let bins = tmp.path().join("bins");
    std::fs::create_dir(&bins).expect("mkdir");
    for name in ["etcd", "kube-controller-manager", "kube-scheduler", "kwok"] {
        std::os::unix::fs::symlink(real.join(name), bins.join(name)).expect("symlink");
    }
    let broken = bins.join("kube-apiserver");
    std::fs::write(
        &broken,
        "#!/bin/sh\necho 'E0000 broken on purpose' >&2\nexit 1\n",
    )
    .expect("write");
    std::fs::set_permissions(&broken, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");

    let dir = tmp.path().join("cluster");
    let out = launch::command()
        .args(["dev-cluster", "up", "--state-dir"])
        .arg(&dir)
        .env("KOLLA_DASH_K8S_BIN_DIR", &bins)
        .output()
        .expect("run kolla-dash");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kube-apiserver exited") && stderr.contains("broken on purpose"),
        "{stderr}"
    );
    // The failed start stopped etcd and kept the logs for reading; down removes them.
    assert!(recorded_pids(&dir).is_empty(), "{:?}", recorded_pids(&dir));
    assert!(dir.join("logs/kube-apiserver.log").exists());
    down(&dir);
    assert!(!dir.exists());
}

/// The shared cluster of tests/support, started from a thread that ends at once (as a
/// test's thread does), still answers afterwards. Prints where it is, for the test below.
#[test]
fn the_shared_cluster_outlives_the_test_thread_that_started_it() {
    let state_dir = std::thread::spawn(|| TestCluster::shared().state_dir())
        .join()
        .expect("the starting thread");
    let pids = recorded_pids(&state_dir);
    assert_eq!(pids.len(), 5, "{pids:?}");
    let cluster = TestCluster::shared();
    let readiness = cluster
        .block_on(kolla_dash::cluster::simulate::readiness(&cluster.client()))
        .expect("the shared cluster answers");
    assert_eq!(
        readiness.values().filter(|r| **r).count(),
        3,
        "{readiness:?}"
    );
    for (component, pid) in &pids {
        assert!(
            pid_alive(*pid),
            "{component} (pid {pid}) died with its thread"
        );
    }
    let pids: Vec<String> = pids.values().map(u32::to_string).collect();
    println!(
        "shared cluster in {} pids {}",
        state_dir.display(),
        pids.join(",")
    );
}

/// Run alone in a test binary of its own, the test above leaves nothing behind when that
/// binary exits: no process, no state directory.
#[test]
fn the_shared_cluster_is_stopped_and_removed_when_the_test_binary_exits() {
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "the_shared_cluster_outlives_the_test_thread_that_started_it",
            "--nocapture",
        ])
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (dir, pids) = stdout
        .lines()
        .find_map(|l| l.strip_prefix("shared cluster in "))
        .and_then(|l| l.split_once(" pids "))
        .unwrap_or_else(|| panic!("no shared cluster reported:\n{stdout}"));
    assert!(!Path::new(dir).exists(), "{dir} is left behind");
    for pid in pids.split(',') {
        let pid: u32 = pid.parse().expect("a pid");
        assert!(!pid_alive(pid), "pid {pid} outlived the test binary");
    }
}

/// Why the shared cluster needs a thread of its own: a throwaway cluster's processes die
/// with the thread that started them (PR_SET_PDEATHSIG), even if nothing stops them, which
/// is also what happens when a test binary is killed outright.
#[test]
fn a_throwaway_clusters_processes_die_with_the_thread_that_started_them() {
    let (dir, pids) = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let cluster = runtime
            .block_on(DevCluster::start(StartOptions {
                nodes: 1,
                ..StartOptions::default()
            }))
            .unwrap_or_else(|e| panic!("cannot start a dev-cluster: {e:#}"));
        let started = (cluster.state_dir().to_path_buf(), cluster.pids());
        // No Drop: nothing but the kernel stops them.
        std::mem::forget(cluster);
        started
    })
    .join()
    .expect("the starting thread");
    assert_eq!(pids.len(), 5, "{pids:?}");
    wait_for(
        "every process to die with the thread that started it",
        Duration::from_secs(30),
        || pids.values().all(|&pid| !pid_alive(pid)),
    );
    // Nothing removed the directory; down does.
    down(&dir);
    assert!(!dir.exists());
}
