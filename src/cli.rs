//! Command-line definitions (clap). Parsing only: each command runs in its own module.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use crate::complete::{kinds, services, services_or_kinds};

pub use crate::cluster::client::RequestTimeout;
use crate::model::Consent;

const AFTER_HELP: &str = "\
Examples:
  kolla-dash demo                         start a local cluster and open the dashboard on it
  kolla-dash                              open the dashboard on the current kubeconfig context
  kolla-dash deploy                       deploy the whole stack in dependency order
  kolla-dash diff                         what deploy would change (exit 1 if anything)
  kolla-dash bootstrap mariadb            the guide's verbs, one service at a time
  kolla-dash resource create mariadb pvc  ... or one resource kind at a time
  kolla-dash resource status mariadb      what exists and what is ready
  kolla-dash rbac --namespace kolla       the Role and ClusterRole an admin grants an operator
  kolla-dash dev-cluster up               a local control plane for development

Configuration is read from etc/kolla-kubernetes.yml and etc/globals.yml (see --config-dir).
The cluster comes from KUBECONFIG / ~/.kube/config (or in-cluster config), like kubectl.";

/// A terminal dashboard that deploys and watches an OpenStack control plane (kolla) on
/// Kubernetes. With no command it opens the dashboard.
#[derive(Debug, Parser)]
#[command(
    name = "kolla-dash",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KOLLA_DASH_COMMIT"), ")"),
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command understands (`Default`: none given, as on an empty command line
/// without the environment).
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Directory holding kolla-kubernetes.yml and globals.yml [default: ./etc if it exists,
    /// else the built-in defaults]
    #[arg(long, global = true, env = "KOLLA_DASH_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    /// Kubeconfig context to use instead of the current one
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Namespace for kolla's objects [default: kolla_kubernetes_namespace from the config]
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,

    /// File that receives the diagnostic log (never the screen)
    #[arg(long, global = true, env = "KOLLA_DASH_LOG", value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// How long one request to the API server may go unanswered before it fails, naming
    /// itself (as kubectl's flag: 30s, 500ms, 2m; 0 waits forever)
    #[arg(
        long,
        global = true,
        env = "KOLLA_DASH_REQUEST_TIMEOUT",
        value_name = "DURATION",
        default_value_t
    )]
    pub request_timeout: RequestTimeout,

    /// No colours on screen: statuses keep their symbols and words (also when NO_COLOR is
    /// set to anything but the empty string)
    #[arg(long, global = true)]
    pub no_color: bool,
}

impl GlobalArgs {
    /// `--no-color`, or `NO_COLOR` set and not empty (no-color.org: whatever its value).
    pub fn colour_off(&self) -> bool {
        self.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a throwaway local cluster, open the dashboard on it, stop the cluster on exit
    Demo(DemoArgs),

    /// Open the dashboard (the default when no command is given)
    Dash(DashArgs),

    /// Create a service's bootstrap resources: configmap, disk, pv, pvc and bootstrap job
    Bootstrap(BootstrapArgs),

    /// Create a service's running resources: configmap, svc and pod
    Run(RunArgs),

    /// Delete every resource of a service in reverse order (data kinds only with --delete-data)
    Kill(KillArgs),

    /// Create, delete, inspect or print one resource kind of one service
    #[command(subcommand)]
    Resource(ResourceCommand),

    /// Deploy services (default: all) and what they depend on, waiting on real conditions
    Deploy(DeployArgs),

    /// Remove services (default: all) in reverse dependency order
    Teardown(TeardownArgs),

    /// Print what `deploy` would change, cell by cell: exit 0 when nothing, 1 when the
    /// cluster differs from the config, 2 when it cannot tell
    Diff(DiffArgs),

    /// Print the Role and ClusterRole kolla-dash needs in the namespace, as YAML for
    /// `kubectl apply -f -` (no cluster needed)
    Rbac(RbacArgs),

    /// Print node-failure incidents as they happen (node down, evictions, rescheduling,
    /// ready again, time-to-heal per service) until interrupted
    Incidents(IncidentsArgs),

    /// Print a shell's completion script (services and kinds complete from the catalog):
    /// `source <(kolla-dash completions bash)`
    Completions(CompletionsArgs),

    /// Print the manual page (roff): `kolla-dash man | man -l -`
    Man,

    /// Manage the local development control plane (etcd, apiserver, scheduler, kwok nodes)
    #[command(subcommand, name = "dev-cluster")]
    DevCluster(DevClusterCommand),
}

/// A shell `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of simulated nodes
    #[arg(long, default_value_t = 3)]
    pub nodes: u32,
    #[command(flatten)]
    pub dash: DashArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct DashArgs {
    /// Hide and refuse every action that changes the cluster
    #[arg(long)]
    pub readonly: bool,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Service names from the catalog (see `kolla-dash resource map`)
    #[arg(required = true, value_name = "SERVICE", add = ArgValueCompleter::new(services))]
    pub services: Vec<String>,
    #[command(flatten)]
    pub consent: ConsentArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Service names from the catalog (see `kolla-dash resource map`)
    #[arg(required = true, value_name = "SERVICE", add = ArgValueCompleter::new(services))]
    pub services: Vec<String>,
    #[command(flatten)]
    pub adopt: AdoptArg,
}

/// `--adopt`, for commands that create.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct AdoptArg {
    /// Take over objects with kolla-dash's names that kolla-dash does not own (relabels and
    /// rewrites them, saying what it overwrote); without it they are left unchanged and
    /// the command fails
    #[arg(long)]
    pub adopt: bool,
}

/// `--adopt` and `--force-bootstrap`, for commands that may create a bootstrap Job.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct ConsentArgs {
    #[command(flatten)]
    pub adopt: AdoptArg,
    /// Run the bootstrap Job even though the service's data records an earlier bootstrap
    /// (KOLLA_BOOTSTRAP then runs over that data)
    #[arg(long)]
    pub force_bootstrap: bool,
}

impl ConsentArgs {
    pub fn consent(self) -> Consent {
        Consent {
            adopt: self.adopt.adopt,
            force_bootstrap: self.force_bootstrap,
        }
    }
}

impl AdoptArg {
    pub fn consent(self) -> Consent {
        Consent {
            adopt: self.adopt,
            force_bootstrap: false,
        }
    }
}

#[derive(Debug, Args)]
pub struct KillArgs {
    #[arg(required = true, value_name = "SERVICE", add = ArgValueCompleter::new(services))]
    pub services: Vec<String>,
    /// Also delete data kinds (disk, pv, pvc): the service's data is lost
    #[arg(long)]
    pub delete_data: bool,
}

/// Output format for commands that report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Create (server-side apply) a resource kind; re-running changes nothing
    Create(ResourceCreateArgs),
    /// Delete a resource kind (disk, pv, pvc only with --delete-data)
    Delete(ResourceDeleteArgs),
    /// Show existence and readiness of a service's objects, by kind
    Status(ResourceStatusArgs),
    /// Print the rendered YAML of one resource kind (no cluster needed)
    Template(ResourceArgs),
    /// Print the catalog: service -> kind -> template
    Map,
}

/// `<service> <kind>`; the old kind-first order is accepted too.
#[derive(Debug, Args)]
pub struct ResourceArgs {
    #[arg(value_name = "SERVICE", add = ArgValueCompleter::new(services_or_kinds))]
    pub first: String,
    #[arg(value_name = "KIND", add = ArgValueCompleter::new(kinds))]
    pub second: String,
}

#[derive(Debug, Args)]
pub struct ResourceCreateArgs {
    #[command(flatten)]
    pub target: ResourceArgs,
    #[command(flatten)]
    pub consent: ConsentArgs,
}

#[derive(Debug, Args)]
pub struct ResourceDeleteArgs {
    #[command(flatten)]
    pub target: ResourceArgs,
    /// Allow deleting a data kind (disk, pv, pvc): the service's data is lost
    #[arg(long)]
    pub delete_data: bool,
}

#[derive(Debug, Args)]
pub struct ResourceStatusArgs {
    #[arg(value_name = "SERVICE", add = ArgValueCompleter::new(services_or_kinds))]
    pub first: String,
    /// One kind only [default: every kind of the service]
    #[arg(value_name = "KIND", add = ArgValueCompleter::new(kinds))]
    pub second: Option<String>,
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct RbacArgs {
    /// The storage provider to grant for [default: storage_provider from the config]
    #[arg(long, value_name = "P", value_parser = ["host", "ceph", "gce", "aws"])]
    pub storage_provider: Option<String>,
    /// Only get, list and watch: enough for the dashboard (read-only), `resource status`
    /// and `incidents`
    #[arg(long)]
    pub readonly: bool,
    /// Also cordon, uncordon and drain nodes from the nodes view (drain evicts pods of
    /// every namespace on the node)
    #[arg(long, conflicts_with = "readonly")]
    pub node_actions: bool,
    /// Also bind the roles to this user (a RoleBinding and a ClusterRoleBinding)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

#[derive(Debug, Args)]
pub struct IncidentsArgs {
    /// `json`: one JSON object per line, for scripts
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Services to deploy, with their dependencies [default: every service]
    #[arg(value_name = "SERVICE", add = ArgValueCompleter::new(services))]
    pub services: Vec<String>,
    /// Print the plan (steps, waits, order, what each step changes) without touching the
    /// cluster
    #[arg(long)]
    pub dry_run: bool,
    /// Per-step timeout in seconds
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub timeout: u64,
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
    #[command(flatten)]
    pub adopt: AdoptArg,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Services to compare, with their dependencies, as `deploy SERVICE...` would deploy
    /// them [default: every service]
    #[arg(value_name = "SERVICE", add = ArgValueCompleter::new(services))]
    pub services: Vec<String>,
    /// `json`: the cells that differ, each with its objects and changed fields (a Secret's
    /// values as null)
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct TeardownArgs {
    #[arg(value_name = "SERVICE", add = ArgValueCompleter::new(services))]
    pub services: Vec<String>,
    /// Also delete data kinds (disk, pv, pvc): the data is lost
    #[arg(long)]
    pub delete_data: bool,
    /// Print the plan without touching the cluster
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub timeout: u64,
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, Subcommand)]
pub enum DevClusterCommand {
    /// Build-check, start every component, create nodes, wait until they are Ready
    Up(DevUpArgs),
    /// Report each component and node
    Status(StateDirArg),
    /// Stop every process of the cluster and remove its state
    Down(StateDirArg),
    /// Make nodes NotReady (kwok's chaos stage), or with --vanish make their kubelets disappear
    FailNode(FailNodeArgs),
    /// Make failed nodes Ready again
    RestoreNode(RestoreNodeArgs),
    /// Freeze the API server (SIGSTOP): it keeps its port and connections but answers
    /// nothing, as a hung server or a network path that drops packets
    PauseApiserver(StateDirArg),
    /// Let a paused API server run again (SIGCONT)
    ResumeApiserver(StateDirArg),
    /// Make a pod go wrong the way a real kubelet reports it, to practise diagnosing it
    /// (kwok stages; the pod's controller replaces it once the pod is deleted)
    Break(BreakArgs),
}

/// What `dev-cluster break` does to a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BreakMode {
    /// Its image cannot be pulled (not found): ErrImagePull, then ImagePullBackOff
    Imagepull,
    /// Its container exits 1 over and over: CrashLoopBackOff
    Crashloop,
    /// Its container is killed for memory over and over: OOMKilled, CrashLoopBackOff
    Oom,
    /// It runs but its readiness probe fails
    Unready,
    /// The kubelet evicts it (the node was low on memory)
    Evicted,
}

#[derive(Debug, Args)]
pub struct BreakArgs {
    /// A pod in the namespace (--namespace, else the config's)
    #[arg(value_name = "POD")]
    pub pod: String,
    #[arg(value_enum, value_name = "MODE")]
    pub mode: BreakMode,
    #[command(flatten)]
    pub state: StateDirArg,
}

#[derive(Debug, Args)]
pub struct StateDirArg {
    /// Where the cluster keeps its certificates, data, logs and kubeconfig
    #[arg(long, env = "KOLLA_DASH_DEV_CLUSTER", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DevUpArgs {
    /// Number of simulated nodes (labelled as kolla controller and compute hosts)
    #[arg(long, default_value_t = 3)]
    pub nodes: u32,
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Which nodes a drill acts on.
#[derive(Debug, Args)]
pub struct NodeSet {
    /// Node names (`dev-cluster status` lists them)
    #[arg(
        value_name = "NODE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub nodes: Vec<String>,
    /// Every node of the cluster (the whole-cluster drill)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct FailNodeArgs {
    #[command(flatten)]
    pub nodes: NodeSet,
    /// The kubelet disappears instead of reporting NotReady: the node goes Unknown and
    /// evicted pods stay Terminating (what a powered-off machine does)
    #[arg(long)]
    pub vanish: bool,
    #[command(flatten)]
    pub state: StateDirArg,
}

#[derive(Debug, Args)]
pub struct RestoreNodeArgs {
    #[command(flatten)]
    pub nodes: NodeSet,
    #[command(flatten)]
    pub state: StateDirArg,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The dashboard's `:` language is parsed in the core without clap; it must keep
    /// speaking the CLI's verbs.
    #[test]
    fn every_dashboard_verb_is_a_cli_command() {
        let cli = Cli::command();
        for verb in kolla_dash_core::model::command::VERBS {
            if verb == "export" {
                continue; // the dashboard's own verb: it writes what the session recorded
            }
            assert!(
                cli.find_subcommand(verb).is_some(),
                "':{verb}' has no CLI command of the same name"
            );
        }
    }

    #[test]
    fn resource_create_takes_two_words() {
        let cli = Cli::try_parse_from(["kolla-dash", "resource", "create", "mariadb", "pvc"])
            .expect("parses");
        match cli.command {
            Some(Command::Resource(ResourceCommand::Create(a))) => {
                let t = a.target;
                assert_eq!((t.first.as_str(), t.second.as_str()), ("mariadb", "pvc"));
                assert_eq!(a.consent.consent(), Consent::default());
            }
            other => panic!("unexpected parse: {other:?}"),
        }
    }
}
