//! Node-failure incidents, tracked purely from watcher messages: node down → taints →
//! pods evicted → replacements scheduled → ready, and each service's time-to-heal. It keeps
//! its own small view of nodes, pods and workloads so the headless `incidents` command can
//! use it without a `Model`. Times are milliseconds since the Unix epoch, given by the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::kind::Kind;
use crate::model::msg::Msg;
use crate::summary::{NodeReady, ObjKind, ObjRef, ObjState, ObjectSummary, PodPhase};

/// One thing that happened during an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Step {
    NodeDown {
        ready: NodeReady,
    },
    Tainted {
        taint: String,
    },
    /// The node controller marked a pod on the lost node not ready.
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
    /// All the service's replicas are ready again, off the lost node.
    ServiceHealed {
        service: String,
        after_ms: i64,
    },
    NodeUp,
    NodeDeleted,
    /// The node is back (or deleted) and every affected service healed.
    Closed {
        after_ms: i64,
    },
}

/// A step as it happened, for the JSON-lines stream of the headless command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentEvent {
    pub incident: u32,
    pub node: String,
    pub at_ms: i64,
    /// Part of an incident pieced together at start (see `Incident::reconstructed`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reconstructed: bool,
    #[serde(flatten)]
    pub step: Step,
}

/// One step on an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timed {
    pub at_ms: i64,
    #[serde(flatten)]
    pub step: Step,
}

/// Where the incident's node stands.
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
    /// Its pods that were on the node when it went down.
    pub pods: Vec<String>,
    /// Replicas it needs ready (the workload's desired count, else its pods at the start).
    pub replicas: u32,
    pub healed_after_ms: Option<i64>,
}

/// A node going NotReady/Unknown and what followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: u32,
    pub node: String,
    pub opened_ms: i64,
    pub closed_ms: Option<i64>,
    pub fate: NodeFate,
    pub services: BTreeMap<String, ServiceHeal>,
    pub timeline: Vec<Timed>,
    /// Pieced together at start from the node's conditions (it went down, or came back,
    /// while kolla-dash was not running): times before the start are the cluster's.
    pub reconstructed: bool,
    /// Pods that existed when it opened (not replacements); a deleted one leaves the set,
    /// so a StatefulSet pod re-created under the same name counts as its replacement.
    #[serde(skip)]
    known: BTreeSet<String>,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeView {
    ready: NodeReady,
    taints: Vec<String>,
}

/// How far back a node's return is still news when kolla-dash starts.
const RECENT_MS: i64 = 60 * 60 * 1000;

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
}

/// Turns watcher messages into incidents.
#[derive(Debug, Clone, Default)]
pub struct IncidentTracker {
    nodes: BTreeMap<String, NodeView>,
    pods: BTreeMap<String, PodView>,
    /// Workload name -> (service, desired replicas).
    workloads: BTreeMap<String, (String, u32)>,
    incidents: Vec<Incident>,
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

    /// Folds a watcher message in (at `now_ms`); returns what happened to incidents.
    pub fn observe(&mut self, msg: &Msg, now_ms: i64) -> Vec<IncidentEvent> {
        let mut out = Vec::new();
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
            _ => return out,
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

    fn apply(&mut self, obj: &ObjectSummary, now: i64, out: &mut Vec<IncidentEvent>) {
        let name = &obj.obj.name;
        match &obj.state {
            ObjState::Node(node) => {
                let new = NodeView {
                    ready: node.ready,
                    taints: node.taints.clone(),
                };
                let old = self.nodes.insert(name.clone(), new.clone());
                if old.is_none() {
                    let since = node.ready_since * 1000;
                    let created = obj.created * 1000;
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
                };
                let old = self.pods.insert(name.clone(), new.clone());
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
                self.nodes.remove(&obj.name);
                for i in self.open_on(&obj.name) {
                    let incident = &mut self.incidents[i];
                    incident.fate = NodeFate::Deleted;
                    record(incident, now, Step::NodeDeleted, out);
                }
            }
            ObjKind::Pod => {
                let Some(pod) = self.pods.remove(&obj.name) else {
                    return;
                };
                for incident in self.incidents.iter_mut().filter(|i| i.is_open()) {
                    incident.known.remove(&obj.name);
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

    fn open_on(&self, node: &str) -> Vec<usize> {
        (0..self.incidents.len())
            .filter(|&i| self.incidents[i].is_open() && self.incidents[i].node == node)
            .collect()
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
        let open = self.open_on(name);
        if was_ready && new.ready != NodeReady::True {
            if open.is_empty() {
                self.open(name, new.ready, now, false, out);
            } else {
                // Down again before the last incident healed: it goes on.
                for &i in &open {
                    let incident = &mut self.incidents[i];
                    incident.fate = NodeFate::Down;
                    record(incident, now, Step::NodeDown { ready: new.ready }, out);
                }
            }
        }
        let old_taints: &[String] = old.map_or(&[], |o| &o.taints);
        for i in self.open_on(name) {
            let incident = &mut self.incidents[i];
            for taint in new.taints.iter().filter(|t| !old_taints.contains(t)) {
                let step = Step::Tainted {
                    taint: taint.clone(),
                };
                record(incident, now, step, out);
            }
            if new.ready == NodeReady::True && incident.fate == NodeFate::Down {
                incident.fate = NodeFate::Up;
                record(incident, now, Step::NodeUp, out);
            }
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
            self.open(name, node.ready, at, true, out);
            if let Some(incident) = self.incidents.last_mut() {
                for taint in &node.taints {
                    let step = Step::Tainted {
                        taint: taint.clone(),
                    };
                    record(incident, at, step, out);
                }
            }
        } else if known && now - since_ms <= RECENT_MS && since_ms - created_ms > 60_000 {
            // Ready again since `since_ms`, and that was not its first start: it was down
            // before, when is not known.
            let id = u32::try_from(self.incidents.len() + 1).unwrap_or(u32::MAX);
            let mut incident = Incident {
                id,
                node: name.to_string(),
                opened_ms: since_ms,
                closed_ms: Some(since_ms),
                fate: NodeFate::Up,
                services: BTreeMap::new(),
                timeline: Vec::new(),
                reconstructed: true,
                known: BTreeSet::new(),
                affected: BTreeSet::new(),
                scheduled: BTreeSet::new(),
                ready: BTreeSet::new(),
            };
            record(&mut incident, since_ms, Step::NodeUp, out);
            self.incidents.push(incident);
        }
    }

    /// A pod seen for the first time on the node of a reconstructed open incident: the
    /// node's lists can arrive before the pods', so it joins the affected pods late.
    fn adopt(&mut self, name: &str, pod: &PodView) {
        if pod.deleting || pod.finished {
            return;
        }
        let replicas = self.replicas(&pod.service);
        for incident in self.incidents.iter_mut().filter(|i| {
            i.is_open() && i.reconstructed && pod.node.as_deref() == Some(i.node.as_str())
        }) {
            incident.known.insert(name.to_string());
            if incident.affected.insert(name.to_string()) {
                let heal = incident
                    .services
                    .entry(pod.service.clone())
                    .or_insert_with(|| ServiceHeal {
                        pods: Vec::new(),
                        replicas,
                        healed_after_ms: None,
                    });
                heal.pods.push(name.to_string());
                heal.replicas = heal.replicas.max(replicas);
            }
        }
    }

    /// Replicas a service needs ready: its workloads' desired count, else its live pods.
    fn replicas(&self, service: &str) -> u32 {
        let desired: u32 = self
            .workloads
            .values()
            .filter(|(s, _)| s == service)
            .map(|(_, d)| d)
            .sum();
        let live = self
            .pods
            .values()
            .filter(|p| p.service == service && !p.deleting && !p.finished)
            .count();
        if desired > 0 {
            desired
        } else {
            u32::try_from(live).unwrap_or(u32::MAX)
        }
    }

    fn open(
        &mut self,
        node: &str,
        ready: NodeReady,
        now: i64,
        reconstructed: bool,
        out: &mut Vec<IncidentEvent>,
    ) {
        let affected: BTreeSet<String> = self
            .pods
            .iter()
            .filter(|(_, p)| p.node.as_deref() == Some(node) && !p.deleting && !p.finished)
            .map(|(name, _)| name.clone())
            .collect();
        let mut services: BTreeMap<String, ServiceHeal> = BTreeMap::new();
        for name in &affected {
            let service = &self.pods[name].service;
            services
                .entry(service.clone())
                .or_insert_with(|| ServiceHeal {
                    pods: Vec::new(),
                    replicas: 0,
                    healed_after_ms: None,
                })
                .pods
                .push(name.clone());
        }
        for (service, heal) in &mut services {
            heal.replicas = self.replicas(service);
        }
        let id = u32::try_from(self.incidents.len() + 1).unwrap_or(u32::MAX);
        let mut incident = Incident {
            id,
            node: node.to_string(),
            opened_ms: now,
            closed_ms: None,
            fate: NodeFate::Down,
            services,
            timeline: Vec::new(),
            reconstructed,
            known: self.pods.keys().cloned().collect(),
            affected,
            scheduled: BTreeSet::new(),
            ready: BTreeSet::new(),
        };
        record(&mut incident, now, Step::NodeDown { ready }, out);
        self.incidents.push(incident);
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
            // Only a node whose kubelet stopped reporting (Ready=Unknown) cannot confirm a
            // deletion; a NotReady node's kubelet still can, and the pod goes.
            let unreachable = nodes
                .get(&incident.node)
                .is_some_and(|n| n.ready == NodeReady::Unknown);
            let service = new.service.clone();
            if incident.affected.contains(name) {
                let was_deleting = old.is_some_and(|o| o.deleting);
                let was_ready = old.is_some_and(|o| o.ready);
                if new.deleting && !was_deleting {
                    let stuck = (incident.fate == NodeFate::Down && unreachable && new.stateful)
                        .then(|| stuck_terminating(name, &incident.node, true));
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
                && !incident.known.contains(name)
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

    /// Marks services healed and incidents closed once their conditions hold.
    fn settle(&mut self, now: i64, out: &mut Vec<IncidentEvent>) {
        for incident in self.incidents.iter_mut().filter(|i| i.is_open()) {
            let lost_node = (incident.fate != NodeFate::Up).then_some(incident.node.as_str());
            let mut healed = Vec::new();
            for (service, heal) in &incident.services {
                if heal.healed_after_ms.is_some() {
                    continue;
                }
                let ready = self
                    .pods
                    .values()
                    .filter(|p| &p.service == service && p.ready && !p.deleting)
                    .filter(|p| lost_node.is_none() || p.node.as_deref() != lost_node)
                    .count();
                if u32::try_from(ready).unwrap_or(u32::MAX) >= heal.replicas {
                    healed.push(service.clone());
                }
            }
            let after_ms = now - incident.opened_ms;
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
            if incident.fate != NodeFate::Down && all_healed {
                incident.closed_ms = Some(now);
                record(incident, now, Step::Closed { after_ms }, out);
            }
        }
    }
}

fn record(incident: &mut Incident, at_ms: i64, step: Step, out: &mut Vec<IncidentEvent>) {
    out.push(IncidentEvent {
        incident: incident.id,
        node: incident.node.clone(),
        at_ms,
        reconstructed: incident.reconstructed,
        step: step.clone(),
    });
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

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::NodeDown { ready } => {
                let word = match ready {
                    NodeReady::True => "Ready",
                    NodeReady::False => "NotReady",
                    NodeReady::Unknown => "Unknown",
                };
                write!(f, "node down ({word})")
            }
            Step::Tainted { taint } => write!(f, "tainted {taint}"),
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
            Step::NodeUp => write!(f, "node Ready again"),
            Step::NodeDeleted => write!(f, "node deleted"),
            Step::Closed { after_ms } => write!(f, "closed after {}", seconds(*after_ms)),
        }
    }
}

impl fmt::Display for IncidentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "incident #{} {}: {}",
            self.incident, self.node, self.step
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{node_state, obj, workload};
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
        assert_eq!(steps(up), vec![Step::NodeUp]);
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
        assert_eq!(back, vec![Step::NodeUp, Step::Closed { after_ms: 60 }]);
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
                ready: NodeReady::False
            }]
        );
        assert_eq!(t.incidents().len(), 1);
        assert_eq!(t.incidents()[0].fate, NodeFate::Down);
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
            r#"{"incident":1,"node":"node-2","at_ms":1000,"event":"node-down","ready":"False"}"#
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
        assert_eq!(first["node"], "node-2");
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
            Step::Tainted { taint } if taint == "node.kubernetes.io/unreachable:NoExecute"
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
        assert_eq!(incident.node, "node-1");
        assert!(incident.reconstructed && !incident.is_open());
        assert_eq!(incident.timeline[0].step, Step::NodeUp);
        assert_eq!(incident.timeline[0].at_ms, 1_700_002_000_000);
    }
}
