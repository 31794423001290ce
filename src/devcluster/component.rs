//! The five control-plane components and the command line each one is started with.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::state::{Layout, Ports};
use crate::cluster::simulate::KWOK_NODE_LABEL;

/// Pod addresses kwok hands out; far from the service range and big enough for any demo.
const POD_CIDR: &str = "10.128.0.0/12";
const SERVICE_CIDR: &str = "10.96.0.0/16";
/// Short failure timings so node loss plays out in seconds (see docs/dev-cluster.md):
/// kwok renews a lease of this length every quarter of it ...
pub const NODE_LEASE_SECONDS: u32 = 8;
/// ... the node lifecycle controller declares a node lost after this grace ...
const NODE_MONITOR_GRACE: &str = "10s";
/// ... and pods tolerate a not-ready/unreachable node this long before eviction.
const EVICTION_TOLERATION_SECONDS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    Etcd,
    ApiServer,
    ControllerManager,
    Scheduler,
    Kwok,
}

impl Component {
    /// Start order: each one needs the ones before it.
    pub const ALL: [Component; 5] = [
        Component::Etcd,
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Kwok,
    ];

    /// File name of the binary, also the component's name in logs and `status`.
    pub fn binary(self) -> &'static str {
        match self {
            Component::Etcd => "etcd",
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Kwok => "kwok",
        }
    }

    /// The port the component serves on; the controller-manager and scheduler serve none
    /// (`--secure-port=0`), which keeps parallel clusters from fighting over 10257/10259.
    pub fn port(self, ports: &Ports) -> Option<u16> {
        match self {
            Component::Etcd => Some(ports.etcd_client),
            Component::ApiServer => Some(ports.apiserver),
            Component::Kwok => Some(ports.kwok),
            Component::ControllerManager | Component::Scheduler => None,
        }
    }

    pub fn args(self, layout: &Layout, ports: &Ports) -> Vec<String> {
        let path = |p: std::path::PathBuf| p.display().to_string();
        let kubeconfig = path(layout.kubeconfig());
        match self {
            Component::Etcd => {
                let client = format!("http://127.0.0.1:{}", ports.etcd_client);
                let peer = format!("http://127.0.0.1:{}", ports.etcd_peer);
                vec![
                    "--name=kolla-dash".into(),
                    format!("--data-dir={}", path(layout.etcd_data())),
                    format!("--listen-client-urls={client}"),
                    format!("--advertise-client-urls={client}"),
                    format!("--listen-peer-urls={peer}"),
                    format!("--initial-advertise-peer-urls={peer}"),
                    format!("--initial-cluster=kolla-dash={peer}"),
                    // Throwaway data: skipping fsync makes every write cheap.
                    "--unsafe-no-fsync=true".into(),
                    "--log-level=warn".into(),
                ]
            }
            Component::ApiServer => vec![
                format!("--etcd-servers=http://127.0.0.1:{}", ports.etcd_client),
                "--bind-address=127.0.0.1".into(),
                "--advertise-address=127.0.0.1".into(),
                format!("--secure-port={}", ports.apiserver),
                format!("--tls-cert-file={}", path(layout.serving_cert())),
                format!("--tls-private-key-file={}", path(layout.serving_key())),
                format!("--client-ca-file={}", path(layout.ca_cert())),
                format!("--token-auth-file={}", path(layout.token_file())),
                format!(
                    "--service-account-key-file={}",
                    path(layout.service_account_pub())
                ),
                format!(
                    "--service-account-signing-key-file={}",
                    path(layout.service_account_key())
                ),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
                format!("--service-cluster-ip-range={SERVICE_CIDR}"),
                "--authorization-mode=RBAC".into(),
                "--allow-privileged=true".into(),
                // One apiserver on loopback: no endpoint lease to reconcile.
                "--endpoint-reconciler-type=none".into(),
                // APF costs CPU and brings nothing to a single-user cluster.
                "--enable-priority-and-fairness=false".into(),
                format!("--default-not-ready-toleration-seconds={EVICTION_TOLERATION_SECONDS}"),
                format!("--default-unreachable-toleration-seconds={EVICTION_TOLERATION_SECONDS}"),
                // Pod logs: the simulated nodes' kubelet API is kwok's, on 127.0.0.1 (their
                // InternalIP; their Hostname resolves nowhere).
                "--kubelet-preferred-address-types=InternalIP".into(),
            ],
            Component::ControllerManager => vec![
                format!("--kubeconfig={kubeconfig}"),
                "--leader-elect=false".into(),
                "--secure-port=0".into(),
                format!(
                    "--service-account-private-key-file={}",
                    path(layout.service_account_key())
                ),
                format!("--root-ca-file={}", path(layout.ca_cert())),
                "--node-monitor-period=1s".into(),
                // Claims created before their static PV are retried on this period.
                "--pvclaimbinder-sync-period=2s".into(),
                format!("--node-monitor-grace-period={NODE_MONITOR_GRACE}"),
            ],
            Component::Scheduler => vec![
                format!("--kubeconfig={kubeconfig}"),
                "--leader-elect=false".into(),
                "--secure-port=0".into(),
            ],
            Component::Kwok => vec![
                format!("--kubeconfig={kubeconfig}"),
                format!("--config={}", path(layout.stages())),
                format!("--config={}", path(layout.rehearsal_stages())),
                format!("--config={}", path(layout.pod_logs_config())),
                format!("--manage-nodes-with-label-selector={KWOK_NODE_LABEL}=true"),
                format!("--node-lease-duration-seconds={NODE_LEASE_SECONDS}"),
                format!("--cidr={POD_CIDR}"),
                // The kubelet API the apiserver proxies pod logs to: one server for every
                // node, which the node stage advertises with this port and this address.
                format!("--server-address=127.0.0.1:{}", ports.kwok),
                format!("--node-port={}", ports.kwok),
                "--node-ip=127.0.0.1".into(),
            ],
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.binary())
    }
}
