//! What an apply would change in kolla-dash's existing objects, judged before anything is
//! applied: a change that cannot be made in place stops the create with what to do (the
//! object is never deleted to force it), and a Job that ran with an earlier rendering is
//! left as it is (a Job runs once) and reported.

use super::{Engine, Found, Outcome};
use crate::drift::{self, CellDrift, Difference, ObjectDrift, Verdict};
use crate::kind::Kind;
use crate::render::Manifest;
use crate::summary::{ObjKind, ObjRef};

/// What a create does about its existing objects' differences.
pub(super) struct Judged {
    /// Jobs that ran with an earlier rendering: not applied again.
    pub leave: Vec<String>,
    /// What to tell about them.
    pub note: Option<Outcome>,
}

impl Engine {
    /// Judges how `manifests` differ from the objects `found` read; fails, before anything
    /// changes, when a change cannot be made in place.
    pub(super) fn judge_changes(
        &self,
        service: &str,
        kind: Kind,
        manifests: &[Manifest],
        found: &[Found],
    ) -> anyhow::Result<Judged> {
        let mut objects = Vec::new();
        let mut complete = Vec::new();
        for (m, f) in manifests.iter().zip(found) {
            let Found::Ours {
                live, complete: c, ..
            } = f
            else {
                continue;
            };
            let changes = drift::compare(m.obj_kind, &m.object, live);
            if changes.is_empty() {
                continue;
            }
            let obj = ObjRef {
                kind: m.obj_kind,
                name: m.name.clone(),
            };
            if *c {
                complete.push(obj.clone());
            }
            objects.push(ObjectDrift {
                obj,
                difference: Difference::Changed(changes),
            });
        }
        let jobs = objects
            .iter()
            .filter(|o| o.obj.kind == ObjKind::Job)
            .map(|o| o.obj.name.clone())
            .collect();
        let judged = CellDrift::judge(service, kind, objects, |o| complete.contains(o));
        match judged.map(|d| d.verdict) {
            Some(Verdict::Held(why)) => {
                anyhow::bail!("{service} {kind} left as it is: {why}")
            }
            Some(Verdict::Ran(why)) => Ok(Judged {
                leave: jobs,
                note: Some(Outcome::Noted(format!("not run again: {why}"))),
            }),
            _ => Ok(Judged {
                leave: Vec::new(),
                note: None,
            }),
        }
    }
}
