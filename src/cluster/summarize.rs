//! Turns full Kubernetes objects into the model's compact summaries.
//!
//! Pure functions: this is where cluster detail is dropped, so it is tested with hand-built
//! objects and no network.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ControllerRevision, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, ContainerStateTerminated, ContainerStatus, Node, PersistentVolume,
    PersistentVolumeClaim, Pod, Secret, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::drift::Live;
use crate::kind::Kind;
use crate::labels;
use crate::record;
use crate::render;
use crate::summary::{
    ContainerSummary, EventSummary, Exit, JobState, NodeReady, NodeSummary, ObjKind, ObjRef,
    ObjState, ObjectSummary, Owner, PodDetail, PodPhase, Reason, VolumePhase,
};

/// A Kubernetes type kolla-dash summarizes.
pub trait Summarize: serde::Serialize {
    const KIND: ObjKind;
    fn meta(&self) -> &ObjectMeta;
    fn state(&self) -> ObjState;

    fn summarize(&self) -> ObjectSummary {
        let meta = self.meta();
        let owner = owner_of(meta.labels.as_ref());
        ObjectSummary {
            obj: obj_ref(Self::KIND, meta),
            deleting: meta.deletion_timestamp.is_some(),
            created: meta
                .creation_timestamp
                .as_ref()
                .map_or(0, |t| t.0.as_second()),
            state: self.state(),
            // Only what kolla-dash applies is compared with the rendering: a cell's own
            // objects of the kinds templates produce, never pods or intermediates.
            live: match owner {
                Some(_) if render::MANIFEST_KINDS.contains(&Self::KIND) => live(self),
                _ => None,
            },
            owner,
        }
    }
}

/// What drift compares of an applied object (`Live`); `None` if it cannot be read as JSON.
fn live<T: Summarize + ?Sized>(obj: &T) -> Option<Box<Live>> {
    match serde_json::to_value(obj) {
        Ok(value) => Some(Box::new(Live::new(T::KIND, value))),
        Err(e) => {
            tracing::warn!(kind = %T::KIND, error = %e, "cannot read an object for drift");
            None
        }
    }
}

pub fn obj_ref(kind: ObjKind, meta: &ObjectMeta) -> ObjRef {
    ObjRef {
        kind,
        name: meta.name.clone().unwrap_or_default(),
    }
}

/// The grid cell named by an object's labels, if both labels are present and valid.
pub fn owner_of(labels: Option<&BTreeMap<String, String>>) -> Option<Owner> {
    let labels = labels?;
    let service = labels.get(labels::SERVICE)?;
    let kind: Kind = labels.get(labels::KIND)?.parse().ok()?;
    Some(Owner {
        service: service.clone(),
        kind,
    })
}

/// The bootstrap record a PV or PVC carries (`record::ANNOTATION`).
fn bootstrap_record(meta: &ObjectMeta) -> Option<String> {
    meta.annotations.as_ref()?.get(record::ANNOTATION).cloned()
}

fn count(n: Option<i32>) -> u32 {
    n.map_or(0, |n| u32::try_from(n).unwrap_or(0))
}

fn volume_phase(phase: Option<&str>) -> VolumePhase {
    match phase {
        Some("Available") => VolumePhase::Available,
        Some("Bound") => VolumePhase::Bound,
        Some("Released") => VolumePhase::Released,
        Some("Lost") => VolumePhase::Lost,
        Some("Failed") => VolumePhase::Failed,
        _ => VolumePhase::Pending,
    }
}

impl Summarize for Pod {
    const KIND: ObjKind = ObjKind::Pod;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        let status = self.status.as_ref();
        let spec = self.spec.as_ref();
        let phase = match status.and_then(|s| s.phase.as_deref()) {
            Some("Pending") => PodPhase::Pending,
            Some("Running") => PodPhase::Running,
            Some("Succeeded") => PodPhase::Succeeded,
            Some("Failed") => PodPhase::Failed,
            _ => PodPhase::Unknown,
        };
        let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
        let ready = conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        let unschedulable = conditions
            .iter()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False")
            .map(|c| {
                c.message
                    .clone()
                    .filter(|m| !m.is_empty())
                    .or_else(|| c.reason.clone())
                    .unwrap_or_else(|| "Unschedulable".into())
            });
        let statuses = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]);
        let containers = spec
            .map(|s| s.containers.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|c| container(c, statuses.iter().find(|s| s.name == c.name)))
            .collect();
        let own = status.and_then(|s| s.reason.clone()).map(|reason| Reason {
            reason,
            message: status.and_then(|s| s.message.clone()).unwrap_or_default(),
        });
        ObjState::Pod {
            phase,
            ready,
            node: spec.and_then(|s| s.node_name.clone()),
            owner: controller_of(&self.metadata),
            detail: Box::new(PodDetail {
                containers,
                unschedulable,
                status: own,
                node_selector: spec
                    .and_then(|s| s.node_selector.as_ref())
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }),
        }
    }
}

/// The controller that owns a pod; a ReplicaSet stands for its Deployment (named after
/// it plus a hash suffix).
fn controller_of(meta: &ObjectMeta) -> Option<ObjRef> {
    let o = meta
        .owner_references
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .find(|o| o.controller == Some(true))?;
    let (kind, name) = match o.kind.as_str() {
        "Job" => (ObjKind::Job, o.name.clone()),
        "StatefulSet" => (ObjKind::StatefulSet, o.name.clone()),
        "ReplicaSet" => (
            ObjKind::Deployment,
            o.name
                .rsplit_once('-')
                .map_or(o.name.clone(), |(d, _)| d.to_string()),
        ),
        _ => return None,
    };
    Some(ObjRef { kind, name })
}

/// One container: its spec (image, memory limit) and its status (state, last exit).
fn container(spec: &Container, status: Option<&ContainerStatus>) -> ContainerSummary {
    let state = status.and_then(|s| s.state.as_ref());
    let exit = |t: &ContainerStateTerminated| Exit {
        reason: t.reason.clone().unwrap_or_else(|| "Error".into()),
        code: t.exit_code,
        at: t.finished_at.as_ref().map_or(0, |t| t.0.as_second()),
    };
    ContainerSummary {
        name: spec.name.clone(),
        image: spec.image.clone().unwrap_or_default(),
        ready: status.is_some_and(|s| s.ready),
        running: state.is_some_and(|s| s.running.is_some()),
        restarts: status.map_or(0, |s| u32::try_from(s.restart_count).unwrap_or(0)),
        waiting: state.and_then(|s| s.waiting.as_ref()).map(|w| Reason {
            reason: w.reason.clone().unwrap_or_default(),
            message: w.message.clone().unwrap_or_default(),
        }),
        // This run's end if it ended, else the previous run's.
        last_exit: state
            .and_then(|s| s.terminated.as_ref())
            .or_else(|| {
                status
                    .and_then(|s| s.last_state.as_ref())
                    .and_then(|s| s.terminated.as_ref())
            })
            .map(exit),
        memory_limit: spec
            .resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .and_then(|l| l.get("memory"))
            .map(|q| q.0.clone()),
    }
}

impl Summarize for Job {
    const KIND: ObjKind = ObjKind::Job;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        let status = self.status.as_ref();
        let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
        let holds = |t: &str| {
            conditions
                .iter()
                .find(|c| c.type_ == t && c.status == "True")
        };
        let state = if holds("Complete").is_some() {
            JobState::Complete
        } else if let Some(c) = holds("Failed") {
            JobState::Failed {
                reason: c.reason.clone().unwrap_or_else(|| "Failed".into()),
                message: c.message.clone().unwrap_or_default(),
            }
        } else {
            JobState::Running
        };
        ObjState::Job {
            state,
            active: count(status.and_then(|s| s.active)),
            succeeded: count(status.and_then(|s| s.succeeded)),
            failed: count(status.and_then(|s| s.failed)),
        }
    }
}

/// The replica counts of a Deployment or StatefulSet, how far its rollout is, and the
/// conditions that say it is stuck.
struct Replicas {
    desired: Option<i32>,
    ready: Option<i32>,
    updated: Option<i32>,
    current: Option<i32>,
    generation: Option<i64>,
    observed_generation: Option<i64>,
}

fn workload(r: Replicas, problems: Vec<Reason>) -> ObjState {
    ObjState::Workload {
        desired: count(Some(r.desired.unwrap_or(1))),
        ready: count(r.ready),
        updated: count(r.updated),
        current: count(r.current),
        observed: r.observed_generation.unwrap_or(0) >= r.generation.unwrap_or(0),
        problems,
    }
}

/// Conditions that say a controller is stuck: it cannot create pods (ReplicaFailure=True)
/// or its rollout passed its deadline (Progressing=False).
fn stuck<'a>(
    conditions: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a String>, Option<&'a String>)>,
) -> Vec<Reason> {
    conditions
        .into_iter()
        .filter(|(type_, status, ..)| {
            (*type_ == "ReplicaFailure" && *status == "True")
                || (*type_ == "Progressing" && *status == "False")
        })
        .map(|(_, _, reason, message)| Reason {
            reason: reason.cloned().unwrap_or_default(),
            message: message.cloned().unwrap_or_default(),
        })
        .collect()
}

/// Deployments and StatefulSets summarize alike.
macro_rules! workload_summary {
    ($ty:ty, $kind:expr) => {
        impl Summarize for $ty {
            const KIND: ObjKind = $kind;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn state(&self) -> ObjState {
                let status = self.status.as_ref();
                let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
                let replicas = Replicas {
                    desired: self.spec.as_ref().and_then(|s| s.replicas),
                    ready: status.and_then(|s| s.ready_replicas),
                    updated: status.and_then(|s| s.updated_replicas),
                    // An Option on a Deployment, a number on a StatefulSet.
                    current: status.and_then(|s| Option::<i32>::from(s.replicas)),
                    generation: self.metadata.generation,
                    observed_generation: status.and_then(|s| s.observed_generation),
                };
                workload(
                    replicas,
                    stuck(conditions.iter().map(|c| {
                        (
                            c.type_.as_str(),
                            c.status.as_str(),
                            c.reason.as_ref(),
                            c.message.as_ref(),
                        )
                    })),
                )
            }
        }
    };
}
workload_summary!(Deployment, ObjKind::Deployment);
workload_summary!(StatefulSet, ObjKind::StatefulSet);

impl Summarize for ReplicaSet {
    const KIND: ObjKind = ObjKind::ReplicaSet;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        let status = self.status.as_ref();
        let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
        ObjState::ReplicaSet {
            desired: count(self.spec.as_ref().and_then(|s| s.replicas)),
            ready: count(status.and_then(|s| s.ready_replicas)),
            problems: stuck(conditions.iter().map(|c| {
                (
                    c.type_.as_str(),
                    c.status.as_str(),
                    c.reason.as_ref(),
                    c.message.as_ref(),
                )
            })),
        }
    }
}

impl Summarize for Service {
    const KIND: ObjKind = ObjKind::Service;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        ObjState::Service {
            cluster_ip: self
                .spec
                .as_ref()
                .and_then(|s| s.cluster_ip.clone())
                .filter(|ip| !ip.is_empty()),
        }
    }
}

impl Summarize for EndpointSlice {
    const KIND: ObjKind = ObjKind::EndpointSlice;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        let endpoints = self.endpoints.as_deref().unwrap_or(&[]);
        let ready = endpoints
            .iter()
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            .count();
        ObjState::Endpoints {
            service: self
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("kubernetes.io/service-name").cloned())
                .unwrap_or_default(),
            ready: u32::try_from(ready).unwrap_or(u32::MAX),
            total: u32::try_from(endpoints.len()).unwrap_or(u32::MAX),
        }
    }
}

macro_rules! present {
    ($ty:ty, $kind:expr) => {
        impl Summarize for $ty {
            const KIND: ObjKind = $kind;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn state(&self) -> ObjState {
                ObjState::Present
            }
        }
    };
}
present!(ConfigMap, ObjKind::ConfigMap);
present!(Secret, ObjKind::Secret);
present!(StorageClass, ObjKind::StorageClass);
present!(ControllerRevision, ObjKind::ControllerRevision);

impl Summarize for PersistentVolume {
    const KIND: ObjKind = ObjKind::PersistentVolume;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        ObjState::Pv {
            phase: volume_phase(self.status.as_ref().and_then(|s| s.phase.as_deref())),
            claim: self
                .spec
                .as_ref()
                .and_then(|s| s.claim_ref.as_ref())
                .and_then(|c| c.name.clone()),
            bootstrapped: bootstrap_record(&self.metadata),
        }
    }
}

impl Summarize for PersistentVolumeClaim {
    const KIND: ObjKind = ObjKind::PersistentVolumeClaim;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        ObjState::Pvc {
            phase: volume_phase(self.status.as_ref().and_then(|s| s.phase.as_deref())),
            volume: self.spec.as_ref().and_then(|s| s.volume_name.clone()),
            bootstrapped: bootstrap_record(&self.metadata),
        }
    }
}

impl Summarize for Node {
    const KIND: ObjKind = ObjKind::Node;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn state(&self) -> ObjState {
        let conditions = self
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_deref())
            .unwrap_or(&[]);
        let ready_condition = conditions.iter().find(|c| c.type_ == "Ready");
        let ready = ready_condition.map_or(NodeReady::Unknown, |c| match c.status.as_str() {
            "True" => NodeReady::True,
            "False" => NodeReady::False,
            _ => NodeReady::Unknown,
        });
        let spec = self.spec.as_ref();
        ObjState::Node(NodeSummary {
            ready,
            unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
            taints: spec
                .and_then(|s| s.taints.as_deref())
                .unwrap_or(&[])
                .iter()
                .map(|t| format!("{}:{}", t.key, t.effect))
                .collect(),
            labels: self
                .metadata
                .labels
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            pressure: conditions
                .iter()
                .filter(|c| c.type_ != "Ready" && c.status == "True")
                .map(|c| c.type_.clone())
                .collect(),
            ready_since: ready_condition
                .and_then(|c| c.last_transition_time.as_ref())
                .map_or(0, |t| t.0.as_second()),
        })
    }
}

/// Reduces an events.k8s.io/v1 Event; None when it names no object.
pub fn summarize_event(e: &Event) -> Option<EventSummary> {
    let regarding = e.regarding.as_ref()?;
    let kind = ObjKind::from_name(regarding.kind.as_deref()?)?;
    let time = e
        .series
        .as_ref()
        .map(|s| s.last_observed_time.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.deprecated_last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .map_or(0, |t| t.as_second());
    Some(EventSummary {
        time,
        warning: e.type_.as_deref() == Some("Warning"),
        regarding: ObjRef {
            kind,
            name: regarding.name.clone().unwrap_or_default(),
        },
        reason: e.reason.clone().unwrap_or_default(),
        note: e.note.clone().unwrap_or_default(),
        count: e
            .series
            .as_ref()
            .map(|s| count(Some(s.count)))
            .or_else(|| e.deprecated_count.map(|c| count(Some(c))))
            .unwrap_or(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).expect("valid object")
    }

    #[test]
    fn pod_owned_by_replicaset_is_attributed_to_its_deployment() {
        let pod: Pod = from(json!({
            "metadata": {"name": "keystone-7d9f-abcde",
                "labels": {"kolla-dash/service": "keystone", "kolla-dash/kind": "pod"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "keystone-7d9f", "uid": "u", "controller": true}]},
            "spec": {"containers": [], "nodeName": "kolla-node-2"},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}]}
        }));
        let s = pod.summarize();
        assert_eq!(
            s.owner,
            Some(Owner {
                service: "keystone".into(),
                kind: Kind::Pod
            })
        );
        match s.state {
            ObjState::Pod {
                phase,
                ready,
                node,
                owner,
                ..
            } => {
                assert_eq!(phase, PodPhase::Running);
                assert!(ready);
                assert_eq!(node.as_deref(), Some("kolla-node-2"));
                assert_eq!(
                    owner,
                    Some(ObjRef {
                        kind: ObjKind::Deployment,
                        name: "keystone".into()
                    })
                );
            }
            other => panic!("not a pod state: {other:?}"),
        }
    }

    #[test]
    fn pod_reason_prefers_waiting_container_then_unschedulable() {
        let waiting: Pod = from(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i",
                "resources": {"limits": {"memory": "512Mi"}}}]},
            "status": {"phase": "Pending",
                "conditions": [{"type": "PodScheduled", "status": "True"}],
                "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": false,
                    "restartCount": 2, "state": {"waiting": {"reason": "ImagePullBackOff",
                        "message": "Back-off pulling image \"i\""}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
        }));
        let unschedulable: Pod = from(json!({
            "metadata": {"name": "p"},
            "status": {"phase": "Pending",
                "conditions": [{"type": "PodScheduled", "status": "False",
                    "reason": "Unschedulable", "message": "0/3 nodes are available"}]}
        }));
        let detail = |p: &Pod| match p.state() {
            ObjState::Pod { detail, .. } => *detail,
            other => panic!("not a pod state: {other:?}"),
        };
        let d = detail(&waiting);
        assert_eq!((d.waiting(), d.restarts()), (Some("ImagePullBackOff"), 2));
        let c = &d.containers[0];
        assert_eq!(
            (c.image.as_str(), c.memory_limit.as_deref()),
            ("i", Some("512Mi"))
        );
        assert_eq!(
            c.waiting.as_ref().map(|w| w.message.as_str()),
            Some("Back-off pulling image \"i\"")
        );
        assert_eq!(
            c.last_exit.as_ref().map(|e| (e.reason.as_str(), e.code)),
            Some(("OOMKilled", 137))
        );
        assert_eq!(
            detail(&unschedulable).unschedulable.as_deref(),
            Some("0/3 nodes are available")
        );
    }

    #[test]
    fn job_conditions_map_to_job_state() {
        let failed: Job = from(json!({
            "metadata": {"name": "mariadb-bootstrap"},
            "status": {"failed": 7, "conditions": [{"type": "Failed", "status": "True",
                "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}
        }));
        assert_eq!(
            failed.state(),
            ObjState::Job {
                state: JobState::Failed {
                    reason: "BackoffLimitExceeded".into(),
                    message: "Job has reached the specified backoff limit".into()
                },
                active: 0,
                succeeded: 0,
                failed: 7
            }
        );
        let complete: Job = from(json!({"metadata": {"name": "j"},
            "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}));
        assert!(matches!(
            complete.state(),
            ObjState::Job {
                state: JobState::Complete,
                succeeded: 1,
                ..
            }
        ));
    }

    #[test]
    fn labels_without_a_valid_kind_give_no_owner() {
        let mut labels = BTreeMap::new();
        labels.insert(labels::SERVICE.to_string(), "mariadb".to_string());
        labels.insert(labels::KIND.to_string(), "volume".to_string());
        assert_eq!(owner_of(Some(&labels)), None);
    }

    #[test]
    fn endpoint_slice_counts_ready_endpoints_for_its_service() {
        let slice: EndpointSlice = from(json!({
            "addressType": "IPv4",
            "metadata": {"name": "memcached-x1", "labels": {"kubernetes.io/service-name": "memcached"}},
            "endpoints": [
                {"addresses": ["10.0.0.1"], "conditions": {"ready": true}},
                {"addresses": ["10.0.0.2"], "conditions": {"ready": false}}
            ]
        }));
        assert_eq!(
            slice.state(),
            ObjState::Endpoints {
                service: "memcached".into(),
                ready: 1,
                total: 2
            }
        );
    }

    #[test]
    fn node_summary_reads_ready_taints_and_cordon() {
        let node: Node = from(json!({
            "metadata": {"name": "kolla-node-1", "labels": {"kolla_controller": "true"}},
            "spec": {"unschedulable": true, "taints": [
                {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]}
        }));
        let ObjState::Node(n) = node.state() else {
            panic!("not a node state")
        };
        assert_eq!(n.ready, NodeReady::False);
        assert!(n.unschedulable);
        assert_eq!(n.taints, vec!["node.kubernetes.io/not-ready:NoExecute"]);
    }

    #[test]
    fn event_uses_series_time_and_marks_warnings() {
        let e: Event = from(json!({
            "metadata": {"name": "e1"},
            "eventTime": "2026-11-25T10:00:00.000000Z",
            "type": "Warning", "reason": "FailedScheduling",
            "note": "0/3 nodes are available",
            "regarding": {"kind": "Pod", "name": "horizon-abc"},
            "series": {"count": 4, "lastObservedTime": "2026-11-25T10:00:30.000000Z"}
        }));
        let s = summarize_event(&e).expect("names a pod");
        assert!(s.warning);
        assert_eq!(s.count, 4);
        // The series' last observation, not the first eventTime.
        assert_eq!(s.time, 1795600830);
        assert_eq!(s.regarding.name, "horizon-abc");
    }
}
