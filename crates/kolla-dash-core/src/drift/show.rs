//! How a change reads: `spec.replicas: 3 → 2`, `…image: …:2025.1-ubuntu-noble →
//! …:2025.2-ubuntu-noble` (the common part of two long values left out), the first line
//! that differs in a file, and never a Secret's value. Also the JSON `diff -o json` prints.

use std::fmt;

use serde_json::{Value, json};

use super::compare::Change;
use super::verdict::{CellDrift, Difference, Verdict};

/// Characters a value may take before it is cut.
const WIDTH: usize = 60;

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            let what = match (&self.live, &self.desired) {
                (None, _) => "to be added",
                (_, None) => "to be removed",
                _ => "differs",
            };
            return write!(f, "{}: {what} (a Secret's value: not shown)", self.path);
        }
        let (was, now) = values(self.live.as_ref(), self.desired.as_ref());
        write!(f, "{}: {was} → {now}", self.path)
    }
}

/// The two sides as they read.
fn values(live: Option<&Value>, desired: Option<&Value>) -> (String, String) {
    match (live, desired) {
        (Some(Value::String(a)), Some(Value::String(b)))
            if a.contains('\n') || b.contains('\n') =>
        {
            lines(a, b)
        }
        (Some(Value::String(a)), Some(Value::String(b))) => elide(a, b),
        (a, b) => (side(a), side(b)),
    }
}

fn side(v: Option<&Value>) -> String {
    match v {
        None => "(none)".to_string(),
        Some(Value::String(s)) => cut(s),
        Some(other) => cut(&other.to_string()),
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= WIDTH {
        return s.to_string();
    }
    let kept: String = s.chars().take(WIDTH - 1).collect();
    format!("{kept}…")
}

/// Two long strings without the start they share, cut where a name part begins
/// (`quay.io/openstack.kolla/keystone:2025.1-…` → `…:2025.1-…`).
fn elide(a: &str, b: &str) -> (String, String) {
    let common: usize = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let cut_at = a[..common].rfind([':', '/', '@', '=']).filter(|&i| i >= 8);
    match cut_at {
        Some(i) if a.chars().count() > 24 => {
            (cut(&format!("…{}", &a[i..])), cut(&format!("…{}", &b[i..])))
        }
        _ => (cut(a), cut(b)),
    }
}

/// A file's change: its first differing line.
fn lines(a: &str, b: &str) -> (String, String) {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let line = |l: &[&str]| {
        l.get(at)
            .map_or_else(|| "(end)".to_string(), |s| cut(s.trim()))
    };
    (format!("line {}: {}", at + 1, line(&la)), line(&lb))
}

impl CellDrift {
    /// The cell for scripts: every object with its changed fields (a Secret's values as
    /// null, `secret: true`), what deploy does and why.
    pub fn to_json(&self) -> Value {
        let objects: Vec<Value> = self
            .objects
            .iter()
            .map(|o| {
                let (state, changes) = match &o.difference {
                    Difference::Missing => ("missing", Vec::new()),
                    Difference::Unrendered => ("unrendered", Vec::new()),
                    Difference::Changed(changes) => {
                        ("changed", changes.iter().map(change_json).collect())
                    }
                };
                json!({"kind": o.obj.kind, "name": o.obj.name, "state": state, "changes": changes})
            })
            .collect();
        let reason = match &self.verdict {
            Verdict::Held(why) | Verdict::Ran(why) => Some(why.clone()),
            Verdict::Apply | Verdict::Leftover => None,
        };
        json!({
            "service": self.service,
            "kind": self.kind,
            "deploy": self.verdict.to_string(),
            "reason": reason,
            "objects": objects,
        })
    }
}

fn change_json(c: &Change) -> Value {
    let hide = |v: &Option<Value>| {
        if c.secret {
            Value::Null
        } else {
            v.clone().unwrap_or(Value::Null)
        }
    };
    json!({
        "path": c.path.to_string(),
        "live": hide(&c.live),
        "desired": hide(&c.desired),
        "secret": c.secret,
    })
}

/// A plan's step carries its cell's drift: serialised as `to_json` says.
impl serde::Serialize for CellDrift {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}
