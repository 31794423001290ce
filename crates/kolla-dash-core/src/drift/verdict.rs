//! A cell's drift as a whole: which of its objects differ, and what `deploy` does about it:
//! apply the changes, leave a change that cannot be made in place (saying what to do), or
//! report a Job that ran with an earlier rendering (a Job runs once; a bootstrap never runs
//! again by itself). The sentences are written here, once.

use std::fmt;

use super::compare::Change;
use super::path::FieldPath;
use crate::kind::Kind;
use crate::summary::{ObjKind, ObjRef};

/// How one object of a cell differs from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Rendered, not in the cluster: deploy creates it.
    Missing,
    /// Some of its fields differ.
    Changed(Vec<Change>),
    /// kolla-dash's object in this cell that the config no longer renders: deploy leaves it.
    Unrendered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDrift {
    pub obj: ObjRef,
    pub difference: Difference,
}

/// What deploy does about a cell's differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Creates and applies them.
    Apply,
    /// Leaves the cell as it is: a change cannot be made in place. Why, and what to do.
    Held(String),
    /// Leaves Jobs that completed with an earlier rendering: they run once. What to do to
    /// run the new one.
    Ran(String),
    /// Only objects the config no longer renders, which deploy leaves.
    Leftover,
}

/// A cell that differs from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellDrift {
    pub service: String,
    pub kind: Kind,
    pub objects: Vec<ObjectDrift>,
    pub verdict: Verdict,
}

/// Fields an apply cannot change once the object exists (the API server rejects it), by
/// the object's kind.
fn fixed(kind: ObjKind) -> &'static [&'static [&'static str]] {
    match kind {
        ObjKind::Job => &[&["spec", "template"], &["spec", "selector"]],
        ObjKind::Deployment => &[&["spec", "selector"]],
        ObjKind::StatefulSet => &[
            &["spec", "selector"],
            &["spec", "serviceName"],
            &["spec", "volumeClaimTemplates"],
            &["spec", "podManagementPolicy"],
        ],
        ObjKind::Service => &[&["spec", "clusterIP"], &["spec", "clusterIPs"]],
        // A claim's size and class: resizing needs the provider's support and a claim is
        // never recreated (it holds the data).
        ObjKind::PersistentVolumeClaim => &[&["spec"]],
        ObjKind::PersistentVolume => &[
            &["spec", "hostPath"],
            &["spec", "csi"],
            &["spec", "local"],
            &["spec", "nfs"],
            &["spec", "volumeMode"],
        ],
        ObjKind::StorageClass => &[
            &["provisioner"],
            &["parameters"],
            &["reclaimPolicy"],
            &["volumeBindingMode"],
        ],
        _ => &[],
    }
}

/// Whether an apply can change the field at `path` of an existing object of `kind`.
pub fn in_place(kind: ObjKind, path: &FieldPath) -> bool {
    !fixed(kind).iter().any(|f| path.starts_with(f))
}

impl CellDrift {
    /// Judges a cell's differences; `None` when there are none. `completed` says whether
    /// a Job of the cell ran to completion.
    pub fn judge(
        service: &str,
        kind: Kind,
        objects: Vec<ObjectDrift>,
        completed: impl Fn(&ObjRef) -> bool,
    ) -> Option<CellDrift> {
        if objects.is_empty() {
            return None;
        }
        // Jobs run once: one that completed is left as it ran, whatever changed; one that
        // did not can take changes in place, but not to its template.
        let ran_jobs: Vec<&ObjRef> = objects
            .iter()
            .filter(|o| o.obj.kind == ObjKind::Job && completed(&o.obj))
            .filter(|o| matches!(o.difference, Difference::Changed(_)))
            .map(|o| &o.obj)
            .collect();
        let mut open_jobs = Vec::new();
        let mut stuck = Vec::new();
        for o in &objects {
            let Difference::Changed(changes) = &o.difference else {
                continue;
            };
            if ran_jobs.contains(&&o.obj) {
                continue;
            }
            let paths: Vec<String> = changes
                .iter()
                .filter(|c| !in_place(o.obj.kind, &c.path))
                .map(|c| c.path.to_string())
                .collect();
            if paths.is_empty() {
                continue;
            }
            if o.obj.kind == ObjKind::Job {
                open_jobs.push(&o.obj);
            } else {
                stuck.push(format!(
                    "{}/{} {}",
                    o.obj.kind,
                    o.obj.name,
                    paths.join(", ")
                ));
            }
        }
        let applies = objects.iter().any(|o| match o.difference {
            Difference::Missing => true,
            Difference::Changed(_) => !ran_jobs.contains(&&o.obj),
            Difference::Unrendered => false,
        });
        let verdict = if !open_jobs.is_empty() {
            Verdict::Held(unfinished(service, kind, &open_jobs))
        } else if !stuck.is_empty() {
            Verdict::Held(cannot_change(service, kind, &stuck))
        } else if applies {
            Verdict::Apply
        } else if !ran_jobs.is_empty() {
            Verdict::Ran(ran(service, kind, &ran_jobs))
        } else {
            Verdict::Leftover
        };
        Some(CellDrift {
            service: service.to_string(),
            kind,
            objects,
            verdict,
        })
    }

    /// Whether the cell only lacks objects: deploy creates them, nothing there changes.
    pub fn only_missing(&self) -> bool {
        self.objects
            .iter()
            .all(|o| o.difference == Difference::Missing)
    }

    /// Whether deploy creates or changes something in the cell.
    pub fn applies(&self) -> bool {
        self.verdict == Verdict::Apply
    }

    /// Whether the grid shows the cell as drifting (when it is otherwise ready): deploy
    /// would change it, or a change waits for the operator. Jobs that ran and leftovers
    /// are only reported.
    pub fn shows(&self) -> bool {
        matches!(self.verdict, Verdict::Apply | Verdict::Held(_))
    }

    /// Every changed field, for counts and first lines.
    fn changes(&self) -> impl Iterator<Item = (&ObjRef, &Change)> {
        self.objects.iter().flat_map(|o| match &o.difference {
            Difference::Changed(changes) => changes.iter().map(|c| (&o.obj, c)).collect(),
            _ => Vec::new(),
        })
    }

    /// The why-line of a drifting cell: the first difference, how many more, and what
    /// deploy does.
    pub fn why(&self) -> String {
        let first = self
            .objects
            .iter()
            .find_map(|o| match &o.difference {
                Difference::Changed(changes) => changes
                    .first()
                    .map(|c| format!("{}/{} {c}", o.obj.kind, o.obj.name)),
                Difference::Missing => Some(format!("{}/{} is missing", o.obj.kind, o.obj.name)),
                Difference::Unrendered => None,
            })
            .unwrap_or_else(|| "objects it no longer renders".to_string());
        let total = self.changes().count()
            + self
                .objects
                .iter()
                .filter(|o| o.difference == Difference::Missing)
                .count();
        let more = match total.saturating_sub(1) {
            0 => String::new(),
            n => format!(" (+{n} more)"),
        };
        match &self.verdict {
            Verdict::Apply => format!("differs from the config: {first}{more}; deploy applies it"),
            Verdict::Held(why) | Verdict::Ran(why) => {
                format!("differs from the config: {first}{more}; {why}")
            }
            Verdict::Leftover => format!("{first}; deploy leaves them"),
        }
    }

    /// The differences on one line: `Deployment/keystone spec.replicas: 3 → 2, …`,
    /// `creates Service/keystone-admin`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .objects
            .iter()
            .map(|o| {
                let name = format!("{}/{}", o.obj.kind, o.obj.name);
                match &o.difference {
                    Difference::Missing => format!("creates {name}"),
                    Difference::Unrendered => format!("leaves {name} (no longer rendered)"),
                    Difference::Changed(changes) => {
                        let fields: Vec<String> = changes.iter().map(ToString::to_string).collect();
                        format!("{name} {}", fields.join(", "))
                    }
                }
            })
            .collect();
        parts.join("; ")
    }

    /// The compact diff: each object and its changed fields, then what deploy does.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for o in &self.objects {
            let name = format!("{}/{}", o.obj.kind, o.obj.name);
            match &o.difference {
                Difference::Missing => {
                    out.push(format!("{name}: not in the cluster (deploy creates it)"))
                }
                Difference::Unrendered => {
                    out.push(format!("{name}: no longer rendered (deploy leaves it)"));
                }
                Difference::Changed(changes) => {
                    out.push(format!("{name}:"));
                    out.extend(changes.iter().map(|c| format!("  {c}")));
                }
            }
        }
        match &self.verdict {
            Verdict::Held(why) => out.push(format!("not applied: {why}")),
            Verdict::Ran(why) => out.push(format!("not run again: {why}")),
            Verdict::Apply | Verdict::Leftover => {}
        }
        out
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Apply => "apply",
            Verdict::Held(_) => "held",
            Verdict::Ran(_) => "ran",
            Verdict::Leftover => "leftover",
        })
    }
}

fn names(objs: &[&ObjRef]) -> String {
    objs.iter()
        .map(|o| format!("{}/{}", o.kind, o.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Completed Jobs whose rendering changed since: why they are left, what to do.
pub fn ran(service: &str, kind: Kind, jobs: &[&ObjRef]) -> String {
    let jobs = names(jobs);
    match kind {
        Kind::Bootstrap => format!(
            "{jobs} completed with an earlier rendering, and a bootstrap runs once: kolla-dash \
             does not run it again (to run the new one: `kolla-dash resource delete {service} \
             bootstrap`, then `kolla-dash bootstrap {service}`, which asks for \
             --force-bootstrap over recorded data)"
        ),
        Kind::Disk => format!(
            "{jobs} already prepared {service}'s storage with an earlier rendering: kolla-dash \
             does not run it again (the storage it made holds data)"
        ),
        _ => format!(
            "{jobs} completed with an earlier rendering: a Job runs once, so kolla-dash does \
             not run it again (to run the new one: `kolla-dash resource delete {service} \
             {kind}`, then deploy)"
        ),
    }
}

/// Jobs not completed whose template changed.
fn unfinished(service: &str, kind: Kind, jobs: &[&ObjRef]) -> String {
    format!(
        "{} did not complete and its template changed, which a Job's cannot: `kolla-dash \
         resource delete {service} {kind}`, then deploy, runs the new one",
        names(jobs)
    )
}

/// Fields that cannot change in place.
fn cannot_change(service: &str, kind: Kind, what: &[String]) -> String {
    let what = what.join("; ");
    if kind.holds_data() {
        format!(
            "{what} cannot change in place, and kolla-dash never recreates what holds data: \
             make the config match the cluster again, or move the data to a new volume \
             yourself"
        )
    } else {
        format!(
            "{what} cannot change in place, and deploy never recreates an object by itself: \
             `kolla-dash resource delete {service} {kind}`, then deploy, recreates it"
        )
    }
}
