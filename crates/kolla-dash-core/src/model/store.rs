//! The cluster as the model knows it: object summaries, which grid cell each belongs to,
//! the sync state of every watched kind, and each cell's status, recomputed on change so
//! drawing never computes statuses.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnosis::{Facts, Problem, diagnose};
use crate::drift::{self, CellDrift, Desired, Difference, ObjectDrift};
use crate::kind::Kind;
use crate::model::grid::Row;
use crate::model::incident::stuck_terminating;
use crate::model::msg::Msg;
use crate::ownership::{Foreign, Meeting};
use crate::record::BootstrapRecord;
use crate::status::{self, CellStatus, Census};
use crate::summary::{
    EventSummary, JobState, NodeReady, NodeSummary, ObjKind, ObjRef, ObjState, ObjectSummary,
};
use crate::workflow::plan::{Current, ServiceSpec, WaitFor};
use crate::workflow::schedule::Readiness;

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
    /// Objects with names the catalog renders that are not kolla-dash's (the foreign
    /// watch): kept apart from `objects`, which only kolla-dash's own objects enter.
    foreign: BTreeMap<ObjRef, Foreign>,
    foreign_sync: BTreeMap<ObjKind, Sync>,
    /// Per layout row, per `Kind::index`, the objects of that cell.
    members: Vec<[BTreeSet<ObjRef>; Kind::COUNT]>,
    /// The same cells' objects the status rules read one by one (`status::notable`), and
    /// counts over all of them: a cell of thousands of pods is judged without visiting each.
    notable: Vec<[BTreeSet<ObjRef>; Kind::COUNT]>,
    census: Vec<[Census; Kind::COUNT]>,
    statuses: Vec<[CellStatus; Kind::COUNT]>,
    sync: BTreeMap<ObjKind, Sync>,
    nodes: BTreeMap<String, NodeSummary>,
    /// Node name -> the catalog's pods placed on it (for the nodes view).
    pods_on: BTreeMap<String, BTreeSet<ObjRef>>,
    row_of: HashMap<String, usize>,
    /// Per layout row, its service.
    services: Vec<String>,
    has_kind: Vec<[bool; Kind::COUNT]>,
    /// The latest Warning event about each known object (diagnosis reads them); dropped
    /// with the object.
    warnings: HashMap<ObjRef, EventSummary>,
    /// Kinds whose first list is under way: objects arrived so far.
    listing: BTreeMap<ObjKind, usize>,
    /// While a run of watch messages is folded in (`hold`): the cells they changed, judged
    /// once when it ends (`release`) instead of once per message.
    held: Option<BTreeSet<(usize, Kind)>>,
    /// What the config renders, once given (`set_desired`): drift is judged against it.
    desired: Option<Rendering>,
    /// Per layout row, per `Kind::index`, how the cell differs from `desired`.
    drift: Vec<[Option<CellDrift>; Kind::COUNT]>,
}

/// The config's rendered objects, by name and by cell.
#[derive(Debug, Clone, PartialEq)]
struct Rendering {
    objects: HashMap<ObjRef, Desired>,
    cells: Vec<[Vec<ObjRef>; Kind::COUNT]>,
}

impl Store {
    /// `watched` are the kinds the watchers will report on; others never hold a cell back.
    pub fn new(rows: &[Row], watched: &[ObjKind]) -> Self {
        let has_kind: Vec<[bool; Kind::COUNT]> = rows
            .iter()
            .map(|r| Kind::ALL.map(|k| r.kinds.contains(&k)))
            .collect();
        let mut store = Store {
            objects: HashMap::new(),
            foreign: BTreeMap::new(),
            foreign_sync: BTreeMap::new(),
            members: rows.iter().map(|_| Default::default()).collect(),
            notable: rows.iter().map(|_| Default::default()).collect(),
            census: rows.iter().map(|_| Default::default()).collect(),
            statuses: Vec::new(),
            sync: watched.iter().map(|k| (*k, Sync::Pending)).collect(),
            nodes: BTreeMap::new(),
            pods_on: BTreeMap::new(),
            warnings: HashMap::new(),
            listing: BTreeMap::new(),
            held: None,
            row_of: rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.service.clone(), i))
                .collect(),
            services: rows.iter().map(|r| r.service.clone()).collect(),
            has_kind,
            desired: None,
            drift: rows.iter().map(|_| Default::default()).collect(),
        };
        store.statuses = (0..rows.len())
            .map(|row| Kind::ALL.map(|k| store.compute(row, k)))
            .collect();
        store
    }

    /// What the config renders now (every object, with its cell): each cell's drift is
    /// judged against it from now on. Objects of services outside the layout are ignored.
    /// False when it renders what was given before (nothing to recompute).
    pub fn set_desired(&mut self, rendered: Vec<Desired>) -> bool {
        let mut rendering = Rendering {
            objects: HashMap::new(),
            cells: self.members.iter().map(|_| Default::default()).collect(),
        };
        for d in rendered {
            let Some(row) = self.row_of_service(&d.cell.service) else {
                continue;
            };
            rendering.cells[row][d.cell.kind.index()].push(d.obj.clone());
            rendering.objects.insert(d.obj.clone(), d);
        }
        if self.desired.as_ref() == Some(&rendering) {
            return false;
        }
        self.desired = Some(rendering);
        self.refresh_all();
        true
    }

    /// How a cell differs from what the config renders; `None` when it does not (or no
    /// rendering was given).
    pub fn drift(&self, row: usize, kind: Kind) -> Option<&CellDrift> {
        self.drift.get(row)?[kind.index()].as_ref()
    }

    /// The cluster as the planner needs it, over `specs` (the catalog's services and their
    /// kinds): ready cells (a bootstrap also when the service's data records one: it runs
    /// once), cells with no object at all, and cells that differ from the config.
    pub fn current(&self, specs: &[ServiceSpec]) -> Current {
        let mut current = Current::default();
        for spec in specs {
            let Some(row) = self.row_of_service(&spec.name) else {
                continue;
            };
            for &kind in &spec.kinds {
                let key = (spec.name.clone(), kind);
                let recorded = kind == Kind::Bootstrap && self.bootstrap_record(row).is_some();
                if self.status(row, kind).is_ok() || recorded {
                    current.ready.insert(key.clone());
                }
                if *self.status(row, kind) == CellStatus::Absent {
                    current.absent.insert(key.clone());
                }
                if let Some(drift) = self.drift(row, kind) {
                    current.drift.insert(key, drift.clone());
                }
            }
        }
        current
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

    /// Whether every watched kind has been listed (and none is lost), the foreign
    /// watches included.
    pub fn all_synced(&self) -> bool {
        self.sync
            .values()
            .chain(self.foreign_sync.values())
            .all(|s| *s == Sync::Synced)
    }

    /// How many watches are still listing or relisting.
    pub fn unsettled(&self) -> usize {
        self.sync
            .values()
            .chain(self.foreign_sync.values())
            .filter(|s| matches!(s, Sync::Pending | Sync::Lost))
            .count()
    }

    /// Registers the kinds a foreign watch will report on; each is pending until listed.
    pub fn watch_foreign(&mut self, kinds: &[ObjKind]) {
        for kind in kinds {
            self.foreign_sync.insert(*kind, Sync::Pending);
        }
        self.refresh_all();
    }

    /// The objects in one cell that are not kolla-dash's.
    pub fn foreign_in(&self, row: usize, kind: Kind) -> Vec<&Foreign> {
        self.foreign
            .values()
            .filter(|f| self.foreign_cell(f) == Some((row, kind)))
            .collect()
    }

    /// Every object known not to be kolla-dash's, with the cell it stands in.
    pub fn foreign(&self) -> impl Iterator<Item = &Foreign> {
        self.foreign.values()
    }

    fn foreign_cell(&self, f: &Foreign) -> Option<(usize, Kind)> {
        let cell = f.cell.as_ref()?;
        Some((self.row_of_service(&cell.service)?, cell.kind))
    }

    /// Whether every watched kind (the foreign watch's too) has been listed or refused:
    /// all there is to know; what RBAC hides no wait would show.
    pub fn all_settled(&self) -> bool {
        self.sync
            .values()
            .chain(self.foreign_sync.values())
            .all(|s| matches!(s, Sync::Synced | Sync::Forbidden))
    }

    /// The kinds RBAC refuses to list that leave something unchecked, in watch order.
    pub fn unchecked(&self) -> Vec<ObjKind> {
        self.sync
            .iter()
            .filter(|(kind, sync)| **sync == Sync::Forbidden && self.matters(**kind))
            .map(|(kind, _)| *kind)
            .collect()
    }

    /// Whether not being allowed to list `kind` leaves something unchecked: a column some
    /// row has, or the nodes (header, nodes view, incidents). Kinds no cell reads under
    /// this config (PersistentVolumes with dynamic storage) are not worth a word.
    pub fn matters(&self, kind: ObjKind) -> bool {
        kind == ObjKind::Node
            || self.has_kind.iter().any(|row| {
                Kind::ALL
                    .iter()
                    .any(|k| row[k.index()] && status::sources(*k).contains(&kind))
            })
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
            Msg::Resynced(kind, objs) => {
                self.listing.remove(&kind);
                self.resync(kind, objs);
            }
            Msg::Listing(kind, count) => {
                self.listing.insert(kind, count);
            }
            Msg::WatchLost(kind) => {
                self.listing.remove(&kind);
                self.set_sync(kind, Sync::Lost);
            }
            Msg::Forbidden(kind) => self.set_sync(kind, Sync::Forbidden),
            Msg::ForeignResynced(kind, found) => {
                self.foreign.retain(|r, _| r.kind != kind);
                for f in found {
                    self.foreign.insert(f.obj.clone(), f);
                }
                self.foreign_sync.insert(kind, Sync::Synced);
                self.refresh_all();
            }
            Msg::ForeignSeen(f) => {
                let old = self.foreign.insert(f.obj.clone(), f.clone());
                self.refresh_foreign(old.iter().chain([&f]));
            }
            Msg::ForeignGone(r) => {
                if let Some(old) = self.foreign.remove(&r) {
                    self.refresh_foreign([&old]);
                }
            }
            Msg::ForeignWatch(kind, sync) => {
                self.foreign_sync.insert(kind, sync);
                self.refresh_all();
            }
            Msg::Event(event) => {
                self.note_event(&event);
            }
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
        // An update mostly stays in its cell: judge that cell once.
        for (row, kind) in old.into_iter().filter(|cell| Some(*cell) != new).chain(new) {
            self.refresh(row, kind);
        }
    }

    pub fn delete(&mut self, obj: &ObjRef) {
        self.warnings.remove(obj);
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
        let objects = &self.objects;
        self.warnings.retain(|r, _| objects.contains_key(r));
        self.sync.insert(kind, Sync::Synced);
        self.refresh_all();
    }

    pub fn set_sync(&mut self, kind: ObjKind, state: Sync) {
        self.sync.insert(kind, state);
        self.refresh_all();
    }

    /// The bootstrap recorded on a service's data (its PVC or PV), and the object carrying
    /// it (`PersistentVolumeClaim/mariadb`).
    pub fn bootstrap_record(&self, row: usize) -> Option<(BootstrapRecord, String)> {
        [Kind::Pvc, Kind::Pv]
            .into_iter()
            .flat_map(|kind| self.cell_objects(row, kind))
            .find_map(|o| match &o.state {
                ObjState::Pv {
                    bootstrapped: Some(value),
                    ..
                }
                | ObjState::Pvc {
                    bootstrapped: Some(value),
                    ..
                } => Some((
                    BootstrapRecord::parse(value),
                    format!("{}/{}", o.obj.kind, o.obj.name),
                )),
                _ => None,
            })
    }

    /// One line on why a cell is not ready; None when it is (or is blank). The grid's
    /// detail view, `resource status` and a waiting deploy step all say this line.
    pub fn why_not_ready(&self, row: usize, kind: Kind) -> Option<String> {
        match self.status(row, kind) {
            CellStatus::Unknown => {
                let (obj_kind, sync) = self.blocking_sync(kind)?;
                Some(match sync {
                    Sync::Lost => format!("the {obj_kind} watch was lost; waiting to relist"),
                    _ => format!("waiting for the {obj_kind} watch to sync"),
                })
            }
            CellStatus::Forbidden => {
                let (obj_kind, _) = self.blocking_sync(kind)?;
                Some(format!(
                    "forbidden: kolla-dash may not list {obj_kind} objects (RBAC)"
                ))
            }
            CellStatus::Foreign => self
                .foreign_in(row, kind)
                .first()
                .map(|f| f.sentence(Meeting::Show)),
            CellStatus::Drift { .. } => self.drift(row, kind).map(CellDrift::why),
            s if s.is_ok() || *s == CellStatus::Blank => None,
            _ => {
                if let Some(stuck) = self.stuck_on_lost_node(row, kind) {
                    return Some(stuck);
                }
                // A pod waiting on storage says so more plainly than the scheduler does.
                let storage_wait = matches!(kind, Kind::Pod | Kind::Bootstrap)
                    && matches!(self.status(row, Kind::Pvc), CellStatus::Pending { .. });
                let kind = if storage_wait { Kind::Pvc } else { kind };
                status::why_not_ready(kind, &self.cell_objects(row, kind), &self.facts())
            }
        }
    }

    /// How many objects a still-unknown cell's lists have brought so far (the largest of
    /// its source kinds' counts), while one of them is being listed.
    pub fn listing(&self, kind: Kind) -> Option<usize> {
        status::sources(kind)
            .iter()
            .filter_map(|k| self.listing.get(k))
            .max()
            .copied()
    }

    /// What diagnosis knows besides a cell's objects.
    pub fn facts(&self) -> Facts<'_> {
        Facts {
            nodes: &self.nodes,
            nodes_known: self.sync(ObjKind::Node) == Some(Sync::Synced),
            warnings: &self.warnings,
        }
    }

    /// Every problem of a cell, for the detail view (the why-line sums them up).
    pub fn problems(&self, row: usize, kind: Kind) -> Vec<Problem> {
        diagnose(&self.cell_objects(row, kind), &self.facts())
    }

    /// The latest Warning of each of `objects` that has one, newest first.
    pub fn warnings_of(&self, objects: &[&ObjectSummary]) -> Vec<&EventSummary> {
        let mut found: Vec<&EventSummary> = objects
            .iter()
            .filter_map(|o| self.warnings.get(&o.obj))
            .collect();
        found.sort_by_key(|e| std::cmp::Reverse(e.time));
        found
    }

    /// Remembers a Warning event about a known object (the latest one wins); false if
    /// nothing changed. The cell's status does not move, but its why-line may.
    pub fn note_event(&mut self, event: &EventSummary) -> bool {
        if !event.warning || !self.objects.contains_key(&event.regarding) {
            return false;
        }
        let newer = self
            .warnings
            .get(&event.regarding)
            .is_none_or(|w| w.time <= event.time);
        if newer {
            self.warnings.insert(event.regarding.clone(), event.clone());
        }
        newer
    }

    /// Whether a workflow step's condition holds for the objects it rendered (`expected`),
    /// judged by the grid's own rules: the cell's status decides, its why-line is the reason.
    /// So a cell and its deploy step never disagree.
    pub fn condition(
        &self,
        wait: WaitFor,
        service: &str,
        kind: Kind,
        expected: &[ObjRef],
    ) -> Readiness {
        // What cannot be listed cannot be waited for: say so instead of waiting forever
        // (or calling it gone).
        if let Some(row) = self.row_of_service(service)
            && *self.status(row, kind) == CellStatus::Forbidden
        {
            let why = self.why_not_ready(row, kind).unwrap_or_default();
            return Readiness::Failed(format!("{why}: this step cannot be judged without it"));
        }
        let (present, missing): (Vec<&ObjRef>, Vec<&ObjRef>) =
            expected.iter().partition(|r| self.objects.contains_key(r));
        if wait == WaitFor::Gone {
            return match present.as_slice() {
                [] => Readiness::Ready,
                left => Readiness::NotYet(format!("deleting {}", names(left, false))),
            };
        }
        if !missing.is_empty() {
            let what = names(&missing, true);
            return Readiness::NotYet(format!("waiting for {what} to appear"));
        }
        let Some(row) = self.row_of_service(service) else {
            return Readiness::Failed(format!("{service} is not a service of the catalog"));
        };
        let status = self.status(row, kind);
        let why = |kind| {
            self.why_not_ready(row, kind)
                .unwrap_or_else(|| format!("{service} {kind} is not ready"))
        };
        match wait {
            WaitFor::Exists if *status == CellStatus::Terminating => Readiness::NotYet(why(kind)),
            WaitFor::Exists => Readiness::Ready,
            // A workload is usable once its Services route to it.
            WaitFor::PodsReady
                if status.is_ok()
                    && self.has_kind[row][Kind::Svc.index()]
                    && !self.status(row, Kind::Svc).is_ok() =>
            {
                Readiness::NotYet(why(Kind::Svc))
            }
            // Not what the config renders (yet): the apply has not reached the watch, or
            // something changes it back.
            _ if matches!(status, CellStatus::Drift { .. }) => Readiness::NotYet(why(kind)),
            _ if status.is_ok() => Readiness::Ready,
            _ if status::settled_failure(&self.cell_objects(row, kind)) => {
                Readiness::Failed(why(kind))
            }
            _ => Readiness::NotYet(why(kind)),
        }
    }

    /// A cell's pod being deleted on a node that is not Ready stays Terminating: say why.
    fn stuck_on_lost_node(&self, row: usize, kind: Kind) -> Option<String> {
        // Without the node list, a node's health is unknown, not lost.
        if self.sync(ObjKind::Node).is_some_and(|s| s != Sync::Synced) {
            return None;
        }
        self.cell_objects(row, kind)
            .into_iter()
            .find_map(|o| match &o.state {
                ObjState::Pod {
                    node: Some(node),
                    owner,
                    ..
                } if o.deleting
                    && self
                        .nodes
                        .get(node)
                        .is_none_or(|n| n.ready != NodeReady::True) =>
                {
                    let stateful = owner
                        .as_ref()
                        .is_some_and(|r| r.kind == ObjKind::StatefulSet);
                    Some(stuck_terminating(&o.obj.name, node, stateful))
                }
                _ => None,
            })
    }

    /// The first source kind that keeps a cell unknown or forbidden.
    fn blocking_sync(&self, kind: Kind) -> Option<(ObjKind, Sync)> {
        status::sources(kind)
            .iter()
            .flat_map(|k| [(*k, self.sync(*k)), (*k, self.foreign_sync.get(k).copied())])
            .filter_map(|(k, s)| Some((k, s?)))
            .filter(|(_, s)| *s != Sync::Synced)
            .max_by_key(|(_, s)| *s == Sync::Forbidden)
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
            let at = kind.index();
            self.members[row][at].insert(obj.obj.clone());
            self.census[row][at].add(&obj);
            if status::notable(&obj) {
                self.notable[row][at].insert(obj.obj.clone());
            }
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
            let at = kind.index();
            self.members[row][at].remove(obj);
            self.census[row][at].remove(&old);
            self.notable[row][at].remove(obj);
        }
        cell
    }

    /// Recomputes a cell: its drift, then its status (drifting only when otherwise ready).
    /// Defers judging changed cells until `release`: a burst of updates to one cell of
    /// thousands of pods is then judged once. Statuses read meanwhile are the last judged.
    pub fn hold(&mut self) {
        self.held.get_or_insert_with(BTreeSet::new);
    }

    /// Judges every cell changed since `hold`, and judges at once again from now on.
    pub fn release(&mut self) {
        for (row, kind) in self.held.take().unwrap_or_default() {
            self.refresh(row, kind);
        }
    }

    fn refresh(&mut self, row: usize, kind: Kind) {
        if let Some(held) = &mut self.held {
            held.insert((row, kind));
            return;
        }
        let drift = self.judge_drift(row, kind);
        let status = self.compute(row, kind);
        self.statuses[row][kind.index()] = match &drift {
            Some(d) if status.is_ok() && d.shows() => status.drifting(),
            _ => status,
        };
        self.drift[row][kind.index()] = drift;
    }

    /// Compares what the config renders for a cell with the cell's live objects: only
    /// objects kolla-dash applies carry what is compared (`ObjectSummary::live`).
    fn judge_drift(&self, row: usize, kind: Kind) -> Option<CellDrift> {
        let rendering = self.desired.as_ref()?;
        if !self.has_kind[row][kind.index()] {
            return None;
        }
        let wanted = &rendering.cells[row][kind.index()];
        let mut objects = Vec::new();
        for obj in wanted {
            let difference = match self.objects.get(obj) {
                // A Job runs once and may be gone after it ran (deleted after the
                // bootstrap, by a TTL): only a cell without any object is created again.
                None if obj.kind == ObjKind::Job => continue,
                None => Difference::Missing,
                Some(ObjectSummary {
                    live: Some(live), ..
                }) => {
                    let desired = &rendering.objects[obj].object;
                    let changes = drift::compare(obj.kind, desired, live);
                    if changes.is_empty() {
                        continue;
                    }
                    Difference::Changed(changes)
                }
                Some(_) => continue,
            };
            objects.push(ObjectDrift {
                obj: obj.clone(),
                difference,
            });
        }
        // What kolla-dash applied is notable: the cell's other objects need no look.
        for obj in &self.notable[row][kind.index()] {
            let applied = self.objects.get(obj).is_some_and(|o| o.live.is_some());
            if applied && !rendering.objects.contains_key(obj) {
                objects.push(ObjectDrift {
                    obj: obj.clone(),
                    difference: Difference::Unrendered,
                });
            }
        }
        CellDrift::judge(&self.services[row], kind, objects, |job| {
            self.objects.get(job).is_some_and(|o| {
                matches!(
                    o.state,
                    ObjState::Job {
                        state: JobState::Complete,
                        ..
                    }
                )
            })
        })
    }

    fn refresh_foreign<'a>(&mut self, changed: impl IntoIterator<Item = &'a Foreign>) {
        let cells: Vec<(usize, Kind)> = changed
            .into_iter()
            .filter_map(|f| self.foreign_cell(f))
            .collect();
        for (row, kind) in cells {
            self.refresh(row, kind);
        }
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
        // A cell is judged once its kinds are listed, by kolla-dash's watches and by the
        // foreign watch (an absent cell may hold someone else's object).
        let states = status::sources(kind)
            .iter()
            .flat_map(|k| [self.sync.get(k), self.foreign_sync.get(k)])
            .flatten();
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
        // An object kolla-dash may not touch speaks for the cell: nothing it does there
        // can succeed without --adopt.
        if !self.foreign_in(row, kind).is_empty() {
            return CellStatus::Foreign;
        }
        let notable: Vec<&ObjectSummary> = self.notable[row][kind.index()]
            .iter()
            .filter_map(|r| self.objects.get(r))
            .collect();
        status::judge(kind, &notable, &self.census[row][kind.index()])
    }
}

/// "a, b" or, with kinds, "Job/a, Job/b".
fn names(objs: &[&ObjRef], with_kind: bool) -> String {
    objs.iter()
        .map(|r| {
            if with_kind {
                format!("{}/{}", r.kind, r.name)
            } else {
                r.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{Dice, job, obj, pod_in_state, rows, service, workload};
    use crate::summary::{JobState, Owner, VolumePhase};

    fn store(objects: Vec<ObjectSummary>) -> Store {
        let mut store = Store::new(&rows(), &ObjKind::WATCHED);
        for kind in ObjKind::WATCHED {
            store.resync(kind, Vec::new());
        }
        for o in objects {
            store.apply(o);
        }
        store
    }

    /// keystone's Service `name` with a slice of `ready` endpoints.
    fn keystone_service(name: &str, ready: u32) -> Vec<ObjectSummary> {
        let mut objs = service(name, ready);
        for o in &mut objs {
            o.owner = Some(Owner {
                service: "keystone".into(),
                kind: Kind::Svc,
            });
        }
        objs
    }

    fn refs(objs: &[&ObjectSummary]) -> Vec<ObjRef> {
        objs.iter().map(|o| o.obj.clone()).collect()
    }

    fn pvc(phase: VolumePhase) -> ObjectSummary {
        let state = ObjState::Pvc {
            phase,
            volume: None,
            bootstrapped: None,
        };
        obj(
            ObjKind::PersistentVolumeClaim,
            "mariadb",
            "mariadb",
            Kind::Pvc,
            state,
        )
    }

    #[test]
    fn a_step_on_a_kind_rbac_hides_fails_and_only_read_kinds_matter() {
        let mut s = store(vec![]);
        s.set_sync(ObjKind::PersistentVolume, Sync::Forbidden);
        assert!(s.all_settled() && !s.all_synced());
        let pv = ObjRef {
            kind: ObjKind::PersistentVolume,
            name: "kolla-mariadb".into(),
        };
        for wait in [WaitFor::Exists, WaitFor::Gone] {
            match s.condition(wait, "mariadb", Kind::Pv, std::slice::from_ref(&pv)) {
                Readiness::Failed(why) => assert_eq!(
                    why,
                    "forbidden: kolla-dash may not list PersistentVolume objects (RBAC): \
                     this step cannot be judged without it"
                ),
                other => panic!("{wait:?}: {other:?}"),
            }
        }
        assert!(s.matters(ObjKind::PersistentVolume));
        assert_eq!(s.unchecked(), vec![ObjKind::PersistentVolume]);
        let memcached = [Row::new(
            "memcached",
            [Kind::Svc, Kind::Configmap, Kind::Pod],
        )];
        let only = Store::new(&memcached, &ObjKind::WATCHED);
        assert!(!only.matters(ObjKind::PersistentVolume));
        assert!(!only.matters(ObjKind::StorageClass));
        assert!(only.matters(ObjKind::EndpointSlice));
        assert!(only.matters(ObjKind::Node));
        assert!(!only.all_settled());
    }

    #[test]
    fn a_claim_step_waits_with_the_cells_own_words() {
        let pending = pvc(VolumePhase::Pending);
        let expected = refs(&[&pending]);
        let s = store(vec![pending]);
        let why = s.why_not_ready(0, Kind::Pvc);
        assert_eq!(why.as_deref(), Some("waiting for PVC mariadb to bind"));
        assert_eq!(
            s.condition(WaitFor::Bound, "mariadb", Kind::Pvc, &expected),
            Readiness::NotYet(why.unwrap_or_default())
        );
        let s = store(vec![pvc(VolumePhase::Bound)]);
        assert!(s.status(0, Kind::Pvc).is_ok());
        assert_eq!(
            s.condition(WaitFor::Bound, "mariadb", Kind::Pvc, &expected),
            Readiness::Ready
        );
        let s = store(vec![pvc(VolumePhase::Lost)]);
        assert!(matches!(
            s.condition(WaitFor::Bound, "mariadb", Kind::Pvc, &expected),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn a_failed_job_fails_the_step_with_the_cells_reason_and_missing_objects_wait() {
        let failed = job(
            "keystone-create-db",
            "keystone",
            JobState::Failed {
                reason: "BackoffLimitExceeded".into(),
                message: String::new(),
            },
        );
        let other = ObjRef {
            kind: ObjKind::Job,
            name: "keystone-manage-db".into(),
        };
        let mut expected = refs(&[&failed]);
        let s = store(vec![failed]);
        assert_eq!(
            s.condition(
                WaitFor::JobComplete,
                "keystone",
                Kind::Bootstrap,
                std::slice::from_ref(&other)
            ),
            Readiness::NotYet("waiting for Job/keystone-manage-db to appear".into())
        );
        let why = "Job keystone-create-db failed: BackoffLimitExceeded (to retry: kolla-dash \
                   resource delete keystone bootstrap, then deploy again)";
        assert_eq!(s.why_not_ready(2, Kind::Bootstrap).as_deref(), Some(why));
        assert_eq!(
            s.condition(WaitFor::JobComplete, "keystone", Kind::Bootstrap, &expected),
            Readiness::Failed(why.into())
        );
        assert_eq!(
            s.condition(WaitFor::Gone, "keystone", Kind::Bootstrap, &expected),
            Readiness::NotYet("deleting keystone-create-db".into())
        );
        expected.push(other);
        assert!(matches!(
            s.condition(WaitFor::JobComplete, "keystone", Kind::Bootstrap, &expected),
            Readiness::NotYet(_)
        ));
    }

    #[test]
    fn pods_are_ready_only_with_every_replica_and_the_services_endpoints() {
        let deploy = |ready| workload(ObjKind::Deployment, "keystone", 3, ready);
        let expected = refs(&[&deploy(3)]);
        let s = store(vec![deploy(2)]);
        let why = s.why_not_ready(2, Kind::Pod).unwrap_or_default();
        assert_eq!(why, "2/3 replicas ready");
        assert_eq!(
            s.condition(WaitFor::PodsReady, "keystone", Kind::Pod, &expected),
            Readiness::NotYet(why)
        );
        // Every replica ready, but a Service of keystone has no ready endpoint yet.
        let mut objs = vec![deploy(3)];
        objs.extend(keystone_service("keystone-admin", 1));
        objs.extend(keystone_service("keystone-public", 0));
        let s = store(objs);
        assert!(s.status(2, Kind::Pod).is_ok());
        assert_eq!(
            s.condition(WaitFor::PodsReady, "keystone", Kind::Pod, &expected),
            Readiness::NotYet("Service keystone-public has no ready endpoints".into())
        );
        let mut objs = vec![deploy(3)];
        objs.extend(keystone_service("keystone-admin", 1));
        objs.extend(keystone_service("keystone-public", 2));
        let s = store(objs);
        assert_eq!(
            s.condition(WaitFor::PodsReady, "keystone", Kind::Pod, &expected),
            Readiness::Ready
        );
    }

    #[test]
    fn a_cell_judged_from_its_census_says_what_the_rule_says_of_all_its_objects() {
        let mut s = store(Vec::new());
        let row = s.row_of_service("memcached").unwrap_or(0);
        let mut dice = Dice::new(17);
        let mut seen = BTreeSet::new();
        for step in 0..3_000 {
            let name = format!("memcached-{}", dice.roll(12));
            match dice.roll(10) {
                0 => s.delete(&ObjRef {
                    kind: ObjKind::Pod,
                    name,
                }),
                1 => {
                    let ready = u32::try_from(dice.roll(4)).unwrap_or(0);
                    let mut w = workload(ObjKind::Deployment, "memcached", 3, ready);
                    w.deleting = dice.roll(4) == 0;
                    s.apply(w);
                }
                2 => s.delete(&ObjRef {
                    kind: ObjKind::Deployment,
                    name: "memcached".into(),
                }),
                _ => s.apply(pod_in_state(&name, dice.roll(6), dice.roll(5) == 0)),
            }
            let all = s.cell_objects(row, Kind::Pod);
            let whole = status::cell_status(Kind::Pod, &all);
            assert_eq!(*s.status(row, Kind::Pod), whole, "step {step}: {all:#?}");
            seen.insert(
                format!("{whole:?}")
                    .split([' ', '{'])
                    .next()
                    .map(String::from),
            );
        }
        // The run went through the statuses that matter, not one of them over and over.
        assert!(seen.len() >= 5, "{seen:?}");
    }

    #[test]
    fn a_held_run_of_updates_is_judged_once_at_its_end_as_if_judged_one_by_one() {
        let updates = [
            workload(ObjKind::Deployment, "keystone", 3, 0),
            workload(ObjKind::Deployment, "keystone", 3, 2),
        ];
        let row = rows()
            .iter()
            .position(|r| r.service == "keystone")
            .unwrap_or(0);
        let mut one_by_one = store(Vec::new());
        let mut held = store(Vec::new());
        held.hold();
        for u in updates.clone() {
            one_by_one.apply(u.clone());
            held.apply(u);
        }
        // Meanwhile the cell keeps what was last judged.
        assert_eq!(*held.status(row, Kind::Pod), CellStatus::Absent);
        held.release();
        assert_eq!(
            held.status(row, Kind::Pod),
            one_by_one.status(row, Kind::Pod)
        );
        assert!(matches!(
            held.status(row, Kind::Pod),
            CellStatus::Pending { .. }
        ));
        // Released, it judges at once again.
        let done = workload(ObjKind::Deployment, "keystone", 3, 3);
        held.apply(done);
        assert_eq!(
            *held.status(row, Kind::Pod),
            CellStatus::Ready {
                count: Some((3, 3))
            }
        );
    }
}
