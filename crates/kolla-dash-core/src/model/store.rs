//! The cluster as the model knows it: object summaries, which grid cell each belongs to,
//! the sync state of every watched kind, and each cell's status, recomputed on change so
//! drawing never computes statuses.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::kind::Kind;
use crate::model::grid::Row;
use crate::model::msg::Msg;
use crate::status::{self, CellStatus};
use crate::summary::{NodeReady, NodeSummary, ObjKind, ObjRef, ObjState, ObjectSummary};

/// Where the watch of one kind stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// Not listed yet (or relisting after a lost watch).
    Pending,
    Synced,
    Lost,
    Forbidden,
}

/// Objects and the statuses derived from them.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    objects: HashMap<ObjRef, ObjectSummary>,
    /// Per layout row, per `Kind::index`, the objects of that cell.
    members: Vec<[BTreeSet<ObjRef>; 7]>,
    statuses: Vec<[CellStatus; 7]>,
    sync: BTreeMap<ObjKind, Sync>,
    nodes: BTreeMap<String, NodeSummary>,
    /// Node name -> the catalog's pods placed on it (for the nodes view).
    pods_on: BTreeMap<String, BTreeSet<ObjRef>>,
    row_of: HashMap<String, usize>,
    has_kind: Vec<[bool; 7]>,
}

impl Store {
    /// `watched` are the kinds the watchers will report on; others never hold a cell back.
    pub fn new(rows: &[Row], watched: &[ObjKind]) -> Self {
        let has_kind: Vec<[bool; 7]> = rows
            .iter()
            .map(|r| Kind::ALL.map(|k| r.kinds.contains(&k)))
            .collect();
        let mut store = Store {
            objects: HashMap::new(),
            members: rows.iter().map(|_| Default::default()).collect(),
            statuses: Vec::new(),
            sync: watched.iter().map(|k| (*k, Sync::Pending)).collect(),
            nodes: BTreeMap::new(),
            pods_on: BTreeMap::new(),
            row_of: rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.service.clone(), i))
                .collect(),
            has_kind,
        };
        store.statuses = (0..rows.len())
            .map(|row| Kind::ALL.map(|k| store.compute(row, k)))
            .collect();
        store
    }

    pub fn status(&self, row: usize, kind: Kind) -> &CellStatus {
        &self.statuses[row][kind.index()]
    }

    pub fn sync(&self, kind: ObjKind) -> Option<Sync> {
        self.sync.get(&kind).copied()
    }

    /// The objects of one cell, in name order.
    pub fn cell_objects(&self, row: usize, kind: Kind) -> Vec<&ObjectSummary> {
        self.members
            .get(row)
            .map(|cells| {
                cells[kind.index()]
                    .iter()
                    .filter_map(|r| self.objects.get(r))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The latest summary of one object, if it exists.
    pub fn object(&self, obj: &ObjRef) -> Option<&ObjectSummary> {
        self.objects.get(obj)
    }

    /// Whether every watched kind has been listed (and none is lost).
    pub fn all_synced(&self) -> bool {
        self.sync.values().all(|s| *s == Sync::Synced)
    }

    pub fn row_of_service(&self, service: &str) -> Option<usize> {
        self.row_of.get(service).copied()
    }

    /// The grid row an object belongs to, if it is known and in the layout.
    pub fn row_of_object(&self, obj: &ObjRef) -> Option<usize> {
        let owner = self.objects.get(obj)?.owner.as_ref()?;
        self.row_of_service(&owner.service)
    }

    pub fn nodes(&self) -> &BTreeMap<String, NodeSummary> {
        &self.nodes
    }

    /// (Ready, total) nodes.
    pub fn node_counts(&self) -> (usize, usize) {
        let ready = self
            .nodes
            .values()
            .filter(|n| n.ready == NodeReady::True)
            .count();
        (ready, self.nodes.len())
    }

    /// The catalog's pods placed on `node`, in name order.
    pub fn pods_on(&self, node: &str) -> impl Iterator<Item = &ObjectSummary> {
        self.pods_on
            .get(node)
            .into_iter()
            .flatten()
            .filter_map(|r| self.objects.get(r))
    }

    /// Folds a watcher message in; false for messages that are not the store's. The one
    /// place watcher messages change the store (the dashboard and the workflow use it).
    pub fn observe(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Applied(o) => self.apply(o),
            Msg::Deleted(r) => self.delete(&r),
            Msg::Resynced(kind, objs) => self.resync(kind, objs),
            Msg::WatchLost(kind) => self.set_sync(kind, Sync::Lost),
            Msg::Forbidden(kind) => self.set_sync(kind, Sync::Forbidden),
            _ => return false,
        }
        true
    }

    pub fn apply(&mut self, obj: ObjectSummary) {
        if let ObjState::Node(node) = &obj.state {
            self.nodes.insert(obj.obj.name.clone(), node.clone());
            return;
        }
        let old = self.remove_object(&obj.obj);
        let new = self.insert_object(obj);
        for (row, kind) in old.into_iter().chain(new) {
            self.refresh(row, kind);
        }
    }

    pub fn delete(&mut self, obj: &ObjRef) {
        if obj.kind == ObjKind::Node {
            self.nodes.remove(&obj.name);
        } else if let Some((row, kind)) = self.remove_object(obj) {
            self.refresh(row, kind);
        }
    }

    /// A relist: every object of `kind` is replaced by `objs`, and the kind is synced.
    pub fn resync(&mut self, kind: ObjKind, objs: Vec<ObjectSummary>) {
        if kind == ObjKind::Node {
            self.nodes.clear();
        }
        let stale: Vec<ObjRef> = self
            .objects
            .keys()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect();
        for r in &stale {
            self.remove_object(r);
        }
        for obj in objs {
            if let ObjState::Node(node) = &obj.state {
                self.nodes.insert(obj.obj.name.clone(), node.clone());
            } else {
                self.insert_object(obj);
            }
        }
        self.sync.insert(kind, Sync::Synced);
        self.refresh_all();
    }

    pub fn set_sync(&mut self, kind: ObjKind, state: Sync) {
        self.sync.insert(kind, state);
        self.refresh_all();
    }

    fn cell_of(&self, obj: &ObjectSummary) -> Option<(usize, Kind)> {
        let owner = obj.owner.as_ref()?;
        Some((self.row_of_service(&owner.service)?, owner.kind))
    }

    fn insert_object(&mut self, obj: ObjectSummary) -> Option<(usize, Kind)> {
        let cell = self.cell_of(&obj);
        if let (Some(node), Some(_)) = (placed_on(&obj), &obj.owner) {
            self.pods_on
                .entry(node.to_string())
                .or_default()
                .insert(obj.obj.clone());
        }
        if let Some((row, kind)) = cell {
            self.members[row][kind.index()].insert(obj.obj.clone());
        }
        self.objects.insert(obj.obj.clone(), obj);
        cell
    }

    fn remove_object(&mut self, obj: &ObjRef) -> Option<(usize, Kind)> {
        let old = self.objects.remove(obj)?;
        if let Some(node) = placed_on(&old)
            && let Some(pods) = self.pods_on.get_mut(node)
        {
            pods.remove(obj);
            if pods.is_empty() {
                self.pods_on.remove(node);
            }
        }
        let cell = self.cell_of(&old);
        if let Some((row, kind)) = cell {
            self.members[row][kind.index()].remove(obj);
        }
        cell
    }

    fn refresh(&mut self, row: usize, kind: Kind) {
        self.statuses[row][kind.index()] = self.compute(row, kind);
    }

    fn refresh_all(&mut self) {
        for row in 0..self.statuses.len() {
            for kind in Kind::ALL {
                self.refresh(row, kind);
            }
        }
    }

    fn compute(&self, row: usize, kind: Kind) -> CellStatus {
        if !self.has_kind[row][kind.index()] {
            return CellStatus::Blank;
        }
        let states = status::sources(kind)
            .iter()
            .filter_map(|k| self.sync.get(k));
        let mut unknown = false;
        for state in states {
            match state {
                Sync::Forbidden => return CellStatus::Forbidden,
                Sync::Pending | Sync::Lost => unknown = true,
                Sync::Synced => {}
            }
        }
        if unknown {
            return CellStatus::Unknown;
        }
        status::cell_status(kind, &self.cell_objects(row, kind))
    }
}

/// The node a pod summary is placed on.
fn placed_on(obj: &ObjectSummary) -> Option<&str> {
    match &obj.state {
        ObjState::Pod {
            node: Some(node), ..
        } => Some(node),
        _ => None,
    }
}
