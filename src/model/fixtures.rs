//! Hand-built models and summaries shared by the model's and the UI's tests.

use crate::kind::Kind;
use crate::model::summary::{
    EventSummary, JobState, NodeReady, NodeSummary, ObjKind, ObjRef, ObjState, ObjectSummary,
    Owner, PodPhase, VolumePhase,
};
use crate::model::{Model, ModelConfig, Msg, Row, update};

/// Every kind the watchers report on.
pub const WATCHED: [ObjKind; 12] = [
    ObjKind::Pod,
    ObjKind::Job,
    ObjKind::Deployment,
    ObjKind::StatefulSet,
    ObjKind::Service,
    ObjKind::EndpointSlice,
    ObjKind::ConfigMap,
    ObjKind::Secret,
    ObjKind::PersistentVolume,
    ObjKind::PersistentVolumeClaim,
    ObjKind::StorageClass,
    ObjKind::Node,
];

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
        watched: WATCHED.to_vec(),
        local_cluster: false,
    })
}

/// A model whose every watch has synced an empty namespace, on three Ready nodes.
pub fn synced(readonly: bool) -> Model {
    let mut m = model(readonly);
    for kind in WATCHED {
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
        }),
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
            reason: reason.map(str::to_string),
            owner: None,
            restarts: 0,
        },
    )
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

pub fn job(name: &str, service: &str, state: JobState) -> ObjectSummary {
    obj(
        ObjKind::Job,
        name,
        service,
        Kind::Bootstrap,
        ObjState::Job {
            state,
            active: 1,
            succeeded: 0,
            failed: 0,
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
            updated: ready,
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

/// mariadb's bootstrap Job failed; the operator has keystone's row selected.
pub fn failed_job() -> Model {
    let mut m = synced(false);
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
            pod(
                "mariadb-bootstrap-7xk2p",
                "mariadb",
                Kind::Bootstrap,
                PodPhase::Failed,
                false,
                Some("Error"),
            ),
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
