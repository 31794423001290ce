//! `kolla-dash deploy` and `teardown` as a process against a throwaway local cluster: a full
//! deploy and its no-op re-run, a terminating leftover waited out, teardown with and without
//! data, a failing bootstrap Job, a deploy interrupted with SIGINT and resumed, `--dry-run`.
//! Each test works in a namespace of its own on the test binary's shared cluster, and
//! checks the cluster itself through the kube API rather than trusting the binary's report.

mod support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolume, ResourceQuota};
use kolla_dash::devcluster::SIMULATE;
use kolla_dash::kind::Kind;
use kolla_dash::render::{Manifest, Renderer};
use kolla_dash::summary::ObjKind;
use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::Deserialize;
use support::cluster::{Kolla, TestCluster, rendered_object};
use support::wait::wait_for_async;
use tokio::io::{AsyncBufReadExt as _, BufReader};

/// Bounds every kolla-dash run, so a hang fails the test instead of stalling it.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// Passed as `--timeout`: a stuck step fails well inside `RUN_TIMEOUT`.
const STEP_TIMEOUT: &str = "60";

/// One test's cluster and namespace.
struct Env {
    cluster: TestCluster,
    client: Client,
    ns: String,
    kolla: Kolla,
}

/// What one kolla-dash run printed and how it ended.
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

/// One `-o json` progress line.
#[derive(Debug, Deserialize)]
struct Event {
    step: EventStep,
    state: EventState,
}

#[derive(Debug, Deserialize)]
struct EventStep {
    service: String,
    /// `{"create": "pod"}` or `{"delete": "pvc"}`.
    action: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct EventState {
    state: String,
    reason: Option<String>,
}

impl EventStep {
    /// "create mariadb bootstrap": how the binary names the step in its plain output.
    fn label(&self) -> String {
        let (verb, kind) = self.action.iter().next().expect("an action");
        format!("{verb} {} {kind}", self.service)
    }
}

/// The `--dry-run -o json` plan.
#[derive(Debug, Deserialize)]
struct PlanOut {
    steps: Vec<PlanStep>,
}

#[derive(Debug, Deserialize)]
struct PlanStep {
    id: usize,
    #[serde(flatten)]
    step: EventStep,
    wait: String,
    after: Vec<usize>,
    skip: bool,
}

impl Env {
    fn start(ns: &str) -> Env {
        let cluster = TestCluster::shared();
        Env {
            client: cluster.client(),
            kolla: cluster.kolla(ns),
            ns: ns.to_string(),
            cluster,
        }
    }

    /// Runs `test` on this test's runtime.
    fn run_test(&self, test: impl std::future::Future<Output = ()>) {
        self.cluster.block_on(test);
    }

    /// `kolla-dash ARGS` aimed at this test's cluster and namespace.
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::from(self.kolla.command(args));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn run(&self, args: &[&str]) -> Run {
        let child = self.command(args).spawn().expect("start kolla-dash");
        let out = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kolla-dash {args:?} did not finish in {RUN_TIMEOUT:?}"))
            .expect("wait for kolla-dash");
        Run {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `deploy ARGS -o json --timeout ...`.
    async fn deploy(&self, args: &[&str]) -> Run {
        let mut all = vec!["deploy", "-o", "json", "--timeout", STEP_TIMEOUT];
        all.extend(args);
        self.run(&all).await
    }

    async fn teardown(&self, args: &[&str]) -> Run {
        let mut all = vec!["teardown", "-o", "json", "--timeout", STEP_TIMEOUT];
        all.extend(args);
        self.run(&all).await
    }

    /// `deploy -o json --timeout ...`, handing each event to `react` as it arrives, with the
    /// process id (to signal it).
    async fn deploy_reacting(&self, mut react: impl AsyncFnMut(&Event, Pid)) -> Run {
        let mut child = self
            .command(&["deploy", "-o", "json", "--timeout", STEP_TIMEOUT])
            .spawn()
            .expect("start kolla-dash");
        let pid = Pid::from_raw(child.id().expect("pid") as i32);
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut stdout = String::new();
        let read = async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                let event: Event = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON event ({e}): {line}"));
                react(&event, pid).await;
                stdout.push_str(&line);
                stdout.push('\n');
            }
        };
        tokio::time::timeout(RUN_TIMEOUT, read)
            .await
            .unwrap_or_else(|_| panic!("deploy did not finish in {RUN_TIMEOUT:?}:\n{stdout}"));
        let out = child.wait_with_output().await.expect("wait for kolla-dash");
        Run {
            success: out.status.success(),
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Every object the catalog renders into this namespace, by service and kind.
    fn manifests(&self) -> Vec<Manifest> {
        let global = support::dash::global(&self.ns);
        let (catalog, config) = kolla_dash::engine::load_config(&global).expect("config");
        let renderer = Renderer::new(&config, &catalog).expect("renderer");
        let mut out = Vec::new();
        for service in catalog.services() {
            for kind in service.kinds() {
                out.extend(renderer.render(&service.name, kind).expect("render"));
            }
        }
        out
    }

    async fn get(&self, m: &Manifest) -> Option<DynamicObject> {
        rendered_object(&self.client, m).await
    }

    /// Panics naming every rendered object of `filter` that is missing or not ready.
    async fn assert_ready(&self, filter: impl Fn(&Manifest) -> bool) {
        let mut problems = Vec::new();
        for m in self.manifests().iter().filter(|m| filter(m)) {
            match self.get(m).await {
                None => problems.push(format!("{}/{} missing", m.obj_kind, m.name)),
                Some(obj) => {
                    if let Err(why) = readiness(m.obj_kind, &obj) {
                        problems.push(format!("{}/{} {why}", m.obj_kind, m.name));
                    }
                }
            }
        }
        assert!(
            problems.is_empty(),
            "not ready:\n  {}",
            problems.join("\n  ")
        );
    }

    /// Panics naming every rendered object of `filter` that does (`present`) or does not
    /// exist.
    async fn assert_existence(&self, present: bool, filter: impl Fn(&Manifest) -> bool) {
        let mut wrong = Vec::new();
        for m in self.manifests().iter().filter(|m| filter(m)) {
            if self.get(m).await.is_some() != present {
                wrong.push(format!("{}/{}", m.obj_kind, m.name));
            }
        }
        let what = if present { "missing" } else { "still there" };
        assert!(wrong.is_empty(), "{what}: {}", wrong.join(", "));
    }

    /// resourceVersion of every rendered object, keyed by kind/name.
    async fn versions(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for m in self.manifests() {
            let obj = self.get(&m).await;
            let rv = obj.and_then(|o| o.metadata.resource_version);
            out.insert(format!("{}/{}", m.obj_kind, m.name), rv.unwrap_or_default());
        }
        out
    }

    /// Creates the namespace ahead of kolla-dash, as a test that prepares it does.
    async fn create_namespace(&self) {
        Api::<Namespace>::all(self.client.clone())
            .create(
                &PostParams::default(),
                &serde_json::from_value(serde_json::json!({"metadata": {"name": self.ns}}))
                    .expect("namespace"),
            )
            .await
            .expect("create the namespace");
    }

    async fn namespace_exists(&self) -> bool {
        Api::<Namespace>::all(self.client.clone())
            .get_opt(&self.ns)
            .await
            .expect("get namespace")
            .is_some()
    }
}

/// Whether an object is in the state a finished deploy leaves it in.
fn readiness(kind: ObjKind, obj: &DynamicObject) -> Result<(), String> {
    let spec = &obj.data["spec"];
    let status = &obj.data["status"];
    match kind {
        ObjKind::Job => {
            let complete = status["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Complete" && c["status"] == "True")
            });
            complete
                .then_some(())
                .ok_or_else(|| format!("not complete: {status}"))
        }
        ObjKind::Deployment | ObjKind::StatefulSet => {
            let desired = spec["replicas"].as_i64().unwrap_or(1);
            let ready = status["readyReplicas"].as_i64().unwrap_or(0);
            (ready == desired && desired > 0)
                .then_some(())
                .ok_or_else(|| format!("{ready}/{desired} ready"))
        }
        ObjKind::PersistentVolumeClaim | ObjKind::PersistentVolume => (status["phase"] == "Bound")
            .then_some(())
            .ok_or_else(|| format!("phase {}", status["phase"])),
        _ => Ok(()),
    }
}

impl Run {
    fn events(&self) -> Vec<Event> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON event ({e}): {l}"))
            })
            .collect()
    }

    /// Each step's last reported state, keyed by label ("create mariadb pod").
    fn final_states(&self) -> BTreeMap<String, EventState> {
        self.events()
            .into_iter()
            .map(|e| (e.step.label(), e.state))
            .collect()
    }

    fn state(&self, label: &str) -> EventState {
        self.final_states()
            .remove(label)
            .unwrap_or_else(|| panic!("no event for {label}; stdout:\n{}", self.stdout))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "success: {}\nstdout:\n{}\nstderr:\n{}",
            self.success, self.stdout, self.stderr
        )
    }
}

fn assert_all_in(run: &Run, states: &[&str]) {
    let bad: Vec<String> = run
        .final_states()
        .into_iter()
        .filter(|(_, s)| !states.contains(&s.state.as_str()))
        .map(|(label, s)| format!("{label}: {s:?}"))
        .collect();
    assert!(bad.is_empty(), "steps not {states:?}: {bad:#?}\n{run:?}");
}

#[test]
fn full_deploy_is_ready_rerun_is_a_noop_and_teardown_keeps_data_unless_asked() {
    let env = Env::start("wf-full");
    env.run_test(async {
        let t = Instant::now();
        let first = env.deploy(&[]).await;
        println!("full deploy from an empty namespace: {:.1?}", t.elapsed());
        assert!(first.success, "{first:?}");
        assert_all_in(&first, &["done"]);
        env.assert_ready(|_| true).await;

        // The live state plans as nothing to do, and a second deploy changes nothing.
        let plan = env.run(&["deploy", "--dry-run", "-o", "json"]).await;
        assert!(plan.success, "{plan:?}");
        let plan: PlanOut = serde_json::from_str(&plan.stdout).expect("plan JSON");
        assert!(plan.steps.iter().all(|s| s.skip), "{plan:#?}");
        let before = env.versions().await;
        let second = env.deploy(&[]).await;
        assert!(second.success, "{second:?}");
        assert_eq!(second.final_states().len(), plan.steps.len());
        assert_all_in(&second, &["skipped"]);
        assert_eq!(
            env.versions().await,
            before,
            "a no-op deploy changed objects"
        );

        // A leftover still terminating (held by a finalizer) is waited out, then recreated:
        // applying to it would be lost when it goes.
        let configmaps: Api<ConfigMap> = Api::namespaced(env.client.clone(), &env.ns);
        let hold = serde_json::json!({"metadata": {"finalizers": ["workflow-test/hold"]}});
        configmaps
            .patch("keystone", &PatchParams::default(), &Patch::Merge(&hold))
            .await
            .expect("hold the ConfigMap");
        configmaps
            .delete("keystone", &DeleteParams::default())
            .await
            .expect("delete the ConfigMap");
        let mut released = false;
        let redeploy = env
            .deploy_reacting(async |event, _| {
                let holding = event.step.label() == "create keystone configmap"
                    && event
                        .state
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.contains("finish terminating"));
                if holding && !released {
                    let release = serde_json::json!({"metadata": {"finalizers": null}});
                    configmaps
                        .patch("keystone", &PatchParams::default(), &Patch::Merge(&release))
                        .await
                        .expect("release the ConfigMap");
                    released = true;
                }
            })
            .await;
        assert!(
            released,
            "the deploy never waited for the terminating ConfigMap: {redeploy:?}"
        );
        assert!(redeploy.success, "{redeploy:?}");
        assert_eq!(redeploy.state("create keystone configmap").state, "done");
        env.assert_ready(|_| true).await;

        // A teardown's dry run plans deleting every object, data too when asked, and deletes
        // nothing.
        let before = env.versions().await;
        let plan = env
            .run(&["teardown", "--dry-run", "--delete-data", "-o", "json"])
            .await;
        assert!(plan.success, "{plan:?}");
        let plan: PlanOut = serde_json::from_str(&plan.stdout).expect("plan JSON");
        let planned: Vec<String> = plan.steps.iter().map(|s| s.step.label()).collect();
        for m in env.manifests() {
            let label = format!("delete {} {}", m.service, m.kind);
            assert!(planned.contains(&label), "no step {label}: {planned:#?}");
        }
        assert!(
            plan.steps
                .iter()
                .all(|s| s.step.action.contains_key("delete") && !s.skip),
            "{plan:#?}"
        );
        assert_eq!(env.versions().await, before, "a dry run changed objects");

        let kept = env.teardown(&[]).await;
        assert!(kept.success, "{kept:?}");
        assert!(kept.stderr.contains("--delete-data"), "{kept:?}");
        assert_all_in(&kept, &["done"]);
        env.assert_existence(false, |m| !m.kind.holds_data()).await;
        env.assert_existence(true, |m| m.kind.holds_data()).await;
        // Still usable: the claim stays bound to its volume and the disk Job stays complete.
        env.assert_ready(|m| m.kind.holds_data()).await;

        let wiped = env.teardown(&["--delete-data"]).await;
        assert!(wiped.success, "{wiped:?}");
        for data in [
            "delete mariadb disk",
            "delete mariadb pv",
            "delete mariadb pvc",
        ] {
            assert_eq!(wiped.state(data).state, "done", "{wiped:?}");
        }
        env.assert_existence(false, |_| true).await;
    });
}

/// keystone's bootstrap Jobs, pre-created by another field manager so their pods fail at
/// once (kwok's simulate annotation) and the Jobs give up without retrying.
async fn sabotage_keystone_bootstrap(env: &Env) {
    env.create_namespace().await;
    let jobs: Api<Job> = Api::namespaced(env.client.clone(), &env.ns);
    let boot: Vec<Manifest> = env
        .manifests()
        .into_iter()
        .filter(|m| m.service == "keystone" && m.kind == Kind::Bootstrap)
        .collect();
    assert!(!boot.is_empty(), "keystone renders no bootstrap Job");
    for m in &boot {
        let mut obj = m.object.clone();
        obj["spec"]["backoffLimit"] = 0.into();
        obj["spec"]["template"]["metadata"]["annotations"] = serde_json::json!({SIMULATE: "fail"});
        jobs.patch(
            &m.name,
            &PatchParams::apply("workflow-test"),
            &Patch::Apply(&obj),
        )
        .await
        .expect("pre-create a failing bootstrap Job");
    }
    for m in &boot {
        let what = format!("Job {} to fail", m.name);
        wait_for_async(&what, Duration::from_secs(30), || async {
            let job = jobs.get(&m.name).await.expect("get the Job");
            job.status
                .and_then(|s| s.conditions)
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Failed" && c.status == "True"))
        })
        .await;
    }
}

#[test]
fn a_failed_bootstrap_job_stops_its_dependents_while_independent_services_deploy() {
    let env = Env::start("wf-fail");
    env.run_test(async {
        sabotage_keystone_bootstrap(&env).await;

        let run = env.deploy(&[]).await;
        assert!(!run.success, "deploy should fail: {run:?}");
        let failed = run.state("create keystone bootstrap");
        assert_eq!(failed.state, "failed", "{run:?}");
        let reason = failed.reason.unwrap_or_default();
        assert!(
            reason.contains("keystone-create-db") && reason.contains("BackoffLimitExceeded"),
            "the Job's reason is missing: {reason}"
        );
        for dependent in ["create keystone pod", "create horizon pod"] {
            let s = run.state(dependent);
            assert_eq!(s.state, "blocked", "{dependent}: {run:?}");
            assert!(
                s.reason
                    .unwrap_or_default()
                    .contains("BackoffLimitExceeded")
            );
        }
        assert!(run.stderr.contains("BackoffLimitExceeded"), "{run:?}");
        // Every mariadb and memcached step went through.
        for (label, s) in run.final_states() {
            if label.contains(" mariadb ") || label.contains(" memcached ") {
                assert_eq!(s.state, "done", "{label}: {run:?}");
            }
        }
        env.assert_ready(|m| m.service == "mariadb" || m.service == "memcached")
            .await;
        env.assert_existence(false, |m| {
            m.kind == Kind::Pod && (m.service == "keystone" || m.service == "horizon")
        })
        .await;

        // A failed Job is kept for inspection; once the operator deletes it, a re-run carries on.
        let delete = env
            .run(&["resource", "delete", "keystone", "bootstrap"])
            .await;
        assert!(delete.success, "{delete:?}");
        let resumed = env.deploy(&[]).await;
        assert!(resumed.success, "{resumed:?}");
        assert_eq!(
            resumed.state("create mariadb pod").state,
            "skipped",
            "{resumed:?}"
        );
        assert_eq!(
            resumed.state("create keystone bootstrap").state,
            "done",
            "{resumed:?}"
        );
        env.assert_ready(|_| true).await;
    });
}

#[test]
fn a_deploy_interrupted_half_way_completes_when_run_again() {
    let env = Env::start("wf-int");
    env.run_test(async {
        let mut interrupted = false;
        let run = env
            .deploy_reacting(async |event, pid| {
                if !interrupted
                    && event.step.label() == "create mariadb bootstrap"
                    && event.state.state == "done"
                {
                    kill(pid, Signal::SIGINT).expect("SIGINT");
                    interrupted = true;
                }
            })
            .await;
        assert!(interrupted, "mariadb's bootstrap never finished: {run:?}");
        assert!(
            !run.success,
            "an interrupted deploy must not succeed: {run:?}"
        );
        assert!(run.stderr.contains("cancelled"), "{run:?}");
        let cancelled: Vec<String> = run
            .events()
            .iter()
            .filter(|e| e.state.state == "cancelled")
            .map(|e| e.step.label())
            .collect();
        assert!(
            cancelled.contains(&"create horizon pod".to_string()),
            "not interrupted half-way; cancelled: {cancelled:?}"
        );

        let rerun = env.deploy(&[]).await;
        assert!(rerun.success, "{rerun:?}");
        // What finished before the interrupt is carried over, the rest is done now.
        assert_eq!(
            rerun.state("create mariadb bootstrap").state,
            "skipped",
            "{rerun:?}"
        );
        assert_eq!(rerun.state("create horizon pod").state, "done", "{rerun:?}");
        assert_all_in(&rerun, &["done", "skipped"]);
        env.assert_ready(|_| true).await;
    });
}

#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let env = Env::start("wf-dry");
    env.run_test(async {
        let table = env.run(&["deploy", "--dry-run"]).await;
        assert!(table.success, "{table:?}");
        let json = env.run(&["deploy", "--dry-run", "-o", "json"]).await;
        assert!(json.success, "{json:?}");
        let plan: PlanOut = serde_json::from_str(&json.stdout).expect("plan JSON");

        // One table line per step, in plan order, naming its wait.
        let lines: Vec<&str> = table.stdout.lines().collect();
        assert_eq!(lines.len(), plan.steps.len(), "{table:?}");
        for (line, step) in lines.iter().zip(&plan.steps) {
            assert!(line.starts_with(&format!("#{}", step.id)), "{line}");
            assert!(line.contains(&step.step.label()), "{line} vs {step:?}");
        }
        assert!(plan.steps.iter().all(|s| !s.skip), "{plan:#?}");
        let id = |label: &str| {
            plan.steps
                .iter()
                .find(|s| s.step.label() == label)
                .unwrap_or_else(|| panic!("no step {label}: {plan:#?}"))
        };
        let boot = id("create keystone bootstrap");
        assert_eq!(boot.wait, "job-complete");
        assert!(
            boot.after.contains(&id("create mariadb pod").id),
            "{boot:?}"
        );
        assert_eq!(id("create mariadb pvc").wait, "bound");
        assert!(
            id("create memcached svc").after.is_empty(),
            "memcached waits for nothing"
        );

        let teardown = env
            .run(&["teardown", "--dry-run", "--delete-data", "-o", "json"])
            .await;
        assert!(teardown.success, "{teardown:?}");
        // Nothing exists yet: every delete is planned, and skipped.
        let teardown: PlanOut = serde_json::from_str(&teardown.stdout).expect("plan JSON");
        let deletes = |data: bool| {
            teardown
                .steps
                .iter()
                .filter(|s| {
                    s.step
                        .action
                        .get("delete")
                        .is_some_and(|k| ["disk", "pv", "pvc"].contains(&k.as_str()) == data)
                })
                .count()
        };
        assert!(deletes(true) > 0 && deletes(false) > 0, "{teardown:#?}");
        assert_eq!(
            deletes(true) + deletes(false),
            teardown.steps.len(),
            "{teardown:#?}"
        );
        assert!(teardown.steps.iter().all(|s| s.skip), "{teardown:#?}");

        assert!(
            !env.namespace_exists().await,
            "dry runs created the namespace"
        );
        let volumes = Api::<PersistentVolume>::all(env.client.clone())
            .list(
                &ListParams::default()
                    .labels(&kolla_dash::labels::cluster_scoped_selector(&env.ns)),
            )
            .await
            .expect("list PVs");
        assert!(volumes.items.is_empty(), "dry runs created volumes");
    });
}

/// A step whose condition never holds (no pod may be created in the namespace) fails after
/// `--timeout`, naming why it waited; the steps before it are done.
#[test]
fn a_step_that_never_holds_fails_after_the_timeout_naming_why() {
    let env = Env::start("wf-timeout");
    env.run_test(async {
        env.create_namespace().await;
        let quota: ResourceQuota = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "no-pods"},
            "spec": {"hard": {"pods": "0"}},
        }))
        .expect("quota");
        Api::<ResourceQuota>::namespaced(env.client.clone(), &env.ns)
            .create(&PostParams::default(), &quota)
            .await
            .expect("create the quota");

        let started = Instant::now();
        let run = env
            .run(&["deploy", "memcached", "-o", "json", "--timeout", "5"])
            .await;
        let took = started.elapsed();
        assert!(!run.success, "{run:?}");
        for done in ["create memcached svc", "create memcached configmap"] {
            assert_eq!(run.state(done).state, "done", "{done}: {run:?}");
        }
        let pod = run.state("create memcached pod");
        let reason = pod.reason.clone().unwrap_or_default();
        assert_eq!(pod.state, "failed", "{run:?}");
        assert!(
            reason.starts_with("timed out after 5 s (")
                && reason.contains("exceeded quota: no-pods"),
            "the timeout names the step's last reason: {reason}"
        );
        assert!(took >= Duration::from_secs(5), "failed after {took:?}");
        assert!(run.stderr.contains("timed out after 5 s"), "{run:?}");
    });
}
