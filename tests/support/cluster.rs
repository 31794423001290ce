//! Local control planes for integration tests, and the real kolla-dash binary run against
//! one the way an operator would: KUBECONFIG, `--namespace`, exit codes, output.
//!
//! Most tests only need namespaces of their own: they share the test binary's cluster
//! (`TestCluster::shared()`). A test that changes what every namespace sees (fails or
//! drains a node, pauses or restarts the API server, grants cluster-wide rights to a
//! shared user) starts a cluster of its own (`TestCluster::start()`) and says why.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret, Service,
};
use kolla_dash::devcluster::{DevCluster, StartOptions};
use kolla_dash::labels;
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::launch;
use super::shared::{self, Shared};
use super::wait::wait_for;

/// How long a readiness or removal wait may take on the simulated nodes (they make pods
/// ready in well under a second; the rest is controllers' latency on a busy machine).
const WAIT: Duration = Duration::from_secs(90);

/// The crate's own operator config: the defaults meant for the local demo cluster.
pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("etc")
}

/// Which control plane a test works on.
enum Plane {
    /// Its own, stopped and removed when the test ends.
    Private(Box<DevCluster>),
    /// The test binary's, shared with the other tests.
    Shared(&'static Shared),
}

/// A test's handle on a running cluster, with an admin client and the runtime it lives
/// on, and a scratch directory for logs.
pub struct TestCluster {
    // Field order: a private cluster stops before the runtime goes.
    plane: Plane,
    client: kube::Client,
    rt: tokio::runtime::Runtime,
    scratch: tempfile::TempDir,
    /// Tells this test's namespaces from other tests' on the shared cluster.
    id: u64,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("scratch directory")
}

/// An admin client from `kubeconfig`, for the runtime it is built in.
async fn admin_client(kubeconfig: &Path) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("admin config");
    kolla_dash::cluster::client::build(config, Default::default()).expect("admin client")
}

impl TestCluster {
    /// A cluster of this test's own: for tests that disturb what every test would see.
    pub fn start() -> TestCluster {
        let rt = runtime();
        let cluster = rt
            .block_on(DevCluster::start(StartOptions {
                nodes: 3,
                ..StartOptions::default()
            }))
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the local control plane (build it with scripts/k8s-bins): {e:#}"
                )
            });
        TestCluster {
            client: cluster.client(),
            plane: Plane::Private(Box::new(cluster)),
            rt,
            scratch: scratch(),
            id: next_id(),
        }
    }

    /// The test binary's shared cluster (started by the first test that asks): this test
    /// must keep to namespaces of its own and leave nodes and the API server alone.
    pub fn shared() -> TestCluster {
        let shared = shared::get();
        let rt = runtime();
        let client = rt.block_on(admin_client(&shared.kubeconfig));
        TestCluster {
            plane: Plane::Shared(shared),
            client,
            rt,
            scratch: scratch(),
            id: next_id(),
        }
    }

    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// This test's own cluster, to fail nodes or stop the API server; a shared cluster
    /// refuses (those tests start their own).
    pub fn dev_cluster(&self) -> &DevCluster {
        match &self.plane {
            Plane::Private(cluster) => cluster,
            Plane::Shared(_) => panic!("{DISTURBS}"),
        }
    }

    pub fn dev_cluster_mut(&mut self) -> &mut DevCluster {
        match &mut self.plane {
            Plane::Private(cluster) => cluster,
            Plane::Shared(_) => panic!("{DISTURBS}"),
        }
    }

    /// Makes a simulated node NotReady (kwok's chaos stage).
    pub fn fail_node(&self, name: &str) {
        self.block_on(self.dev_cluster().fail_node(name))
            .unwrap_or_else(|e| panic!("fail node {name}: {e:#}"));
    }

    pub fn pod_logs_dir(&self) -> PathBuf {
        match &self.plane {
            Plane::Private(cluster) => cluster.pod_logs_dir(),
            Plane::Shared(shared) => shared.pod_logs.clone(),
        }
    }

    pub fn kubeconfig_path(&self) -> PathBuf {
        match &self.plane {
            Plane::Private(cluster) => cluster.kubeconfig_path(),
            Plane::Shared(shared) => shared.kubeconfig.clone(),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        match &self.plane {
            Plane::Private(cluster) => cluster.state_dir().to_path_buf(),
            Plane::Shared(shared) => shared.state_dir.clone(),
        }
    }

    /// A directory for this test's logs and files, removed with the handle.
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The runtime, for an async test body that also needs `dev_cluster_mut`.
    pub fn runtime(&self) -> tokio::runtime::Handle {
        self.rt.handle().clone()
    }

    /// The binary, pointed at this cluster and at `namespace`.
    pub fn kolla(&self, namespace: &str) -> Kolla {
        self.claim(namespace);
        Kolla {
            kubeconfig: self.kubeconfig_path(),
            namespace: Some(namespace.to_string()),
            config_dir: config_dir(),
            context: None,
            log_file: self.scratch().join(format!("{namespace}.log")),
            transcript: RefCell::new(String::new()),
        }
    }

    /// Makes sure no other test of this binary works in `namespace` on the shared cluster.
    pub fn claim(&self, namespace: &str) {
        if let Plane::Shared(_) = self.plane {
            claim(namespace, self.id);
        }
    }
    /// resourceVersion and generation of every object kolla-dash manages in `namespace`
    /// (and its PersistentVolumes), by `Kind/name`.
    pub fn versions(&self, namespace: &str) -> BTreeMap<String, (String, Option<i64>)> {
        let client = self.client();
        self.block_on(async {
            let mut all = BTreeMap::new();
            all.extend(versions_of::<ConfigMap>(&client, namespace).await);
            all.extend(versions_of::<Service>(&client, namespace).await);
            all.extend(versions_of::<Deployment>(&client, namespace).await);
            all.extend(versions_of::<StatefulSet>(&client, namespace).await);
            all.extend(versions_of::<Job>(&client, namespace).await);
            all.extend(versions_of::<PersistentVolumeClaim>(&client, namespace).await);
            all.extend(versions_of::<Secret>(&client, namespace).await);
            let pvs: Api<PersistentVolume> = Api::all(client.clone());
            for pv in pvs.list(&managed()).await.expect("list PVs").items {
                let name = pv.metadata.name.clone().unwrap_or_default();
                if name.starts_with(&format!("{namespace}-")) {
                    all.insert(format!("PersistentVolume/{name}"), stamp(&pv.metadata));
                }
            }
            all
        })
    }

    /// A client acting as the kubeconfig's user of `context`.
    pub fn client_as(&self, context: &str) -> kube::Client {
        self.block_on(async {
            let kubeconfig =
                kube::config::Kubeconfig::read_from(self.kubeconfig_path()).expect("kubeconfig");
            let options = kube::config::KubeConfigOptions {
                context: Some(context.to_string()),
                ..kube::config::KubeConfigOptions::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .unwrap_or_else(|e| panic!("context {context}: {e}"));
            kube::Client::try_from(config).expect("client")
        })
    }

    /// Applies every document of `yaml` that `pick` selects, as the admin.
    pub fn apply_yaml(&self, yaml: &str, pick: impl Fn(&Value) -> bool) {
        let docs = kolla_dash::yaml::parse_all("applied YAML", yaml).expect("YAML documents");
        let applier = kolla_dash::cluster::apply::Applier::new(self.client(), "default");
        self.block_on(async {
            for doc in docs.iter().filter(|d| pick(d)) {
                applier
                    .apply(doc, false)
                    .await
                    .unwrap_or_else(|e| panic!("apply {}: {e:#}", doc["kind"]));
            }
        });
    }

    /// Waits until RBAC grants `needs` to the user of `context` in `namespace`: a binding
    /// reaches the authorizer's cache a moment after it is written.
    pub fn wait_granted(&self, context: &str, namespace: &str, needs: &[kolla_dash::access::Need]) {
        let access = kolla_dash::cluster::access::Access::new(
            self.client_as(context),
            namespace,
            kolla_dash::config::StorageProvider::Host,
        );
        let what = format!("RBAC to grant {context} what it needs in {namespace}");
        wait_for(&what, WAIT, || {
            let refused = self.block_on(access.refused(needs));
            if refused.is_empty() {
                Ok(())
            } else {
                Err(format!("still refused: {refused:?}"))
            }
        });
    }

    /// The passwords Secret's data, decoded; `None` if it does not exist.
    pub fn passwords(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
        let api: Api<Secret> = Api::namespaced(self.client(), namespace);
        let secret = self
            .block_on(api.get_opt(kolla_dash::render::PASSWORDS_SECRET))
            .expect("read the passwords secret")?;
        Some(
            secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8(v.0).expect("utf-8 password")))
                .collect(),
        )
    }
}

const DISTURBS: &str = "this test disturbs what every test of the binary sees (nodes, the \
    API server): it needs a cluster of its own, TestCluster::start()";

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Namespace -> the test handle working in it, on the shared cluster.
fn claim(namespace: &str, id: u64) {
    static CLAIMS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);
    let mut claims = CLAIMS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let owner = *claims
        .get_or_insert_with(HashMap::new)
        .entry(namespace.to_string())
        .or_insert(id);
    assert_eq!(
        owner, id,
        "namespace {namespace} is already used by another test of this binary on the shared \
         cluster: give each test a namespace of its own"
    );
}

fn managed() -> ListParams {
    ListParams::default().labels(&format!(
        "{}={}",
        labels::MANAGED_BY,
        labels::MANAGED_BY_VALUE
    ))
}

fn stamp(meta: &kube::api::ObjectMeta) -> (String, Option<i64>) {
    (
        meta.resource_version.clone().unwrap_or_default(),
        meta.generation,
    )
}

async fn versions_of<K>(
    client: &kube::Client,
    namespace: &str,
) -> Vec<(String, (String, Option<i64>))>
where
    K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let list = api.list(&managed()).await.expect("list managed objects");
    list.items
        .iter()
        .map(|o| {
            let name = o.meta().name.clone().unwrap_or_default();
            (format!("{}/{name}", K::kind(&())), stamp(o.meta()))
        })
        .collect()
}

/// The object a rendered manifest names, as the cluster has it now (`None`: absent).
pub async fn rendered_object(
    client: &kube::Client,
    m: &kolla_dash::render::Manifest,
) -> Option<kube::api::DynamicObject> {
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let (group, version) = m
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &m.api_version));
    let resource =
        ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, m.obj_kind.as_str()));
    let api: Api<DynamicObject> = match &m.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    api.get_opt(&m.name)
        .await
        .unwrap_or_else(|e| panic!("read {}/{}: {e}", m.obj_kind, m.name))
}

/// One finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `kolla-dash` with a fixed kubeconfig and namespace; keeps everything it printed.
pub struct Kolla {
    kubeconfig: PathBuf,
    namespace: Option<String>,
    config_dir: PathBuf,
    /// `--context`: another user of the cluster's kubeconfig.
    context: Option<String>,
    log_file: PathBuf,
    transcript: RefCell<String>,
}

impl Kolla {
    /// No cluster at all: KUBECONFIG names `kubeconfig` (which may not exist).
    pub fn without_cluster(kubeconfig: &Path, log_dir: &Path) -> Kolla {
        Kolla {
            kubeconfig: kubeconfig.to_path_buf(),
            namespace: None,
            config_dir: config_dir(),
            context: None,
            log_file: log_dir.join("kolla-dash.log"),
            transcript: RefCell::new(String::new()),
        }
    }

    /// The same runner reading the operator config from `dir`.
    pub fn with_config_dir(mut self, dir: &Path) -> Kolla {
        self.config_dir = dir.to_path_buf();
        self
    }

    /// The same runner as the kubeconfig's user of `context`.
    pub fn with_context(mut self, context: &str) -> Kolla {
        self.context = Some(context.to_string());
        self
    }

    /// `kolla-dash GLOBAL-FLAGS ARGS`, not started: for a run a test watches as it goes.
    pub fn command<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = launch::command();
        cmd.arg("--config-dir")
            .arg(&self.config_dir)
            .arg("--log-file")
            .arg(&self.log_file);
        if let Some(ns) = &self.namespace {
            cmd.args(["--namespace", ns]);
        }
        if let Some(context) = &self.context {
            cmd.args(["--context", context]);
        }
        cmd.args(args).env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    /// `kolla-dash ARGS` (split on whitespace).
    pub fn run(&self, args: &str) -> Run {
        let out = self
            .command(args.split_whitespace())
            .output()
            .expect("run kolla-dash");
        let run = Run {
            success: out.status.success(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let mut t = self.transcript.borrow_mut();
        t.push_str(&format!(
            "$ kolla-dash {args}\n{}{}",
            run.stdout, run.stderr
        ));
        run
    }

    /// Runs and asserts exit 0; returns stdout.
    pub fn ok(&self, args: &str) -> String {
        let run = self.run(args);
        assert!(
            run.success,
            "`kolla-dash {args}` failed:\n{}{}",
            run.stdout, run.stderr
        );
        run.stdout
    }

    /// Runs and asserts a non-zero exit with a one-line reason on stderr; returns it.
    pub fn fails(&self, args: &str) -> String {
        let run = self.run(args);
        assert!(
            !run.success,
            "`kolla-dash {args}` should have failed:\n{}",
            run.stdout
        );
        let reason = run.stderr.trim().to_string();
        assert_eq!(
            reason.lines().count(),
            1,
            "`kolla-dash {args}`: expected a one-line reason, got:\n{reason}"
        );
        reason
    }

    /// Everything every run printed, commands included.
    pub fn transcript(&self) -> String {
        self.transcript.borrow().clone()
    }

    /// `resource status SERVICE -o json`: one row per kind.
    pub fn status(&self, service: &str) -> Vec<StatusRow> {
        let out = self.ok(&format!("resource status {service} -o json"));
        let rows: Vec<Value> = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("status of {service} is not JSON ({e}):\n{out}"));
        rows.into_iter()
            .map(|r| StatusRow {
                kind: r["kind"].as_str().expect("kind").to_string(),
                status: r["status"].as_str().expect("status").to_string(),
                ready: r["ready"].as_bool().expect("ready"),
                objects: r["objects"].as_array().expect("objects").len(),
            })
            .collect()
    }

    /// Re-checks the status of `services` until every row satisfies `want(service, row)`;
    /// panics with the last table after the deadline. This replaces the guide's `sleep 30`.
    pub fn wait_until(
        &self,
        what: &str,
        services: &[&str],
        want: impl Fn(&str, &StatusRow) -> bool,
    ) {
        wait_for(what, WAIT, || {
            let unmet: Vec<String> = services
                .iter()
                .flat_map(|service| {
                    self.status(service)
                        .into_iter()
                        .filter(|row| !want(service, row))
                        .map(move |row| format!("{service} {row:?}"))
                })
                .collect();
            if unmet.is_empty() {
                Ok(())
            } else {
                Err(unmet.join("\n"))
            }
        });
    }
}

/// The parts of a `resource status -o json` row the tests look at.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub kind: String,
    pub status: String,
    pub ready: bool,
    /// How many objects make up the cell (0: absent).
    pub objects: usize,
}

impl StatusRow {
    pub fn present_and_ready(&self) -> bool {
        self.objects > 0 && self.ready
    }

    /// No object, and the status says so.
    pub fn absent(&self) -> bool {
        self.objects == 0 && self.status == "absent"
    }
}
