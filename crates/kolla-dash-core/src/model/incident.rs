//! Node-failure incidents, tracked purely from watcher messages: nodes down → taints →
//! pods evicted → replacements scheduled → ready, and each service's time-to-heal. Nodes
//! that go down while an incident is open join it, so an outage of several nodes is one
//! incident. It keeps its own small view of nodes, pods and workloads so the headless
//! `incidents` command can use it without a `Model`, and it notes the dashboard's own
//! losses of the API server: node failures that follow one are possibly its doing. Times
//! are milliseconds since the Unix epoch, given by the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::kind::Kind;
use crate::model::disruption::{self, Evictions, Zones};
use crate::model::msg::{Connection, Msg};
use crate::summary::{NodeReady, ObjKind, ObjRef, ObjState, ObjectSummary, PodPhase};

/// Incidents kept for a session that runs for days: the oldest closed ones go first.
pub const MAX_INCIDENTS: usize = 100;
/// Steps kept per incident: its first ones (what went down, and how) and the latest.
pub const MAX_STEPS: usize = 1_000;
const FIRST_STEPS: usize = 100;

/// How far back a node's return is still news when kolla-dash starts.
const RECENT_MS: i64 = 60 * 60 * 1000;

/// How long after the dashboard got the API server back a node failure still counts as
/// possibly caused by the outage: the node lifecycle controller marks nodes whose leases
/// lapsed meanwhile at its next pass, and their kubelets renew within a few seconds.
pub const OUTAGE_AFTERMATH_MS: i64 = 30_000;

/// One thing that happened during an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Step {
    NodeDown {
        node: String,
        ready: NodeReady,
    },
    Tainted {
        node: String,
        taint: String,
    },
    /// The node controller marked a pod on a lost node not ready.
    PodNotReady {
        pod: String,
        service: String,
    },
    /// Eviction began (deletionTimestamp set). `stuck` says why it will stay Terminating.
    PodTerminating {
        pod: String,
        service: String,
        stuck: Option<String>,
    },
    PodGone {
        pod: String,
        service: String,
    },
    /// A replacement pod was placed.
    Scheduled {
        pod: String,
        service: String,
        node: String,
    },
    PodReady {
        pod: String,
        service: String,
        node: String,
    },
    /// All the service's replicas are ready again, none on a node that is down; `after_ms`
    /// counts from the incident's heal clock (see [`Incident::heal_from_ms`]).
    ServiceHealed {
        service: String,
        after_ms: i64,
    },
    /// Kubernetes stopped evicting (or slowed down) because so many nodes are NotReady.
    Disrupted {
        mode: Evictions,
    },
    /// Evictions go on normally again (a node is back); after a pause time to heal counts
    /// from here (`heal_from_here`).
    EvictionsResumed {
        heal_from_here: bool,
    },
    /// The incident's node failures followed the dashboard's own loss of the API server.
    ApiOutage {
        outage: ApiOutage,
    },
    NodeUp {
        node: String,
    },
    NodeDeleted {
        node: String,
    },
    /// Every node is back (or deleted) and every affected service healed.
    Closed {
        after_ms: i64,
    },
}

/// A time the dashboard did not hear from the API server: from the last word it had to
/// the first answer again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApiOutage {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A step as it happened, for the JSON-lines stream of the headless command: its data, and
/// (`text`) what the timeline says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentEvent {
    pub incident: u32,
    pub at_ms: i64,
    #[serde(flatten)]
    pub step: Step,
    pub text: String,
    /// Part of an incident pieced together at start (see `Incident::reconstructed`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reconstructed: bool,
}

/// One step on an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timed {
    pub at_ms: i64,
    #[serde(flatten)]
    pub step: Step,
}

/// Where one of the incident's nodes stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeFate {
    Down,
    Up,
    Deleted,
}

/// One affected service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceHeal {
    /// Its pods that were on a node when that node went down.
    pub pods: Vec<String>,
    /// Replicas it needs ready (the workload's desired count, else its pods at the start).
    pub replicas: u32,
    pub healed_after_ms: Option<i64>,
}

/// Nodes going NotReady/Unknown (one, or several while it is open) and what followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: u32,
    /// Every node that went down during it, and where each stands now.
    pub nodes: BTreeMap<String, NodeFate>,
    pub opened_ms: i64,
    pub closed_ms: Option<i64>,
    /// Where time-to-heal counts from: the opening, or, when evictions were paused
    /// meanwhile (every node down), the moment they resumed (the first node's return).
    pub heal_from_ms: i64,
    pub services: BTreeMap<String, ServiceHeal>,
    /// The outage of the API server its node failures followed, if they did.
    pub api_outage: Option<ApiOutage>,
    pub timeline: Vec<Timed>,
    /// Pieced together at start from the nodes' conditions (a node went down, or came
    /// back, while kolla-dash was not running): times before the start are the cluster's.
    pub reconstructed: bool,
    /// A node failure was seen during an API outage that has not ended yet.
    #[serde(skip)]
    outage_pending: bool,
    /// Pods first seen up to this sighting (`PodView::seen`) existed when it opened; later
    /// ones are replacements (a StatefulSet pod re-created under its old name included).
    #[serde(skip)]
    opened_after: u64,
    /// Affected pods not gone yet.
    #[serde(skip)]
    affected: BTreeSet<String>,
    /// Replacements already reported scheduled / ready.
    #[serde(skip)]
    scheduled: BTreeSet<String>,
    #[serde(skip)]
    ready: BTreeSet<String>,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.closed_ms.is_none()
    }

    /// Its nodes that are still down.
    pub fn down(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .filter(|(_, f)| **f == NodeFate::Down)
            .map(|(n, _)| n.as_str())
    }

    /// How Kubernetes holds evictions back as of its last word on them, if it does.
    pub fn disruption(&self) -> Option<&Evictions> {
        self.timeline.iter().rev().find_map(|t| match &t.step {
            Step::Disrupted { mode } => Some(Some(mode)),
            Step::EvictionsResumed { .. } => Some(None),
            _ => None,
        })?
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeView {
    ready: NodeReady,
    taints: Vec<String>,
    zone: String,
}

/// What the tracker needs of one of the catalog's service pods.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PodView {
    service: String,
    node: Option<String>,
    ready: bool,
    deleting: bool,
    /// Owned by a StatefulSet: its replacement waits for it to be gone.
    stateful: bool,
    /// Succeeded or Failed: not a replica.
    finished: bool,
    /// When the tracker first saw it, counted in sightings of new pods.
    seen: u64,
}

impl PodView {
    /// Whether it is one of its service's pods at all (not finished, not leaving).
    fn live(&self) -> bool {
        !self.deleting && !self.finished
    }

    /// Whether it serves as a replica, if its node is Ready.
    fn serves(&self) -> bool {
        self.ready && !self.deleting
    }
}

/// One service's pods, counted as they come and go: settling an incident reads these
/// instead of going through every pod.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ServiceCount {
    live: u32,
    /// Ready, not being deleted, on a node that is Ready: what heals a service.
    serving: u32,
}

/// Turns watcher messages into incidents.
#[derive(Debug, Clone, Default)]
pub struct IncidentTracker {
    nodes: BTreeMap<String, NodeView>,
    pods: BTreeMap<String, PodView>,
    /// The nodes' readiness per zone, for the eviction verdict.
    zones: Zones,
    /// Node name -> the pods placed on it.
    on_node: BTreeMap<String, BTreeSet<String>>,
    /// Service -> its pods, counted.
    counts: BTreeMap<String, ServiceCount>,
    /// New pods seen so far.
    sightings: u64,
    /// Workload name -> (service, desired replicas).
    workloads: BTreeMap<String, (String, u32)>,
    incidents: Vec<Incident>,
    /// What the node lifecycle controller does about evictions, as of the last message.
    evictions: Option<Evictions>,
    /// Since when (ms) the API server has not been heard, while it has not.
    outage_since: Option<i64>,
    /// The last outage that ended.
    last_outage: Option<ApiOutage>,
}

impl IncidentTracker {
    /// Every incident of the session, oldest first.
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// One JSON object per incident and line (for `:export incidents FILE`).
    pub fn to_json_lines(&self) -> serde_json::Result<String> {
        let mut out = String::new();
        for incident in &self.incidents {
            out.push_str(&serde_json::to_string(incident)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// Folds a watcher or connection message in (at `now_ms`); returns what happened to
    /// incidents.
    pub fn observe(&mut self, msg: &Msg, now_ms: i64) -> Vec<IncidentEvent> {
        let mut out = Vec::new();
        let nodes_changed = match msg {
            Msg::Applied(obj) => obj.obj.kind == ObjKind::Node,
            Msg::Deleted(obj) => obj.kind == ObjKind::Node,
            Msg::Resynced(kind, _) => *kind == ObjKind::Node,
            _ => false,
        };
        match msg {
            Msg::Applied(obj) => self.apply(obj, now_ms, &mut out),
            Msg::Deleted(obj) => self.remove(obj, now_ms, &mut out),
            Msg::Resynced(kind, objs) => {
                // A relist after a lost watch: what is missing was deleted meanwhile.
                let listed: BTreeSet<&str> = objs.iter().map(|o| o.obj.name.as_str()).collect();
                for name in self.names(*kind) {
                    if !listed.contains(name.as_str()) {
                        let obj = ObjRef { kind: *kind, name };
                        self.remove(&obj, now_ms, &mut out);
                    }
                }
                for obj in objs {
                    self.apply(obj, now_ms, &mut out);
                }
            }
            Msg::Connection(connection) => self.connection(*connection, now_ms, &mut out),
            _ => return out,
        }
        if nodes_changed {
            self.follow_evictions(now_ms, &mut out);
        }
        self.settle(now_ms, &mut out);
        out
    }

    fn names(&self, kind: ObjKind) -> Vec<String> {
        match kind {
            ObjKind::Node => self.nodes.keys().cloned().collect(),
            ObjKind::Pod => self.pods.keys().cloned().collect(),
            ObjKind::Deployment | ObjKind::StatefulSet => self.workloads.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The dashboard losing and regaining the API server bounds an outage; incidents that
    /// opened during it learn its end.
    fn connection(&mut self, connection: Connection, now: i64, out: &mut Vec<IncidentEvent>) {
        let lost_at = match connection {
            Connection::Lost { since, .. } => since * 1000,
            Connection::Silent { last_heard } => last_heard * 1000,
            Connection::Connected => {
                let Some(from_ms) = self.outage_since.take() else {
                    return;
                };
                let outage = ApiOutage {
                    from_ms,
                    to_ms: now,
                };
                self.last_outage = Some(outage);
                for incident in self.incidents.iter_mut().filter(|i| i.outage_pending) {
                    incident.outage_pending = false;
                    blame_outage(incident, outage, now, out);
                }
                return;
            }
            Connection::Connecting => return,
        };
        let since = self.outage_since.map_or(lost_at, |s| s.min(lost_at));
        self.outage_since = Some(since);
    }

    fn apply(&mut self, obj: &ObjectSummary, now: i64, out: &mut Vec<IncidentEvent>) {
        let name = &obj.obj.name;
        match &obj.state {
            ObjState::Node(node) => {
                let new = NodeView {
                    ready: node.ready,
                    taints: node.taints.clone(),
                    zone: disruption::zone_of(&node.labels),
                };
                let old = self.set_node(name, Some(new.clone()));
                if old.is_none() {
                    let (since, created) = (node.ready_since * 1000, obj.created * 1000);
                    self.reconstruct(name, &new, since, created, now, out);
                }
                self.node_changed(name, old.as_ref(), &new, now, out);
            }
            ObjState::Workload { desired, .. } => {
                if let Some(owner) = obj.owner.as_ref().filter(|o| o.kind == Kind::Pod) {
                    self.workloads
                        .insert(name.clone(), (owner.service.clone(), *desired));
                }
            }
            ObjState::Pod {
                phase,
                ready,
                node,
                owner,
                ..
            } => {
                let Some(service) = obj.owner.as_ref().filter(|o| o.kind == Kind::Pod) else {
                    return;
                };
                let new = PodView {
                    service: service.service.clone(),
                    node: node.clone(),
                    ready: *ready,
                    deleting: obj.deleting,
                    stateful: owner
                        .as_ref()
                        .is_some_and(|o| o.kind == ObjKind::StatefulSet),
                    finished: matches!(phase, PodPhase::Succeeded | PodPhase::Failed),
                    seen: 0,
                };
                let old = self.pods.remove(name);
                let seen = match &old {
                    Some(old) => {
                        self.count(name, old, false);
                        old.seen
                    }
                    None => {
                        self.sightings += 1;
                        self.sightings
                    }
                };
                let new = PodView { seen, ..new };
                self.count(name, &new, true);
                self.pods.insert(name.clone(), new.clone());
                if old.is_none() {
                    self.adopt(name, &new);
                }
                self.pod_changed(name, old.as_ref(), &new, now, out);
            }
            _ => {}
        }
    }

    fn remove(&mut self, obj: &ObjRef, now: i64, out: &mut Vec<IncidentEvent>) {
        match obj.kind {
            ObjKind::Node => {
                self.set_node(&obj.name, None);
                for incident in self.incidents.iter_mut().filter(|i| i.is_open()) {
                    if let Some(fate) = incident.nodes.get_mut(&obj.name) {
                        *fate = NodeFate::Deleted;
                        let node = obj.name.clone();
                        record(incident, now, Step::NodeDeleted { node }, out);
                    }
                }
            }
            ObjKind::Pod => {
                let Some(pod) = self.pods.remove(&obj.name) else {
                    return;
                };
                self.count(&obj.name, &pod, false);
                for incident in self.incidents.iter_mut().filter(|i| i.is_open()) {
                    incident.scheduled.remove(&obj.name);
                    incident.ready.remove(&obj.name);
                    if incident.affected.remove(&obj.name) {
                        let step = Step::PodGone {
                            pod: obj.name.clone(),
                            service: pod.service.clone(),
                        };
                        record(incident, now, step, out);
                    }
                }
            }
            ObjKind::Deployment | ObjKind::StatefulSet => {
                self.workloads.remove(&obj.name);
            }
            _ => {}
        }
    }

    /// The open incident, if any (overlapping failures share one).
    fn open_index(&self) -> Option<usize> {
        self.incidents.iter().rposition(Incident::is_open)
    }

    fn node_changed(
        &mut self,
        name: &str,
        old: Option<&NodeView>,
        new: &NodeView,
        now: i64,
        out: &mut Vec<IncidentEvent>,
    ) {
        let was_ready = old.is_some_and(|o| o.ready == NodeReady::True);
        if was_ready && new.ready != NodeReady::True {
            let i = match self.open_index() {
                Some(i) => i,
                None => self.open(now),
            };
            self.node_down(i, name, new.ready, now, out);
        }
        let Some(i) = self.open_index() else {
            return;
        };
        let incident = &mut self.incidents[i];
        if !incident.nodes.contains_key(name) {
            return;
        }
        let old_taints: &[String] = old.map_or(&[], |o| &o.taints);
        for taint in new.taints.iter().filter(|t| !old_taints.contains(t)) {
            let step = Step::Tainted {
                node: name.to_string(),
                taint: taint.clone(),
            };
            record(incident, now, step, out);
        }
        let fate = incident.nodes.get_mut(name);
        if new.ready == NodeReady::True
            && let Some(fate) = fate.filter(|f| **f == NodeFate::Down)
        {
            *fate = NodeFate::Up;
            let node = name.to_string();
            record(incident, now, Step::NodeUp { node }, out);
        }
    }

    /// A node seen for the first time (kolla-dash just started): if it is down, or came
    /// back recently, its incident is pieced together from its Ready condition's last
    /// change (`since_ms`), since nothing watched it happen.
    fn reconstruct(
        &mut self,
        name: &str,
        node: &NodeView,
        since_ms: i64,
        created_ms: i64,
        now: i64,
        out: &mut Vec<IncidentEvent>,
    ) {
        let known = since_ms > 0 && since_ms <= now;
        if node.ready != NodeReady::True {
            let at = if known { since_ms } else { now };
            let i = match self.open_index() {
                Some(i) => i,
                None => self.open(at),
            };
            self.incidents[i].reconstructed = true;
            self.node_down(i, name, node.ready, at, out);
            let incident = &mut self.incidents[i];
            incident.opened_ms = incident.opened_ms.min(at);
            for taint in &node.taints {
                let step = Step::Tainted {
                    node: name.to_string(),
                    taint: taint.clone(),
                };
                record(incident, at, step, out);
            }
        } else if known && now - since_ms <= RECENT_MS && since_ms - created_ms > 60_000 {
            // Ready again since `since_ms`, and that was not its first start: it was down
            // before, when is not known.
            let i = self.open(since_ms);
            let incident = &mut self.incidents[i];
            incident.reconstructed = true;
            incident.nodes.insert(name.to_string(), NodeFate::Up);
            let node = name.to_string();
            record(incident, since_ms, Step::NodeUp { node }, out);
            incident.closed_ms = Some(since_ms);
        }
    }

    /// A pod seen for the first time on a down node of a reconstructed open incident: the
    /// nodes' list can arrive before the pods', so it joins the affected pods late.
    fn adopt(&mut self, name: &str, pod: &PodView) {
        if pod.deleting || pod.finished {
            return;
        }
        let replicas = self.replicas(&pod.service);
        let Some(i) = self.open_index() else {
            return;
        };
        let incident = &mut self.incidents[i];
        let on_down_node = pod
            .node
            .as_deref()
            .is_some_and(|n| incident.nodes.get(n) == Some(&NodeFate::Down));
        if !incident.reconstructed || !on_down_node {
            return;
        }
        if incident.affected.insert(name.to_string()) {
            let heal = incident
                .services
                .entry(pod.service.clone())
                .or_insert(ServiceHeal {
                    pods: Vec::new(),
                    replicas,
                    healed_after_ms: None,
                });
            heal.pods.push(name.to_string());
            heal.replicas = heal.replicas.max(replicas);
        }
    }

    /// A new, empty incident; returns its index.
    fn open(&mut self, now: i64) -> usize {
        let id = self.incidents.last().map_or(1, |i| i.id.saturating_add(1));
        if self.incidents.len() >= MAX_INCIDENTS
            && let Some(oldest) = self.incidents.iter().position(|i| !i.is_open())
        {
            self.incidents.remove(oldest);
        }
        self.incidents.push(Incident {
            id,
            nodes: BTreeMap::new(),
            opened_ms: now,
            closed_ms: None,
            heal_from_ms: now,
            services: BTreeMap::new(),
            api_outage: None,
            timeline: Vec::new(),
            reconstructed: false,
            outage_pending: false,
            opened_after: self.sightings,
            affected: BTreeSet::new(),
            scheduled: BTreeSet::new(),
            ready: BTreeSet::new(),
        });
        self.incidents.len() - 1
    }

    /// `node` went down during incident `i`: its live pods are affected, their services
    /// must heal, and a recent loss of the API server may be the cause.
    fn node_down(
        &mut self,
        i: usize,
        node: &str,
        ready: NodeReady,
        now: i64,
        out: &mut Vec<IncidentEvent>,
    ) {
        // (pod, service, replicas the service needs)
        let on_node: Vec<(String, String, u32)> = self
            .on_node
            .get(node)
            .into_iter()
            .flatten()
            .filter_map(|name| Some((name, self.pods.get(name)?)))
            .filter(|(_, p)| p.live())
            .map(|(name, p)| (name.clone(), p.service.clone(), self.replicas(&p.service)))
            .collect();
        let incident = &mut self.incidents[i];
        for (name, service, replicas) in on_node {
            let heal = incident.services.entry(service).or_insert(ServiceHeal {
                pods: Vec::new(),
                replicas,
                healed_after_ms: None,
            });
            if !heal.pods.contains(&name) {
                heal.pods.push(name.clone());
            }
            incident.affected.insert(name);
        }
        incident.nodes.insert(node.to_string(), NodeFate::Down);
        let step = Step::NodeDown {
            node: node.to_string(),
            ready,
        };
        record(incident, now, step, out);
        if incident.api_outage.is_some() || incident.outage_pending {
            return;
        }
        match (self.outage_since, self.last_outage) {
            (Some(_), _) => incident.outage_pending = true,
            (None, Some(outage)) if now <= outage.to_ms + OUTAGE_AFTERMATH_MS => {
                blame_outage(incident, outage, now, out);
            }
            _ => {}
        }
    }

    /// Replicas `service` needs ready: its workloads' desired count, else its live pods.
    fn replicas(&self, service: &str) -> u32 {
        let desired: u32 = self
            .workloads
            .values()
            .filter(|(s, _)| s == service)
            .map(|(_, d)| d)
            .sum();
        if desired > 0 {
            return desired;
        }
        self.counts.get(service).map_or(0, |c| c.live)
    }

    /// Adds (or, with `add` false, takes back) a pod's part in its service's counts and
    /// its node's list, as the nodes stand now.
    fn count(&mut self, name: &str, pod: &PodView, add: bool) {
        let on_ready_node = pod.node.as_deref().is_some_and(|n| self.node_ready(n));
        let part = ServiceCount {
            live: u32::from(pod.live()),
            serving: u32::from(pod.serves() && on_ready_node),
        };
        let counts = self.counts.entry(pod.service.clone()).or_default();
        if add {
            counts.live += part.live;
            counts.serving += part.serving;
        } else {
            counts.live -= part.live;
            counts.serving -= part.serving;
        }
        if let Some(node) = &pod.node {
            let pods = self.on_node.entry(node.clone()).or_default();
            if add {
                pods.insert(name.to_string());
            } else {
                pods.remove(name);
                if pods.is_empty() {
                    self.on_node.remove(node);
                }
            }
        }
    }

    /// Sets what is known of node `name` (`None`: it was deleted); when it turns Ready or
    /// stops being Ready, the pods on it start or stop counting as replicas.
    fn set_node(&mut self, name: &str, view: Option<NodeView>) -> Option<NodeView> {
        let was = self.node_ready(name);
        if let Some(new) = &view {
            self.zones
                .count(&new.zone, new.ready == NodeReady::True, true);
        }
        let old = match view {
            Some(view) => self.nodes.insert(name.to_string(), view),
            None => self.nodes.remove(name),
        };
        if let Some(old) = &old {
            self.zones
                .count(&old.zone, old.ready == NodeReady::True, false);
        }
        let is = self.node_ready(name);
        if was != is {
            let pods = self.on_node.get(name).into_iter().flatten();
            for pod in pods.filter_map(|p| self.pods.get(p)).filter(|p| p.serves()) {
                let counts = self.counts.entry(pod.service.clone()).or_default();
                if is {
                    counts.serving += 1;
                } else {
                    counts.serving -= 1;
                }
            }
        }
        old
    }

    fn node_ready(&self, name: &str) -> bool {
        self.nodes
            .get(name)
            .is_some_and(|n| n.ready == NodeReady::True)
    }

    fn pod_changed(
        &mut self,
        name: &str,
        old: Option<&PodView>,
        new: &PodView,
        now: i64,
        out: &mut Vec<IncidentEvent>,
    ) {
        let nodes = &self.nodes;
        for incident in self.incidents.iter_mut().filter(|i| i.is_open()) {
            let pod = name.to_string();
            let service = new.service.clone();
            if incident.affected.contains(name) {
                let was_deleting = old.is_some_and(|o| o.deleting);
                let was_ready = old.is_some_and(|o| o.ready);
                if new.deleting && !was_deleting {
                    // Only a node whose kubelet stopped reporting (Ready=Unknown) cannot
                    // confirm a deletion; a NotReady node's kubelet still can.
                    let stuck_on = new.node.as_deref().filter(|n| {
                        incident.nodes.get(*n) == Some(&NodeFate::Down)
                            && nodes.get(*n).is_some_and(|v| v.ready == NodeReady::Unknown)
                    });
                    let stuck = stuck_on
                        .filter(|_| new.stateful)
                        .map(|node| stuck_terminating(name, node, true));
                    let step = Step::PodTerminating {
                        pod,
                        service,
                        stuck,
                    };
                    record(incident, now, step, out);
                } else if was_ready && !new.ready && !new.deleting {
                    record(incident, now, Step::PodNotReady { pod, service }, out);
                }
            } else if incident.services.contains_key(&new.service)
                && new.seen > incident.opened_after
                && !new.deleting
            {
                if let Some(node) = &new.node
                    && incident.scheduled.insert(pod.clone())
                {
                    let step = Step::Scheduled {
                        pod: pod.clone(),
                        service: service.clone(),
                        node: node.clone(),
                    };
                    record(incident, now, step, out);
                }
                if let Some(node) = new.node.clone().filter(|_| new.ready)
                    && incident.ready.insert(pod.clone())
                {
                    record(incident, now, Step::PodReady { pod, service, node }, out);
                }
            }
        }
    }

    /// What the node lifecycle controller does about evictions, as of the last node
    /// seen change.
    pub fn evictions(&self) -> Evictions {
        self.evictions.clone().unwrap_or(Evictions::Normal)
    }

    /// Says in the open incident when evictions are held back or go on again; resuming
    /// after a pause restarts its heal clock, since nothing could heal meanwhile.
    fn follow_evictions(&mut self, now: i64, out: &mut Vec<IncidentEvent>) {
        let evictions = self.zones.evictions();
        let was = self.evictions.replace(evictions.clone());
        if was.as_ref() == Some(&evictions) {
            return;
        }
        let Some(i) = self.open_index() else {
            return;
        };
        let incident = &mut self.incidents[i];
        match (evictions, was) {
            (Evictions::Normal, Some(was)) if was != Evictions::Normal => {
                let heal_from_here = was.paused();
                if heal_from_here {
                    incident.heal_from_ms = now;
                }
                record(
                    incident,
                    now,
                    Step::EvictionsResumed { heal_from_here },
                    out,
                );
            }
            (Evictions::Normal, _) => {}
            (mode, _) => record(incident, now, Step::Disrupted { mode }, out),
        }
    }

    /// Marks services healed and incidents closed once their conditions hold.
    fn settle(&mut self, now: i64, out: &mut Vec<IncidentEvent>) {
        for incident in self.incidents.iter_mut().filter(|i| i.is_open()) {
            // A replica on a node that is down (or deleted) is no replica.
            let healed: Vec<String> = incident
                .services
                .iter()
                .filter(|(_, heal)| heal.healed_after_ms.is_none())
                .filter(|(service, heal)| {
                    self.counts
                        .get(*service)
                        .is_some_and(|c| c.serving >= heal.replicas)
                })
                .map(|(service, _)| service.clone())
                .collect();
            let after_ms = now - incident.heal_from_ms;
            for service in healed {
                if let Some(heal) = incident.services.get_mut(&service) {
                    heal.healed_after_ms = Some(after_ms);
                }
                record(
                    incident,
                    now,
                    Step::ServiceHealed { service, after_ms },
                    out,
                );
            }
            let all_healed = incident
                .services
                .values()
                .all(|h| h.healed_after_ms.is_some());
            if incident.down().next().is_none() && all_healed {
                incident.closed_ms = Some(now);
                let after_ms = now - incident.opened_ms;
                record(incident, now, Step::Closed { after_ms }, out);
                // Only an open incident follows pods: a long session keeps no pod names.
                incident.affected.clear();
                incident.scheduled.clear();
                incident.ready.clear();
            }
        }
    }
}

fn blame_outage(
    incident: &mut Incident,
    outage: ApiOutage,
    now: i64,
    out: &mut Vec<IncidentEvent>,
) {
    incident.api_outage = Some(outage);
    record(incident, now, Step::ApiOutage { outage }, out);
}

fn record(incident: &mut Incident, at_ms: i64, step: Step, out: &mut Vec<IncidentEvent>) {
    out.push(IncidentEvent {
        incident: incident.id,
        at_ms,
        text: step.to_string(),
        step: step.clone(),
        reconstructed: incident.reconstructed,
    });
    if incident.timeline.len() >= MAX_STEPS {
        // Keep how it started; the middle of a long churn goes.
        incident.timeline.remove(FIRST_STEPS);
    }
    incident.timeline.push(Timed { at_ms, step });
}

/// Why a pod on an unreachable node stays Terminating (Kubernetes' real behaviour);
/// `stateful` adds what that means for a StatefulSet's replacement.
pub fn stuck_terminating(pod: &str, node: &str, stateful: bool) -> String {
    let mut why = format!(
        "{pod} stays Terminating: node {node} is unreachable, so its kubelet cannot confirm \
         the deletion; it goes when the node returns or is deleted (or tainted \
         node.kubernetes.io/out-of-service)"
    );
    if stateful {
        why.push_str("; its StatefulSet starts no replacement under the same name until then");
    }
    why
}

/// Seconds with one decimal, for people.
pub fn seconds(ms: i64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000).abs() / 100)
}

/// `HH:MM:SS` of a time in milliseconds since the Unix epoch, in UTC (as the log pane).
pub fn time_of_day(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

impl fmt::Display for ApiOutage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the API server outage of {}–{}",
            time_of_day(self.from_ms),
            time_of_day(self.to_ms)
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::NodeDown { node, ready } => {
                let word = match ready {
                    NodeReady::True => "Ready",
                    NodeReady::False => "NotReady",
                    NodeReady::Unknown => "Unknown",
                };
                write!(f, "node {node} down ({word})")
            }
            Step::Tainted { node, taint } => write!(f, "{node} tainted {taint}"),
            Step::PodNotReady { pod, .. } => write!(f, "{pod} not ready"),
            Step::PodTerminating {
                pod, stuck: None, ..
            } => write!(f, "{pod} evicted, terminating"),
            Step::PodTerminating {
                stuck: Some(why), ..
            } => write!(f, "{why}"),
            Step::PodGone { pod, .. } => write!(f, "{pod} gone"),
            Step::Scheduled { pod, node, .. } => write!(f, "replacement {pod} scheduled on {node}"),
            Step::PodReady { pod, node, .. } => write!(f, "{pod} ready on {node}"),
            Step::ServiceHealed { service, after_ms } => {
                write!(f, "{service} healed after {}", seconds(*after_ms))
            }
            Step::Disrupted { mode } => write!(f, "{mode}"),
            Step::EvictionsResumed {
                heal_from_here: true,
            } => write!(f, "evictions go on again: time to heal counts from here"),
            Step::EvictionsResumed {
                heal_from_here: false,
            } => write!(f, "evictions go on at their normal rate again"),
            Step::ApiOutage { outage } => write!(
                f,
                "possibly caused by {outage}: node leases could not be renewed while the \
                 control plane was unreachable"
            ),
            Step::NodeUp { node } => write!(f, "node {node} Ready again"),
            Step::NodeDeleted { node } => write!(f, "node {node} deleted"),
            Step::Closed { after_ms } => write!(f, "closed after {}", seconds(*after_ms)),
        }
    }
}

impl fmt::Display for IncidentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "incident #{}: {}", self.incident, self.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{Dice, node_state, obj, workload};
    use crate::summary::Owner;

    fn node_with(name: &str, ready: NodeReady, taints: &[&str]) -> ObjectSummary {
        node_state(name, ready, false, taints)
    }

    /// A service pod on `on`, owned by a ReplicaSet or (`stateful`) a StatefulSet.
    fn pod(
        name: &str,
        service: &str,
        on: Option<&str>,
        ready: bool,
        stateful: bool,
    ) -> ObjectSummary {
        let controller = ObjRef {
            kind: if stateful {
                ObjKind::StatefulSet
            } else {
                ObjKind::Job
            },
            name: service.into(),
        };
        obj(
            ObjKind::Pod,
            name,
            service,
            Kind::Pod,
            ObjState::Pod {
                phase: if ready {
                    PodPhase::Running
                } else {
                    PodPhase::Pending
                },
                ready,
                node: on.map(str::to_string),
                owner: Some(controller),
                detail: Box::default(),
            },
        )
    }

    fn deleting(mut o: ObjectSummary) -> ObjectSummary {
        o.deleting = true;
        o
    }

    fn pod_ref(name: &str) -> ObjRef {
        ObjRef {
            kind: ObjKind::Pod,
            name: name.into(),
        }
    }

    /// Three nodes; keystone has a replica on each, mariadb's StatefulSet pod is on node-2.
    fn healthy() -> IncidentTracker {
        let mut t = IncidentTracker::default();
        let msgs = vec![
            Msg::Resynced(
                ObjKind::Node,
                ["node-1", "node-2", "node-3"]
                    .map(|n| node_with(n, NodeReady::True, &[]))
                    .to_vec(),
            ),
            Msg::Applied(workload(ObjKind::Deployment, "keystone", 3, 3)),
            Msg::Applied(workload(ObjKind::StatefulSet, "mariadb", 1, 1)),
            Msg::Resynced(
                ObjKind::Pod,
                vec![
                    pod("keystone-a", "keystone", Some("node-1"), true, false),
                    pod("keystone-b", "keystone", Some("node-2"), true, false),
                    pod("keystone-c", "keystone", Some("node-3"), true, false),
                    pod("mariadb-0", "mariadb", Some("node-2"), true, true),
                ],
            ),
        ];
        for m in &msgs {
            assert!(
                t.observe(m, 0).is_empty(),
                "a healthy cluster has no incident"
            );
        }
        t
    }

    fn steps(events: Vec<IncidentEvent>) -> Vec<Step> {
        events.into_iter().map(|e| e.step).collect()
    }

    #[test]
    fn a_not_ready_node_whose_kubelet_still_reports_lets_statefulset_pods_go() {
        let mut t = healthy();
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::False, &[])),
            1_000,
        );
        let evicted = steps(t.observe(
            &Msg::Applied(deleting(pod(
                "mariadb-0",
                "mariadb",
                Some("node-2"),
                true,
                true,
            ))),
            6_000,
        ));
        assert_eq!(
            evicted,
            vec![Step::PodTerminating {
                pod: "mariadb-0".into(),
                service: "mariadb".into(),
                stuck: None
            }],
            "Ready=False means the kubelet can still confirm the deletion"
        );
    }

    #[test]
    fn node_failure_timeline_with_a_statefulset_pod_stuck_terminating() {
        let mut t = healthy();
        let unreachable = "node.kubernetes.io/unreachable:NoExecute";
        let down = t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::Unknown, &[])),
            1_000,
        );
        assert_eq!(
            steps(down),
            vec![Step::NodeDown {
                node: "node-2".into(),
                ready: NodeReady::Unknown
            }]
        );
        let tainted = t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::Unknown, &[unreachable])),
            1_500,
        );
        assert_eq!(
            steps(tainted),
            vec![Step::Tainted {
                node: "node-2".into(),
                taint: unreachable.into()
            }]
        );
        let not_ready = t.observe(
            &Msg::Applied(pod("keystone-b", "keystone", Some("node-2"), false, false)),
            2_000,
        );
        assert_eq!(
            steps(not_ready),
            vec![Step::PodNotReady {
                pod: "keystone-b".into(),
                service: "keystone".into()
            }]
        );
        let evicted = t.observe(
            &Msg::Applied(deleting(pod(
                "keystone-b",
                "keystone",
                Some("node-2"),
                false,
                false,
            ))),
            6_000,
        );
        assert_eq!(
            steps(evicted),
            vec![Step::PodTerminating {
                pod: "keystone-b".into(),
                service: "keystone".into(),
                stuck: None
            }]
        );
        let stuck = steps(t.observe(
            &Msg::Applied(deleting(pod(
                "mariadb-0",
                "mariadb",
                Some("node-2"),
                true,
                true,
            ))),
            6_000,
        ));
        match stuck.as_slice() {
            [
                Step::PodTerminating {
                    pod,
                    stuck: Some(why),
                    ..
                },
            ] => {
                assert_eq!(pod, "mariadb-0");
                assert!(why.contains("node node-2 is unreachable"), "{why}");
                assert!(why.contains("kubelet cannot confirm"), "{why}");
                assert!(why.contains("StatefulSet"), "{why}");
            }
            other => panic!("expected mariadb-0 stuck Terminating, got {other:?}"),
        }
        // The replacement: created unplaced (nothing to say), scheduled, then ready.
        let created = t.observe(
            &Msg::Applied(pod("keystone-d", "keystone", None, false, false)),
            6_100,
        );
        assert!(created.is_empty(), "{created:?}");
        let scheduled = t.observe(
            &Msg::Applied(pod("keystone-d", "keystone", Some("node-3"), false, false)),
            6_200,
        );
        assert_eq!(
            steps(scheduled),
            vec![Step::Scheduled {
                pod: "keystone-d".into(),
                service: "keystone".into(),
                node: "node-3".into()
            }]
        );
        let ready = t.observe(
            &Msg::Applied(pod("keystone-d", "keystone", Some("node-3"), true, false)),
            9_000,
        );
        assert_eq!(
            steps(ready),
            vec![
                Step::PodReady {
                    pod: "keystone-d".into(),
                    service: "keystone".into(),
                    node: "node-3".into()
                },
                Step::ServiceHealed {
                    service: "keystone".into(),
                    after_ms: 8_000
                }
            ]
        );
        // mariadb cannot heal while its pod is stuck on the dead node.
        let incident = &t.incidents()[0];
        assert!(incident.is_open());
        assert_eq!(incident.services["mariadb"].healed_after_ms, None);
        assert_eq!(incident.services["keystone"].pods, vec!["keystone-b"]);

        // The node returns; its kubelet confirms the deletions; mariadb-0 starts again.
        let up = t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::True, &[])),
            20_000,
        );
        assert_eq!(
            steps(up),
            vec![Step::NodeUp {
                node: "node-2".into()
            }]
        );
        let gone = t.observe(&Msg::Deleted(pod_ref("mariadb-0")), 20_500);
        assert_eq!(
            steps(gone),
            vec![Step::PodGone {
                pod: "mariadb-0".into(),
                service: "mariadb".into()
            }]
        );
        let again = t.observe(
            &Msg::Applied(pod("mariadb-0", "mariadb", Some("node-1"), false, true)),
            21_000,
        );
        assert_eq!(
            steps(again),
            vec![Step::Scheduled {
                pod: "mariadb-0".into(),
                service: "mariadb".into(),
                node: "node-1".into()
            }]
        );
        let healed = t.observe(
            &Msg::Applied(pod("mariadb-0", "mariadb", Some("node-1"), true, true)),
            25_000,
        );
        assert_eq!(
            steps(healed),
            vec![
                Step::PodReady {
                    pod: "mariadb-0".into(),
                    service: "mariadb".into(),
                    node: "node-1".into()
                },
                Step::ServiceHealed {
                    service: "mariadb".into(),
                    after_ms: 24_000
                },
                Step::Closed { after_ms: 24_000 }
            ]
        );
        let incident = &t.incidents()[0];
        assert_eq!(incident.closed_ms, Some(25_000));
        assert_eq!(incident.timeline.len(), 14);
        // Later messages about the closed incident's pods say nothing.
        assert!(
            t.observe(&Msg::Deleted(pod_ref("keystone-b")), 26_000)
                .is_empty()
        );
    }

    #[test]
    fn a_second_not_ready_state_does_not_open_a_second_incident_and_a_relist_counts_deletions() {
        let mut t = healthy();
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::False, &[])),
            1_000,
        );
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::Unknown, &[])),
            2_000,
        );
        assert_eq!(t.incidents().len(), 1);
        // The pod watch relists after a lost connection: keystone-b was deleted meanwhile.
        let relist = Msg::Resynced(
            ObjKind::Pod,
            vec![
                pod("keystone-a", "keystone", Some("node-1"), true, false),
                pod("keystone-c", "keystone", Some("node-3"), true, false),
                pod("keystone-e", "keystone", Some("node-1"), true, false),
                pod("mariadb-0", "mariadb", Some("node-2"), false, true),
            ],
        );
        let events = steps(t.observe(&relist, 5_000));
        assert!(events.contains(&Step::PodGone {
            pod: "keystone-b".into(),
            service: "keystone".into()
        }));
        assert!(events.contains(&Step::ServiceHealed {
            service: "keystone".into(),
            after_ms: 4_000
        }));
    }

    #[test]
    fn pods_on_a_downed_node_do_not_count_as_healed_and_a_node_without_kolla_pods_closes_on_return()
    {
        let mut t = healthy();
        // node-2's pods still look ready right after it fails: not healed.
        let events = steps(t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::False, &[])),
            1_000,
        ));
        assert_eq!(events.len(), 1, "{events:?}");
        let mut empty = IncidentTracker::default();
        empty.observe(
            &Msg::Resynced(ObjKind::Node, vec![node_with("n", NodeReady::True, &[])]),
            0,
        );
        empty.observe(&Msg::Applied(node_with("n", NodeReady::False, &[])), 10);
        let back = steps(empty.observe(&Msg::Applied(node_with("n", NodeReady::True, &[])), 70));
        // The cluster's only node was down: evictions were paused until it returned.
        assert_eq!(
            back,
            vec![
                Step::NodeUp { node: "n".into() },
                Step::EvictionsResumed {
                    heal_from_here: true
                },
                Step::Closed { after_ms: 60 }
            ]
        );
    }

    #[test]
    fn a_node_failing_again_before_the_incident_healed_continues_it() {
        let mut t = healthy();
        let down = Msg::Applied(node_with("node-2", NodeReady::False, &[]));
        t.observe(&down, 1_000);
        let not_ready = pod("keystone-b", "keystone", Some("node-2"), false, false);
        t.observe(&Msg::Applied(not_ready), 1_500);
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::True, &[])),
            2_000,
        );
        assert!(t.incidents()[0].is_open(), "keystone-b is not ready yet");
        assert_eq!(
            steps(t.observe(&down, 3_000)),
            vec![Step::NodeDown {
                node: "node-2".into(),
                ready: NodeReady::False
            }]
        );
        assert_eq!(t.incidents().len(), 1);
        assert_eq!(t.incidents()[0].nodes["node-2"], NodeFate::Down);
        assert_eq!(
            t.incidents()[0].services["keystone"].pods,
            vec!["keystone-b"],
            "a pod is counted once however often its node fails"
        );
    }

    #[test]
    fn incidents_serialize_as_json_lines() {
        let mut t = healthy();
        let events = t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::False, &[])),
            1_000,
        );
        let line = serde_json::to_string(&events[0]).expect("serializes");
        assert_eq!(
            line,
            r#"{"incident":1,"at_ms":1000,"event":"node-down","node":"node-2","ready":"False","text":"node node-2 down (NotReady)"}"#
        );
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::True, &[])),
            2_000,
        );
        t.observe(
            &Msg::Applied(node_with("node-1", NodeReady::False, &[])),
            3_000,
        );
        let lines = t.to_json_lines().expect("serializes");
        assert_eq!(lines.lines().count(), 2);
        let first: serde_json::Value =
            serde_json::from_str(lines.lines().next().unwrap_or_default()).expect("JSON");
        assert_eq!(first["nodes"]["node-2"], "up");
        assert_eq!(first["services"]["mariadb"]["pods"][0], "mariadb-0");
        assert_eq!(first["timeline"][1]["event"], "node-up");
    }

    #[test]
    fn seconds_read_like_people_write_them() {
        assert_eq!(seconds(8_000), "8.0 s");
        assert_eq!(seconds(12_345), "12.3 s");
    }

    #[test]
    fn bootstrap_job_pods_are_not_replicas() {
        let mut t = healthy();
        let mut job_pod = pod(
            "mariadb-bootstrap-x",
            "mariadb",
            Some("node-2"),
            false,
            false,
        );
        job_pod.owner = Some(Owner {
            service: "mariadb".into(),
            kind: Kind::Bootstrap,
        });
        t.observe(&Msg::Applied(job_pod), 0);
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::False, &[])),
            1_000,
        );
        assert_eq!(t.incidents()[0].services["mariadb"].pods, vec!["mariadb-0"]);
    }

    /// Two nodes down 2 s apart: one incident, and a replica on either dead node is none.
    #[test]
    fn overlapping_node_failures_are_one_incident_judged_against_every_dead_node() {
        let mut t = healthy();
        t.observe(
            &Msg::Applied(node_with("node-1", NodeReady::False, &[])),
            1_000,
        );
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::False, &[])),
            3_000,
        );
        assert_eq!(
            t.incidents().len(),
            1,
            "overlapping failures share an incident"
        );
        let incident = &t.incidents()[0];
        assert_eq!(
            incident.nodes.keys().collect::<Vec<_>>(),
            ["node-1", "node-2"]
        );
        assert_eq!(
            incident.services["keystone"].pods,
            vec!["keystone-a", "keystone-b"]
        );
        // keystone-a is replaced on node-2 before that one died: a replica there counts for
        // nothing, so keystone is not healed with only node-3's pods.
        for pod in ["keystone-d", "keystone-e"] {
            t.observe(&Msg::Applied(pod_on(pod, "keystone", "node-2")), 4_000);
        }
        t.observe(
            &Msg::Applied(pod_on("keystone-f", "keystone", "node-3")),
            5_000,
        );
        assert_eq!(t.incidents()[0].services["keystone"].healed_after_ms, None);
        t.observe(
            &Msg::Applied(pod_on("keystone-g", "keystone", "node-3")),
            6_000,
        );
        assert_eq!(
            t.incidents()[0].services["keystone"].healed_after_ms,
            Some(5_000),
            "three ready replicas on node-3, none on a dead node"
        );
        // node-1 returns: the incident stays open while node-2 is down.
        t.observe(
            &Msg::Applied(node_with("node-1", NodeReady::True, &[])),
            7_000,
        );
        assert!(t.incidents()[0].is_open());
        assert_eq!(t.incidents()[0].down().collect::<Vec<_>>(), ["node-2"]);
    }

    #[test]
    fn every_node_down_pauses_evictions_and_time_to_heal_counts_from_the_first_return() {
        let mut t = healthy();
        for (i, node) in ["node-1", "node-2", "node-3"].into_iter().enumerate() {
            t.observe(
                &Msg::Applied(node_with(node, NodeReady::False, &[])),
                1_000 + i64::try_from(i).unwrap_or(0),
            );
        }
        let incident = &t.incidents()[0];
        let paused = incident.disruption().expect("evictions are paused");
        assert_eq!(*paused, Evictions::PausedEverywhere { nodes: 3 });
        assert_eq!(t.incidents().len(), 1);
        // node-1 comes back at 30 s: keystone-a (never evicted) is ready there again.
        let back = steps(t.observe(
            &Msg::Applied(node_with("node-1", NodeReady::True, &[])),
            30_000,
        ));
        assert!(back.contains(&Step::EvictionsResumed {
            heal_from_here: true
        }));
        assert_eq!(t.incidents()[0].heal_from_ms, 30_000);
        assert_eq!(t.incidents()[0].disruption(), None);
        // mariadb-0 is replaced on node-1 two seconds later.
        t.observe(&Msg::Deleted(pod_ref("mariadb-0")), 31_000);
        let healed = steps(t.observe(
            &Msg::Applied(pod("mariadb-0", "mariadb", Some("node-1"), true, true)),
            32_000,
        ));
        assert!(
            healed.contains(&Step::ServiceHealed {
                service: "mariadb".into(),
                after_ms: 2_000
            }),
            "counted from node-1's return, not from the failure: {healed:?}"
        );
    }

    #[test]
    fn node_failures_after_losing_the_api_server_are_blamed_on_the_outage() {
        let mut t = healthy();
        // Silent from 100 s (last heard), answering again at 121 s; the relist shows node-2
        // Unknown: its lease lapsed while the control plane was away.
        t.observe(
            &Msg::Connection(Connection::Silent { last_heard: 100 }),
            103_500,
        );
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::Unknown, &[])),
            121_000,
        );
        assert_eq!(
            t.incidents()[0].api_outage,
            None,
            "the outage has not ended"
        );
        let connected = steps(t.observe(&Msg::Connection(Connection::Connected), 121_200));
        let outage = ApiOutage {
            from_ms: 100_000,
            to_ms: 121_200,
        };
        assert_eq!(connected, vec![Step::ApiOutage { outage }]);
        assert_eq!(t.incidents()[0].api_outage, Some(outage));
        let text = connected[0].to_string();
        assert!(
            text.starts_with("possibly caused by the API server outage of "),
            "{text}"
        );
        let json = serde_json::to_value(&t.incidents()[0]).expect("JSON");
        assert_eq!(json["api_outage"]["from_ms"], 100_000);

        // A node failing well after the outage is a plain failure.
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::True, &[])),
            122_000,
        );
        t.observe(
            &Msg::Applied(node_with("node-3", NodeReady::False, &[])),
            121_200 + OUTAGE_AFTERMATH_MS + 1,
        );
        let last = t.incidents().last().expect("a second incident");
        assert_eq!(last.id, 2);
        assert_eq!(last.api_outage, None);
    }

    #[test]
    fn a_node_failure_soon_after_an_outage_is_blamed_at_once() {
        let mut t = healthy();
        t.observe(
            &Msg::Connection(Connection::Lost {
                since: 50,
                last_update: 40,
            }),
            50_000,
        );
        t.observe(&Msg::Connection(Connection::Connected), 70_000);
        let down = steps(t.observe(
            &Msg::Applied(node_with("node-1", NodeReady::Unknown, &[])),
            72_000,
        ));
        assert_eq!(
            down[1],
            Step::ApiOutage {
                outage: ApiOutage {
                    from_ms: 50_000,
                    to_ms: 70_000
                }
            }
        );
        assert_eq!(time_of_day(70_000), "00:01:10");
    }

    /// A ready pod of a Deployment on `node`.
    fn pod_on(name: &str, service: &str, node: &str) -> ObjectSummary {
        pod(name, service, Some(node), true, false)
    }

    #[test]
    fn a_deleted_node_closes_its_part_but_its_pods_are_no_replicas() {
        let mut t = healthy();
        t.observe(
            &Msg::Applied(node_with("node-2", NodeReady::Unknown, &[])),
            1_000,
        );
        let gone = steps(t.observe(
            &Msg::Deleted(ObjRef {
                kind: ObjKind::Node,
                name: "node-2".into(),
            }),
            2_000,
        ));
        assert_eq!(
            gone,
            vec![Step::NodeDeleted {
                node: "node-2".into()
            }]
        );
        let incident = &t.incidents()[0];
        assert_eq!(incident.nodes["node-2"], NodeFate::Deleted);
        assert!(
            incident.is_open(),
            "keystone-b and mariadb-0 still read ready there"
        );
        assert_eq!(incident.services["keystone"].healed_after_ms, None);
        // The pods are collected and replaced elsewhere: healed, closed.
        t.observe(&Msg::Deleted(pod_ref("keystone-b")), 3_000);
        t.observe(&Msg::Deleted(pod_ref("mariadb-0")), 3_000);
        t.observe(
            &Msg::Applied(pod_on("keystone-d", "keystone", "node-3")),
            4_000,
        );
        let done = steps(t.observe(
            &Msg::Applied(pod("mariadb-0", "mariadb", Some("node-1"), true, true)),
            5_000,
        ));
        assert!(done.contains(&Step::Closed { after_ms: 4_000 }), "{done:?}");
    }

    #[test]
    fn a_node_already_down_at_start_gets_a_reconstructed_incident_with_its_pods() {
        let mut t = IncidentTracker::default();
        let start_ms = 1_700_000_900_000;
        let mut down = node_state(
            "node-2",
            NodeReady::Unknown,
            false,
            &["node.kubernetes.io/unreachable:NoExecute"],
        );
        if let ObjState::Node(n) = &mut down.state {
            n.ready_since = 1_700_000_600;
        }
        let events = t.observe(&Msg::Resynced(ObjKind::Node, vec![down]), start_ms);
        assert!(matches!(events[0].step, Step::NodeDown { .. }));
        assert!(events.iter().all(|e| e.reconstructed));
        // The pods list after the nodes': keystone's pod on node-2 joins the incident.
        let pods = vec![
            workload(ObjKind::Deployment, "keystone", 1, 0),
            crate::model::fixtures::placed_pod("keystone-a", "keystone", "node-2", false, false),
        ];
        t.observe(&Msg::Resynced(ObjKind::Pod, pods), start_ms);
        let incident = &t.incidents()[0];
        assert!(incident.reconstructed && incident.is_open());
        assert_eq!(
            incident.opened_ms, 1_700_000_600_000,
            "opened when it went down"
        );
        assert_eq!(incident.services["keystone"].pods, vec!["keystone-a"]);
        assert!(incident.timeline.iter().any(|t| matches!(
            &t.step,
            Step::Tainted { taint, .. } if taint == "node.kubernetes.io/unreachable:NoExecute"
        )));
    }

    #[test]
    fn a_node_back_since_a_while_ago_is_a_reconstructed_closed_incident() {
        let mut t = IncidentTracker::default();
        let start_ms = 1_700_003_600_000;
        let mut back = node_state("node-1", NodeReady::True, false, &[]);
        back.created = 1_600_000_000;
        if let ObjState::Node(n) = &mut back.state {
            n.ready_since = 1_700_002_000;
        }
        let mut fresh = node_state("node-2", NodeReady::True, false, &[]);
        fresh.created = 1_700_003_590;
        if let ObjState::Node(n) = &mut fresh.state {
            n.ready_since = 1_700_003_595;
        }
        t.observe(&Msg::Resynced(ObjKind::Node, vec![back, fresh]), start_ms);
        let [incident] = t.incidents() else {
            panic!(
                "one incident (a node that merely started is none): {:?}",
                t.incidents()
            );
        };
        assert_eq!(incident.nodes.keys().collect::<Vec<_>>(), ["node-1"]);
        assert!(incident.reconstructed && !incident.is_open());
        assert!(matches!(incident.timeline[0].step, Step::NodeUp { .. }));
        assert_eq!(incident.timeline[0].at_ms, 1_700_002_000_000);
    }

    #[test]
    fn counts_kept_as_pods_and_nodes_change_match_a_recount_from_scratch() {
        let mut t = healthy();
        let mut dice = Dice::new(29);
        let services = ["keystone", "horizon"];
        let zones = ["", "a", "b"];
        for step in 0..4_000 {
            let node = format!("node-{}", dice.roll(5));
            let pod_name = format!("pod-{}", dice.roll(20));
            let msg = match dice.roll(8) {
                0 => Msg::Deleted(pod_ref(&pod_name)),
                1 => Msg::Deleted(ObjRef {
                    kind: ObjKind::Node,
                    name: node,
                }),
                2 | 3 => {
                    let ready = [NodeReady::True, NodeReady::False, NodeReady::Unknown];
                    let mut n = node_with(&node, ready[dice.roll(3)], &[]);
                    if let ObjState::Node(summary) = &mut n.state {
                        let zone = zones[dice.roll(3)].to_string();
                        summary.labels = vec![("topology.kubernetes.io/zone".into(), zone)];
                    }
                    Msg::Applied(n)
                }
                _ => {
                    let service = services[dice.roll(2)];
                    let on = (dice.roll(6) > 0).then_some(node.as_str());
                    let mut p = pod(&pod_name, service, on, dice.roll(2) == 0, false);
                    p.deleting = dice.roll(6) == 0;
                    Msg::Applied(p)
                }
            };
            t.observe(&msg, step);
            let mut counts: BTreeMap<String, ServiceCount> = BTreeMap::new();
            let mut on_node: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (name, p) in &t.pods {
                let c = counts.entry(p.service.clone()).or_default();
                c.live += u32::from(p.live());
                let on_ready = p.node.as_deref().is_some_and(|n| t.node_ready(n));
                c.serving += u32::from(p.serves() && on_ready);
                if let Some(n) = &p.node {
                    on_node.entry(n.clone()).or_default().insert(name.clone());
                }
            }
            let mut zones = Zones::default();
            for n in t.nodes.values() {
                zones.count(&n.zone, n.ready == NodeReady::True, true);
            }
            let kept: BTreeMap<String, ServiceCount> = t
                .counts
                .iter()
                .filter(|(_, c)| **c != ServiceCount::default())
                .map(|(s, c)| (s.clone(), *c))
                .collect();
            counts.retain(|_, c| *c != ServiceCount::default());
            assert_eq!(kept, counts, "step {step}: {msg:?}");
            assert_eq!(t.on_node, on_node, "step {step}");
            assert_eq!(t.zones, zones, "step {step}");
            assert_eq!(t.evictions(), zones.evictions(), "step {step}");
        }
        assert!(
            t.incidents().len() > 1,
            "the churn opened and closed incidents"
        );
    }

    #[test]
    fn a_long_session_keeps_a_bounded_number_of_incidents_and_steps() {
        let mut t = IncidentTracker::default();
        t.observe(
            &Msg::Resynced(
                ObjKind::Node,
                vec![node_state("node-1", NodeReady::True, false, &[])],
            ),
            0,
        );
        for round in 0..(MAX_INCIDENTS as i64 + 20) {
            let at = round * 10_000;
            let down = node_state("node-1", NodeReady::False, false, &[]);
            t.observe(&Msg::Applied(down), at);
            let up = node_state("node-1", NodeReady::True, false, &[]);
            t.observe(&Msg::Applied(up), at + 5_000);
        }
        let all = t.incidents();
        assert_eq!(all.len(), MAX_INCIDENTS);
        assert_eq!(
            all.last().map(|i| i.id),
            Some(MAX_INCIDENTS as u32 + 20),
            "ids go on"
        );
        // One incident whose node flaps for ever keeps its first and latest steps.
        let mut t = IncidentTracker::default();
        t.observe(
            &Msg::Resynced(
                ObjKind::Node,
                vec![node_state("node-1", NodeReady::True, false, &[])],
            ),
            0,
        );
        let other = node_state("node-2", NodeReady::True, false, &[]);
        t.observe(&Msg::Applied(other), 0);
        t.observe(
            &Msg::Applied(node_state("node-2", NodeReady::False, false, &[])),
            1,
        );
        for i in 0..(MAX_STEPS as i64 * 2) {
            let taint = format!("flap/{i}:NoSchedule");
            let flapping = node_state("node-2", NodeReady::False, false, &[taint.as_str()]);
            t.observe(&Msg::Applied(flapping), 2 + i);
        }
        let timeline = &t.incidents()[0].timeline;
        assert_eq!(timeline.len(), MAX_STEPS);
        assert!(matches!(timeline[0].step, Step::NodeDown { .. }));
        assert_eq!(
            timeline.last().map(|s| s.at_ms),
            Some(1 + MAX_STEPS as i64 * 2)
        );
    }
}
