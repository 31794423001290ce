//! What the cluster side keeps of an object kolla-dash applies, for the comparison: the
//! object without its status and the server's bookkeeping, the fields kolla-dash's last
//! apply owns alone, and a Secret's values only as digests (no screen can show what the
//! model does not hold).

use std::hash::{DefaultHasher, Hasher as _};

use base64::Engine as _;
use serde_json::Value;

use super::path::{FieldPath, fields_v1};
use crate::labels;
use crate::summary::ObjKind;

/// Metadata the server writes and nobody applies: never compared, not worth keeping.
const BOOKKEEPING: [&str; 8] = [
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
    "deletionGracePeriodSeconds",
    "ownerReferences",
];

/// Annotations other tools write that may hold whole objects (a Secret's data included).
const COPIES: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// An applied object as it is in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// The object without `status` and the server's bookkeeping; a Secret's `data` values
    /// are digests.
    pub object: Value,
    /// The fields kolla-dash's last apply owns and no other manager also owns: the next
    /// apply removes those it no longer renders.
    pub owned: Vec<FieldPath>,
}

impl Live {
    /// Reduces a whole object (as the API returns it, managedFields included).
    pub fn new(kind: ObjKind, mut object: Value) -> Live {
        let managed = object
            .get_mut("metadata")
            .and_then(|m| m.get_mut("managedFields"))
            .map(Value::take)
            .unwrap_or_default();
        let mut ours = Vec::new();
        let mut others = Vec::new();
        for entry in managed.as_array().into_iter().flatten() {
            // A controller's status writes never overlap what is applied.
            if entry["subresource"].as_str() == Some("status") {
                continue;
            }
            let paths = fields_v1(&entry["fieldsV1"]);
            let applied = entry["operation"].as_str() == Some("Apply");
            if applied && entry["manager"].as_str() == Some(labels::FIELD_MANAGER) {
                ours.extend(paths);
            } else {
                others.extend(paths);
            }
        }
        // A field another manager also set stays when kolla-dash stops rendering it.
        let owned = ours
            .into_iter()
            .filter(|p| !others.iter().any(|q| q.within(p)))
            .collect();
        strip(&mut object);
        if kind == ObjKind::Secret
            && let Some(data) = object.get_mut("data").and_then(Value::as_object_mut)
        {
            for value in data.values_mut() {
                *value = digest_base64(value).into();
            }
        }
        Live { object, owned }
    }
}

fn strip(object: &mut Value) {
    let Some(obj) = object.as_object_mut() else {
        return;
    };
    obj.remove("status");
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for key in BOOKKEEPING {
        meta.remove(key);
    }
    if let Some(notes) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
        for key in COPIES {
            notes.remove(key);
        }
    }
}

/// A value kept only as a digest: equal values have equal digests; nothing shows it.
pub fn digest(bytes: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    h.write(bytes);
    format!("digest:{:016x}", h.finish())
}

/// The digest of the bytes a base64 value (a Secret's `data`) stands for.
pub fn digest_base64(value: &Value) -> String {
    let text = value.as_str().unwrap_or_default();
    match base64::engine::general_purpose::STANDARD.decode(text) {
        Ok(bytes) => digest(&bytes),
        Err(_) => digest(text.as_bytes()),
    }
}
