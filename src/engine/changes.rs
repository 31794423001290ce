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
        // A Job that completed is never applied again (it runs once), whatever else the
        // cell's verdict is.
        let ran: Vec<&ObjRef> = complete.iter().filter(|o| o.kind == ObjKind::Job).collect();
        let note = (!ran.is_empty()).then(|| {
            Outcome::Noted(format!(
                "not run again: {}",
                drift::ran(service, kind, &ran)
            ))
        });
        let leave = ran.iter().map(|o| o.name.clone()).collect();
        let judged = CellDrift::judge(service, kind, objects, |o| complete.contains(o));
        if let Some(Verdict::Held(why)) = judged.map(|d| d.verdict) {
            anyhow::bail!("{service} {kind} left as it is: {why}")
        }
        Ok(Judged { leave, note })
    }
}
