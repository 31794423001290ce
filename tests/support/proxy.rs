//! A TCP path to a cluster's API server that a test can cut: every connection through it
//! closes at once and new ones are closed as they arrive, until it is restored. The API
//! server keeps running for everyone else (the admin client goes direct), so only what
//! goes through the path fails: a real watch error, as from a network outage, on demand,
//! while the test changes the cluster behind the watcher's back.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Proxy {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    /// Bumped on every cut: each connection ends when it changes.
    cuts: watch::Sender<u64>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// A path to the API server of the cluster `kubeconfig` names.
    pub async fn to_apiserver(kubeconfig: &Path) -> Proxy {
        let config = admin_config(kubeconfig).await;
        let host = config
            .cluster_url
            .host()
            .expect("the server URL has a host");
        let port = config
            .cluster_url
            .port_u16()
            .expect("the server URL has a port");
        let upstream: SocketAddr = format!("{host}:{port}").parse().expect("an IP address");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen on loopback");
        let addr = listener.local_addr().expect("the proxy's address");
        let open = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0);
        let accept = tokio::spawn(accept(listener, upstream, Arc::clone(&open), cuts.clone()));
        Proxy {
            addr,
            open,
            cuts,
            accept,
        }
    }

    /// An admin client whose every request goes through this path.
    pub async fn client(&self, kubeconfig: &Path) -> kube::Client {
        let mut config = admin_config(kubeconfig).await;
        config.cluster_url = format!("https://{}", self.addr)
            .parse()
            .expect("the proxy's URL");
        kolla_dash::cluster::client::build(config, Default::default()).expect("a client")
    }

    /// Closes every connection through the path and every new one, until `restore`.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cuts.send_modify(|n| *n += 1);
    }
}

async fn admin_config(kubeconfig: &Path) -> kube::Config {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("admin config")
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    open: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
) {
    while let Ok((mut downstream, _)) = listener.accept().await {
        if !open.load(Ordering::SeqCst) {
            // Cut: the caller sees its connection closed at once.
            drop(downstream);
            continue;
        }
        let mut cut = cuts.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut downstream, &mut server) => {}
                _ = cut.changed() => {}
            }
        });
    }
}
