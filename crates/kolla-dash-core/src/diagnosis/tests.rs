//! One test per cause over hand-built summaries, and cells with several causes.

use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::model::fixtures::{job, node, obj, workload};
use crate::summary::{NodeSummary, Owner, PodDetail};

const IMAGE: &str = "quay.io/openstack.kolla/keystone:2025.2-ubuntu-noble";

struct World {
    nodes: BTreeMap<String, NodeSummary>,
    warnings: HashMap<ObjRef, EventSummary>,
}

impl World {
    /// Three Ready nodes labelled as kolla controllers.
    fn new() -> Self {
        let nodes = (1..=3)
            .map(|i| {
                let n = node(&format!("node-{i}"), NodeReady::True);
                let ObjState::Node(mut summary) = n.state else {
                    unreachable!("a node fixture")
                };
                summary.labels = vec![("kolla_controller".into(), "true".into())];
                (n.obj.name, summary)
            })
            .collect();
        World {
            nodes,
            warnings: HashMap::new(),
        }
    }

    fn facts(&self) -> Facts<'_> {
        Facts {
            nodes: &self.nodes,
            nodes_known: true,
            warnings: &self.warnings,
        }
    }

    fn warn(&mut self, kind: ObjKind, name: &str, reason: &str, note: &str) {
        let regarding = ObjRef {
            kind,
            name: name.into(),
        };
        let event = EventSummary {
            time: 1_700_000_000,
            warning: true,
            regarding: regarding.clone(),
            reason: reason.into(),
            note: note.into(),
            count: 1,
        };
        self.warnings.insert(regarding, event);
    }

    fn diagnose(&self, objs: &[ObjectSummary]) -> Vec<Problem> {
        diagnose(&objs.iter().collect::<Vec<_>>(), &self.facts())
    }

    fn why(&self, objs: &[ObjectSummary]) -> String {
        why_line(&self.diagnose(objs)).unwrap_or_default()
    }
}

/// A keystone pod on node-1 with one container `keystone` and the given phase.
fn pod(name: &str, phase: PodPhase, container: ContainerSummary) -> ObjectSummary {
    obj(
        ObjKind::Pod,
        name,
        "keystone",
        Kind::Pod,
        ObjState::Pod {
            phase,
            ready: false,
            node: Some("node-1".into()),
            owner: None,
            detail: Box::new(PodDetail {
                containers: vec![container],
                ..PodDetail::default()
            }),
        },
    )
}

fn container() -> ContainerSummary {
    ContainerSummary {
        name: "keystone".into(),
        image: IMAGE.into(),
        ..ContainerSummary::default()
    }
}

fn waiting(reason: &str, message: &str) -> ContainerSummary {
    ContainerSummary {
        waiting: Some(Reason {
            reason: reason.into(),
            message: message.into(),
        }),
        ..container()
    }
}

fn crashed(reason: &str, code: i32, restarts: u32, limit: Option<&str>) -> ContainerSummary {
    ContainerSummary {
        restarts,
        last_exit: Some(Exit {
            reason: reason.into(),
            code,
            at: 1_700_000_000,
        }),
        memory_limit: limit.map(str::to_string),
        ..waiting(
            "CrashLoopBackOff",
            "back-off 40s restarting failed container",
        )
    }
}

fn pending(name: &str, message: &str, selector: &[(&str, &str)]) -> ObjectSummary {
    let mut p = pod(name, PodPhase::Pending, container());
    if let ObjState::Pod { node, detail, .. } = &mut p.state {
        *node = None;
        detail.unschedulable = Some(message.into());
        detail.node_selector = selector
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    p
}

#[test]
fn an_image_that_does_not_exist_names_the_image_and_the_config_keys() {
    let w = World::new();
    let message = format!("rpc error: code = NotFound desc = failed to pull {IMAGE}: not found");
    let objs = [pod(
        "keystone-a",
        PodPhase::Pending,
        waiting("ImagePullBackOff", &message),
    )];
    assert_eq!(
        w.why(&objs),
        format!(
            "keystone-a: image {IMAGE} not found: check openstack_tag, openstack_release, \
             docker_namespace and docker_registry in etc/globals.yml"
        )
    );
}

#[test]
fn other_pull_failures_say_what_the_registry_said() {
    let w = World::new();
    let objs = [pod(
        "keystone-a",
        PodPhase::Pending,
        waiting("ErrImagePull", "dial tcp 10.0.0.1:443: connection refused"),
    )];
    let why = w.why(&objs);
    assert!(why.contains("cannot pull image"), "{why}");
    assert!(why.contains("connection refused"), "{why}");
}

#[test]
fn a_crash_loop_gives_the_exit_code_and_restarts_and_points_at_the_logs() {
    let w = World::new();
    let objs = [pod(
        "keystone-a",
        PodPhase::Running,
        crashed("Error", 1, 7, None),
    )];
    assert_eq!(
        w.why(&objs),
        "keystone-a: container keystone keeps crashing (exit 1 Error, 7 restarts): read its \
         last logs (l)"
    );
}

#[test]
fn an_oom_crash_loop_says_oom_and_the_limit() {
    let w = World::new();
    let objs = [pod(
        "keystone-a",
        PodPhase::Running,
        crashed("OOMKilled", 137, 7, Some("512Mi")),
    )];
    assert_eq!(
        w.why(&objs),
        "keystone-a: container keystone OOMKilled 7 times (limit 512Mi): raise the memory limit"
    );
    let unlimited = [pod(
        "keystone-a",
        PodPhase::Running,
        crashed("OOMKilled", 137, 1, None),
    )];
    assert!(
        w.why(&unlimited)
            .contains("OOMKilled once (no memory limit")
    );
}

#[test]
fn a_missing_config_key_is_a_config_error() {
    let w = World::new();
    let message = "couldn't find key keystone_database_password in Secret kolla/kolla-passwords";
    let objs = [pod(
        "keystone-a",
        PodPhase::Pending,
        waiting("CreateContainerConfigError", message),
    )];
    let why = w.why(&objs);
    assert!(
        why.starts_with("keystone-a: CreateContainerConfigError: couldn't find key"),
        "{why}"
    );
}

#[test]
fn no_node_with_the_selected_label_names_the_label_and_the_option() {
    let w = World::new();
    let msg = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
    let objs = [pending("keystone-a", msg, &[("kolla_compute", "true")])];
    assert_eq!(
        w.why(&objs),
        "keystone-a: 0/3 nodes have label kolla_compute=true: label a node (kubectl label node \
         NAME kolla_compute=true) or change kolla_controller_label / kolla_compute_label in \
         etc/kolla-kubernetes.yml"
    );
    // With a label some node has, the scheduler's own words.
    let objs = [pending("keystone-a", msg, &[("kolla_controller", "true")])];
    assert!(
        w.why(&objs)
            .contains("cannot be scheduled: 0/3 nodes are available")
    );
}

#[test]
fn a_running_pod_failing_readiness_quotes_the_probe() {
    let mut w = World::new();
    w.warn(
        ObjKind::Pod,
        "keystone-a",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
    );
    let objs = [pod(
        "keystone-a",
        PodPhase::Running,
        ContainerSummary {
            running: true,
            ..container()
        },
    )];
    assert_eq!(
        w.why(&objs),
        "keystone-a: running but not ready (keystone): Readiness probe failed: HTTP probe \
         failed with statuscode: 503: read its logs (l)"
    );
}

#[test]
fn an_evicted_pod_says_why_the_kubelet_evicted_it() {
    let w = World::new();
    let mut p = pod("keystone-a", PodPhase::Failed, container());
    if let ObjState::Pod { detail, .. } = &mut p.state {
        detail.status = Some(Reason {
            reason: "Evicted".into(),
            message: "The node was low on resource: memory.".into(),
        });
    }
    assert_eq!(
        w.why(&[p]),
        "keystone-a: evicted: The node was low on resource: memory: its controller replaces \
         it; free the node's resources"
    );
}

#[test]
fn a_pod_on_a_down_node_says_so() {
    let mut w = World::new();
    if let Some(n) = w.nodes.get_mut("node-1") {
        n.ready = NodeReady::Unknown;
    }
    let objs = [pod("keystone-a", PodPhase::Running, container())];
    assert!(
        w.why(&objs)
            .starts_with("keystone-a: its node node-1 is unreachable")
    );
}

#[test]
fn a_replicaset_that_cannot_create_pods_names_the_refusal() {
    let mut w = World::new();
    let refusal = "pods \"keystone-5d9f-x2\" is forbidden: exceeded quota: pods, requested: \
                   pods=1, used: pods=3, limited: pods=3";
    let mut deploy = workload(ObjKind::Deployment, "keystone", 3, 2);
    if let ObjState::Workload { problems, .. } = &mut deploy.state {
        problems.push(Reason {
            reason: "FailedCreate".into(),
            message: refusal.into(),
        });
    }
    assert_eq!(
        w.why(std::slice::from_ref(&deploy)),
        format!(
            "cannot create pods: {refusal}: fix what refuses them (quota, admission, template)"
        )
    );
    // Only the ReplicaSet's event says it: the same sentence.
    let rs = obj(
        ObjKind::ReplicaSet,
        "keystone-5d9f",
        "keystone",
        Kind::Pod,
        ObjState::ReplicaSet {
            desired: 3,
            ready: 2,
            problems: Vec::new(),
        },
    );
    w.warn(
        ObjKind::ReplicaSet,
        "keystone-5d9f",
        "FailedCreate",
        refusal,
    );
    assert!(
        w.why(&[rs])
            .starts_with("cannot create pods: pods \"keystone-5d9f-x2\"")
    );
}

#[test]
fn replicas_with_one_cause_are_one_problem_with_every_pod() {
    let w = World::new();
    let objs = [
        pod(
            "keystone-a",
            PodPhase::Running,
            crashed("Error", 1, 3, None),
        ),
        pod(
            "keystone-b",
            PodPhase::Running,
            crashed("Error", 1, 5, None),
        ),
    ];
    let problems = w.diagnose(&objs);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].pods, vec!["keystone-a", "keystone-b"]);
    assert!(w.why(&objs).starts_with(
        "2 pods (keystone-a +1): container keystone keeps crashing (exit 1 Error, 5 restarts)"
    ));
}

#[test]
fn several_causes_are_counted_and_each_listed_with_its_pods() {
    let w = World::new();
    let msg = "0/3 nodes are available: 3 Insufficient cpu.";
    let objs = [
        pending("keystone-a", msg, &[]),
        pending("keystone-b", msg, &[]),
        pod(
            "keystone-c",
            PodPhase::Pending,
            waiting("ImagePullBackOff", "manifest unknown"),
        ),
    ];
    assert_eq!(
        w.why(&objs),
        "2 Pending (unschedulable), 1 ImagePullBackOff"
    );
    let problems = w.diagnose(&objs);
    assert_eq!(problems.len(), 2);
    assert!(
        problems
            .iter()
            .any(|p| p.pods == vec!["keystone-a", "keystone-b"])
    );
    assert!(problems.iter().any(|p| p.pods == vec!["keystone-c"]));
}

#[test]
fn a_failed_job_speaks_for_its_pods_and_says_how_to_retry() {
    let w = World::new();
    let failed = job(
        "keystone-create-db",
        "keystone",
        JobState::Failed {
            reason: "BackoffLimitExceeded".into(),
            message: String::new(),
        },
    );
    let mut attempt = pod(
        "keystone-create-db-x",
        PodPhase::Failed,
        crashed("Error", 1, 0, None),
    );
    if let ObjState::Pod { owner, .. } = &mut attempt.state {
        *owner = Some(ObjRef {
            kind: ObjKind::Job,
            name: "keystone-create-db".into(),
        });
    }
    assert_eq!(
        w.why(&[failed, attempt]),
        "Job keystone-create-db failed: BackoffLimitExceeded (to retry: kolla-dash resource \
         delete keystone bootstrap, then deploy again)"
    );
}

#[test]
fn a_running_job_gives_way_to_its_stuck_pod() {
    let w = World::new();
    let mut p = pod(
        "keystone-create-db-x",
        PodPhase::Pending,
        waiting("ImagePullBackOff", ""),
    );
    p.owner = Some(Owner {
        service: "keystone".into(),
        kind: Kind::Bootstrap,
    });
    let running = job("keystone-create-db", "keystone", JobState::Running);
    assert!(
        w.why(&[running.clone(), p])
            .starts_with("keystone-create-db-x: cannot pull image")
    );
    assert_eq!(
        w.why(&[running]),
        "Job keystone-create-db is running (1 active)"
    );
}

#[test]
fn a_starting_pod_is_no_problem() {
    let w = World::new();
    let objs = [pod(
        "keystone-a",
        PodPhase::Pending,
        waiting("ContainerCreating", ""),
    )];
    assert!(w.diagnose(&objs).is_empty());
}

#[test]
fn several_problems_of_one_kind_say_the_first_and_how_many_more() {
    let w = World::new();
    let failed = |name: &str| {
        job(
            name,
            "keystone",
            JobState::Failed {
                reason: "BackoffLimitExceeded".into(),
                message: String::new(),
            },
        )
    };
    let why = w.why(&[failed("keystone-create-db"), failed("keystone-manage-db")]);
    assert!(
        why.starts_with("Job keystone-create-db failed: BackoffLimitExceeded")
            && why.ends_with("(and 1 more like it)"),
        "{why}"
    );
}
