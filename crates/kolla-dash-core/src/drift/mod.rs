//! Desired against live: what `deploy` would change in the objects kolla-dash applies.
//!
//! A pure comparison of the fields kolla-dash manages, in place of a server-side dry run:
//! the cluster side keeps, for each object kolla-dash applies (never for pods or the
//! controllers' intermediates), the object without status and bookkeeping plus the fields
//! kolla-dash's last apply owns (`Live`); the store compares it with the rendered manifest
//! whenever either changes. Only fields the manifest sets are compared (the server's
//! defaults never count), keyed lists are matched by key (order never counts), and fields
//! the last apply owned that the manifest no longer sets count as removals, as the next
//! apply would remove them. `CellDrift` judges a cell's differences: applied by deploy,
//! held because they cannot change in place (with what to do), or Jobs that already ran.

mod compare;
mod live;
mod path;
mod show;
mod verdict;

pub use compare::{Change, compare};
pub use live::{Live, digest};
pub use path::{FieldPath, Seg};
pub use verdict::{CellDrift, Difference, ObjectDrift, Verdict, in_place, ran};

use crate::render::Manifest;
use crate::summary::{ObjRef, Owner};

/// A rendered object, as the store compares it with the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub obj: ObjRef,
    pub cell: Owner,
    pub object: serde_json::Value,
}

impl From<&Manifest> for Desired {
    fn from(m: &Manifest) -> Desired {
        Desired {
            obj: ObjRef {
                kind: m.obj_kind,
                name: m.name.clone(),
            },
            cell: Owner {
                service: m.service.clone(),
                kind: m.kind,
            },
            object: m.object.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
