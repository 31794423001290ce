//! Field paths inside an object (`spec.template.spec.containers[keystone].image`), the
//! server's FieldsV1 sets read as paths, and which lists are matched by a key instead of by
//! position (as server-side apply merges them).

use std::fmt;

use serde_json::{Map, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A map key.
    Field(String),
    /// The element of a keyed list whose key fields have these values (`containers[keystone]`).
    Item(Map<String, Value>),
    /// An element of a list of scalars that is a set (`finalizers`).
    Member(Value),
    /// An element of a list matched by position.
    Index(usize),
}

/// Where a field is in an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn child(&self, seg: Seg) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(seg);
        FieldPath(segs)
    }

    pub fn field(&self, name: &str) -> FieldPath {
        self.child(Seg::Field(name.to_string()))
    }

    /// Whether `self` is `other` or inside it.
    pub fn within(&self, other: &FieldPath) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }

    /// Whether it starts with these map keys (`["spec", "template"]`).
    pub fn starts_with(&self, fields: &[&str]) -> bool {
        self.0.len() >= fields.len()
            && self
                .0
                .iter()
                .zip(fields)
                .all(|(seg, f)| matches!(seg, Seg::Field(name) if name == f))
    }

    /// The last map key on the path, if it ends in one.
    pub fn last_field(&self) -> Option<&str> {
        match self.0.last() {
            Some(Seg::Field(name)) => Some(name),
            _ => None,
        }
    }
}

/// `spec.template.spec.containers[keystone].image`, `data["keystone.conf"]`,
/// `spec.ports[port=5000,protocol=TCP]`.
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Field(name) if plain(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                Seg::Field(name) => write!(f, "[{name:?}]")?,
                Seg::Item(key) if key.len() == 1 => {
                    let value = key.values().next().map(scalar).unwrap_or_default();
                    write!(f, "[{value}]")?;
                }
                Seg::Item(key) => {
                    let parts: Vec<String> = key
                        .iter()
                        .map(|(k, v)| format!("{k}={}", scalar(v)))
                        .collect();
                    write!(f, "[{}]", parts.join(","))?;
                }
                Seg::Member(value) => write!(f, "[{}]", scalar(value))?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A scalar as a path shows it: strings without quotes.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The key fields of a list the API merges by key rather than replacing it whole (its
/// `patchMergeKey`/`listMapKeys`), by the list's field name; `None` for lists applied as
/// a whole. Ports are keyed by their number: a container's `containerPort`, a Service's
/// `port`.
pub fn list_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// Every node a FieldsV1 set owns (the leaves, and maps or list items owned as such, `.`),
/// as paths. Unreadable entries are skipped: they only ever hide a removal, never invent one.
pub fn fields_v1(set: &Value) -> Vec<FieldPath> {
    let mut out = Vec::new();
    collect(set, &FieldPath::default(), &mut out);
    out
}

fn collect(node: &Value, at: &FieldPath, out: &mut Vec<FieldPath>) {
    let Some(entries) = node.as_object() else {
        return;
    };
    if (entries.is_empty() || entries.contains_key(".")) && !at.0.is_empty() {
        out.push(at.clone());
    }
    for (key, child) in entries {
        let seg = if let Some(name) = key.strip_prefix("f:") {
            Seg::Field(name.to_string())
        } else if let Some(json) = key.strip_prefix("k:") {
            match serde_json::from_str::<Value>(json) {
                Ok(Value::Object(fields)) => Seg::Item(fields),
                _ => continue,
            }
        } else if let Some(json) = key.strip_prefix("v:") {
            match serde_json::from_str::<Value>(json) {
                Ok(value) => Seg::Member(value),
                Err(_) => continue,
            }
        } else if let Some(index) = key.strip_prefix("i:") {
            match index.parse() {
                Ok(i) => Seg::Index(i),
                Err(_) => continue,
            }
        } else {
            continue;
        };
        collect(child, &at.child(seg), out);
    }
}

/// The value at `path` in `obj`, if it is there. Items match when every key field the
/// element sets agrees (a key field it leaves out is the server's default, e.g. a port's
/// protocol).
pub fn lookup<'a>(obj: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut at = obj;
    for seg in &path.0 {
        at = match seg {
            Seg::Field(name) => at.get(name)?,
            Seg::Index(i) => at.get(*i)?,
            Seg::Member(value) => at.as_array()?.iter().find(|v| *v == value)?,
            Seg::Item(key) => at.as_array()?.iter().find(|item| matches_key(item, key))?,
        };
    }
    Some(at)
}

fn matches_key(item: &Value, key: &Map<String, Value>) -> bool {
    let Some(fields) = item.as_object() else {
        return false;
    };
    let mut named = false;
    for (k, want) in key {
        if let Some(have) = fields.get(k) {
            if !super::compare::same_scalar(have, want) {
                return false;
            }
            named = true;
        }
    }
    named
}
