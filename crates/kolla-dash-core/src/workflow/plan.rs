//! The deploy/teardown plan: a dependency graph of steps, each with the real condition it
//! waits on. Pure: built from the catalog's shape and a snapshot of what is already ready.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use crate::config::StorageProvider;
use crate::drift::{CellDrift, Verdict};
use crate::kind::Kind;

/// A set of grid cells, by service name and kind.
pub type Cells = HashSet<(String, Kind)>;

/// The cluster as the planner needs to know it.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// Cells ready or completed (drifting ones too; a bootstrap also when the service's
    /// data records one: it runs once).
    pub ready: Cells,
    /// Cells known to have no object at all (a cell RBAC hides is not known to be empty).
    pub absent: Cells,
    /// Cells that differ from the config (`drift`).
    pub drift: HashMap<(String, Kind), CellDrift>,
}

/// What the planner needs to know about one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub name: String,
    /// The kinds the service has, in creation order.
    pub kinds: Vec<Kind>,
    pub depends_on: Vec<String>,
}

/// What a step does to the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepAction {
    Create(Kind),
    Delete(Kind),
}

impl StepAction {
    /// The grid column the step acts on.
    pub fn kind(self) -> Kind {
        match self {
            StepAction::Create(k) | StepAction::Delete(k) => k,
        }
    }
}

/// The condition a step waits for after acting; the watchers report it, nothing polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitFor {
    /// The objects exist (ConfigMap, PV, Service, Secret).
    Exists,
    /// Every PVC of the cell is Bound.
    Bound,
    /// Every Job of the cell is Complete; a Failed Job fails the step.
    JobComplete,
    /// The workload has all its replicas ready, and the service's Services have ready
    /// endpoints (what its dependents will connect to).
    PodsReady,
    /// The objects are gone.
    Gone,
}

impl WaitFor {
    /// The condition that proves a created kind is usable by the next step.
    pub fn after_create(kind: Kind) -> WaitFor {
        match kind {
            Kind::Disk | Kind::Bootstrap => WaitFor::JobComplete,
            Kind::Pvc => WaitFor::Bound,
            Kind::Pod => WaitFor::PodsReady,
            Kind::Pv | Kind::Svc | Kind::Configmap => WaitFor::Exists,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            WaitFor::Exists => "exists",
            WaitFor::Bound => "PVC bound",
            WaitFor::JobComplete => "job complete",
            WaitFor::PodsReady => "pods ready, service endpoints ready",
            WaitFor::Gone => "gone",
        }
    }
}

/// One node of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub id: usize,
    pub service: String,
    pub action: StepAction,
    pub wait: WaitFor,
    /// Steps that must be done first.
    pub after: Vec<usize>,
    /// Already satisfied when the plan was made: nothing to do.
    pub skip: bool,
    /// How the cell differs from the config: what the step changes, or (not applied) why
    /// it leaves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<CellDrift>,
}

impl Step {
    /// Why the step leaves its cell as it is although it differs from the config: a change
    /// that cannot be made in place waits for the operator.
    pub fn held(&self) -> Option<&str> {
        match self.drift.as_ref().map(|d| &d.verdict) {
            Some(Verdict::Held(why)) => Some(why),
            _ => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, kind) = match self.action {
            StepAction::Create(k) => ("create", k),
            StepAction::Delete(k) => ("delete", k),
        };
        write!(
            f,
            "{verb} {} {kind}, wait: {}",
            self.service,
            self.wait.describe()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    /// What the plan does, in its order: each step that acts, with what it changes in its
    /// cell, then the cells it leaves although they differ from the config, and why.
    pub fn changes(&self) -> Vec<String> {
        let mut acts = Vec::new();
        let mut held = Vec::new();
        for step in &self.steps {
            let cell = format!("{} {}", step.service, step.action.kind());
            if let Some(why) = step.held() {
                held.push(format!("not applied: {cell}: {why}"));
                continue;
            }
            if step.skip {
                continue;
            }
            let n = acts.len() + 1;
            acts.push(match (&step.drift, step.action) {
                (Some(d), StepAction::Create(_)) => format!("{n}. {cell}: {}", d.summary()),
                (None, StepAction::Create(_)) => {
                    format!(
                        "{n}. {cell}: apply again and wait until {}",
                        step.wait.describe()
                    )
                }
                (_, StepAction::Delete(_)) => format!("{n}. delete {cell}"),
            });
        }
        acts.extend(held);
        acts
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("unknown service '{name}'; valid services: {valid}")]
    UnknownService { name: String, valid: String },
    #[error("the catalog's dependencies form a cycle through {0}")]
    Cycle(String),
}

/// Knobs that change the shape of a deploy.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeployOptions {
    /// Delete a service's bootstrap Job once it completed, before its pods start: network
    /// volumes (ceph, gce, aws) cannot be mounted by the pod while the Job holds them
    /// (kolla-kubernetes' known issue #1).
    pub delete_bootstrap_after: bool,
    /// Claims of dynamically provisioned storage (gce, aws) bind only once a pod uses them
    /// (`WaitForFirstConsumer`): their step waits for the claim to exist, and the bootstrap
    /// Job that mounts it makes it bind. Waiting for Bound there would wait forever.
    pub claims_bind_on_use: bool,
}

impl DeployOptions {
    /// The deploy's shape for a storage provider.
    pub fn for_provider(provider: StorageProvider) -> DeployOptions {
        DeployOptions {
            // Network volumes cannot be mounted by the pod while the bootstrap Job holds
            // them.
            delete_bootstrap_after: provider != StorageProvider::Host,
            claims_bind_on_use: matches!(provider, StorageProvider::Gce | StorageProvider::Aws),
        }
    }
}

fn index(services: &[ServiceSpec]) -> HashMap<&str, &ServiceSpec> {
    services.iter().map(|s| (s.name.as_str(), s)).collect()
}

fn unknown(name: &str, services: &[ServiceSpec]) -> PlanError {
    PlanError::UnknownService {
        name: name.to_string(),
        valid: services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Services in dependency order (dependencies first), limited to `targets` and, when
/// `with_deps`, everything they depend on. Empty `targets` means every service. Catalog
/// order breaks ties, so the result is stable.
fn ordered<'a>(
    services: &'a [ServiceSpec],
    targets: &[String],
    with_deps: bool,
) -> Result<Vec<&'a ServiceSpec>, PlanError> {
    let by_name = index(services);
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    let roots: Vec<&str> = if targets.is_empty() {
        services.iter().map(|s| s.name.as_str()).collect()
    } else {
        targets.iter().map(String::as_str).collect()
    };
    let mut stack = Vec::new();
    for name in roots {
        let spec = by_name.get(name).ok_or_else(|| unknown(name, services))?;
        stack.push(*spec);
    }
    while let Some(spec) = stack.pop() {
        if !wanted.insert(spec.name.as_str()) || !with_deps {
            continue;
        }
        for dep in &spec.depends_on {
            stack.push(
                by_name
                    .get(dep.as_str())
                    .ok_or_else(|| unknown(dep, services))?,
            );
        }
    }
    // Kahn's algorithm over the wanted set, picking in catalog order.
    let mut done: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    while out.len() < wanted.len() {
        let next = services.iter().find(|s| {
            wanted.contains(s.name.as_str())
                && !done.contains(s.name.as_str())
                && s.depends_on
                    .iter()
                    .all(|d| done.contains(d.as_str()) || !wanted.contains(d.as_str()))
        });
        match next {
            Some(s) => {
                done.insert(&s.name);
                out.push(s);
            }
            None => {
                let stuck = wanted
                    .iter()
                    .find(|n| !done.contains(*n))
                    .map_or_else(String::new, |n| (*n).to_string());
                return Err(PlanError::Cycle(stuck));
            }
        }
    }
    Ok(out)
}

/// The deploy plan. Within a service the kinds go in catalog order, each waiting for the
/// previous one's condition; a service's bootstrap (or, without one, its pods) also waits
/// for the pods of every service it depends on. Independent services run in parallel.
/// Cells already ready are skipped unless they differ from the config in a way deploy
/// applies; a cell whose change cannot be made in place is held (`Step::held`), never
/// forced.
pub fn deploy(
    services: &[ServiceSpec],
    targets: &[String],
    current: &Current,
    options: DeployOptions,
) -> Result<Plan, PlanError> {
    let ready = &current.ready;
    let order = ordered(services, targets, true)?;
    let mut steps: Vec<Step> = Vec::new();
    // The step after which a service counts as up, for its dependents.
    let mut up: HashMap<&str, usize> = HashMap::new();
    for spec in order {
        let dep_gates: Vec<usize> = spec
            .depends_on
            .iter()
            .filter_map(|d| up.get(d.as_str()).copied())
            .collect();
        let pod_ready = ready.contains(&(spec.name.clone(), Kind::Pod));
        let mut prev: Option<usize> = None;
        let mut gated = false;
        for &kind in &spec.kinds {
            let mut after: Vec<usize> = prev.into_iter().collect();
            // Dependencies gate the first step that needs them running.
            if !gated && matches!(kind, Kind::Bootstrap | Kind::Pod) {
                after.extend(&dep_gates);
                gated = true;
            }
            let key = (spec.name.clone(), kind);
            let drift = current.drift.get(&key).cloned();
            let changes = drift.as_ref().is_some_and(CellDrift::applies);
            let held = drift
                .as_ref()
                .is_some_and(|d| matches!(d.verdict, Verdict::Held(_)));
            // A bootstrap runs once: a service whose pods are up was bootstrapped already,
            // even if its Job was deleted afterwards (and one whose data records its
            // bootstrap comes in `ready`).
            let skip = (ready.contains(&key) && !changes)
                || held
                || (kind == Kind::Bootstrap && pod_ready);
            let id = steps.len();
            steps.push(Step {
                id,
                service: spec.name.clone(),
                action: StepAction::Create(kind),
                wait: match kind {
                    Kind::Pvc if options.claims_bind_on_use => WaitFor::Exists,
                    _ => WaitFor::after_create(kind),
                },
                after,
                skip,
                drift,
            });
            prev = Some(id);
            if kind == Kind::Bootstrap && options.delete_bootstrap_after {
                let id = steps.len();
                steps.push(Step {
                    id,
                    service: spec.name.clone(),
                    action: StepAction::Delete(Kind::Bootstrap),
                    wait: WaitFor::Gone,
                    after: vec![id - 1],
                    skip,
                    drift: None,
                });
                prev = Some(id);
            }
        }
        if let Some(last) = prev {
            up.insert(&spec.name, last);
        }
    }
    Ok(Plan { steps })
}

/// The teardown plan: services in reverse dependency order, each deleting its kinds in
/// reverse; data kinds (disk, pv, pvc) only with `delete_data`. `absent` names cells with
/// nothing left to delete.
pub fn teardown(
    services: &[ServiceSpec],
    targets: &[String],
    delete_data: bool,
    absent: &Cells,
) -> Result<Plan, PlanError> {
    let order = ordered(services, targets, false)?;
    let mut steps: Vec<Step> = Vec::new();
    let mut last_of: HashMap<&str, usize> = HashMap::new();
    for spec in order.iter().rev() {
        // A service goes only after every planned service that depends on it is gone.
        let dependents: Vec<usize> = order
            .iter()
            .filter(|s| s.depends_on.contains(&spec.name))
            .filter_map(|s| last_of.get(s.name.as_str()).copied())
            .collect();
        let mut prev: Option<usize> = None;
        for &kind in spec.kinds.iter().rev() {
            if kind.holds_data() && !delete_data {
                continue;
            }
            let mut after: Vec<usize> = prev.into_iter().collect();
            if prev.is_none() {
                after.extend(&dependents);
            }
            let id = steps.len();
            steps.push(Step {
                id,
                service: spec.name.clone(),
                action: StepAction::Delete(kind),
                wait: WaitFor::Gone,
                after,
                skip: absent.contains(&(spec.name.clone(), kind)),
                drift: None,
            });
            prev = Some(id);
        }
        if let Some(last) = prev {
            last_of.insert(&spec.name, last);
        }
    }
    Ok(Plan { steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::*;

    fn spec(name: &str, kinds: &[Kind], deps: &[&str]) -> ServiceSpec {
        ServiceSpec {
            name: name.into(),
            kinds: kinds.to_vec(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// The guide's four services plus ceph, from the catalog itself (with ceph storage, so
    /// ceph's bootstrap is a step): a test copy would drift from it.
    fn guide() -> Vec<ServiceSpec> {
        crate::model::fixtures::catalog_rows(crate::config::StorageProvider::Ceph)
            .iter()
            .map(crate::model::grid::Row::spec)
            .collect()
    }

    fn current(ready: Cells) -> Current {
        Current {
            ready,
            ..Current::default()
        }
    }

    fn find<'a>(plan: &'a Plan, service: &str, action: StepAction) -> &'a Step {
        plan.steps
            .iter()
            .find(|s| s.service == service && s.action == action)
            .unwrap_or_else(|| panic!("no step {service} {action:?}"))
    }

    /// True when `a` must finish before `b` can start (transitively).
    fn before(plan: &Plan, a: usize, b: usize) -> bool {
        let mut stack = plan.steps[b].after.clone();
        let mut seen = HashSet::new();
        while let Some(s) = stack.pop() {
            if s == a {
                return true;
            }
            if seen.insert(s) {
                stack.extend(&plan.steps[s].after);
            }
        }
        false
    }

    #[test]
    fn deploy_follows_the_guides_order() {
        let plan = deploy(&guide(), &[], &Current::default(), DeployOptions::default()).unwrap();
        let id = |s: &str, k: Kind| find(&plan, s, StepAction::Create(k)).id;
        // Within mariadb: disk -> pv -> pvc -> svc -> configmap -> bootstrap -> pod.
        let chain = [Disk, Pv, Pvc, Svc, Configmap, Bootstrap, Pod].map(|k| id("mariadb", k));
        for w in chain.windows(2) {
            assert!(before(&plan, w[0], w[1]));
        }
        // keystone bootstraps only once mariadb and memcached pods are ready.
        assert!(before(&plan, id("mariadb", Pod), id("keystone", Bootstrap)));
        assert!(before(
            &plan,
            id("memcached", Pod),
            id("keystone", Bootstrap)
        ));
        // keystone's svc and configmap need not wait for mariadb.
        assert!(!before(
            &plan,
            id("mariadb", Pod),
            id("keystone", Configmap)
        ));
        // horizon's pods wait for keystone's, and memcached's (its session cache).
        assert!(before(&plan, id("keystone", Pod), id("horizon", Pod)));
        assert!(before(&plan, id("memcached", Pod), id("horizon", Pod)));
        assert_eq!(
            find(&plan, "mariadb", StepAction::Create(Pvc)).wait,
            WaitFor::Bound
        );
        assert_eq!(
            find(&plan, "keystone", StepAction::Create(Bootstrap)).wait,
            WaitFor::JobComplete
        );
    }

    #[test]
    fn independent_services_are_parallel_branches() {
        let plan = deploy(&guide(), &[], &Current::default(), DeployOptions::default()).unwrap();
        let id = |s: &str, k: Kind| find(&plan, s, StepAction::Create(k)).id;
        assert!(!before(&plan, id("mariadb", Pod), id("memcached", Pod)));
        assert!(!before(&plan, id("memcached", Pod), id("mariadb", Disk)));
        // memcached's first step can start at once.
        assert!(
            find(&plan, "memcached", StepAction::Create(Svc))
                .after
                .is_empty()
        );
    }

    #[test]
    fn deploying_one_service_brings_its_dependencies_only() {
        let plan = deploy(
            &guide(),
            &["keystone".into()],
            &Current::default(),
            DeployOptions::default(),
        )
        .unwrap();
        let services: BTreeSet<&str> = plan.steps.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(
            services,
            BTreeSet::from(["ceph", "keystone", "mariadb", "memcached"])
        );
    }

    #[test]
    fn ready_cells_are_skipped_and_bootstrap_is_skipped_once_pods_run() {
        let ready: HashSet<(String, Kind)> = [("mariadb", Disk), ("mariadb", Pv), ("mariadb", Pod)]
            .into_iter()
            .map(|(s, k)| (s.to_string(), k))
            .collect();
        let plan = deploy(
            &guide(),
            &["mariadb".into()],
            &current(ready),
            DeployOptions::default(),
        )
        .unwrap();
        assert!(find(&plan, "mariadb", StepAction::Create(Disk)).skip);
        assert!(find(&plan, "mariadb", StepAction::Create(Pv)).skip);
        assert!(!find(&plan, "mariadb", StepAction::Create(Pvc)).skip);
        assert!(find(&plan, "mariadb", StepAction::Create(Bootstrap)).skip);
    }

    #[test]
    fn a_fully_ready_stack_plans_nothing_to_do() {
        let ready: HashSet<(String, Kind)> = guide()
            .iter()
            .flat_map(|s| s.kinds.iter().map(|&k| (s.name.clone(), k)))
            .collect();
        let options = DeployOptions {
            delete_bootstrap_after: true,
            claims_bind_on_use: true,
        };
        let plan = deploy(&guide(), &[], &current(ready), options).unwrap();
        assert!(plan.steps.iter().all(|s| s.skip), "{plan:#?}");
    }

    #[test]
    fn teardown_skips_cells_with_nothing_left() {
        let absent: HashSet<(String, Kind)> = [("horizon", Pod), ("horizon", Configmap)]
            .into_iter()
            .map(|(s, k)| (s.to_string(), k))
            .collect();
        let plan = teardown(&guide(), &["horizon".into()], false, &absent).unwrap();
        assert!(find(&plan, "horizon", StepAction::Delete(Pod)).skip);
        assert!(find(&plan, "horizon", StepAction::Delete(Configmap)).skip);
        assert!(!find(&plan, "horizon", StepAction::Delete(Svc)).skip);
        // Only the named service goes; what it depends on stays.
        assert!(plan.steps.iter().all(|s| s.service == "horizon"));
    }

    #[test]
    fn claims_that_bind_on_use_are_not_awaited_before_their_first_user() {
        let bound = deploy(&guide(), &[], &Current::default(), DeployOptions::default()).unwrap();
        assert_eq!(
            find(&bound, "mariadb", StepAction::Create(Pvc)).wait,
            WaitFor::Bound
        );
        let options = DeployOptions {
            delete_bootstrap_after: true,
            claims_bind_on_use: true,
        };
        let plan = deploy(&guide(), &[], &Current::default(), options).unwrap();
        let pvc = find(&plan, "mariadb", StepAction::Create(Pvc));
        assert_eq!(pvc.wait, WaitFor::Exists);
        // The bootstrap Job, the claim's first user, still comes after the claim.
        let boot = find(&plan, "mariadb", StepAction::Create(Bootstrap));
        assert!(before(&plan, pvc.id, boot.id));
    }

    #[test]
    fn network_storage_deletes_the_bootstrap_job_before_pods() {
        let options = DeployOptions {
            delete_bootstrap_after: true,
            claims_bind_on_use: false,
        };
        let plan = deploy(&guide(), &["mariadb".into()], &Current::default(), options).unwrap();
        let delete = find(&plan, "mariadb", StepAction::Delete(Bootstrap));
        let boot = find(&plan, "mariadb", StepAction::Create(Bootstrap));
        let pod = find(&plan, "mariadb", StepAction::Create(Pod));
        assert_eq!(delete.wait, WaitFor::Gone);
        assert!(before(&plan, boot.id, delete.id));
        assert!(before(&plan, delete.id, pod.id));
    }

    #[test]
    fn teardown_reverses_and_keeps_data_unless_asked() {
        let plan = teardown(&guide(), &[], false, &HashSet::new()).unwrap();
        assert!(plan.steps.iter().all(|s| match s.action {
            StepAction::Delete(k) => !k.holds_data(),
            StepAction::Create(_) => false,
        }));
        let id = |s: &str, k: Kind| find(&plan, s, StepAction::Delete(k)).id;
        assert!(before(&plan, id("horizon", Pod), id("keystone", Pod)));
        assert!(before(&plan, id("keystone", Svc), id("mariadb", Pod)));
        assert!(before(&plan, id("mariadb", Pod), id("mariadb", Configmap)));
        let with_data = teardown(&guide(), &["mariadb".into()], true, &HashSet::new()).unwrap();
        let kinds: Vec<Kind> = with_data
            .steps
            .iter()
            .map(|s| match s.action {
                StepAction::Delete(k) | StepAction::Create(k) => k,
            })
            .collect();
        assert_eq!(kinds, vec![Pod, Bootstrap, Configmap, Svc, Pvc, Pv, Disk]);
    }

    #[test]
    fn unknown_services_and_cycles_are_errors() {
        let err = deploy(
            &guide(),
            &["nova".into()],
            &Current::default(),
            DeployOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("valid services: ceph, mariadb"));
        let cyclic = vec![spec("a", &[Pod], &["b"]), spec("b", &[Pod], &["a"])];
        assert!(matches!(
            deploy(&cyclic, &[], &Current::default(), DeployOptions::default()),
            Err(PlanError::Cycle(_))
        ));
    }
}
