//! Why a cell is not ready, from everything Kubernetes says about its objects: pods'
//! phases, conditions and containers (waiting, last exit, restarts), the scheduler's
//! message against the nodes, the controllers' conditions, claims, volumes, Services, and
//! the latest Warning event of each object. Each cause is written once here as a sentence
//! that names the cause, the object and the next step; the why-line, the detail view, the
//! CLI and a waiting deploy step all say these sentences.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::kind::Kind;
use crate::status::ready_endpoints;
use crate::summary::{
    ContainerSummary, EventSummary, Exit, JobState, NodeReady, NodeSummary, ObjKind, ObjRef,
    ObjState, ObjectSummary, PodPhase, Reason, VolumePhase,
};

/// What diagnosis knows besides the cell's own objects.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub nodes: &'a BTreeMap<String, NodeSummary>,
    /// Whether `nodes` is the cluster's whole node list (it is not when listing nodes is
    /// forbidden or has not synced).
    pub nodes_known: bool,
    /// The latest Warning event about each object.
    pub warnings: &'a HashMap<ObjRef, EventSummary>,
}

/// One root cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The image does not exist (or cannot be pulled at all).
    ImageNotFound {
        image: String,
    },
    /// The image cannot be pulled for another reason (registry down, auth).
    ImagePull {
        image: String,
        message: String,
    },
    /// A container ends and is restarted over and over.
    CrashLoop {
        container: String,
        restarts: u32,
        exit: Option<Exit>,
    },
    /// A container is killed for using more memory than it may.
    OomKilled {
        container: String,
        restarts: u32,
        limit: Option<String>,
    },
    /// The container cannot even be created (a missing Secret or ConfigMap key, a bad
    /// command).
    ContainerConfig {
        reason: String,
        message: String,
    },
    /// No node carries the label the pod selects.
    NoNodeWithLabel {
        label: String,
        value: String,
        nodes: usize,
    },
    /// The scheduler places it nowhere for another reason.
    Unschedulable {
        message: String,
    },
    /// Running, but a readiness check fails.
    Unready {
        containers: Vec<String>,
        probe: Option<String>,
    },
    /// The pod sits on a node that is not Ready.
    NodeDown {
        node: String,
        ready: NodeReady,
    },
    /// The kubelet evicted it.
    Evicted {
        message: String,
    },
    /// The pod ended Failed (a bare pod: nothing replaces it).
    PodFailed {
        reason: String,
        message: String,
    },
    /// The controller cannot create pods (admission, quota, a bad template).
    CreateRefused {
        message: String,
    },
    /// The rollout made no progress within its deadline.
    RolloutStalled {
        message: String,
    },
    /// A Job failed for good.
    JobFailed {
        job: String,
        reason: String,
        message: String,
        retry: Option<(String, Kind)>,
    },
    JobRunning {
        job: String,
        active: u32,
    },
    ClaimPending {
        claim: String,
        warning: Option<String>,
    },
    VolumeUnclaimed {
        volume: String,
    },
    /// A PV whose claim was deleted (with its namespace, say): it keeps the data, and a
    /// deploy reattaches the service's own.
    VolumeReleased {
        volume: String,
        service: Option<String>,
    },
    VolumeBad {
        what: ObjKind,
        name: String,
        phase: VolumePhase,
    },
    NoClusterIp {
        service: String,
    },
    NoEndpoints {
        service: String,
    },
}

impl Cause {
    /// A short name for counting several causes in one line.
    pub fn label(&self) -> &'static str {
        match self {
            Cause::ImageNotFound { .. } | Cause::ImagePull { .. } => "ImagePullBackOff",
            Cause::CrashLoop { .. } => "CrashLoopBackOff",
            Cause::OomKilled { .. } => "OOMKilled",
            Cause::ContainerConfig { .. } => "CreateContainerConfigError",
            Cause::NoNodeWithLabel { .. } | Cause::Unschedulable { .. } => {
                "Pending (unschedulable)"
            }
            Cause::Unready { .. } => "running, not ready",
            Cause::NodeDown { .. } => "on a down node",
            Cause::Evicted { .. } => "Evicted",
            Cause::PodFailed { .. } => "Failed",
            Cause::CreateRefused { .. } => "pods refused",
            Cause::RolloutStalled { .. } => "rollout stalled",
            Cause::JobFailed { .. } => "Job failed",
            Cause::JobRunning { .. } => "Job running",
            Cause::ClaimPending { .. } => "claim pending",
            Cause::VolumeUnclaimed { .. }
            | Cause::VolumeReleased { .. }
            | Cause::VolumeBad { .. } => "volume",
            Cause::NoClusterIp { .. } | Cause::NoEndpoints { .. } => "no endpoints",
        }
    }

    /// Causes that stop a cell for good until the operator acts, before those that pass.
    fn rank(&self) -> u8 {
        match self {
            Cause::JobFailed { .. } | Cause::CreateRefused { .. } => 0,
            Cause::ImageNotFound { .. }
            | Cause::ImagePull { .. }
            | Cause::ContainerConfig { .. }
            | Cause::OomKilled { .. }
            | Cause::CrashLoop { .. }
            | Cause::NoNodeWithLabel { .. }
            | Cause::Unschedulable { .. }
            | Cause::PodFailed { .. }
            | Cause::Evicted { .. }
            | Cause::VolumeBad { .. }
            | Cause::VolumeReleased { .. }
            | Cause::RolloutStalled { .. } => 1,
            Cause::NodeDown { .. } | Cause::Unready { .. } | Cause::ClaimPending { .. } => 2,
            _ => 3,
        }
    }
}

/// A cause and the pods it affects (empty when it is about a controller or a volume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub cause: Cause,
    pub pods: Vec<String>,
}

impl Problem {
    /// "keystone-5d9f-x2: image ... not found: check openstack_tag ...": who, what, what next.
    pub fn sentence(&self) -> String {
        let who = match self.pods.as_slice() {
            [] => String::new(),
            [one] => format!("{one}: "),
            [first, rest @ ..] => format!("{} pods ({first} +{}): ", rest.len() + 1, rest.len()),
        };
        format!("{who}{}", self.cause)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::ImageNotFound { image } => write!(
                f,
                "image {image} not found: check openstack_tag, openstack_release, \
                 docker_namespace and docker_registry in etc/globals.yml"
            ),
            Cause::ImagePull { image, message } => {
                write!(f, "cannot pull image {image}")?;
                if !message.is_empty() {
                    write!(f, " ({message})")?;
                }
                write!(
                    f,
                    ": check that the registry answers and docker_registry in etc/globals.yml"
                )
            }
            Cause::CrashLoop {
                container,
                restarts,
                exit,
            } => {
                write!(f, "container {container} keeps crashing")?;
                let restarts = plural(*restarts, "restart");
                match exit {
                    Some(e) => write!(f, " (exit {} {}, {restarts})", e.code, e.reason)?,
                    None => write!(f, " ({restarts})")?,
                }
                write!(f, ": read its last logs (l)")
            }
            Cause::OomKilled {
                container,
                restarts,
                limit,
            } => {
                let times = if *restarts == 1 {
                    "once".to_string()
                } else {
                    format!("{restarts} times")
                };
                match limit {
                    Some(limit) => write!(
                        f,
                        "container {container} OOMKilled {times} (limit {limit}): raise the \
                         memory limit"
                    ),
                    None => write!(
                        f,
                        "container {container} OOMKilled {times} (no memory limit: its node \
                         ran out of memory): give it a memory limit or a node with more memory"
                    ),
                }
            }
            Cause::ContainerConfig { reason, message } => {
                write!(
                    f,
                    "{reason}: {message}: create what it names, or fix the template"
                )
            }
            Cause::NoNodeWithLabel {
                label,
                value,
                nodes,
            } => write!(
                f,
                "0/{nodes} nodes have label {label}={value}: label a node \
                 (kubectl label node NAME {label}={value}) or change kolla_controller_label / \
                 kolla_compute_label in etc/kolla-kubernetes.yml"
            ),
            Cause::Unschedulable { message } => write!(
                f,
                "cannot be scheduled: {message}: free capacity, or fix taints and labels"
            ),
            Cause::Unready { containers, probe } => {
                write!(f, "running but not ready ({})", containers.join(", "))?;
                if let Some(p) = probe {
                    write!(f, ": {p}")?;
                }
                write!(f, ": read its logs (l)")
            }
            Cause::NodeDown { node, ready } => {
                let state = match ready {
                    NodeReady::Unknown => "unreachable",
                    _ => "NotReady",
                };
                write!(
                    f,
                    "its node {node} is {state}: Kubernetes evicts and replaces it once the \
                     node's grace period ends (see the nodes view, N)"
                )
            }
            Cause::Evicted { message } => write!(
                f,
                "evicted: {message}: its controller replaces it; free the node's resources"
            ),
            Cause::PodFailed { reason, message } => {
                write!(f, "failed: {reason}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                write!(
                    f,
                    ": nothing replaces a bare pod; delete and create it again"
                )
            }
            Cause::CreateRefused { message } => write!(
                f,
                "cannot create pods: {message}: fix what refuses them (quota, admission, \
                 template)"
            ),
            Cause::RolloutStalled { message } => {
                write!(f, "rollout stalled: {message}: see the pods' problems")
            }
            Cause::JobFailed {
                job,
                reason,
                message,
                retry,
            } => {
                write!(f, "Job {job} failed: {reason}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                if let Some((service, kind)) = retry {
                    write!(
                        f,
                        " (to retry: kolla-dash resource delete {service} {kind}, then deploy \
                         again)"
                    )?;
                }
                Ok(())
            }
            Cause::JobRunning { job, active } => {
                write!(f, "Job {job} is running ({active} active)")
            }
            Cause::ClaimPending { claim, warning } => {
                write!(f, "waiting for PVC {claim} to bind")?;
                if let Some(w) = warning {
                    write!(f, ": {w}")?;
                }
                Ok(())
            }
            Cause::VolumeUnclaimed { volume } => {
                write!(f, "PV {volume} is available, waiting for its claim")
            }
            Cause::VolumeReleased { volume, service } => {
                write!(
                    f,
                    "PV {volume} is Released: it keeps the data of a deleted claim"
                )?;
                if let Some(service) = service {
                    write!(
                        f,
                        "; deploy (or kolla-dash resource create {service} pvc) reattaches it"
                    )?;
                }
                Ok(())
            }
            Cause::VolumeBad { what, name, phase } => write!(f, "{what} {name} is {phase:?}"),
            Cause::NoClusterIp { service } => write!(f, "Service {service} has no cluster IP yet"),
            Cause::NoEndpoints { service } => {
                write!(f, "Service {service} has no ready endpoints")
            }
        }
    }
}

/// Every distinct problem of a cell's objects, the most serious first; pods sharing a
/// cause are one problem.
pub fn diagnose(objs: &[&ObjectSummary], facts: &Facts) -> Vec<Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    // Controllers and volumes explain before the pods under them.
    let (pods, others): (Vec<&&ObjectSummary>, Vec<_>) = objs
        .iter()
        .partition(|o| matches!(o.state, ObjState::Pod { .. }));
    for obj in others {
        if let Some(cause) = object_cause(obj, objs, facts) {
            add(&mut problems, cause, None);
        }
    }
    // A failed Job speaks for its pods (its attempts); the detail view lists them.
    let failed_jobs: Vec<&ObjRef> = objs
        .iter()
        .filter(|o| {
            matches!(
                o.state,
                ObjState::Job {
                    state: JobState::Failed { .. },
                    ..
                }
            )
        })
        .map(|o| &o.obj)
        .collect();
    let attempt_of_failed_job = |pod: &ObjectSummary| match &pod.state {
        ObjState::Pod { owner: Some(o), .. } => failed_jobs.contains(&o),
        _ => false,
    };
    for pod in pods
        .into_iter()
        .filter(|p| !p.deleting && !attempt_of_failed_job(p))
    {
        if let Some(cause) = pod_cause(pod, facts) {
            add(&mut problems, cause, Some(&pod.obj.name));
        }
    }
    problems.sort_by_key(|p| p.cause.rank());
    problems
}

/// The one line for a cell: its problem's sentence; with several of one kind, the first's
/// sentence and how many more; with several kinds, how many of each.
pub fn why_line(problems: &[Problem]) -> Option<String> {
    let (first, rest) = problems.split_first()?;
    if rest.is_empty() {
        return Some(first.sentence());
    }
    if rest.iter().all(|p| p.cause.label() == first.cause.label()) {
        return Some(format!(
            "{} (and {} more like it)",
            first.sentence(),
            rest.len()
        ));
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for p in problems {
        let n = p.pods.len().max(1);
        match counts.iter_mut().find(|(l, _)| *l == p.cause.label()) {
            Some((_, c)) => *c += n,
            None => counts.push((p.cause.label(), n)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
    Some(parts.join(", "))
}

/// Adds a cause, joining it with the same cause of other pods.
fn add(problems: &mut Vec<Problem>, cause: Cause, pod: Option<&str>) {
    let same = |a: &Cause, b: &Cause| match (a, b) {
        // Replicas crash alike but not in step: one problem, the worst count.
        (Cause::CrashLoop { container: x, .. }, Cause::CrashLoop { container: y, .. })
        | (Cause::OomKilled { container: x, .. }, Cause::OomKilled { container: y, .. }) => x == y,
        _ => a == b,
    };
    match problems.iter_mut().find(|p| same(&p.cause, &cause)) {
        Some(p) => {
            if let (
                Cause::CrashLoop { restarts, .. } | Cause::OomKilled { restarts, .. },
                Cause::CrashLoop { restarts: r, .. } | Cause::OomKilled { restarts: r, .. },
            ) = (&mut p.cause, &cause)
            {
                *restarts = (*restarts).max(*r);
            }
            p.pods.extend(pod.map(str::to_string));
        }
        None => problems.push(Problem {
            cause,
            pods: pod.map(str::to_string).into_iter().collect(),
        }),
    }
}

fn warning_of<'a>(facts: &Facts<'a>, obj: &ObjRef) -> Option<&'a EventSummary> {
    facts.warnings.get(obj)
}

/// Why a controller, volume or Service holds its cell back.
fn object_cause(obj: &ObjectSummary, cell: &[&ObjectSummary], facts: &Facts) -> Option<Cause> {
    let name = &obj.obj.name;
    if obj.deleting {
        return None;
    }
    match &obj.state {
        ObjState::Job {
            state: JobState::Failed { reason, message },
            ..
        } => Some(Cause::JobFailed {
            job: name.clone(),
            reason: reason.clone(),
            message: message.clone(),
            retry: obj.owner.as_ref().map(|o| (o.service.clone(), o.kind)),
        }),
        ObjState::Job {
            state: JobState::Running,
            active,
            ..
        } => {
            // Its pods say more than "running" when they are stuck: then they speak.
            let stuck = cell.iter().any(|o| {
                matches!(o.state, ObjState::Pod { .. })
                    && !o.deleting
                    && pod_cause(o, facts).is_some()
            });
            (!stuck).then(|| Cause::JobRunning {
                job: name.clone(),
                active: *active,
            })
        }
        ObjState::Workload { problems, .. } | ObjState::ReplicaSet { problems, .. } => {
            controller_cause(problems).or_else(|| {
                // The ReplicaSet's FailedCreate event names the refusal too.
                warning_of(facts, &obj.obj)
                    .filter(|w| w.reason == "FailedCreate")
                    .map(|w| Cause::CreateRefused {
                        message: w.note.clone(),
                    })
            })
        }
        ObjState::Pvc {
            phase: VolumePhase::Pending,
            ..
        } => Some(Cause::ClaimPending {
            claim: name.clone(),
            warning: warning_of(facts, &obj.obj).map(|w| format!("{}: {}", w.reason, w.note)),
        }),
        ObjState::Pv {
            phase: VolumePhase::Available,
            ..
        } => Some(Cause::VolumeUnclaimed {
            volume: name.clone(),
        }),
        ObjState::Pv {
            phase: VolumePhase::Released,
            ..
        } => Some(Cause::VolumeReleased {
            volume: name.clone(),
            service: obj.owner.as_ref().map(|o| o.service.clone()),
        }),
        ObjState::Pv { phase, .. } | ObjState::Pvc { phase, .. }
            if *phase != VolumePhase::Bound =>
        {
            Some(Cause::VolumeBad {
                what: obj.obj.kind,
                name: name.clone(),
                phase: *phase,
            })
        }
        ObjState::Service { cluster_ip: None } => Some(Cause::NoClusterIp {
            service: name.clone(),
        }),
        ObjState::Service { .. } if ready_endpoints(name, cell) == 0 => Some(Cause::NoEndpoints {
            service: name.clone(),
        }),
        _ => None,
    }
}

/// A controller's failing conditions: it cannot create pods (ReplicaFailure), or its
/// rollout stalled (Progressing=False, ProgressDeadlineExceeded).
fn controller_cause(problems: &[Reason]) -> Option<Cause> {
    let (stalled, refused): (Vec<&Reason>, Vec<&Reason>) = problems
        .iter()
        .partition(|p| p.reason == "ProgressDeadlineExceeded");
    refused
        .first()
        .map(|p| Cause::CreateRefused {
            message: p.message.clone(),
        })
        .or_else(|| {
            stalled.first().map(|p| Cause::RolloutStalled {
                message: p.message.clone(),
            })
        })
}

/// Why one live pod is not ready, if it says.
pub fn pod_cause(pod: &ObjectSummary, facts: &Facts) -> Option<Cause> {
    let ObjState::Pod {
        phase,
        ready,
        node,
        detail,
        ..
    } = &pod.state
    else {
        return None;
    };
    if *ready || *phase == PodPhase::Succeeded {
        return None;
    }
    if let Some(status) = &detail.status
        && status.reason == "Evicted"
    {
        return Some(Cause::Evicted {
            message: short(&status.message),
        });
    }
    if *phase == PodPhase::Failed {
        let (reason, message) = detail.status.as_ref().map_or_else(
            || failed_container(&detail.containers),
            |s| (s.reason.clone(), s.message.clone()),
        );
        return Some(Cause::PodFailed { reason, message });
    }
    if let Some(node) = node
        && let Some(n) = facts.nodes.get(node)
        && n.ready != NodeReady::True
    {
        return Some(Cause::NodeDown {
            node: node.clone(),
            ready: n.ready,
        });
    }
    if let Some(message) = &detail.unschedulable {
        return Some(unschedulable(message, &detail.node_selector, facts));
    }
    detail
        .containers
        .iter()
        .find_map(container_cause)
        .or_else(|| unready(pod, detail.containers.as_slice(), facts))
}

/// The first container that ended badly, as (reason, message).
fn failed_container(containers: &[ContainerSummary]) -> (String, String) {
    containers
        .iter()
        .find_map(|c| {
            let e = c.last_exit.as_ref().filter(|e| e.code != 0)?;
            Some((
                e.reason.clone(),
                format!("container {} exited {}", c.name, e.code),
            ))
        })
        .unwrap_or_else(|| ("Failed".to_string(), String::new()))
}

/// A waiting container's root cause.
fn container_cause(c: &ContainerSummary) -> Option<Cause> {
    let waiting = c.waiting.as_ref()?;
    let oom = c
        .last_exit
        .as_ref()
        .is_some_and(|e| e.reason == "OOMKilled");
    Some(match waiting.reason.as_str() {
        "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" => {
            let m = waiting.message.to_lowercase();
            if m.contains("not found")
                || m.contains("manifest unknown")
                || waiting.reason == "InvalidImageName"
            {
                Cause::ImageNotFound {
                    image: c.image.clone(),
                }
            } else {
                Cause::ImagePull {
                    image: c.image.clone(),
                    message: short(&waiting.message),
                }
            }
        }
        "CrashLoopBackOff" if oom => Cause::OomKilled {
            container: c.name.clone(),
            restarts: c.restarts,
            limit: c.memory_limit.clone(),
        },
        "CrashLoopBackOff" | "RunContainerError" => Cause::CrashLoop {
            container: c.name.clone(),
            restarts: c.restarts,
            exit: c.last_exit.clone(),
        },
        "CreateContainerConfigError" | "CreateContainerError" => Cause::ContainerConfig {
            reason: waiting.reason.clone(),
            message: short(&waiting.message),
        },
        // ContainerCreating, PodInitializing: on its way.
        _ => return None,
    })
}

/// A running pod whose containers are not ready: which, and what the probe said.
fn unready(pod: &ObjectSummary, containers: &[ContainerSummary], facts: &Facts) -> Option<Cause> {
    let names: Vec<String> = containers
        .iter()
        .filter(|c| c.running && !c.ready)
        .map(|c| c.name.clone())
        .collect();
    if names.is_empty() {
        return None;
    }
    let probe = warning_of(facts, &pod.obj)
        .filter(|w| w.reason == "Unhealthy")
        .map(|w| short(&w.note));
    Some(Cause::Unready {
        containers: names,
        probe,
    })
}

/// No node has the label the pod selects, or the scheduler's own words.
fn unschedulable(message: &str, selector: &[(String, String)], facts: &Facts) -> Cause {
    if facts.nodes_known {
        let matching = |k: &str, v: &str| {
            facts
                .nodes
                .values()
                .filter(|n| n.labels.iter().any(|(nk, nv)| nk == k && nv == v))
                .count()
        };
        if let Some((label, value)) = selector.iter().find(|(k, v)| matching(k, v) == 0) {
            return Cause::NoNodeWithLabel {
                label: label.clone(),
                value: value.clone(),
                nodes: facts.nodes.len(),
            };
        }
    }
    Cause::Unschedulable {
        message: short(message),
    }
}

/// "1 restart", "7 restarts".
fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Kubernetes messages can be long (an rpc error chain): the first sentence-ish part.
fn short(message: &str) -> String {
    const MAX: usize = 160;
    // Sentences go on after it, so its own final full stop goes.
    let line = message.lines().next().unwrap_or_default().trim();
    let line = line.strip_suffix('.').unwrap_or(line);
    if line.chars().count() <= MAX {
        return line.to_string();
    }
    let cut: String = line.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests;
