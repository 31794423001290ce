//! The local control plane: etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler and kwok, run as processes on loopback.

pub mod cli;
