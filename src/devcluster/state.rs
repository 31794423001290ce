//! The state directory's layout and `cluster.json`: what runs, under which pid, on which port.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::bins::Versions;
use super::component::Component;
use super::process::{Proc, find_cluster_processes};

/// Paths inside one cluster's state directory.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// Creates the sub-directories; keys and etcd data readable by their owner only (etcd
    /// warns about anything wider).
    pub fn create_dirs(&self) -> anyhow::Result<()> {
        use std::os::unix::fs::DirBuilderExt as _;
        for (dir, mode) in [
            (self.logs(), 0o755),
            (self.pki(), 0o700),
            (self.etcd_data(), 0o700),
        ] {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(&dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        Ok(())
    }

    pub fn state_file(&self) -> PathBuf {
        self.root.join("cluster.json")
    }
    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
    pub fn log(&self, component: Component) -> PathBuf {
        self.logs().join(format!("{component}.log"))
    }
    pub fn pki(&self) -> PathBuf {
        self.root.join("pki")
    }
    pub fn ca_cert(&self) -> PathBuf {
        self.pki().join("ca.crt")
    }
    pub fn serving_cert(&self) -> PathBuf {
        self.pki().join("apiserver.crt")
    }
    pub fn serving_key(&self) -> PathBuf {
        self.pki().join("apiserver.key")
    }
    /// Private key signing service-account tokens.
    pub fn service_account_key(&self) -> PathBuf {
        self.pki().join("service-account.key")
    }
    /// Its public half, which the apiserver verifies tokens with.
    pub fn service_account_pub(&self) -> PathBuf {
        self.pki().join("service-account.pub")
    }
    pub fn token_file(&self) -> PathBuf {
        self.pki().join("tokens.csv")
    }
    pub fn etcd_data(&self) -> PathBuf {
        self.root.join("etcd")
    }
    pub fn stages(&self) -> PathBuf {
        self.root.join("kwok-stages.yaml")
    }
    pub fn rehearsal_stages(&self) -> PathBuf {
        self.root.join("kwok-rehearsal.yaml")
    }
    /// The simulated containers' logs, and kwok's config naming them.
    pub fn pod_logs(&self) -> PathBuf {
        self.root.join("pod-logs")
    }
    pub fn pod_logs_config(&self) -> PathBuf {
        self.root.join("kwok-logs.yaml")
    }
}

/// Loopback ports chosen at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub etcd_client: u16,
    pub etcd_peer: u16,
    pub apiserver: u16,
    /// kwok's kubelet API (pod logs), shared by every simulated node (0 in the state of a
    /// cluster started before it existed).
    #[serde(default)]
    pub kwok: u16,
}

/// Contents of `cluster.json`, rewritten after every process change so that `down` finds
/// every process even when `up` was interrupted half-way. Each is recorded with its start
/// time and binary, so a pid someone else has now is never taken for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterState {
    pub versions: Versions,
    pub bin_dir: PathBuf,
    pub ports: Ports,
    pub nodes: u32,
    pub pids: BTreeMap<Component, Proc>,
}

impl ClusterState {
    pub fn load(layout: &Layout) -> anyhow::Result<Option<Self>> {
        let path = layout.state_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut state: ClusterState =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        state.identify_bare_pids(layout.root());
        Ok(Some(state))
    }

    /// A bare pid (written before start times were kept) names its process only if /proc
    /// shows one of our binaries there whose command line names this state dir; then the
    /// record becomes that process, else it stays matching nothing.
    fn identify_bare_pids(&mut self, root: &Path) {
        if self.pids.values().all(|p| !p.is_bare()) {
            return;
        }
        let ours = find_cluster_processes(&self.bin_dir, root);
        for proc in self.pids.values_mut().filter(|p| p.is_bare()) {
            if let Some(found) = ours.iter().find(|o| o.pid == proc.pid) {
                *proc = found.clone();
            }
        }
    }

    /// Writes via a temporary file and a rename, so a reader never sees half a file.
    pub fn save(&self, layout: &Layout) -> anyhow::Result<()> {
        let path = layout.state_file();
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).context("serialising cluster state")?;
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
    }
}
