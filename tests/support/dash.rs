//! The dashboard's core (model, watchers, effects) on a local cluster, without a terminal:
//! fed message by message, so a test sees every state the screen would show, even one that
//! lasts a moment.

use std::time::Duration;

use kolla_dash::cli::GlobalArgs;
use kolla_dash::cluster::client::Cluster;
use kolla_dash::engine::{Engine, load_config};
use kolla_dash::tui::{DashOptions, Dashboard, Inbox};

/// An engine for `namespace` with the built-in config, on `client`.
pub fn engine(client: kube::Client, namespace: &str) -> Engine {
    let global = GlobalArgs {
        config_dir: None,
        context: None,
        namespace: Some(namespace.into()),
        log_file: None,
    };
    let (catalog, config) = load_config(&global).expect("built-in config");
    let cluster = Cluster {
        client,
        context: "test".into(),
    };
    Engine::new(catalog, config, cluster)
}

/// Feeds the dashboard until `done` holds; panics after `wait`, naming `what`.
pub async fn pump(
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    what: &str,
    wait: Duration,
    done: impl Fn(&Dashboard) -> bool,
) {
    let deadline = tokio::time::Instant::now() + wait;
    while !done(dash) {
        match tokio::time::timeout_at(deadline, inbox.msgs.recv()).await {
            Ok(Some(msg)) => {
                dash.handle(vec![msg]);
            }
            Ok(None) => panic!("the watchers stopped while waiting for {what}"),
            Err(_) => panic!("timed out after {wait:?} waiting for {what}"),
        }
    }
}

/// A read-only dashboard core on `client` in `namespace`, once every watched kind is listed.
pub async fn synced(client: kube::Client, namespace: &str, wait: Duration) -> (Dashboard, Inbox) {
    let options = DashOptions {
        readonly: true,
        local_cluster: true,
    };
    let (mut dash, mut inbox) =
        Dashboard::start(engine(client, namespace), options).expect("dashboard");
    pump(&mut dash, &mut inbox, "the first sync", wait, |d| {
        d.model.store().all_synced()
    })
    .await;
    (dash, inbox)
}
