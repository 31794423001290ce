//! Compact summaries of Kubernetes objects: what the cluster side hands to the model.
//!
//! The watchers turn each full object into one of these before it crosses into the model,
//! so the model never holds (or imports) Kubernetes types and memory stays flat.

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
}

impl ObjKind {
    /// The kinds the watchers report on (events aside).
    pub const WATCHED: [ObjKind; 12] = [
        ObjKind::Pod,
        ObjKind::Job,
        ObjKind::Deployment,
        ObjKind::StatefulSet,
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
        }
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
        updated: u32,
    },
    Pod {
        phase: PodPhase,
        ready: bool,
        node: Option<String>,
        /// Why the pod is not running/ready: a container waiting reason
        /// (ImagePullBackOff, CrashLoopBackOff) or the PodScheduled=False message.
        reason: Option<String>,
        /// The controller that owns the pod (Job, ReplicaSet, StatefulSet).
        owner: Option<ObjRef>,
        restarts: u32,
    },
    Node(NodeSummary),
}

/// What the dashboard needs to know about a node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeSummary {
    pub ready: NodeReady,
    pub unschedulable: bool,
    /// Taints as `key:effect`.
    pub taints: Vec<String>,
    pub labels: Vec<(String, String)>,
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
