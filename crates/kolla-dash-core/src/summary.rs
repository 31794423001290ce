//! Compact summaries of Kubernetes objects: what the cluster side hands to the model.
//!
//! The watchers turn each full object into one of these before it crosses into the model,
//! so the model never holds (or imports) Kubernetes types and memory stays flat.

use crate::drift::Live;
use crate::kind::Kind;

/// The Kubernetes object kinds kolla-dash watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ObjKind {
    Pod,
    Job,
    Deployment,
    StatefulSet,
    Service,
    EndpointSlice,
    ConfigMap,
    Secret,
    PersistentVolume,
    PersistentVolumeClaim,
    StorageClass,
    Node,
    /// A Deployment's intermediate: its conditions and events say why pods are not created.
    ReplicaSet,
    /// A StatefulSet's intermediate (its revisions); watched so its events land in the cell.
    ControllerRevision,
}

impl ObjKind {
    /// The kinds the watchers report on (events aside).
    pub const WATCHED: [ObjKind; 14] = [
        ObjKind::Pod,
        ObjKind::Job,
        ObjKind::Deployment,
        ObjKind::StatefulSet,
        ObjKind::ReplicaSet,
        ObjKind::ControllerRevision,
        ObjKind::Service,
        ObjKind::EndpointSlice,
        ObjKind::ConfigMap,
        ObjKind::Secret,
        ObjKind::PersistentVolumeClaim,
        ObjKind::PersistentVolume,
        ObjKind::StorageClass,
        ObjKind::Node,
    ];

    /// The name `kubectl` uses for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjKind::Pod => "Pod",
            ObjKind::Job => "Job",
            ObjKind::Deployment => "Deployment",
            ObjKind::StatefulSet => "StatefulSet",
            ObjKind::Service => "Service",
            ObjKind::EndpointSlice => "EndpointSlice",
            ObjKind::ConfigMap => "ConfigMap",
            ObjKind::Secret => "Secret",
            ObjKind::PersistentVolume => "PersistentVolume",
            ObjKind::PersistentVolumeClaim => "PersistentVolumeClaim",
            ObjKind::StorageClass => "StorageClass",
            ObjKind::Node => "Node",
            ObjKind::ReplicaSet => "ReplicaSet",
            ObjKind::ControllerRevision => "ControllerRevision",
        }
    }

    /// The API group RBAC rules name the kind by ("" is the core group).
    pub fn api_group(self) -> &'static str {
        match self {
            ObjKind::Deployment
            | ObjKind::StatefulSet
            | ObjKind::ReplicaSet
            | ObjKind::ControllerRevision => "apps",
            ObjKind::Job => "batch",
            ObjKind::EndpointSlice => "discovery.k8s.io",
            ObjKind::StorageClass => "storage.k8s.io",
            ObjKind::Pod
            | ObjKind::Service
            | ObjKind::ConfigMap
            | ObjKind::Secret
            | ObjKind::PersistentVolume
            | ObjKind::PersistentVolumeClaim
            | ObjKind::Node => "",
        }
    }

    /// The resource name RBAC rules and API paths use (`persistentvolumeclaims`).
    pub fn plural(self) -> &'static str {
        match self {
            ObjKind::Pod => "pods",
            ObjKind::Job => "jobs",
            ObjKind::Deployment => "deployments",
            ObjKind::StatefulSet => "statefulsets",
            ObjKind::Service => "services",
            ObjKind::EndpointSlice => "endpointslices",
            ObjKind::ConfigMap => "configmaps",
            ObjKind::Secret => "secrets",
            ObjKind::PersistentVolume => "persistentvolumes",
            ObjKind::PersistentVolumeClaim => "persistentvolumeclaims",
            ObjKind::StorageClass => "storageclasses",
            ObjKind::Node => "nodes",
            ObjKind::ReplicaSet => "replicasets",
            ObjKind::ControllerRevision => "controllerrevisions",
        }
    }

    /// The kind `kubectl` calls `name`, if kolla-dash watches it.
    pub fn from_name(name: &str) -> Option<ObjKind> {
        ObjKind::WATCHED.into_iter().find(|k| k.as_str() == name)
    }

    /// Cluster-scoped kinds have no namespace.
    pub fn cluster_scoped(self) -> bool {
        matches!(
            self,
            ObjKind::PersistentVolume | ObjKind::StorageClass | ObjKind::Node
        )
    }
}

impl std::fmt::Display for ObjKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity of one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjRef {
    pub kind: ObjKind,
    pub name: String,
}

/// Where an object belongs in the grid, read from its labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Owner {
    pub service: String,
    pub kind: Kind,
}

/// A condition-style outcome of a Job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum JobState {
    Running,
    Complete,
    Failed { reason: String, message: String },
}

/// Volume binding phase shared by PV and PVC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum VolumePhase {
    Pending,
    Available,
    Bound,
    Released,
    Lost,
    Failed,
}

/// Pod phase as Kubernetes reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

/// The state that matters for status, per object kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ObjState {
    /// ConfigMap, Secret, StorageClass: existing is all there is.
    Present,
    Pv {
        phase: VolumePhase,
        claim: Option<String>,
        /// The bootstrap record on it (`record::ANNOTATION`), if any.
        bootstrapped: Option<String>,
    },
    Pvc {
        phase: VolumePhase,
        volume: Option<String>,
        /// The bootstrap record on it (`record::ANNOTATION`), if any.
        bootstrapped: Option<String>,
    },
    Service {
        cluster_ip: Option<String>,
    },
    /// One EndpointSlice, attributed to its Service by name.
    Endpoints {
        service: String,
        ready: u32,
        total: u32,
    },
    Job {
        state: JobState,
        active: u32,
        succeeded: u32,
        failed: u32,
    },
    /// Deployment or StatefulSet.
    Workload {
        desired: u32,
        ready: u32,
        /// Replicas running the latest template.
        updated: u32,
        /// Replicas of every revision (old ones linger while a rollout runs).
        current: u32,
        /// The controller has seen the latest spec (observedGeneration ≥ generation).
        observed: bool,
        /// Conditions that say the controller is stuck (ReplicaFailure, a Progressing
        /// deadline exceeded).
        problems: Vec<Reason>,
    },
    /// A Deployment's ReplicaSet: it creates the pods, so it knows when it cannot.
    ReplicaSet {
        desired: u32,
        ready: u32,
        /// ReplicaFailure and the like.
        problems: Vec<Reason>,
    },
    Pod {
        phase: PodPhase,
        ready: bool,
        node: Option<String>,
        /// The controller that owns the pod (Job, ReplicaSet, StatefulSet).
        owner: Option<ObjRef>,
        /// Containers, scheduling, the pod's own reason: what status and diagnosis read.
        detail: Box<PodDetail>,
    },
    Node(NodeSummary),
}

/// A reason Kubernetes gave (a condition's, a container state's, the pod's own), with its
/// message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    pub reason: String,
    pub message: String,
}

/// How a container last ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exit {
    /// OOMKilled, Error, Completed, ...
    pub reason: String,
    pub code: i32,
    /// When, seconds since the Unix epoch (0 if unknown).
    pub at: i64,
}

/// One container of a pod, as diagnosis reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ContainerSummary {
    pub name: String,
    pub image: String,
    pub ready: bool,
    pub running: bool,
    pub restarts: u32,
    /// Why it is waiting (ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError).
    pub waiting: Option<Reason>,
    /// Its last termination: the previous run's (lastState) or, if it ended, this one's.
    pub last_exit: Option<Exit>,
    /// resources.limits.memory, as written (512Mi).
    pub memory_limit: Option<String>,
}

/// What diagnosis reads of a pod beyond its phase and readiness.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PodDetail {
    pub containers: Vec<ContainerSummary>,
    /// PodScheduled=False: the scheduler's message.
    pub unschedulable: Option<String>,
    /// The pod's own status reason and message (Evicted: the node was low on memory).
    pub status: Option<Reason>,
    /// spec.nodeSelector.
    pub node_selector: Vec<(String, String)>,
}

impl PodDetail {
    /// Restarts of all its containers.
    pub fn restarts(&self) -> u32 {
        self.containers.iter().map(|c| c.restarts).sum()
    }

    /// The first container's waiting reason that is not plain progress (ImagePullBackOff,
    /// CrashLoopBackOff; not ContainerCreating).
    pub fn waiting(&self) -> Option<&str> {
        self.containers
            .iter()
            .filter_map(|c| c.waiting.as_ref())
            .map(|w| w.reason.as_str())
            .find(|r| *r != "ContainerCreating" && *r != "PodInitializing")
    }

    /// Why the pod ended, for a pod that Failed: its own reason (Evicted), else a
    /// container's last exit reason.
    pub fn end_reason(&self) -> Option<&str> {
        self.status.as_ref().map(|s| s.reason.as_str()).or_else(|| {
            self.containers
                .iter()
                .filter_map(|c| c.last_exit.as_ref())
                .find(|e| e.code != 0)
                .map(|e| e.reason.as_str())
        })
    }
}

/// What the dashboard needs to know about a node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeSummary {
    pub ready: NodeReady,
    pub unschedulable: bool,
    /// Taints as `key:effect`.
    pub taints: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// Conditions that are bad when true (MemoryPressure, DiskPressure, PIDPressure,
    /// NetworkUnavailable).
    pub pressure: Vec<String>,
    /// When the Ready condition last changed, seconds since the Unix epoch (0 if unknown).
    pub ready_since: i64,
}

/// A node's Ready condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum NodeReady {
    True,
    False,
    Unknown,
}

/// One object, reduced to what the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObjectSummary {
    pub obj: ObjRef,
    /// The grid cell this object belongs to; None for objects outside the catalog (nodes).
    pub owner: Option<Owner>,
    /// Set when deletion has been requested (deletionTimestamp).
    pub deleting: bool,
    /// Creation time, seconds since the Unix epoch.
    pub created: i64,
    pub state: ObjState,
    /// For objects kolla-dash applies, what drift compares with the rendering; `None` for
    /// everything else (pods, the controllers' intermediates, events' objects).
    #[serde(skip)]
    pub live: Option<Box<Live>>,
}

/// One events.k8s.io/v1 Event, reduced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventSummary {
    /// Seconds since the Unix epoch of the event's last occurrence.
    pub time: i64,
    pub warning: bool,
    /// The object the event is about.
    pub regarding: ObjRef,
    pub reason: String,
    pub note: String,
    pub count: u32,
}
