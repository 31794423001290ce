//! The workflow engine on a local control plane, through the real binary: a full deploy
//! from nothing, a no-op second deploy, teardown that keeps data unless told, a failed
//! bootstrap Job that stops only what depends on it, an interrupted deploy that a re-run
//! completes, and a dry run that touches nothing.

mod support;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolume, PersistentVolumeClaim};
use kolla_dash::cli::GlobalArgs;
use kolla_dash::cluster::client::Connection;
use kolla_dash::engine::{Engine, load_config};
use kolla_dash::kind::Kind;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::Value;
use support::cluster::{TestCluster, config_dir};

const WORKLOADS: [&str; 3] = ["memcached", "keystone", "horizon"];

/// Parses `deploy -o json` output: (service, action, state) per line.
fn events(stdout: &str) -> Vec<(String, String, String, Option<String>)> {
    stdout
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            let step = &v["step"];
            let action = step["action"]
                .as_object()
                .and_then(|o| o.iter().next())
                .map(|(verb, kind)| format!("{verb} {}", kind.as_str().unwrap_or("?")))
                .unwrap_or_default();
            (
                step["service"].as_str().unwrap_or_default().to_string(),
                action,
                v["state"]["state"].as_str().unwrap_or_default().to_string(),
                v["state"]["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn everything_ready(tc: &TestCluster, ns: &str) {
    tc.block_on(async {
        let c = tc.client();
        for name in WORKLOADS {
            let d = Api::<Deployment>::namespaced(c.clone(), ns)
                .get(name)
                .await
                .expect("deployment");
            let status = d.status.expect("status");
            let want = d.spec.and_then(|s| s.replicas).unwrap_or(1);
            assert_eq!(status.ready_replicas, Some(want), "{name} ready");
        }
        let db = Api::<StatefulSet>::namespaced(c.clone(), ns)
            .get("mariadb")
            .await
            .expect("mariadb");
        assert_eq!(
            db.status.and_then(|s| s.ready_replicas),
            Some(1),
            "mariadb ready"
        );
        let pvc = Api::<PersistentVolumeClaim>::namespaced(c.clone(), ns)
            .get("mariadb")
            .await
            .expect("pvc");
        assert_eq!(pvc.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
        let jobs = Api::<Job>::namespaced(c, ns)
            .list(&ListParams::default())
            .await
            .expect("jobs");
        for job in jobs.items {
            let complete = job.status.and_then(|s| s.conditions).is_some_and(|cs| {
                cs.iter()
                    .any(|c| c.type_ == "Complete" && c.status == "True")
            });
            assert!(complete, "job {:?} complete", job.metadata.name);
        }
    });
}

#[test]
fn deploy_from_nothing_then_no_op_then_teardown_keeps_data_unless_told() {
    let tc = TestCluster::start();
    let ns = "wf-full";
    let kolla = tc.kolla(ns);

    let t = Instant::now();
    let out = kolla.ok("deploy -o json");
    println!("full deploy: {:.1} s", t.elapsed().as_secs_f64());
    let evs = events(&out);
    assert!(
        evs.iter()
            .any(|(s, a, st, _)| s == "horizon" && a == "create pod" && st == "done")
    );
    assert!(
        !evs.iter()
            .any(|(.., st, _)| st == "failed" || st == "blocked")
    );
    everything_ready(&tc, ns);

    // Sample objects to prove the second deploy writes nothing.
    let versions = |tc: &TestCluster| {
        tc.block_on(async {
            let c = tc.client();
            let cm = Api::<ConfigMap>::namespaced(c.clone(), ns)
                .get("keystone")
                .await
                .expect("cm");
            let d = Api::<Deployment>::namespaced(c, ns)
                .get("horizon")
                .await
                .expect("horizon");
            (cm.metadata.resource_version, d.metadata.resource_version)
        })
    };
    let before = versions(&tc);
    let again = events(&kolla.ok("deploy -o json"));
    assert!(!again.is_empty());
    assert!(
        again.iter().all(|(.., st, _)| st == "skipped"),
        "a second deploy is a no-op: {again:?}"
    );
    assert_eq!(versions(&tc), before, "nothing was written");

    // Teardown keeps the data kinds...
    kolla.ok("teardown -o json");
    tc.block_on(async {
        let c = tc.client();
        assert!(
            Api::<Deployment>::namespaced(c.clone(), ns)
                .get_opt("keystone")
                .await
                .expect("get")
                .is_none()
        );
        assert!(
            Api::<StatefulSet>::namespaced(c.clone(), ns)
                .get_opt("mariadb")
                .await
                .expect("get")
                .is_none()
        );
        let pvc = Api::<PersistentVolumeClaim>::namespaced(c.clone(), ns)
            .get_opt("mariadb")
            .await
            .expect("get");
        assert!(pvc.is_some(), "the PVC is kept");
        let pv = Api::<PersistentVolume>::all(c.clone())
            .get_opt(&format!("{ns}-mariadb"))
            .await
            .expect("get");
        assert!(pv.is_some(), "the PV is kept");
        let disk = Api::<Job>::namespaced(c, ns)
            .get_opt("mariadb-disk")
            .await
            .expect("get");
        assert!(disk.is_some(), "the disk Job is kept");
    });
    // ... unless told.
    kolla.ok("teardown --delete-data -o json");
    tc.block_on(async {
        let c = tc.client();
        let pvc = Api::<PersistentVolumeClaim>::namespaced(c.clone(), ns)
            .get_opt("mariadb")
            .await
            .expect("get");
        assert!(pvc.is_none(), "the PVC is deleted with --delete-data");
        let pv = Api::<PersistentVolume>::all(c)
            .get_opt(&format!("{ns}-mariadb"))
            .await
            .expect("get");
        assert!(pv.is_none(), "the PV is deleted with --delete-data");
    });
}

#[test]
fn a_failed_bootstrap_job_stops_its_dependents_only() {
    let tc = TestCluster::start();
    let ns = "wf-fail";
    // keystone's bootstrap Jobs exist already and fail: kwok fails pods annotated so.
    tc.block_on(async {
        let c = tc.client();
        let namespace: Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).expect("ns");
        Api::<Namespace>::all(c.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .expect("create ns");
        let global = GlobalArgs {
            config_dir: Some(config_dir()),
            context: None,
            namespace: Some(ns.into()),
            log_file: None,
        };
        let (catalog, config) = load_config(&global).expect("config");
        let engine = Engine::new(
            catalog,
            config,
            Connection {
                client: c.clone(),
                context: "t".into(),
            },
        );
        for m in engine.render("keystone", Kind::Bootstrap).expect("render") {
            let mut job = m.object.clone();
            job["spec"]["backoffLimit"] = 0.into();
            job["spec"]["template"]["metadata"]["annotations"] =
                serde_json::json!({"kolla-dash.dev/simulate": "fail"});
            Api::<Job>::namespaced(c.clone(), ns)
                .patch(
                    &m.name,
                    &PatchParams::apply("test-saboteur"),
                    &Patch::Apply(&job),
                )
                .await
                .expect("create a failing job");
        }
    });
    let run = tc.kolla(ns).run("deploy -o json");
    assert!(!run.success, "the deploy fails");
    let evs = events(&run.stdout);
    let state = |service: &str, action: &str| {
        evs.iter()
            .rev()
            .find(|(s, a, ..)| s == service && a == action)
            .map(|(.., st, reason)| (st.clone(), reason.clone().unwrap_or_default()))
            .unwrap_or_else(|| panic!("no event for {service} {action}: {evs:?}"))
    };
    let (st, reason) = state("keystone", "create bootstrap");
    assert_eq!(st, "failed");
    assert!(
        reason.contains("BackoffLimitExceeded"),
        "the Job's reason: {reason}"
    );
    for (service, action) in [("keystone", "create pod"), ("horizon", "create pod")] {
        let (st, reason) = state(service, action);
        assert_eq!(st, "blocked", "{service} {action}");
        assert!(reason.contains("keystone"), "blocked by keystone: {reason}");
    }
    for service in ["mariadb", "memcached"] {
        assert_eq!(
            state(service, "create pod").0,
            "done",
            "{service} still deploys"
        );
    }
    assert!(
        run.stderr.contains("BackoffLimitExceeded"),
        "the error line names the Job's reason: {}",
        run.stderr
    );
}

#[test]
fn an_interrupted_deploy_completes_when_run_again() {
    let tc = TestCluster::start();
    let ns = "wf-resume";
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kolla-dash"))
        .args(["--namespace", ns, "--config-dir"])
        .arg(config_dir())
        .arg("--log-file")
        .arg(log.path())
        .args(["deploy", "-o", "json"])
        .env("KUBECONFIG", tc.kubeconfig_path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start deploy");
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read");
        let done_bootstrap = events(&line)
            .iter()
            .any(|(s, a, st, _)| s == "mariadb" && a == "create bootstrap" && st == "done");
        seen.push(line);
        if done_bootstrap {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("interrupt");
            break;
        }
    }
    let status = child.wait().expect("wait");
    assert!(!status.success(), "an interrupted deploy exits non-zero");
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("\"horizon\"") && l.contains("\"done\"") && l.contains("pod")),
        "interrupted before the end"
    );

    let kolla = tc.kolla(ns);
    let evs = events(&kolla.ok("deploy -o json"));
    assert!(
        evs.iter()
            .any(|(s, a, st, _)| s == "mariadb" && a == "create bootstrap" && st == "skipped"),
        "the re-run carries on from what exists: {evs:?}"
    );
    everything_ready(&tc, ns);
}

#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let tc = TestCluster::start();
    let ns = "wf-dry";
    let out = tc.kolla(ns).ok("deploy --dry-run");
    assert!(out.contains("create mariadb pvc, wait: PVC bound"), "{out}");
    assert!(
        out.contains("create keystone bootstrap, wait: job complete"),
        "{out}"
    );
    let plan: Value =
        serde_json::from_str(&tc.kolla(ns).ok("deploy --dry-run -o json")).expect("JSON plan");
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(17));
    let exists = tc.block_on(async {
        Api::<Namespace>::all(tc.client())
            .get_opt(ns)
            .await
            .expect("get namespace")
    });
    assert!(
        exists.is_none(),
        "a dry run creates nothing, not even the namespace"
    );
}
