//! Status rules: from the object summaries of one grid cell to what the cell shows, and the
//! one-line reason a cell is not ready. Pure functions over summaries.

use crate::diagnosis::{Facts, diagnose, why_line};
use crate::kind::Kind;
use crate::summary::{JobState, ObjKind, ObjRef, ObjState, ObjectSummary, PodPhase, VolumePhase};

/// What one grid cell shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellStatus {
    /// The service has no such kind.
    Blank,
    /// A watch this cell depends on has not (re)synced.
    Unknown,
    /// RBAC refuses listing a kind this cell depends on.
    Forbidden,
    Absent,
    /// Created but not usable yet; `reason` is short ("waiting to bind", "1/3 ready"),
    /// `count` is (ready, desired) for pods.
    Pending {
        reason: String,
        count: Option<(u32, u32)>,
    },
    /// `count` is (ready, desired) for pods.
    Ready {
        count: Option<(u32, u32)>,
    },
    /// Every Job of the cell completed.
    Completed,
    /// Ready, but its objects differ from what the config renders now (`drift`): deploy
    /// would change them, or a change waits for the operator. Only a cell that is
    /// otherwise ready drifts: any other status says more and wins. `count` as for Ready.
    Drift {
        count: Option<(u32, u32)>,
    },
    /// `reason` is short: a Job's failure reason, or ImagePullBackOff, CrashLoopBackOff,
    /// Unschedulable.
    Failed {
        reason: String,
    },
    Terminating,
    /// An object with a name the cell renders exists and is not kolla-dash's: kolla-dash
    /// will not change or delete it (the why-line says whose it is).
    Foreign,
}

impl CellStatus {
    /// Ordering used to combine objects: the worst one speaks for the cell.
    fn severity(&self) -> u8 {
        match self {
            CellStatus::Foreign => 7,
            CellStatus::Failed { .. } => 6,
            CellStatus::Terminating => 5,
            CellStatus::Pending { .. } => 4,
            CellStatus::Absent => 3,
            CellStatus::Completed | CellStatus::Ready { .. } | CellStatus::Drift { .. } => 2,
            CellStatus::Unknown | CellStatus::Forbidden => 1,
            CellStatus::Blank => 0,
        }
    }

    /// Usable: ready or completed, drifting included (it works, as it was applied).
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            CellStatus::Ready { .. } | CellStatus::Completed | CellStatus::Drift { .. }
        )
    }

    /// This ready status as drifting from the config (a Job's completion keeps no count).
    pub fn drifting(&self) -> CellStatus {
        match self {
            CellStatus::Ready { count } | CellStatus::Drift { count } => {
                CellStatus::Drift { count: *count }
            }
            _ => CellStatus::Drift { count: None },
        }
    }
}

/// The watched kinds a grid column's status is computed from. A cell is unknown until all
/// of them (that are watched) have synced, forbidden if any is forbidden.
pub fn sources(kind: Kind) -> &'static [ObjKind] {
    match kind {
        // A disk is provider-specific: a preparation Job, or a StorageClass for dynamic
        // provisioning.
        Kind::Disk => &[ObjKind::Job, ObjKind::StorageClass],
        Kind::Pv => &[ObjKind::PersistentVolume],
        Kind::Pvc => &[ObjKind::PersistentVolumeClaim],
        Kind::Svc => &[ObjKind::Service, ObjKind::EndpointSlice],
        Kind::Configmap => &[ObjKind::ConfigMap, ObjKind::Secret],
        // A Job (and its pods), or a Secret that is the whole bootstrap (ceph's).
        Kind::Bootstrap => &[ObjKind::Job, ObjKind::Pod, ObjKind::Secret],
        Kind::Pod => &[
            ObjKind::Deployment,
            ObjKind::StatefulSet,
            ObjKind::ReplicaSet,
            ObjKind::ControllerRevision,
            ObjKind::Pod,
        ],
    }
}

/// What kolla-dash cannot tell when RBAC refuses listing `kind`: one sentence, said once,
/// by the dashboard's log pane and by the CLI.
pub fn forbidden_note(kind: ObjKind) -> String {
    let columns: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| sources(*k).contains(&kind))
        .map(Kind::as_str)
        .collect();
    let unchecked = match columns.as_slice() {
        [] if kind == ObjKind::Node => "node health unchecked".to_string(),
        [] => "unchecked".to_string(),
        cols => format!("{} cells unchecked (they show ⊘)", cols.join(", ")),
    };
    format!("cannot list {kind} objects (RBAC): {unchecked}")
}

/// Container waiting reasons that will not fix themselves.
const FAILING_REASONS: [&str; 7] = [
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
];

/// How one pod is doing, for aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodHealth<'a> {
    Ready,
    /// Scheduled or being scheduled, not ready yet (optional waiting reason).
    Starting(Option<&'a str>),
    /// The scheduler cannot place it; the message says why.
    Unschedulable(&'a str),
    /// Stuck on a reason that will not fix itself.
    Failing(&'a str),
    Succeeded,
    Failed(&'a str),
}

/// Classifies a pod summary; None for objects that are not pods.
pub fn pod_health(obj: &ObjectSummary) -> Option<PodHealth<'_>> {
    let ObjState::Pod {
        phase,
        ready,
        node,
        detail,
        ..
    } = &obj.state
    else {
        return None;
    };
    let waiting = detail.waiting();
    Some(match phase {
        PodPhase::Succeeded => PodHealth::Succeeded,
        PodPhase::Failed => PodHealth::Failed(detail.end_reason().unwrap_or("Failed")),
        _ if waiting.is_some_and(|r| FAILING_REASONS.contains(&r)) => {
            PodHealth::Failing(waiting.unwrap_or_default())
        }
        PodPhase::Pending if node.is_none() && detail.unschedulable.is_some() => {
            PodHealth::Unschedulable(detail.unschedulable.as_deref().unwrap_or_default())
        }
        _ if *ready => PodHealth::Ready,
        _ => PodHealth::Starting(waiting),
    })
}

/// The status of one object on its own (the detail view lists these).
pub fn object_status(obj: &ObjectSummary) -> CellStatus {
    if obj.deleting {
        return CellStatus::Terminating;
    }
    match &obj.state {
        ObjState::Present | ObjState::Node(_) => CellStatus::Ready { count: None },
        ObjState::Pv { phase, .. } | ObjState::Pvc { phase, .. } => volume_status(*phase),
        ObjState::Service { cluster_ip: None } => pending("no cluster IP"),
        ObjState::Service { .. } => CellStatus::Ready { count: None },
        ObjState::Endpoints { ready, total, .. } if *ready > 0 => ready_count(*ready, *total),
        ObjState::Endpoints { .. } => pending("no ready endpoints"),
        ObjState::Job { state, .. } => match state {
            JobState::Running => pending("running"),
            JobState::Complete => CellStatus::Completed,
            JobState::Failed { reason, .. } => failed(reason),
        },
        ObjState::Workload { desired, ready, .. } if ready < desired => {
            replicas_pending(*ready, *desired)
        }
        ObjState::Workload { desired, ready, .. } => match rolling(obj) {
            Some(rollout) => pending(&rollout.short()),
            None => ready_count(*ready, *desired),
        },
        ObjState::ReplicaSet { desired, ready, .. } if ready >= desired => {
            ready_count(*ready, *desired)
        }
        ObjState::ReplicaSet { desired, ready, .. } => replicas_pending(*ready, *desired),
        ObjState::Pod { .. } => match pod_health(obj) {
            Some(PodHealth::Ready) => CellStatus::Ready { count: None },
            Some(PodHealth::Succeeded) => CellStatus::Completed,
            Some(PodHealth::Failed(r) | PodHealth::Failing(r)) => failed(r),
            Some(PodHealth::Unschedulable(_)) => failed("Unschedulable"),
            Some(PodHealth::Starting(r)) => pending(r.unwrap_or("starting")),
            None => pending("starting"),
        },
    }
}

/// The status of a cell from the objects whose owner is that cell.
pub fn cell_status(kind: Kind, objs: &[&ObjectSummary]) -> CellStatus {
    let notable: Vec<&ObjectSummary> = objs.iter().copied().filter(|o| notable(o)).collect();
    judge(kind, &notable, &Census::of(objs.iter().copied()))
}

/// The cell rule itself, over a cell's `notable` objects (in name order) and the census of
/// all of them: what `cell_status` says of the whole list, without visiting the thousands
/// of pods a large cell may hold (the store keeps both as objects come and go).
pub fn judge(kind: Kind, notable: &[&ObjectSummary], census: &Census) -> CellStatus {
    if census.objects == 0 {
        return CellStatus::Absent;
    }
    match kind {
        Kind::Svc => service_cell(notable),
        Kind::Bootstrap => bootstrap_cell(notable),
        Kind::Pod => pod_cell(notable, census),
        Kind::Disk | Kind::Pv | Kind::Pvc | Kind::Configmap => {
            worst(notable.iter().map(|o| object_status(o)))
        }
    }
}

/// Whether the cell rules read `obj` one by one: anything but a pod, anything kolla-dash
/// applied (drift compares it), and a live pod that will not become ready by itself
/// (failing, unschedulable, failed). Every other pod only counts (`Census`).
pub fn notable(obj: &ObjectSummary) -> bool {
    obj.live.is_some()
        || match pod_health(obj) {
            None => true,
            Some(PodHealth::Failing(_) | PodHealth::Unschedulable(_) | PodHealth::Failed(_)) => {
                !obj.deleting
            }
            Some(PodHealth::Ready | PodHealth::Starting(_) | PodHealth::Succeeded) => false,
        }
}

/// Counts over all of a cell's objects, kept up to date one object at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    objects: u32,
    deleting: u32,
    /// Pods neither being deleted nor finished: a bare cell's desired replicas.
    live: u32,
    /// Of those, the ready ones.
    ready: u32,
    /// Pods that finished (Succeeded) and are not being deleted.
    finished: u32,
}

impl Census {
    pub fn of<'a>(objs: impl IntoIterator<Item = &'a ObjectSummary>) -> Census {
        let mut census = Census::default();
        for o in objs {
            census.add(o);
        }
        census
    }

    pub fn add(&mut self, obj: &ObjectSummary) {
        self.shift(obj, |total, one| total + one);
    }

    /// Takes back what `add` counted for `obj`.
    pub fn remove(&mut self, obj: &ObjectSummary) {
        self.shift(obj, |total, one| total - one);
    }

    fn shift(&mut self, obj: &ObjectSummary, by: fn(u32, u32) -> u32) {
        let one = Census::one(obj);
        self.objects = by(self.objects, one.objects);
        self.deleting = by(self.deleting, one.deleting);
        self.live = by(self.live, one.live);
        self.ready = by(self.ready, one.ready);
        self.finished = by(self.finished, one.finished);
    }

    fn one(obj: &ObjectSummary) -> Census {
        let health = if obj.deleting { None } else { pod_health(obj) };
        let live = !matches!(health, None | Some(PodHealth::Succeeded));
        Census {
            objects: 1,
            deleting: u32::from(obj.deleting),
            live: u32::from(live),
            ready: u32::from(health == Some(PodHealth::Ready)),
            finished: u32::from(health == Some(PodHealth::Succeeded)),
        }
    }
}

/// The one-line explanation of a cell that is not ready: its diagnosis (see
/// `diagnosis`), else how many replicas are ready.
pub fn why_not_ready(kind: Kind, objs: &[&ObjectSummary], facts: &Facts) -> Option<String> {
    match cell_status(kind, objs) {
        // Foreign objects are not among a cell's objects: the store says that line.
        CellStatus::Blank
        | CellStatus::Ready { .. }
        | CellStatus::Completed
        | CellStatus::Drift { .. } => None,
        CellStatus::Foreign => None,
        CellStatus::Unknown => Some(format!("{kind}: waiting for the watch to sync")),
        CellStatus::Forbidden => Some(format!("{kind}: listing is forbidden by RBAC")),
        CellStatus::Absent => Some(format!("no {kind} object exists")),
        CellStatus::Terminating => {
            let name = objs
                .iter()
                .find(|o| o.deleting)
                .map_or("", |o| o.obj.name.as_str());
            Some(format!("being deleted: waiting for {name} to go away"))
        }
        CellStatus::Failed { .. } | CellStatus::Pending { .. } => why_line(&diagnose(objs, facts))
            .or_else(|| objs.iter().find_map(|o| rolling(o)).map(|r| r.sentence()))
            .or_else(
                || match pod_counts(objs, &Census::of(objs.iter().copied())) {
                    Some((ready, desired)) => Some(format!("{ready}/{desired} replicas ready")),
                    None => Some(format!("{kind} is not ready")),
                },
            ),
    }
}

/// A Deployment's or StatefulSet's rollout that has not finished: what it still waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout<'a> {
    pub workload: &'a ObjRef,
    pub stage: Stage,
}

/// Where an unfinished rollout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The controller has not seen the latest spec yet.
    Unobserved,
    /// `updated` of `desired` replicas run the latest template.
    Updating { updated: u32, desired: u32 },
    /// `left` replicas of an older template are still there.
    Retiring { left: u32 },
}

impl Rollout<'_> {
    /// The cell's short reason.
    pub fn short(&self) -> String {
        match self.stage {
            Stage::Unobserved => "rolling out".to_string(),
            Stage::Updating { updated, desired } => format!("rolling out {updated}/{desired}"),
            Stage::Retiring { left } => format!("rolling out, {left} old left"),
        }
    }

    /// The why-line.
    pub fn sentence(&self) -> String {
        let what = format!("{}/{}", self.workload.kind, self.workload.name);
        match self.stage {
            Stage::Unobserved => {
                format!("{what} is rolling out: its controller has not seen the new spec yet")
            }
            Stage::Updating { updated, desired } => format!(
                "{what} is rolling out: {updated} of {desired} replicas run the new template"
            ),
            Stage::Retiring { left: 1 } => {
                format!("{what} is rolling out: 1 replica of the old template is still there")
            }
            Stage::Retiring { left } => {
                format!(
                    "{what} is rolling out: {left} replicas of the old template are still there"
                )
            }
        }
    }
}

/// The rollout a workload has not finished, if any: finished means its controller saw the
/// latest spec (observedGeneration) and every replica, and only those, runs the latest
/// template (updated replicas; their readiness is counted apart).
pub fn rolling(obj: &ObjectSummary) -> Option<Rollout<'_>> {
    let ObjState::Workload {
        desired,
        updated,
        current,
        observed,
        ..
    } = &obj.state
    else {
        return None;
    };
    let stage = if !observed {
        Stage::Unobserved
    } else if updated < desired {
        Stage::Updating {
            updated: *updated,
            desired: *desired,
        }
    } else if current > desired {
        Stage::Retiring {
            left: current - desired,
        }
    } else {
        return None;
    };
    Some(Rollout {
        workload: &obj.obj,
        stage,
    })
}

/// Whether a cell has failed for good: a Job that failed (it never runs again by itself) or
/// a claim or volume that is Lost or Failed. Anything else may still recover, so a deploy
/// step keeps waiting on it (until its timeout).
pub fn settled_failure(objs: &[&ObjectSummary]) -> bool {
    objs.iter().any(|o| {
        !o.deleting
            && matches!(
                &o.state,
                ObjState::Job {
                    state: JobState::Failed { .. },
                    ..
                } | ObjState::Pv {
                    phase: VolumePhase::Lost | VolumePhase::Failed,
                    ..
                } | ObjState::Pvc {
                    phase: VolumePhase::Lost | VolumePhase::Failed,
                    ..
                }
            )
    })
}

fn pending(reason: &str) -> CellStatus {
    CellStatus::Pending {
        reason: reason.to_string(),
        count: None,
    }
}

fn replicas_pending(ready: u32, desired: u32) -> CellStatus {
    CellStatus::Pending {
        reason: format!("{ready}/{desired} ready"),
        count: Some((ready, desired)),
    }
}

fn failed(reason: &str) -> CellStatus {
    CellStatus::Failed {
        reason: reason.to_string(),
    }
}

fn ready_count(ready: u32, total: u32) -> CellStatus {
    CellStatus::Ready {
        count: Some((ready, total)),
    }
}

fn volume_status(phase: VolumePhase) -> CellStatus {
    match phase {
        VolumePhase::Bound => CellStatus::Ready { count: None },
        VolumePhase::Pending => pending("waiting to bind"),
        VolumePhase::Available => pending("unclaimed"),
        VolumePhase::Released => failed("Released"),
        VolumePhase::Lost => failed("Lost"),
        VolumePhase::Failed => failed("Failed"),
    }
}

fn worst(statuses: impl Iterator<Item = CellStatus>) -> CellStatus {
    statuses
        .max_by_key(CellStatus::severity)
        .unwrap_or(CellStatus::Absent)
}

/// Ready endpoints of `service` among a svc cell's EndpointSlices.
pub(crate) fn ready_endpoints(service: &str, cell: &[&ObjectSummary]) -> u32 {
    cell.iter()
        .map(|o| match &o.state {
            ObjState::Endpoints {
                service: s, ready, ..
            } if s == service => *ready,
            _ => 0,
        })
        .sum()
}

/// Ready when every Service has a cluster IP and ready endpoints in its EndpointSlices.
fn service_cell(objs: &[&ObjectSummary]) -> CellStatus {
    let services: Vec<&ObjectSummary> = objs
        .iter()
        .copied()
        .filter(|o| matches!(o.state, ObjState::Service { .. }))
        .collect();
    if services.is_empty() {
        // EndpointSlices outliving their Service do not make a Service.
        return CellStatus::Absent;
    }
    worst(services.iter().map(|svc| match object_status(svc) {
        CellStatus::Ready { .. } if ready_endpoints(&svc.obj.name, objs) == 0 => {
            pending("no ready endpoints")
        }
        other => other,
    }))
}

/// Jobs decide; their pods only add a reason while a Job runs but its pod is stuck. A
/// bootstrap without a Job (ceph's Secret) is its objects' existence.
fn bootstrap_cell(objs: &[&ObjectSummary]) -> CellStatus {
    let is_job = |o: &&&ObjectSummary| matches!(o.state, ObjState::Job { .. });
    if !objs.iter().any(|o| is_job(&o)) {
        return worst(
            objs.iter()
                .filter(|o| !matches!(o.state, ObjState::Pod { .. }))
                .map(|o| object_status(o)),
        );
    }
    let jobs = worst(objs.iter().filter(is_job).map(|o| object_status(o)));
    if !matches!(jobs, CellStatus::Pending { .. }) {
        return jobs;
    }
    stuck_pod(objs).unwrap_or(jobs)
}

/// The first live pod of the cell that will not start on its own, as a failed status.
fn stuck_pod(objs: &[&ObjectSummary]) -> Option<CellStatus> {
    objs.iter()
        .filter(|o| !o.deleting)
        .find_map(|o| match pod_health(o)? {
            PodHealth::Failing(r) => Some(failed(r)),
            PodHealth::Unschedulable(_) => Some(failed("Unschedulable")),
            _ => None,
        })
}

/// (ready, desired): from the Deployments/StatefulSets among `objs` if any, else from the
/// bare pods' census.
fn pod_counts(objs: &[&ObjectSummary], census: &Census) -> Option<(u32, u32)> {
    let mut workloads = objs.iter().filter_map(|o| match o.state {
        ObjState::Workload { desired, ready, .. } => Some((ready, desired)),
        _ => None,
    });
    if let Some(first) = workloads.next() {
        return Some(workloads.fold(first, |(r, d), (r2, d2)| (r + r2, d + d2)));
    }
    (census.live > 0).then_some((census.ready, census.live))
}

/// The workload's replicas against the reasons its pods give: `notable` are the cell's
/// objects the rules read one by one, `census` counts them all.
fn pod_cell(notable: &[&ObjectSummary], census: &Census) -> CellStatus {
    let has_workload = notable
        .iter()
        .any(|o| matches!(o.state, ObjState::Workload { .. }));
    let owner_deleting = notable
        .iter()
        .any(|o| o.deleting && matches!(o.state, ObjState::Workload { .. }));
    if owner_deleting || census.deleting == census.objects {
        return CellStatus::Terminating;
    }
    let Some((ready, desired)) = pod_counts(notable, census) else {
        // Only finished or departing pods are left (and objects that are not pods).
        let counted = [
            (census.deleting > 0).then_some(CellStatus::Terminating),
            (census.finished > 0).then_some(CellStatus::Completed),
        ];
        return worst(
            counted
                .into_iter()
                .flatten()
                .chain(notable.iter().map(|o| object_status(o))),
        );
    };
    if ready >= desired {
        // Every replica ready, but a rollout still replaces old ones: not done yet.
        return match notable.iter().find_map(|o| rolling(o)) {
            Some(rollout) => pending(&rollout.short()),
            None => ready_count(ready, desired),
        };
    }
    // Bare pods have no controller to replace them: a failed one fails the cell.
    let bare_failure = notable
        .iter()
        .filter(|o| !o.deleting)
        .find_map(|o| match pod_health(o)? {
            PodHealth::Failed(r) if !has_workload => Some(r),
            _ => None,
        });
    if let Some(reason) = bare_failure {
        return failed(reason);
    }
    stuck_pod(notable).unwrap_or_else(|| replicas_pending(ready, desired))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    use crate::model::fixtures::detail_for;
    use crate::summary::{ObjRef, Owner};

    fn obj(kind: ObjKind, name: &str, cell: Kind, state: ObjState) -> ObjectSummary {
        ObjectSummary {
            obj: ObjRef {
                kind,
                name: name.to_string(),
            },
            owner: Some(Owner {
                service: "svc".to_string(),
                kind: cell,
            }),
            deleting: false,
            created: 0,
            state,
            live: None,
        }
    }

    fn pod(
        name: &str,
        phase: PodPhase,
        ready: bool,
        node: Option<&str>,
        reason: Option<&str>,
    ) -> ObjectSummary {
        obj(
            ObjKind::Pod,
            name,
            Kind::Pod,
            ObjState::Pod {
                phase,
                ready,
                node: node.map(str::to_string),
                owner: None,
                detail: detail_for("keystone", phase, ready, node.is_some(), reason),
            },
        )
    }

    fn workload(desired: u32, ready: u32) -> ObjectSummary {
        obj(
            ObjKind::Deployment,
            "keystone",
            Kind::Pod,
            ObjState::Workload {
                desired,
                ready,
                updated: desired,
                current: desired,
                observed: true,
                problems: Vec::new(),
            },
        )
    }

    fn job(state: JobState) -> ObjectSummary {
        obj(
            ObjKind::Job,
            "mariadb-bootstrap",
            Kind::Bootstrap,
            ObjState::Job {
                state,
                active: 1,
                succeeded: 0,
                failed: 0,
            },
        )
    }

    fn service(ip: Option<&str>) -> ObjectSummary {
        obj(
            ObjKind::Service,
            "mariadb",
            Kind::Svc,
            ObjState::Service {
                cluster_ip: ip.map(str::to_string),
            },
        )
    }

    fn slice(ready: u32, total: u32) -> ObjectSummary {
        obj(
            ObjKind::EndpointSlice,
            "mariadb-x7f",
            Kind::Svc,
            ObjState::Endpoints {
                service: "mariadb".to_string(),
                ready,
                total,
            },
        )
    }

    fn pvc(phase: VolumePhase) -> ObjectSummary {
        obj(
            ObjKind::PersistentVolumeClaim,
            "mariadb",
            Kind::Pvc,
            ObjState::Pvc {
                phase,
                volume: None,
                bootstrapped: None,
            },
        )
    }

    fn status(kind: Kind, objs: &[ObjectSummary]) -> CellStatus {
        cell_status(kind, &objs.iter().collect::<Vec<_>>())
    }

    fn why(kind: Kind, objs: &[ObjectSummary]) -> Option<String> {
        let (nodes, warnings) = (BTreeMap::new(), HashMap::new());
        let facts = Facts {
            nodes: &nodes,
            nodes_known: false,
            warnings: &warnings,
        };
        why_not_ready(kind, &objs.iter().collect::<Vec<_>>(), &facts)
    }

    #[test]
    fn no_objects_is_absent_for_every_kind() {
        for kind in Kind::ALL {
            assert_eq!(cell_status(kind, &[]), CellStatus::Absent, "{kind}");
        }
    }

    #[test]
    fn pvc_bound_is_ready_and_pending_waits_to_bind() {
        assert_eq!(
            status(Kind::Pvc, &[pvc(VolumePhase::Bound)]),
            CellStatus::Ready { count: None }
        );
        assert_eq!(
            status(Kind::Pvc, &[pvc(VolumePhase::Pending)]),
            pending("waiting to bind")
        );
        assert_eq!(
            why(Kind::Pvc, &[pvc(VolumePhase::Pending)]).as_deref(),
            Some("waiting for PVC mariadb to bind")
        );
        assert_eq!(why(Kind::Pvc, &[pvc(VolumePhase::Bound)]), None);
    }

    #[test]
    fn pv_phases_map_to_ready_pending_failed() {
        let pv = |phase| {
            obj(
                ObjKind::PersistentVolume,
                "mariadb",
                Kind::Pv,
                ObjState::Pv {
                    phase,
                    claim: None,
                    bootstrapped: None,
                },
            )
        };
        assert_eq!(
            status(Kind::Pv, &[pv(VolumePhase::Bound)]),
            CellStatus::Ready { count: None }
        );
        assert_eq!(
            status(Kind::Pv, &[pv(VolumePhase::Available)]),
            pending("unclaimed")
        );
        assert_eq!(
            status(Kind::Pv, &[pv(VolumePhase::Released)]),
            failed("Released")
        );
        assert_eq!(
            why(Kind::Pv, &[pv(VolumePhase::Lost)]).as_deref(),
            Some("PersistentVolume mariadb is Lost")
        );
        let released = why(Kind::Pv, &[pv(VolumePhase::Released)]).unwrap_or_default();
        assert!(
            released.contains("keeps the data of a deleted claim")
                && released.contains("pvc) reattaches it"),
            "{released}"
        );
    }

    #[test]
    fn service_needs_cluster_ip_and_ready_endpoints() {
        assert_eq!(
            status(Kind::Svc, &[service(None)]),
            pending("no cluster IP")
        );
        assert_eq!(
            status(Kind::Svc, &[service(Some("10.0.0.9"))]),
            pending("no ready endpoints")
        );
        assert_eq!(
            status(Kind::Svc, &[service(Some("10.0.0.9")), slice(0, 2)]),
            pending("no ready endpoints")
        );
        assert_eq!(
            status(Kind::Svc, &[service(Some("10.0.0.9")), slice(1, 2)]),
            CellStatus::Ready { count: None }
        );
        assert_eq!(
            why(Kind::Svc, &[service(Some("10.0.0.9")), slice(0, 1)]).as_deref(),
            Some("Service mariadb has no ready endpoints")
        );
    }

    #[test]
    fn endpoints_of_another_service_do_not_count() {
        let mut other = slice(3, 3);
        other.state = ObjState::Endpoints {
            service: "keystone".to_string(),
            ready: 3,
            total: 3,
        };
        assert_eq!(
            status(Kind::Svc, &[service(Some("10.0.0.9")), other]),
            pending("no ready endpoints")
        );
    }

    #[test]
    fn lingering_endpoint_slices_without_a_service_are_absent() {
        assert_eq!(status(Kind::Svc, &[slice(1, 1)]), CellStatus::Absent);
    }

    #[test]
    fn configmap_present_is_ready_and_deleting_is_terminating() {
        let mut cm = obj(
            ObjKind::ConfigMap,
            "mariadb",
            Kind::Configmap,
            ObjState::Present,
        );
        assert_eq!(
            status(Kind::Configmap, std::slice::from_ref(&cm)),
            CellStatus::Ready { count: None }
        );
        cm.deleting = true;
        assert_eq!(status(Kind::Configmap, &[cm]), CellStatus::Terminating);
    }

    #[test]
    fn job_states_map_to_pending_completed_failed() {
        assert_eq!(
            status(Kind::Bootstrap, &[job(JobState::Running)]),
            pending("running")
        );
        assert_eq!(
            status(Kind::Bootstrap, &[job(JobState::Complete)]),
            CellStatus::Completed
        );
        let failed_job = job(JobState::Failed {
            reason: "BackoffLimitExceeded".into(),
            message: String::new(),
        });
        assert_eq!(
            status(Kind::Bootstrap, std::slice::from_ref(&failed_job)),
            failed("BackoffLimitExceeded")
        );
        assert_eq!(
            why(Kind::Bootstrap, &[failed_job]).as_deref(),
            Some(
                "Job mariadb-bootstrap failed: BackoffLimitExceeded (to retry: kolla-dash \
                 resource delete svc bootstrap, then deploy again)"
            )
        );
    }

    #[test]
    fn one_failed_job_fails_the_cell_even_if_others_completed() {
        let objs = [
            job(JobState::Complete),
            job(JobState::Failed {
                reason: "DeadlineExceeded".into(),
                message: String::new(),
            }),
        ];
        assert_eq!(status(Kind::Bootstrap, &objs), failed("DeadlineExceeded"));
    }

    #[test]
    fn running_job_with_a_stuck_pod_shows_the_pod_reason() {
        let mut p = pod(
            "mariadb-bootstrap-abc",
            PodPhase::Pending,
            false,
            Some("n1"),
            Some("ImagePullBackOff"),
        );
        p.owner = Some(Owner {
            service: "svc".into(),
            kind: Kind::Bootstrap,
        });
        let objs = [job(JobState::Running), p];
        assert_eq!(status(Kind::Bootstrap, &objs), failed("ImagePullBackOff"));
        assert_eq!(
            why(Kind::Bootstrap, &objs).as_deref(),
            Some(
                "mariadb-bootstrap-abc: cannot pull image \
                 quay.io/openstack.kolla/keystone:2025.1-ubuntu-noble: check that the registry \
                 answers and docker_registry in etc/globals.yml"
            )
        );
    }

    #[test]
    fn bootstrap_pods_of_a_completed_job_do_not_matter() {
        let p = pod(
            "mariadb-bootstrap-abc",
            PodPhase::Succeeded,
            false,
            Some("n1"),
            None,
        );
        assert_eq!(
            status(Kind::Bootstrap, &[job(JobState::Complete), p]),
            CellStatus::Completed
        );
    }

    #[test]
    fn a_rollout_is_pending_until_observed_updated_and_old_replicas_gone() {
        let rolling = |updated, current, observed| {
            let mut w = workload(3, 3);
            if let ObjState::Workload {
                updated: u,
                current: c,
                observed: o,
                ..
            } = &mut w.state
            {
                (*u, *c, *o) = (updated, current, observed);
            }
            w
        };
        let cases = [
            (
                rolling(3, 3, false),
                "rolling out",
                "its controller has not seen the new spec yet",
            ),
            (
                rolling(1, 4, true),
                "rolling out 1/3",
                "1 of 3 replicas run the new template",
            ),
            (
                rolling(3, 4, true),
                "rolling out, 1 old left",
                "1 replica of the old template is still there",
            ),
        ];
        for (w, short, sentence) in cases {
            let objs = [w];
            assert_eq!(status(Kind::Pod, &objs), pending(short), "{short}");
            let why = why(Kind::Pod, &objs).unwrap_or_default();
            assert_eq!(
                why,
                format!("Deployment/keystone is rolling out: {sentence}")
            );
        }
        let done = [rolling(3, 3, true)];
        assert_eq!(status(Kind::Pod, &done), ready_count(3, 3));
        assert_eq!(why(Kind::Pod, &done), None);
    }

    #[test]
    fn pod_cell_counts_workload_replicas() {
        assert_eq!(
            status(Kind::Pod, &[workload(3, 3)]),
            CellStatus::Ready {
                count: Some((3, 3))
            }
        );
        let objs = [
            workload(3, 1),
            pod("k-1", PodPhase::Running, true, Some("n1"), None),
            pod(
                "k-2",
                PodPhase::Pending,
                false,
                Some("n2"),
                Some("ContainerCreating"),
            ),
        ];
        assert_eq!(status(Kind::Pod, &objs), replicas_pending(1, 3));
        assert_eq!(why(Kind::Pod, &objs).as_deref(), Some("1/3 replicas ready"));
    }

    #[test]
    fn pod_cell_fails_on_image_pull_and_crash_loop() {
        for reason in ["ImagePullBackOff", "CrashLoopBackOff"] {
            let objs = [
                workload(1, 0),
                pod("k-1", PodPhase::Running, false, Some("n1"), Some(reason)),
            ];
            assert_eq!(status(Kind::Pod, &objs), failed(reason));
        }
    }

    #[test]
    fn crash_loop_explanation_counts_restarts() {
        let mut p = pod(
            "k-1",
            PodPhase::Running,
            false,
            Some("n1"),
            Some("CrashLoopBackOff"),
        );
        if let ObjState::Pod { detail, .. } = &mut p.state {
            detail.containers[0].restarts = 5;
        }
        assert_eq!(
            why(Kind::Pod, &[workload(1, 0), p]).as_deref(),
            Some("k-1: container keystone keeps crashing (5 restarts): read its last logs (l)")
        );
    }

    #[test]
    fn unschedulable_pod_fails_with_the_scheduler_message() {
        let msg = "0/3 nodes are available: 3 node(s) had untolerated taint";
        let objs = [
            workload(1, 0),
            pod("k-1", PodPhase::Pending, false, None, Some(msg)),
        ];
        assert_eq!(status(Kind::Pod, &objs), failed("Unschedulable"));
        assert_eq!(
            why(Kind::Pod, &objs),
            Some(format!(
                "k-1: cannot be scheduled: {msg}: free capacity, or fix taints and labels"
            ))
        );
    }

    #[test]
    fn pending_pod_without_node_or_reason_is_only_pending() {
        let objs = [
            workload(1, 0),
            pod("k-1", PodPhase::Pending, false, None, None),
        ];
        assert_eq!(status(Kind::Pod, &objs), replicas_pending(0, 1));
    }

    #[test]
    fn ready_workload_ignores_old_failing_pods() {
        let objs = [
            workload(1, 1),
            pod(
                "k-old",
                PodPhase::Running,
                false,
                Some("n1"),
                Some("CrashLoopBackOff"),
            ),
        ];
        assert_eq!(
            status(Kind::Pod, &objs),
            CellStatus::Ready {
                count: Some((1, 1))
            }
        );
    }

    #[test]
    fn deleting_workload_is_terminating_and_leftover_pods_too() {
        let mut w = workload(1, 1);
        w.deleting = true;
        assert_eq!(status(Kind::Pod, &[w]), CellStatus::Terminating);
        let mut p = pod("k-1", PodPhase::Running, true, Some("n1"), None);
        p.deleting = true;
        assert_eq!(
            status(Kind::Pod, std::slice::from_ref(&p)),
            CellStatus::Terminating
        );
        assert_eq!(
            why(Kind::Pod, &[p]).as_deref(),
            Some("being deleted: waiting for k-1 to go away")
        );
    }

    #[test]
    fn bare_pods_count_themselves() {
        let objs = [
            pod("a", PodPhase::Running, true, Some("n1"), None),
            pod("b", PodPhase::Running, false, Some("n1"), None),
        ];
        assert_eq!(status(Kind::Pod, &objs), replicas_pending(1, 2));
        let failed_pod = pod("a", PodPhase::Failed, false, Some("n1"), Some("Evicted"));
        assert_eq!(status(Kind::Pod, &[failed_pod]), failed("Evicted"));
    }

    /// Every (service, kind, storage provider) of the catalog: the objects its templates
    /// render make its cell ready once they are, and each is of a kind the cell reads, so a
    /// new template kind can never leave a cell silently absent.
    #[test]
    fn every_catalog_cell_reads_every_object_it_renders() {
        use crate::config::StorageProvider;
        use crate::model::fixtures::{catalog_rows, provider_config, ready_summaries};
        use crate::model::store::Store;
        use crate::render::Renderer;

        let mut failures = Vec::new();
        let mut checked = Vec::new();
        for provider in [
            StorageProvider::Host,
            StorageProvider::Ceph,
            StorageProvider::Gce,
            StorageProvider::Aws,
        ] {
            let (catalog, config) = provider_config(provider);
            let renderer = Renderer::new(&config, &catalog).expect("templates compile");
            let rows = catalog_rows(provider);
            for (row, r) in rows.iter().enumerate() {
                for &kind in &r.kinds {
                    let cell = format!("{} {kind} ({})", r.service, provider.as_str());
                    let objs: Vec<ObjectSummary> = renderer
                        .render(&r.service, kind)
                        .expect("renders")
                        .iter()
                        .flat_map(ready_summaries)
                        .collect();
                    for o in objs.iter().filter(|o| !sources(kind).contains(&o.obj.kind)) {
                        failures.push(format!("{cell}: its {} is not read", o.obj.kind));
                    }
                    let mut store = Store::new(&rows, &ObjKind::WATCHED);
                    for k in ObjKind::WATCHED {
                        store.resync(k, Vec::new());
                    }
                    for o in objs {
                        store.apply(o);
                    }
                    let status = store.status(row, kind);
                    if !status.is_ok() {
                        failures.push(format!("{cell}: {status:?} with every object ready"));
                    }
                    checked.push(cell);
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(
            checked.contains(&"ceph bootstrap (ceph)".to_string()),
            "{checked:?}"
        );
        // Each provider renders at least the 16 cells they all share.
        assert!(checked.len() >= 4 * 16, "{} cells checked", checked.len());
    }

    #[test]
    fn a_bootstrap_without_a_job_is_its_secret() {
        let secret = obj(ObjKind::Secret, "ceph", Kind::Bootstrap, ObjState::Present);
        assert_eq!(
            status(Kind::Bootstrap, std::slice::from_ref(&secret)),
            CellStatus::Ready { count: None }
        );
        assert_eq!(why(Kind::Bootstrap, &[secret]), None);
    }

    #[test]
    fn sources_cover_every_kind_the_rules_read() {
        assert!(sources(Kind::Svc).contains(&ObjKind::EndpointSlice));
        assert!(sources(Kind::Pod).contains(&ObjKind::Pod));
        assert!(sources(Kind::Bootstrap).contains(&ObjKind::Job));
    }
}
