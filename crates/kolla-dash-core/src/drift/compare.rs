//! The comparison: the fields a rendered manifest sets against their live values, the way
//! server-side apply would change them. Only what the manifest sets is compared, so
//! defaults the server filled in, status, managedFields and other managers' fields never
//! count; keyed lists (containers, env, ports, volumes, …) are matched by key, so their
//! order never counts either. Fields kolla-dash's last apply owns and the manifest no
//! longer sets are changes too: the next apply removes them.

use serde_json::{Map, Value};

use super::live::{Live, digest, digest_base64};
use super::path::{FieldPath, Seg, list_key, lookup};
use crate::summary::ObjKind;

/// One field whose live value is not what the config renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: FieldPath,
    /// What the cluster has; `None`: nothing.
    pub live: Option<Value>,
    /// What the config renders; `None`: the next apply removes the field.
    pub desired: Option<Value>,
    /// A Secret's value: said to differ, never shown.
    pub secret: bool,
}

/// What `desired` (a rendered manifest) would change in `live`.
pub fn compare(kind: ObjKind, desired: &Value, live: &Live) -> Vec<Change> {
    // Only a Secret is compared through a copy: this runs on every change of a cell.
    let view;
    let desired = match kind {
        ObjKind::Secret => {
            view = secret_view(desired);
            &view
        }
        _ => desired,
    };
    let mut out = Vec::new();
    walk(
        kind,
        desired,
        Some(&live.object),
        &FieldPath::default(),
        &mut out,
    );
    removals(desired, live, &mut out);
    let secret = |p: &FieldPath| kind == ObjKind::Secret && is_secret_value(p);
    for change in &mut out {
        change.secret = secret(&change.path);
    }
    out
}

fn is_secret_value(path: &FieldPath) -> bool {
    path.starts_with(&["data"]) || path.starts_with(&["stringData"])
}

/// A rendered Secret as the cluster keeps it: `stringData` merged into `data`, every value
/// a digest (`stringData` stays, digested, for what the last apply owned there).
fn secret_view(desired: &Value) -> Value {
    let mut view = desired.clone();
    let mut data = Map::new();
    if let Some(given) = desired.get("data").and_then(Value::as_object) {
        for (k, v) in given {
            data.insert(k.clone(), digest_base64(v).into());
        }
    }
    if let Some(given) = desired.get("stringData").and_then(Value::as_object) {
        let mut strings = Map::new();
        for (k, v) in given {
            let d: Value = digest(v.as_str().unwrap_or_default().as_bytes()).into();
            data.insert(k.clone(), d.clone());
            strings.insert(k.clone(), d);
        }
        view["stringData"] = Value::Object(strings);
    }
    if !data.is_empty() {
        view["data"] = Value::Object(data);
    }
    view
}

fn walk(
    kind: ObjKind,
    desired: &Value,
    live: Option<&Value>,
    at: &FieldPath,
    out: &mut Vec<Change>,
) {
    let differs = |out: &mut Vec<Change>| {
        out.push(Change {
            path: at.clone(),
            live: live.cloned(),
            desired: Some(desired.clone()),
            secret: false,
        });
    };
    match (desired, live) {
        // Asking for nothing, or for a zero value the server leaves out (`value: ""`).
        (d, None) if zero(d) => {}
        (_, None) => differs(out),
        (Value::Object(want), Some(Value::Object(have))) => {
            for (key, d) in want {
                // The server folds a Secret's stringData into data, compared there.
                if kind == ObjKind::Secret && at.0.is_empty() && key == "stringData" {
                    continue;
                }
                walk(kind, d, have.get(key), &at.field(key), out);
            }
        }
        (Value::Array(want), Some(Value::Array(have))) => list(kind, want, have, at, out),
        (Value::Object(_) | Value::Array(_), Some(_)) => differs(out),
        (d, Some(l)) if same_value(at, l, d) => {}
        _ => differs(out),
    }
}

fn list(kind: ObjKind, want: &[Value], have: &[Value], at: &FieldPath, out: &mut Vec<Change>) {
    let field = at.last_field().unwrap_or_default();
    let keyed = list_key(field, want).filter(|k| want.iter().all(|i| i.get(k).is_some()));
    if let Some(key) = keyed {
        for item in want {
            let id = &item[key];
            let found = have
                .iter()
                .find(|h| h.get(key).is_some_and(|v| same_scalar(v, id)));
            let seg = Seg::Item(Map::from_iter([(key.to_string(), id.clone())]));
            walk(kind, item, found, &at.child(seg), out);
        }
        return;
    }
    let whole = |out: &mut Vec<Change>| {
        out.push(Change {
            path: at.clone(),
            live: Some(Value::Array(have.to_vec())),
            desired: Some(Value::Array(want.to_vec())),
            secret: false,
        });
    };
    let objects = want.iter().any(|v| v.is_object());
    if want.len() != have.len() {
        whole(out);
    } else if objects {
        // Applied as a whole, compared item by item: defaults inside items never count.
        for (i, (w, h)) in want.iter().zip(have).enumerate() {
            walk(kind, w, Some(h), &at.child(Seg::Index(i)), out);
        }
    } else if !want.iter().zip(have).all(|(w, h)| same_scalar(w, h)) {
        whole(out);
    }
}

/// Fields the last apply owned that the manifest no longer sets, outermost only.
fn removals(desired: &Value, live: &Live, out: &mut Vec<Change>) {
    let mut owned: Vec<&FieldPath> = live.owned.iter().collect();
    owned.sort_by_key(|p| p.0.len());
    let mut gone: Vec<&FieldPath> = Vec::new();
    for path in owned {
        if gone.iter().any(|g| path.within(g)) || lookup(desired, path).is_some() {
            continue;
        }
        let Some(value) = lookup(&live.object, path) else {
            continue;
        };
        gone.push(path);
        out.push(Change {
            path: path.clone(),
            live: Some(value.clone()),
            desired: None,
            secret: false,
        });
    }
}

/// A value the API server does not store (Go's `omitempty`), so its absence is equal to it.
fn zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(zero),
    }
}

/// Scalars compared as the server sees them: numbers by value.
pub(super) fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Equal, or the same quantity written two ways (`1000m` and `1`, `1Gi` and `1024Mi`) where
/// the API stores quantities in a canonical form.
fn same_value(at: &FieldPath, live: &Value, desired: &Value) -> bool {
    if same_scalar(live, desired) {
        return true;
    }
    let quantities = at.0.iter().any(
        |s| matches!(s, Seg::Field(f) if matches!(f.as_str(), "requests" | "limits" | "capacity")),
    );
    match (live, desired) {
        (Value::String(l), Value::String(d)) if quantities => {
            matches!((quantity(l), quantity(d)), (Some(a), Some(b)) if (a - b).abs() <= a.abs() * 1e-12)
        }
        _ => false,
    }
}

/// A Kubernetes quantity's value (`10Gi`, `500m`, `1e3`).
fn quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let n: f64 = number.parse().ok()?;
    let binary = |p: i32| 1024f64.powi(p);
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        exp => 10f64.powi(exp.strip_prefix(['e', 'E'])?.parse().ok()?),
    };
    Some(n * scale)
}
