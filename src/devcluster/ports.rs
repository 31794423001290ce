//! Free loopback ports for a new cluster.

use std::net::TcpListener;

use anyhow::Context;

use super::state::Ports;

/// Asks the kernel for four distinct free ports. They are free now, not reserved: a
/// component that then finds its port taken makes the caller pick again.
pub fn pick() -> anyhow::Result<Ports> {
    // All four listeners are held at once so the kernel cannot hand out a port twice.
    let listeners = (0..4)
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
        kwok: port(3)?,
    })
}

/// One free loopback port (the ports a cluster already holds are not free).
pub fn pick_one() -> anyhow::Result<u16> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .context("finding a free loopback port")
}

#[cfg(test)]
mod tests {
    #[test]
    fn picks_four_distinct_ports() {
        let p = super::pick().expect("ports");
        let mut all = vec![p.etcd_client, p.etcd_peer, p.apiserver, p.kwok];
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 4, "{p:?}");
        assert!(!all.contains(&0));
    }
}
