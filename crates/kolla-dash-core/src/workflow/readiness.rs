//! Evaluates a step's wait condition against the objects the watchers reported.

use super::plan::WaitFor;
use super::schedule::Readiness;
use crate::summary::{JobState, ObjRef, ObjState, ObjectSummary, VolumePhase};

/// Whether `wait` holds for the objects a step rendered (`expected`); `lookup` gives the
/// latest summary the watchers reported for an object.
pub fn evaluate<'a>(
    wait: WaitFor,
    expected: &[ObjRef],
    lookup: impl Fn(&ObjRef) -> Option<&'a ObjectSummary>,
) -> Readiness {
    if wait == WaitFor::Gone {
        let left: Vec<&str> = expected
            .iter()
            .filter(|r| lookup(r).is_some())
            .map(|r| r.name.as_str())
            .collect();
        return if left.is_empty() {
            Readiness::Ready
        } else {
            Readiness::NotYet(format!("deleting {}", left.join(", ")))
        };
    }
    let mut missing = Vec::new();
    for obj in expected {
        let Some(summary) = lookup(obj) else {
            missing.push(format!("{}/{}", obj.kind, obj.name));
            continue;
        };
        match object_readiness(summary) {
            Readiness::Ready => {}
            other => return other,
        }
    }
    if missing.is_empty() {
        Readiness::Ready
    } else {
        Readiness::NotYet(format!("waiting for {} to appear", missing.join(", ")))
    }
}

/// Whether every named Service has a ready endpoint, judged from the EndpointSlice
/// summaries among `objects` (the service's svc cell).
pub fn endpoints_ready<'a>(
    services: &[String],
    objects: impl IntoIterator<Item = &'a ObjectSummary>,
) -> Readiness {
    let serving: Vec<&str> = objects
        .into_iter()
        .filter_map(|o| match &o.state {
            ObjState::Endpoints { service, ready, .. } if *ready > 0 => Some(service.as_str()),
            _ => None,
        })
        .collect();
    match services.iter().find(|s| !serving.contains(&s.as_str())) {
        None => Readiness::Ready,
        Some(s) => Readiness::NotYet(format!("waiting for Service {s} to have ready endpoints")),
    }
}

/// One object's readiness by its Kubernetes kind: Jobs complete, claims bound, workloads
/// with every replica ready; anything else is ready by existing.
pub fn object_readiness(s: &ObjectSummary) -> Readiness {
    let name = &s.obj.name;
    if s.deleting {
        return Readiness::NotYet(format!("{} {name} is terminating", s.obj.kind));
    }
    match &s.state {
        ObjState::Job { state, .. } => match state {
            JobState::Complete => Readiness::Ready,
            JobState::Running => Readiness::NotYet(format!("job {name} running")),
            JobState::Failed { reason, message } => {
                let mut why = format!("Job {name} failed: {reason}");
                if !message.is_empty() {
                    why.push_str(&format!(": {message}"));
                }
                // A failed Job never runs again by itself.
                if let Some(owner) = &s.owner {
                    why.push_str(&format!(
                        " (to retry: kolla-dash resource delete {} {}, then deploy again)",
                        owner.service, owner.kind
                    ));
                }
                Readiness::Failed(why)
            }
        },
        ObjState::Pvc { phase, .. } => match phase {
            VolumePhase::Bound => Readiness::Ready,
            VolumePhase::Lost | VolumePhase::Failed => {
                Readiness::Failed(format!("PVC {name} is {phase:?}"))
            }
            _ => Readiness::NotYet(format!("waiting for PVC {name} to bind")),
        },
        ObjState::Workload { desired, ready, .. } => {
            if ready >= desired {
                Readiness::Ready
            } else {
                Readiness::NotYet(format!("{name}: {ready}/{desired} pods ready"))
            }
        }
        _ => Readiness::Ready,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::summary::ObjKind;

    type Objects = HashMap<ObjRef, ObjectSummary>;

    fn summary(kind: ObjKind, name: &str, state: ObjState) -> (ObjRef, ObjectSummary) {
        let obj = ObjRef {
            kind,
            name: name.into(),
        };
        let s = ObjectSummary {
            obj: obj.clone(),
            owner: None,
            deleting: false,
            created: 0,
            state,
        };
        (obj, s)
    }

    #[test]
    fn pvc_must_be_bound() {
        let (r, pending) = summary(
            ObjKind::PersistentVolumeClaim,
            "mariadb",
            ObjState::Pvc {
                phase: VolumePhase::Pending,
                volume: None,
            },
        );
        let mut objects = Objects::from([(r.clone(), pending)]);
        assert_eq!(
            evaluate(WaitFor::Bound, std::slice::from_ref(&r), |r| objects.get(r)),
            Readiness::NotYet("waiting for PVC mariadb to bind".into())
        );
        let (_, bound) = summary(
            ObjKind::PersistentVolumeClaim,
            "mariadb",
            ObjState::Pvc {
                phase: VolumePhase::Bound,
                volume: Some("mariadb".into()),
            },
        );
        objects.insert(r.clone(), bound);
        assert_eq!(
            evaluate(WaitFor::Bound, &[r], |r| objects.get(r)),
            Readiness::Ready
        );
    }

    #[test]
    fn failed_job_fails_with_its_reason_and_missing_objects_wait() {
        let (r, job) = summary(
            ObjKind::Job,
            "keystone-create-db",
            ObjState::Job {
                state: JobState::Failed {
                    reason: "BackoffLimitExceeded".into(),
                    message: String::new(),
                },
                active: 0,
                succeeded: 0,
                failed: 1,
            },
        );
        let other = ObjRef {
            kind: ObjKind::Job,
            name: "keystone-manage-db".into(),
        };
        let objects = Objects::from([(r.clone(), job)]);
        assert_eq!(
            evaluate(WaitFor::JobComplete, std::slice::from_ref(&other), |r| {
                objects.get(r)
            }),
            Readiness::NotYet("waiting for Job/keystone-manage-db to appear".into())
        );
        assert_eq!(
            evaluate(WaitFor::JobComplete, &[r.clone(), other], |r| objects
                .get(r)),
            Readiness::Failed("Job keystone-create-db failed: BackoffLimitExceeded".into())
        );
        assert_eq!(
            evaluate(WaitFor::Gone, &[r], |r| objects.get(r)),
            Readiness::NotYet("deleting keystone-create-db".into())
        );
    }

    #[test]
    fn endpoints_must_be_ready_for_every_service() {
        let slice = |service: &str, ready: u32| {
            summary(
                ObjKind::EndpointSlice,
                &format!("{service}-x1"),
                ObjState::Endpoints {
                    service: service.into(),
                    ready,
                    total: 1,
                },
            )
            .1
        };
        let services = vec!["keystone-admin".to_string(), "keystone-public".to_string()];
        let one = [slice("keystone-admin", 1), slice("keystone-public", 0)];
        assert_eq!(
            endpoints_ready(&services, &one),
            Readiness::NotYet("waiting for Service keystone-public to have ready endpoints".into())
        );
        let both = [slice("keystone-admin", 1), slice("keystone-public", 2)];
        assert_eq!(endpoints_ready(&services, &both), Readiness::Ready);
    }

    #[test]
    fn workloads_need_every_replica_ready() {
        let (r, d) = summary(
            ObjKind::Deployment,
            "keystone",
            ObjState::Workload {
                desired: 3,
                ready: 2,
                updated: 3,
            },
        );
        let objects = Objects::from([(r.clone(), d)]);
        assert_eq!(
            evaluate(WaitFor::PodsReady, &[r], |r| objects.get(r)),
            Readiness::NotYet("keystone: 2/3 pods ready".into())
        );
    }
}
