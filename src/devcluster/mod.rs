//! The local control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
//! and kwok, run as processes on loopback. [`DevCluster`] starts, attaches to and stops one;
//! `cli` wraps it as `kolla-dash dev-cluster`. Knows nothing of kolla.

pub mod bins;
pub mod cli;
mod component;
mod pki;
pub mod podlogs;
mod ports;
mod process;
mod state;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cluster::client::RequestTimeout;
use crate::cluster::simulate as nodes;
pub use crate::cluster::simulate::{NOT_READY, SIMULATE, node_name};
pub use bins::{Binaries, Versions};
pub use component::Component;
pub use pki::{OPERATOR_CONTEXT, OPERATOR_USER, UNPRIVILEGED_CONTEXT, VIEWER_CONTEXT, VIEWER_USER};
pub use state::Ports;

use process::{Detach, Now, Proc};
use state::{ClusterState, Layout};

/// Stages given to kwok: the fake kubelets' behaviour.
const KWOK_STAGES: &str = include_str!("../../assets/kwok/stages.yaml");
const KWOK_REHEARSAL: &str = include_str!("../../assets/kwok/rehearsal.yaml");
const APISERVER_READY_TIMEOUT: Duration = Duration::from_secs(60);
const NODES_READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a component gets to exit on SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Start attempts when a freshly picked port was taken before the component bound it.
const PORT_ATTEMPTS: u32 = 3;
const POLL: Duration = Duration::from_millis(200);
const LOG_TAIL_LINES: usize = 30;

/// Where start-up progress goes.
#[derive(Clone, Default)]
pub enum Progress {
    #[default]
    Silent,
    /// One line per step on stderr.
    Stderr,
    Callback(Arc<dyn Fn(&str) + Send + Sync>),
}

impl Progress {
    fn say(&self, message: &str) {
        match self {
            Progress::Silent => {}
            Progress::Stderr => eprintln!("[dev-cluster] {message}"),
            Progress::Callback(f) => f(message),
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Progress::Silent => "Silent",
            Progress::Stderr => "Stderr",
            Progress::Callback(_) => "Callback",
        })
    }
}

#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Nodes `kolla-node-1..=nodes`, labelled as kolla controller and compute hosts.
    pub nodes: u32,
    /// `None`: a throwaway cluster in a temporary directory, stopped and removed when the
    /// [`DevCluster`] is dropped (also while unwinding from a panic); its processes also
    /// die with the thread that started them, so start it where it is used (not in a
    /// `static` shared by test threads). `Some`: the processes outlive the handle; stop
    /// them with [`DevCluster::down`] or [`destroy`].
    pub state_dir: Option<PathBuf>,
    pub progress: Progress,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            nodes: 3,
            state_dir: None,
            progress: Progress::Silent,
        }
    }
}

/// What dropping the handle does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifetime {
    /// Stop every process and remove the state directory.
    Throwaway,
    /// Nothing: the cluster keeps running.
    Kept,
}

/// A running local cluster.
pub struct DevCluster {
    layout: Layout,
    state: ClusterState,
    client: kube::Client,
    lifetime: Lifetime,
    /// Processes this handle started, reaped when stopped so no zombie lingers.
    children: Vec<(Component, Child)>,
    progress: Progress,
}

impl std::fmt::Debug for DevCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCluster")
            .field("state_dir", &self.layout.root())
            .field("state", &self.state)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Outcome of waiting for something while watching the processes.
enum Died {
    /// A port picked as free was taken by the time the component bound it.
    PortTaken,
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Died {
    fn from(e: anyhow::Error) -> Self {
        Died::Other(e)
    }
}

impl DevCluster {
    /// Starts a cluster and returns once the apiserver is ready and every node is Ready.
    pub async fn start(opts: StartOptions) -> anyhow::Result<Self> {
        let bins = Binaries::locate()?;
        let (root, lifetime) = match opts.state_dir {
            Some(dir) => (dir, Lifetime::Kept),
            None => (temp_state_dir(), Lifetime::Throwaway),
        };
        let layout = Layout::new(root);
        prepare_state_dir(&layout)?;

        let ports = ports::pick()?;
        let state = ClusterState {
            versions: bins.versions.clone(),
            bin_dir: bins.dir.clone(),
            ports,
            nodes: opts.nodes,
            pids: BTreeMap::new(),
        };
        // cluster.json first: from here on `down` recognises the directory as a cluster.
        let client = match write_files(&layout, &state).await {
            Ok(client) => client,
            Err(e) => {
                if lifetime == Lifetime::Throwaway {
                    let _ = destroy(layout.root());
                }
                return Err(e);
            }
        };

        let mut cluster = DevCluster {
            layout,
            state,
            client,
            lifetime,
            children: Vec::new(),
            progress: opts.progress,
        };
        // On failure a throwaway cluster is cleaned up by Drop; a kept one stops its
        // processes but keeps its logs for reading.
        if let Err(e) = cluster.boot().await {
            if cluster.lifetime == Lifetime::Kept {
                let _ = cluster.stop_processes();
            }
            return Err(e);
        }
        Ok(cluster)
    }

    /// A handle on a cluster started earlier in `state_dir`; dropping it changes nothing.
    pub async fn attach(state_dir: &Path) -> anyhow::Result<Self> {
        let layout = Layout::new(state_dir.to_owned());
        let state = ClusterState::load(&layout)?.with_context(|| {
            format!(
                "no dev-cluster in {}: start one with `kolla-dash dev-cluster up`",
                state_dir.display()
            )
        })?;
        let client = client_for(&layout).await?;
        Ok(DevCluster {
            layout,
            state,
            client,
            lifetime: Lifetime::Kept,
            children: Vec::new(),
            progress: Progress::Silent,
        })
    }

    pub fn state_dir(&self) -> &Path {
        self.layout.root()
    }

    /// The simulated containers' log files (see `podlogs`).
    pub fn pod_logs_dir(&self) -> PathBuf {
        self.layout.pod_logs()
    }

    pub fn kubeconfig_path(&self) -> PathBuf {
        self.layout.kubeconfig()
    }

    /// An admin client (rustls, token auth).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    pub fn ports(&self) -> Ports {
        self.state.ports
    }

    pub fn versions(&self) -> &Versions {
        &self.state.versions
    }

    /// Pid of every component started and not stopped since.
    pub fn pids(&self) -> BTreeMap<Component, u32> {
        self.state.pids.iter().map(|(c, p)| (*c, p.pid)).collect()
    }

    pub fn log_path(&self, component: Component) -> PathBuf {
        self.layout.log(component)
    }

    /// Names of the nodes this cluster was started with.
    pub fn node_names(&self) -> Vec<String> {
        (1..=self.state.nodes).map(node_name).collect()
    }

    /// Ready condition of every node, by name.
    pub async fn node_readiness(&self) -> anyhow::Result<BTreeMap<String, bool>> {
        nodes::readiness(&self.client).await
    }

    /// Makes a node report Ready=False (kwok's not-ready stage); its lease stays fresh.
    pub async fn fail_node(&self, name: &str) -> anyhow::Result<()> {
        nodes::fail(&self.client, name, nodes::Failure::NotReady).await
    }

    /// Makes a node's kubelet vanish: the node goes Unknown (see [`nodes::Failure`]).
    pub async fn vanish_node(&self, name: &str) -> anyhow::Result<()> {
        nodes::fail(&self.client, name, nodes::Failure::Vanished).await
    }

    /// Undoes [`fail_node`](Self::fail_node): the node reports Ready again.
    pub async fn restore_node(&self, name: &str) -> anyhow::Result<()> {
        nodes::restore(&self.client, name).await
    }

    /// Every simulated node, failed ones too, in name order.
    pub async fn all_nodes(&self) -> anyhow::Result<Vec<String>> {
        nodes::node_names(&self.client).await
    }

    /// Freezes a running component (SIGSTOP): it keeps its port and its connections but
    /// answers nothing, as a hung process or a network path that drops packets does.
    pub fn pause_component(&self, component: Component) -> anyhow::Result<u32> {
        let proc = self.own(component)?;
        process::pause(&proc, true)?;
        Ok(proc.pid)
    }

    /// Lets a paused component run again (SIGCONT).
    pub fn resume_component(&self, component: Component) -> anyhow::Result<u32> {
        let proc = self.own(component)?;
        process::pause(&proc, false)?;
        Ok(proc.pid)
    }

    /// The process this cluster started as `component`, if it still runs (same pid, start
    /// time and binary).
    fn own(&self, component: Component) -> anyhow::Result<Proc> {
        let proc = self.state.pids.get(&component).cloned().with_context(|| {
            format!(
                "{component} is not running in the dev-cluster in {}",
                self.layout.root().display()
            )
        })?;
        if !proc.is_running() {
            bail!(
                "{component} (pid {} in cluster.json) is no longer running",
                proc.pid
            );
        }
        Ok(proc)
    }

    /// Whether `component` is paused.
    pub fn is_paused(&self, component: Component) -> bool {
        self.state
            .pids
            .get(&component)
            .is_some_and(|p| p.is_running() && process::is_paused(p.pid))
    }

    /// Stops one component (SIGTERM, then SIGKILL after a grace period).
    pub fn stop_component(&mut self, component: Component) -> anyhow::Result<()> {
        if let Some(proc) = self.state.pids.remove(&component) {
            let stopped = process::terminate(&[proc], STOP_GRACE);
            self.reap(Some(component));
            self.state.save(&self.layout)?;
            stopped.with_context(|| format!("stopping {component}"))?;
        }
        Ok(())
    }

    /// Starts a stopped component again on its old port; for the apiserver, waits until
    /// it is ready.
    pub async fn start_component(&mut self, component: Component) -> anyhow::Result<()> {
        if let Some(proc) = self.state.pids.get(&component)
            && proc.is_running()
        {
            bail!("{component} is already running (pid {})", proc.pid);
        }
        self.spawn(component)?;
        if component == Component::ApiServer {
            match self.wait_apiserver_ready().await {
                Ok(()) => {}
                Err(Died::PortTaken) => bail!(
                    "port {} of the apiserver was taken while it was down; {}",
                    self.state.ports.apiserver,
                    self.died_message(component)
                ),
                Err(Died::Other(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Stops every process and removes the state directory.
    pub fn down(mut self) -> anyhow::Result<()> {
        // Whatever happens below, Drop must not try again.
        self.lifetime = Lifetime::Kept;
        let result = destroy(self.layout.root());
        self.reap(None);
        result
    }

    async fn boot(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            self.spawn(Component::Etcd)?;
            self.spawn(Component::ApiServer)?;
            match self.wait_apiserver_ready().await {
                Ok(()) => break,
                Err(Died::PortTaken) if attempt < PORT_ATTEMPTS => {
                    self.progress
                        .say("a port was taken meanwhile; picking new ports");
                    self.stop_processes()?;
                    self.repick_ports().await?;
                    attempt += 1;
                }
                Err(Died::PortTaken) => bail!("ports kept being taken; giving up"),
                Err(Died::Other(e)) => return Err(e),
            }
        }
        self.progress.say(&format!(
            "kube-apiserver ready on https://127.0.0.1:{} after {:.1} s",
            self.state.ports.apiserver,
            started.elapsed().as_secs_f64()
        ));
        for component in [
            Component::ControllerManager,
            Component::Scheduler,
            Component::Kwok,
        ] {
            self.spawn(component)?;
        }
        self.progress
            .say(&format!("creating {} nodes", self.state.nodes));
        nodes::create(&self.client, self.state.nodes).await?;
        self.wait_nodes_ready().await?;
        self.progress.say(&format!(
            "{} nodes Ready after {:.1} s",
            self.state.nodes,
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    fn spawn(&mut self, component: Component) -> anyhow::Result<()> {
        let detach = match self.lifetime {
            Lifetime::Throwaway => Detach::DieWithParent,
            Lifetime::Kept => Detach::Outlive,
        };
        let port = component
            .port(&self.state.ports)
            .map(|p| format!(" on port {p}"))
            .unwrap_or_default();
        self.progress.say(&format!("starting {component}{port}"));
        let child = process::spawn(
            &self.state.bin_dir.join(component.binary()),
            &component.args(&self.layout, &self.state.ports),
            &self.layout.log(component),
            detach,
        )?;
        // `spawn` returns once the binary is exec'd: /proc shows it from here on.
        let proc = process::Proc::of(child.id()).unwrap_or(process::Proc {
            pid: child.id(),
            start: 0,
            exe: PathBuf::new(),
        });
        self.state.pids.insert(component, proc);
        self.children.push((component, child));
        self.state.save(&self.layout)
    }

    /// New ports after a port race, and everything that names them.
    async fn repick_ports(&mut self) -> anyhow::Result<()> {
        self.state.ports = ports::pick()?;
        self.state.save(&self.layout)?;
        let data = self.layout.etcd_data();
        std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
        self.layout.create_dirs()?;
        pki::write_kubeconfig(&self.layout, self.state.ports.apiserver)?;
        self.client = client_for(&self.layout).await?;
        Ok(())
    }

    /// A port picked as free is not reserved: by the time kwok starts (after the
    /// apiserver is ready) another process, or an outgoing connection, may hold it.
    fn restart_kwok_on_a_new_port(&mut self) -> anyhow::Result<()> {
        self.reap(Some(Component::Kwok));
        self.state.ports.kwok = ports::pick_one()?;
        self.spawn(Component::Kwok)
    }

    async fn wait_apiserver_ready(&mut self) -> Result<(), Died> {
        self.progress.say("waiting for kube-apiserver /readyz");
        let deadline = Instant::now() + APISERVER_READY_TIMEOUT;
        loop {
            self.check_alive()?;
            if self.apiserver_ready().await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Died::Other(anyhow::anyhow!(
                    "kube-apiserver not ready after {} s; last lines of {}:\n{}",
                    APISERVER_READY_TIMEOUT.as_secs(),
                    self.layout.log(Component::ApiServer).display(),
                    process::log_tail(&self.layout.log(Component::ApiServer), LOG_TAIL_LINES)
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn apiserver_ready(&self) -> bool {
        let Ok(request) = http::Request::get("/readyz").body(Vec::new()) else {
            return false;
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), self.client.request_text(request)).await,
            Ok(Ok(body)) if body.trim() == "ok"
        )
    }

    async fn wait_nodes_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + NODES_READY_TIMEOUT;
        let want = self.node_names();
        let mut last_report = Instant::now();
        let mut attempt = 1;
        loop {
            match self.check_alive() {
                Ok(()) => {}
                // etcd and the apiserver hold theirs by now: kwok, started last, lost its.
                Err(Died::PortTaken) if attempt < PORT_ATTEMPTS => {
                    self.progress
                        .say("kwok's port was taken meanwhile; picking a new one");
                    self.restart_kwok_on_a_new_port()?;
                    attempt += 1;
                }
                Err(Died::PortTaken) => bail!("kwok's port kept being taken; giving up"),
                Err(Died::Other(e)) => return Err(e),
            }
            let schedulable = nodes::schedulable(&self.client).await?;
            let ready = want.iter().filter(|n| schedulable.contains(*n)).count();
            if ready == want.len() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "only {ready} of {} nodes Ready and untainted after {} s; last lines of {}:\n{}",
                    want.len(),
                    NODES_READY_TIMEOUT.as_secs(),
                    self.layout.log(Component::Kwok).display(),
                    process::log_tail(&self.layout.log(Component::Kwok), LOG_TAIL_LINES)
                );
            }
            if last_report.elapsed() >= Duration::from_secs(3) {
                self.progress
                    .say(&format!("{ready}/{} nodes Ready", want.len()));
                last_report = Instant::now();
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fails if a started component has exited, with the tail of its log.
    fn check_alive(&mut self) -> Result<(), Died> {
        let dead = self
            .state
            .pids
            .iter()
            .find(|(_, proc)| !proc.is_running())
            .map(|(&c, _)| c);
        let Some(component) = dead else {
            return Ok(());
        };
        let tail = process::log_tail(&self.layout.log(component), LOG_TAIL_LINES);
        if tail.contains("address already in use") {
            return Err(Died::PortTaken);
        }
        Err(Died::Other(anyhow::anyhow!(
            "{}",
            self.died_message(component)
        )))
    }

    fn died_message(&self, component: Component) -> String {
        let log = self.layout.log(component);
        format!(
            "{component} exited; last lines of {}:\n{}",
            log.display(),
            process::log_tail(&log, LOG_TAIL_LINES)
        )
    }

    /// Stops every process of the cluster, keeping the state directory.
    fn stop_processes(&mut self) -> anyhow::Result<()> {
        let procs: Vec<Proc> = std::mem::take(&mut self.state.pids).into_values().collect();
        let result = stop_in_order(procs);
        self.reap(None);
        self.state.save(&self.layout)?;
        result
    }

    /// Collects the exit status of stopped children (`None`: all of them).
    fn reap(&mut self, only: Option<Component>) {
        self.children.retain_mut(|(component, child)| {
            if only.is_some_and(|c| c != *component) {
                return true;
            }
            !matches!(child.try_wait(), Ok(Some(_)))
        });
    }
}

impl Drop for DevCluster {
    fn drop(&mut self) {
        if self.lifetime == Lifetime::Throwaway {
            if let Err(e) = destroy(self.layout.root()) {
                eprintln!(
                    "kolla-dash: stopping the cluster in {}: {e:#}",
                    self.layout.root().display()
                );
            }
            self.reap(None);
        }
    }
}

/// True if `state_dir` holds a cluster with at least one of its processes running (the
/// recorded pid, start time and binary all match).
pub fn is_running(state_dir: &Path) -> anyhow::Result<bool> {
    let layout = Layout::new(state_dir.to_owned());
    Ok(ClusterState::load(&layout)?.is_some_and(|s| s.pids.values().any(Proc::is_running)))
}

/// For a state directory whose cluster no longer runs (after a crash or a reboot), what
/// became of each recorded process, one phrase each; `None` when it runs, or holds no
/// cluster.
pub fn staleness(state_dir: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let layout = Layout::new(state_dir.to_owned());
    let Some(state) = ClusterState::load(&layout)? else {
        return Ok(None);
    };
    if state.pids.values().any(Proc::is_running) {
        return Ok(None);
    }
    Ok(Some(
        state
            .pids
            .iter()
            .map(|(component, proc)| match proc.now() {
                Now::Reused(exe) => format!(
                    "{component} (pid {}) is gone; the pid is now {exe}'s",
                    proc.pid
                ),
                Now::Gone | Now::Running => format!("{component} (pid {}) is gone", proc.pid),
            })
            .collect(),
    ))
}

/// Stops every process of the cluster in `state_dir` and removes the directory. Finds
/// processes by the pids in `cluster.json` and by scanning /proc for control-plane binaries
/// whose command line names the directory, so an interrupted `up` leaves nothing behind.
pub fn destroy(state_dir: &Path) -> anyhow::Result<()> {
    let layout = Layout::new(state_dir.to_owned());
    if !state_dir.exists() {
        return Ok(());
    }
    let state = ClusterState::load(&layout)?;
    if state.is_none() && !is_empty_dir(state_dir) {
        bail!(
            "{} has no cluster.json: not a dev-cluster state directory, left alone",
            state_dir.display()
        );
    }
    let bin_dir = match &state {
        Some(s) => Some(s.bin_dir.clone()),
        None => Binaries::locate().ok().map(|b| b.dir),
    };
    let mut procs: Vec<Proc> = state
        .iter()
        .flat_map(|s| s.pids.values().cloned())
        .filter(Proc::is_running)
        .collect();
    if let Some(bin_dir) = bin_dir {
        procs.extend(process::find_cluster_processes(&bin_dir, state_dir));
    }
    stop_in_order(procs)?;
    std::fs::remove_dir_all(state_dir).with_context(|| format!("removing {}", state_dir.display()))
}

/// Stops etcd last: an apiserver that loses etcd first lingers until SIGKILL.
fn stop_in_order(mut procs: Vec<Proc>) -> anyhow::Result<()> {
    procs.sort_unstable_by_key(|p| p.pid);
    procs.dedup();
    let (etcd, rest): (Vec<Proc>, Vec<Proc>) = procs
        .into_iter()
        .partition(|p| p.binary() == Some(Component::Etcd.binary()));
    process::terminate(&rest, STOP_GRACE)?;
    process::terminate(&etcd, STOP_GRACE)
}

/// Refuses a directory with a live cluster or foreign files; clears a dead cluster's remains.
fn prepare_state_dir(layout: &Layout) -> anyhow::Result<()> {
    let root = layout.root();
    if is_running(root)? {
        bail!(
            "a dev-cluster is already running in {}; stop it with `kolla-dash dev-cluster down`",
            root.display()
        );
    }
    if root.exists() {
        destroy(root)?;
    }
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

fn temp_state_dir() -> PathBuf {
    let suffix: u64 = rand::random();
    std::env::temp_dir().join(format!("kolla-dash-cluster-{suffix:016x}"))
}

/// Everything a cluster needs on disk before its first process starts.
async fn write_files(layout: &Layout, state: &ClusterState) -> anyhow::Result<kube::Client> {
    state.save(layout)?;
    layout.create_dirs()?;
    pki::generate(layout)?;
    pki::write_kubeconfig(layout, state.ports.apiserver)?;
    let logs_config = podlogs::write(&layout.pod_logs())?;
    for (path, text) in [
        (layout.stages(), KWOK_STAGES),
        (layout.rehearsal_stages(), KWOK_REHEARSAL),
        (layout.pod_logs_config(), logs_config.as_str()),
    ] {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    client_for(layout).await
}

async fn client_for(layout: &Layout) -> anyhow::Result<kube::Client> {
    let path = layout.kubeconfig();
    let kubeconfig = kube::config::Kubeconfig::read_from(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .with_context(|| format!("loading {}", path.display()))?;
    crate::cluster::client::build(config, RequestTimeout::default())
}
