//! Hand-built models and summaries shared by the model's and the UI's tests.

use std::path::Path;

use crate::catalog::Catalog;
use crate::config::{Config, StorageProvider};
use crate::drift::{Desired, Live};
use crate::kind::Kind;
use crate::model::{Effect, Key, Model, ModelConfig, Msg, Row, update};
use crate::render::{Manifest, Renderer};
use crate::summary::{
    ContainerSummary, EventSummary, Exit, JobState, NodeReady, NodeSummary, ObjKind, ObjRef,
    ObjState, ObjectSummary, Owner, PodDetail, PodPhase, Reason, VolumePhase,
};
use crate::workflow::plan::DeployOptions;

/// The guide's four services.
pub fn rows() -> Vec<Row> {
    vec![
        Row::new("mariadb", Kind::ALL),
        Row::new("memcached", [Kind::Svc, Kind::Configmap, Kind::Pod]),
        Row::new(
            "keystone",
            [Kind::Svc, Kind::Configmap, Kind::Bootstrap, Kind::Pod],
        ),
        Row::new("horizon", [Kind::Svc, Kind::Configmap, Kind::Pod]),
    ]
}

pub fn model(readonly: bool) -> Model {
    Model::new(ModelConfig {
        context: "kolla-demo".into(),
        namespace: "kolla".into(),
        readonly,
        rows: rows(),
        watched: ObjKind::WATCHED.to_vec(),
        foreign_watched: Vec::new(),
        local_cluster: false,
        desired: Vec::new(),
        deploy: DeployOptions::default(),
    })
}

/// A model whose every watch has synced an empty namespace, on three Ready nodes.
pub fn synced(readonly: bool) -> Model {
    let mut m = model(readonly);
    for kind in ObjKind::WATCHED {
        update(&mut m, Msg::Resynced(kind, Vec::new()));
    }
    for i in 1..=3 {
        update(
            &mut m,
            Msg::Applied(node(&format!("node-{i}"), NodeReady::True)),
        );
    }
    update(&mut m, Msg::Connection(crate::model::Connection::Connected));
    m
}

pub fn obj(kind: ObjKind, name: &str, service: &str, cell: Kind, state: ObjState) -> ObjectSummary {
    ObjectSummary {
        obj: ObjRef {
            kind,
            name: name.into(),
        },
        owner: Some(Owner {
            service: service.into(),
            kind: cell,
        }),
        deleting: false,
        created: 1_700_000_000,
        state,
        live: None,
    }
}

pub fn node(name: &str, ready: NodeReady) -> ObjectSummary {
    ObjectSummary {
        obj: ObjRef {
            kind: ObjKind::Node,
            name: name.into(),
        },
        owner: None,
        deleting: false,
        created: 0,
        state: ObjState::Node(NodeSummary {
            ready,
            unschedulable: false,
            taints: Vec::new(),
            labels: Vec::new(),
            pressure: Vec::new(),
            ready_since: 0,
        }),
        live: None,
    }
}

pub fn pod(
    name: &str,
    service: &str,
    cell: Kind,
    phase: PodPhase,
    ready: bool,
    reason: Option<&str>,
) -> ObjectSummary {
    obj(
        ObjKind::Pod,
        name,
        service,
        cell,
        ObjState::Pod {
            phase,
            ready,
            node: Some("node-1".into()),
            owner: None,
            detail: detail_for(service, phase, ready, true, reason),
        },
    )
}

/// A pod's detail as the summarizer builds it for `reason`: the pod's own reason (a Failed
/// pod), the scheduler's message (an unplaced Pending pod), else a container waiting for it.
pub fn detail_for(
    service: &str,
    phase: PodPhase,
    ready: bool,
    placed: bool,
    reason: Option<&str>,
) -> Box<PodDetail> {
    let mut container = ContainerSummary {
        name: service.into(),
        image: format!("quay.io/openstack.kolla/{service}:2025.1-ubuntu-noble"),
        ready,
        running: phase == PodPhase::Running && reason.is_none(),
        ..ContainerSummary::default()
    };
    let mut detail = PodDetail::default();
    let because = |r: &str| Reason {
        reason: r.into(),
        message: String::new(),
    };
    match reason {
        Some(r) if phase == PodPhase::Failed => detail.status = Some(because(r)),
        Some(message) if !placed && phase == PodPhase::Pending => {
            detail.unschedulable = Some(message.into());
        }
        Some(r) => container.waiting = Some(because(r)),
        None => {}
    }
    detail.containers.push(container);
    Box::new(detail)
}

pub fn service(name: &str, ready_endpoints: u32) -> Vec<ObjectSummary> {
    vec![
        obj(
            ObjKind::Service,
            name,
            name,
            Kind::Svc,
            ObjState::Service {
                cluster_ip: Some("10.96.0.10".into()),
            },
        ),
        obj(
            ObjKind::EndpointSlice,
            &format!("{name}-abcde"),
            name,
            Kind::Svc,
            ObjState::Endpoints {
                service: name.into(),
                ready: ready_endpoints,
                total: 1,
            },
        ),
    ]
}

pub fn configmap(service: &str) -> ObjectSummary {
    obj(
        ObjKind::ConfigMap,
        service,
        service,
        Kind::Configmap,
        ObjState::Present,
    )
}

/// The failed attempt of mariadb's bootstrap Job: its container exited 1.
fn job_attempt() -> ObjectSummary {
    let mut p = pod(
        "mariadb-bootstrap-7xk2p",
        "mariadb",
        Kind::Bootstrap,
        PodPhase::Failed,
        false,
        None,
    );
    if let ObjState::Pod { owner, detail, .. } = &mut p.state {
        *owner = Some(ObjRef {
            kind: ObjKind::Job,
            name: "mariadb-bootstrap".into(),
        });
        detail.containers[0].last_exit = Some(Exit {
            reason: "Error".into(),
            code: 1,
            at: 1_700_000_190,
        });
    }
    p
}

/// A Job; its pod counts follow its state (one pod: running, succeeded or failed).
pub fn job(name: &str, service: &str, state: JobState) -> ObjectSummary {
    let (active, succeeded, failed) = match state {
        JobState::Running => (1, 0, 0),
        JobState::Complete => (0, 1, 0),
        JobState::Failed { .. } => (0, 0, 1),
    };
    obj(
        ObjKind::Job,
        name,
        service,
        Kind::Bootstrap,
        ObjState::Job {
            state,
            active,
            succeeded,
            failed,
        },
    )
}

pub fn workload(kind: ObjKind, name: &str, desired: u32, ready: u32) -> ObjectSummary {
    obj(
        kind,
        name,
        name,
        Kind::Pod,
        ObjState::Workload {
            desired,
            ready,
            // A replica not ready yet runs the latest template: no rollout.
            updated: desired,
            current: desired,
            observed: true,
            problems: Vec::new(),
        },
    )
}

pub fn event(
    time: i64,
    warning: bool,
    kind: ObjKind,
    name: &str,
    reason: &str,
    note: &str,
) -> EventSummary {
    EventSummary {
        time,
        warning,
        regarding: ObjRef {
            kind,
            name: name.into(),
        },
        reason: reason.into(),
        note: note.into(),
        count: 1,
    }
}

fn apply_all(m: &mut Model, objs: impl IntoIterator<Item = ObjectSummary>) {
    for o in objs {
        update(m, Msg::Applied(o));
    }
}

/// mariadb bootstrapped and running, memcached running, keystone bootstrapping with its
/// pods starting, horizon not created.
pub fn mid_deploy() -> Model {
    let mut m = synced(false);
    apply_all(
        &mut m,
        [
            obj(
                ObjKind::Job,
                "mariadb-disk",
                "mariadb",
                Kind::Disk,
                ObjState::Job {
                    state: JobState::Complete,
                    active: 0,
                    succeeded: 1,
                    failed: 0,
                },
            ),
            obj(
                ObjKind::PersistentVolume,
                "mariadb",
                "mariadb",
                Kind::Pv,
                ObjState::Pv {
                    phase: VolumePhase::Bound,
                    claim: Some("mariadb".into()),
                    bootstrapped: None,
                },
            ),
            obj(
                ObjKind::PersistentVolumeClaim,
                "mariadb",
                "mariadb",
                Kind::Pvc,
                ObjState::Pvc {
                    phase: VolumePhase::Bound,
                    volume: Some("mariadb".into()),
                    bootstrapped: None,
                },
            ),
            configmap("mariadb"),
            job("mariadb-bootstrap", "mariadb", JobState::Complete),
            workload(ObjKind::StatefulSet, "mariadb", 1, 1),
            pod(
                "mariadb-0",
                "mariadb",
                Kind::Pod,
                PodPhase::Running,
                true,
                None,
            ),
            configmap("memcached"),
            workload(ObjKind::Deployment, "memcached", 1, 1),
            pod(
                "memcached-5d8c7-x2x9q",
                "memcached",
                Kind::Pod,
                PodPhase::Running,
                true,
                None,
            ),
            configmap("keystone"),
            job("keystone-create-db", "keystone", JobState::Running),
            workload(ObjKind::Deployment, "keystone", 3, 1),
            pod(
                "keystone-7f9d4-aaaaa",
                "keystone",
                Kind::Pod,
                PodPhase::Running,
                true,
                None,
            ),
            pod(
                "keystone-7f9d4-bbbbb",
                "keystone",
                Kind::Pod,
                PodPhase::Pending,
                false,
                Some("ContainerCreating"),
            ),
        ],
    );
    apply_all(&mut m, service("mariadb", 1));
    apply_all(&mut m, service("memcached", 1));
    apply_all(&mut m, service("keystone", 0));
    for e in [
        event(
            1_700_000_100,
            false,
            ObjKind::Pod,
            "mariadb-0",
            "Started",
            "Started container mariadb",
        ),
        event(
            1_700_000_160,
            false,
            ObjKind::Job,
            "keystone-create-db",
            "SuccessfulCreate",
            "Created pod: keystone-create-db-q8k2m",
        ),
        event(
            1_700_000_170,
            false,
            ObjKind::Pod,
            "keystone-7f9d4-aaaaa",
            "Started",
            "Started container keystone",
        ),
        event(
            1_700_000_175,
            true,
            ObjKind::Pod,
            "keystone-7f9d4-bbbbb",
            "FailedMount",
            "MountVolume.SetUp failed for volume \"keystone-config\": configmap \"keystone\" not found",
        ),
    ] {
        update(&mut m, Msg::Event(e));
    }
    m
}

/// mariadb's bootstrap Job failed; the operator has its bootstrap cell selected.
pub fn failed_job() -> Model {
    let mut m = synced(false);
    update(&mut m, Msg::Now(1_700_000_300));
    apply_all(
        &mut m,
        [
            obj(
                ObjKind::PersistentVolumeClaim,
                "mariadb",
                "mariadb",
                Kind::Pvc,
                ObjState::Pvc {
                    phase: VolumePhase::Bound,
                    volume: Some("mariadb".into()),
                    bootstrapped: None,
                },
            ),
            configmap("mariadb"),
            job(
                "mariadb-bootstrap",
                "mariadb",
                JobState::Failed {
                    reason: "BackoffLimitExceeded".into(),
                    message: "Job has reached the specified backoff limit".into(),
                },
            ),
            job_attempt(),
        ],
    );
    for e in [
        event(
            1_700_000_200,
            true,
            ObjKind::Pod,
            "mariadb-bootstrap-7xk2p",
            "BackOff",
            "Back-off restarting failed container",
        ),
        event(
            1_700_000_260,
            true,
            ObjKind::Job,
            "mariadb-bootstrap",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ),
    ] {
        update(&mut m, Msg::Event(e));
    }
    update(
        &mut m,
        Msg::Select {
            row: 0,
            kind: Kind::Bootstrap,
        },
    );
    m
}

/// A deploy started with `D` and reported up to keystone's bootstrap: mariadb and
/// memcached done or skipped, keystone's Job waited for, horizon queued.
pub fn mid_workflow() -> Model {
    use crate::model::Key;
    use crate::workflow::plan::StepAction::Create;
    use crate::workflow::schedule::StepState;
    let mut m = mid_deploy();
    update(&mut m, Msg::Key(Key::Char('D')));
    update(&mut m, Msg::Key(Key::Char('y')));
    let steps = [
        ("mariadb", Kind::Disk, StepState::Skipped),
        ("mariadb", Kind::Pv, StepState::Skipped),
        ("mariadb", Kind::Pvc, StepState::Skipped),
        ("mariadb", Kind::Svc, StepState::Done),
        ("mariadb", Kind::Configmap, StepState::Skipped),
        ("mariadb", Kind::Bootstrap, StepState::Skipped),
        ("mariadb", Kind::Pod, StepState::Done),
        ("memcached", Kind::Svc, StepState::Done),
        ("memcached", Kind::Configmap, StepState::Skipped),
        ("memcached", Kind::Pod, StepState::Done),
        ("keystone", Kind::Svc, StepState::Done),
        ("keystone", Kind::Configmap, StepState::Done),
        (
            "keystone",
            Kind::Bootstrap,
            StepState::Waiting("Job keystone-create-db is running".into()),
        ),
        ("keystone", Kind::Pod, StepState::Queued),
        ("horizon", Kind::Svc, StepState::Queued),
        ("horizon", Kind::Configmap, StepState::Queued),
        ("horizon", Kind::Pod, StepState::Queued),
    ];
    for (service, kind, state) in steps {
        update(
            &mut m,
            Msg::Step {
                service: service.into(),
                action: Create(kind),
                state,
                notes: Vec::new(),
            },
        );
    }
    update(
        &mut m,
        Msg::Select {
            row: 2,
            kind: Kind::Bootstrap,
        },
    );
    m
}

/// A service pod on `on` (a StatefulSet's when `stateful`).
pub fn placed_pod(
    name: &str,
    service: &str,
    on: &str,
    ready: bool,
    stateful: bool,
) -> ObjectSummary {
    let owner = ObjRef {
        kind: if stateful {
            ObjKind::StatefulSet
        } else {
            ObjKind::Deployment
        },
        name: service.into(),
    };
    obj(
        ObjKind::Pod,
        name,
        service,
        Kind::Pod,
        ObjState::Pod {
            phase: PodPhase::Running,
            ready,
            node: Some(on.into()),
            owner: Some(owner),
            detail: detail_for(service, PodPhase::Running, ready, true, None),
        },
    )
}

pub fn node_state(name: &str, ready: NodeReady, cordoned: bool, taints: &[&str]) -> ObjectSummary {
    let mut n = node(name, ready);
    n.state = ObjState::Node(NodeSummary {
        ready,
        unschedulable: cordoned,
        taints: taints.iter().map(|t| t.to_string()).collect(),
        labels: Vec::new(),
        pressure: Vec::new(),
        ready_since: 0,
    });
    n
}

/// Milliseconds of the fixtures' clock.
pub const T0_MS: i64 = 1_700_000_300_000;

/// The whole stack up with keystone on all three nodes and mariadb-0 on node-2; node-1 is
/// cordoned; then node-2 fails: keystone's pod there is evicted and replaced on node-3
/// (healed), mariadb-0 stays Terminating on the unreachable node.
pub fn node_failure() -> Model {
    let mut m = mid_deploy();
    let at = |m: &mut Model, ms: i64, msgs: Vec<Msg>| {
        update(m, Msg::NowMs(T0_MS + ms));
        for msg in msgs {
            update(m, msg);
        }
    };
    let ready = NodeReady::True;
    at(
        &mut m,
        -60_000,
        vec![
            Msg::Applied(node_state(
                "node-1",
                ready,
                true,
                &["node.kubernetes.io/unschedulable:NoSchedule"],
            )),
            Msg::Applied(workload(ObjKind::Deployment, "keystone", 3, 3)),
            Msg::Deleted(ObjRef {
                kind: ObjKind::Pod,
                name: "keystone-7f9d4-aaaaa".into(),
            }),
            Msg::Deleted(ObjRef {
                kind: ObjKind::Pod,
                name: "keystone-7f9d4-bbbbb".into(),
            }),
            Msg::Applied(placed_pod(
                "keystone-7f9d4-aaaaa",
                "keystone",
                "node-1",
                true,
                false,
            )),
            Msg::Applied(placed_pod(
                "keystone-7f9d4-bbbbb",
                "keystone",
                "node-2",
                true,
                false,
            )),
            Msg::Applied(placed_pod(
                "keystone-7f9d4-ccccc",
                "keystone",
                "node-3",
                true,
                false,
            )),
            Msg::Applied(placed_pod("mariadb-0", "mariadb", "node-2", true, true)),
        ],
    );
    let unreachable = "node.kubernetes.io/unreachable:NoExecute";
    at(
        &mut m,
        0,
        vec![Msg::Applied(node_state(
            "node-2",
            NodeReady::Unknown,
            false,
            &[],
        ))],
    );
    at(
        &mut m,
        400,
        vec![Msg::Applied(node_state(
            "node-2",
            NodeReady::Unknown,
            false,
            &[unreachable],
        ))],
    );
    let mut evicted = placed_pod("keystone-7f9d4-bbbbb", "keystone", "node-2", false, false);
    evicted.deleting = true;
    let mut stuck = placed_pod("mariadb-0", "mariadb", "node-2", false, true);
    stuck.deleting = true;
    at(
        &mut m,
        5_100,
        vec![
            Msg::Applied(workload(ObjKind::Deployment, "keystone", 3, 2)),
            Msg::Applied(workload(ObjKind::StatefulSet, "mariadb", 1, 0)),
            Msg::Applied(evicted),
            Msg::Applied(stuck),
        ],
    );
    at(
        &mut m,
        5_300,
        vec![Msg::Applied(placed_pod(
            "keystone-7f9d4-ddddd",
            "keystone",
            "node-3",
            false,
            false,
        ))],
    );
    at(
        &mut m,
        8_700,
        vec![
            Msg::Applied(placed_pod(
                "keystone-7f9d4-ddddd",
                "keystone",
                "node-3",
                true,
                false,
            )),
            Msg::Applied(workload(ObjKind::Deployment, "keystone", 3, 3)),
        ],
    );
    at(&mut m, 30_000, Vec::new());
    m
}

/// The built-in catalog and its default config with `provider` for storage (ceph's comes
/// from the repository's test fixture, which has a keyring).
pub fn provider_config(provider: StorageProvider) -> (Catalog, Config) {
    let catalog = Catalog::builtin().expect("the built-in catalog");
    let config = match provider {
        StorageProvider::Ceph => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/ceph");
            Config::load(Some(&dir), &catalog).expect("the ceph fixture config")
        }
        other => {
            let kk = (
                "kolla-kubernetes.yml".to_string(),
                format!("storage_provider: {}\n", other.as_str()),
            );
            Config::parse(Some(&kk), None, Path::new("."), &catalog).expect("a provider config")
        }
    };
    (catalog, config)
}

/// The grid's rows as the dashboard builds them for `provider`: every service of the
/// catalog with the kinds that render objects (ceph's row is empty unless storage is ceph)
/// and what it depends on.
pub fn catalog_rows(provider: StorageProvider) -> Vec<Row> {
    let (catalog, config) = provider_config(provider);
    let renderer = Renderer::new(&config, &catalog).expect("templates compile");
    catalog
        .services()
        .iter()
        .map(|s| {
            let kinds = renderer.active_kinds(&s.name).expect("renders");
            Row::new(s.name.clone(), kinds).after(&s.depends_on)
        })
        .collect()
}

/// What the watchers would report for a rendered object once it is ready: a Job complete,
/// volumes bound, workloads' replicas ready, Services with a ready endpoint (their
/// EndpointSlice included), the rest present; each as the config renders it (no drift).
pub fn ready_summaries(m: &Manifest) -> Vec<ObjectSummary> {
    let own = |kind, name: &str, state| {
        let mut o = obj(kind, name, &m.service, m.kind, state);
        if kind == m.obj_kind {
            o.live = Some(Box::new(Live::new(kind, served(m))));
        }
        o
    };
    let state = match m.obj_kind {
        ObjKind::Job => ObjState::Job {
            state: JobState::Complete,
            active: 0,
            succeeded: 1,
            failed: 0,
        },
        ObjKind::PersistentVolume => ObjState::Pv {
            phase: VolumePhase::Bound,
            claim: Some(m.service.clone()),
            bootstrapped: None,
        },
        ObjKind::PersistentVolumeClaim => ObjState::Pvc {
            phase: VolumePhase::Bound,
            volume: Some(m.name.clone()),
            bootstrapped: None,
        },
        ObjKind::Deployment | ObjKind::StatefulSet => {
            let replicas = m.object["spec"]["replicas"].as_u64().unwrap_or(1);
            let replicas = u32::try_from(replicas).unwrap_or(u32::MAX);
            ObjState::Workload {
                desired: replicas,
                ready: replicas,
                updated: replicas,
                current: replicas,
                observed: true,
                problems: Vec::new(),
            }
        }
        ObjKind::Service => {
            let endpoints = ObjState::Endpoints {
                service: m.name.clone(),
                ready: 1,
                total: 1,
            };
            let slice = format!("{}-abcde", m.name);
            let service = ObjState::Service {
                cluster_ip: Some("10.96.0.10".into()),
            };
            return vec![
                own(ObjKind::Service, &m.name, service),
                own(ObjKind::EndpointSlice, &slice, endpoints),
            ];
        }
        _ => ObjState::Present,
    };
    vec![own(m.obj_kind, &m.name, state)]
}

/// A rendered object as the API server keeps it: a Secret's stringData folded into data.
fn served(m: &Manifest) -> serde_json::Value {
    use base64::Engine as _;
    let mut object = m.object.clone();
    if let Some(strings) = object.as_object_mut().and_then(|o| o.remove("stringData")) {
        let encode = |v: &serde_json::Value| {
            let text = v.as_str().unwrap_or_default();
            base64::engine::general_purpose::STANDARD.encode(text)
        };
        let data: serde_json::Map<String, serde_json::Value> = strings
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), encode(v).into()))
            .collect();
        object["data"] = data.into();
    }
    object
}

/// Every service of the catalog deployed and ready with `provider` for storage, on three
/// Ready nodes: the real grid, ceph's row included.
/// Every manifest the provider's config renders, cell by cell in grid order.
pub fn rendered(provider: StorageProvider) -> Vec<Manifest> {
    let (catalog, config) = provider_config(provider);
    let renderer = Renderer::new(&config, &catalog).expect("templates compile");
    catalog_rows(provider)
        .iter()
        .flat_map(|row| row.kinds.iter().map(|k| (row.service.clone(), *k)))
        .flat_map(|(service, kind)| renderer.render(&service, kind).expect("renders"))
        .collect()
}

pub fn deployed(provider: StorageProvider) -> Model {
    let rows = catalog_rows(provider);
    let rendered = rendered(provider);
    let mut m = Model::new(ModelConfig {
        context: "kolla-demo".into(),
        namespace: "kolla".into(),
        readonly: false,
        rows: rows.clone(),
        watched: ObjKind::WATCHED.to_vec(),
        foreign_watched: Vec::new(),
        local_cluster: true,
        desired: rendered.iter().map(Desired::from).collect(),
        deploy: DeployOptions::for_provider(provider),
    });
    for kind in ObjKind::WATCHED {
        update(&mut m, Msg::Resynced(kind, Vec::new()));
    }
    for i in 1..=3 {
        let node = node(&format!("kolla-node-{i}"), NodeReady::True);
        update(&mut m, Msg::Applied(node));
    }
    update(&mut m, Msg::Connection(crate::model::Connection::Connected));
    apply_all(&mut m, rendered.iter().flat_map(ready_summaries));
    m
}

/// The deployed stack (host storage) after changes behind kolla-dash's back: keystone's
/// Deployment scaled to 1 and running an older image, mariadb's claim at another size.
pub fn drifted() -> Model {
    let mut m = deployed(StorageProvider::Host);
    let (catalog, config) = provider_config(StorageProvider::Host);
    let renderer = Renderer::new(&config, &catalog).expect("templates compile");
    let edit = |service: &str, kind: Kind, change: &dyn Fn(&mut serde_json::Value)| {
        let manifest = renderer.render(service, kind).expect("renders").remove(0);
        let mut summary = ready_summaries(&manifest).remove(0);
        let mut live = served(&manifest);
        change(&mut live);
        summary.live = Some(Box::new(Live::new(manifest.obj_kind, live)));
        summary
    };
    let mut keystone = edit("keystone", Kind::Pod, &|d| {
        d["spec"]["replicas"] = 1.into();
        let image = &mut d["spec"]["template"]["spec"]["containers"][0]["image"];
        *image = image
            .as_str()
            .unwrap_or_default()
            .replace("2025.1", "2024.2")
            .into();
    });
    keystone.state = ObjState::Workload {
        desired: 1,
        ready: 1,
        updated: 1,
        current: 1,
        observed: true,
        problems: Vec::new(),
    };
    let claim = edit("mariadb", Kind::Pvc, &|c| {
        c["spec"]["resources"]["requests"]["storage"] = "5Gi".into();
    });
    apply_all(&mut m, [keystone, claim]);
    m
}

/// Presses each key in turn; the effects of all of them.
pub fn keys(m: &mut Model, keys: &[Key]) -> Vec<Effect> {
    keys.iter().flat_map(|k| update(m, Msg::Key(*k))).collect()
}

/// Types `text` one character at a time.
pub fn typed(m: &mut Model, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| update(m, Msg::Key(Key::Char(c))))
        .collect()
}

/// keystone's ConfigMap as someone else made it (`manager` says who): the cell kolla-dash
/// must not touch without consent.
pub fn foreign_keystone_configmap(manager: crate::ownership::Manager) -> crate::ownership::Foreign {
    crate::ownership::Foreign {
        obj: ObjRef {
            kind: ObjKind::ConfigMap,
            name: "keystone".into(),
        },
        namespace: Some("kolla".into()),
        cell: Some(Owner {
            service: "keystone".into(),
            kind: Kind::Configmap,
        }),
        manager,
    }
}

/// mariadb's claim, Bound, recording an earlier bootstrap on its data.
pub fn bootstrapped_claim() -> ObjectSummary {
    obj(
        ObjKind::PersistentVolumeClaim,
        "mariadb",
        "mariadb",
        Kind::Pvc,
        ObjState::Pvc {
            phase: VolumePhase::Bound,
            volume: Some("kolla-mariadb".into()),
            bootstrapped: Some("2026-01-02T03:04:05Z Job/mariadb-bootstrap".into()),
        },
    )
}

/// A small deterministic pseudo-random sequence (xorshift) for tests that churn many
/// objects: the same seed gives the same run, so a failure replays.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.max(1))
    }

    /// A number in `0..n`.
    pub fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// A memcached pod in one of the states the status rules tell apart, chosen by `pick`
/// (any number): ready, starting, crash-looping, unschedulable, failed, finished; being
/// deleted when `deleting`.
pub fn pod_in_state(name: &str, pick: usize, deleting: bool) -> ObjectSummary {
    let (phase, ready, reason) = match pick % 6 {
        0 => (PodPhase::Running, true, None),
        1 => (PodPhase::Pending, false, Some("ContainerCreating")),
        2 => (PodPhase::Running, false, Some("CrashLoopBackOff")),
        3 => (PodPhase::Pending, false, Some("0/3 nodes are available")),
        4 => (PodPhase::Failed, false, Some("Evicted")),
        _ => (PodPhase::Succeeded, false, None),
    };
    let mut p = pod(name, "memcached", Kind::Pod, phase, ready, reason);
    if let ObjState::Pod { node, detail, .. } = &mut p.state
        && pick % 6 == 3
    {
        *node = None;
        *detail = detail_for("memcached", phase, ready, false, reason);
    }
    p.deleting = deleting;
    p
}
