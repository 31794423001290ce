//! Free loopback ports for a new cluster.

use std::net::TcpListener;

use anyhow::Context;

use super::state::Ports;

/// Asks the kernel for three distinct free ports. They are free now, not reserved: a
/// component that then finds its port taken makes the caller pick again.
pub fn pick() -> anyhow::Result<Ports> {
    // All three listeners are held at once so the kernel cannot hand out a port twice.
    let listeners = (0..3)
        .map(|_| TcpListener::bind(("127.0.0.1", 0)))
        .collect::<Result<Vec<_>, _>>()
        .context("finding a free loopback port")?;
    let port = |i: usize| -> anyhow::Result<u16> {
        Ok(listeners[i]
            .local_addr()
            .context("reading a bound port")?
            .port())
    };
    Ok(Ports {
        etcd_client: port(0)?,
        etcd_peer: port(1)?,
        apiserver: port(2)?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn picks_three_distinct_ports() {
        let p = super::pick().expect("ports");
        assert!(p.etcd_client != p.etcd_peer && p.etcd_peer != p.apiserver);
        assert!(p.etcd_client != p.apiserver && p.apiserver != 0);
    }
}
