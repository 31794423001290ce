//! Watching the cluster heal (issue 6) on a local control plane: the dashboard's core
//! reconnects by itself after the API server dies and comes back, and then knows exactly
//! what a fresh start knows.

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kolla_dash::cli::GlobalArgs;
use kolla_dash::cluster::client::Connection;
use kolla_dash::devcluster::{Component, DevCluster, StartOptions};
use kolla_dash::engine::{Engine, load_config};
use kolla_dash::model::Connection as Link;
use kolla_dash::tui::{DashOptions, Dashboard, Inbox};
use kube::Api;
use kube::api::DeleteParams;

const NS: &str = "heal";
const WAIT: Duration = Duration::from_secs(60);

fn engine(cluster: &DevCluster) -> Engine {
    let global = GlobalArgs {
        config_dir: None,
        context: None,
        namespace: Some(NS.into()),
        log_file: None,
    };
    let (catalog, config) = load_config(&global).expect("built-in config");
    let connection = Connection {
        client: cluster.client(),
        context: "test".into(),
    };
    Engine::new(catalog, config, connection)
}

/// Feeds the dashboard until `done` holds; panics after WAIT.
async fn pump(
    dash: &mut Dashboard,
    inbox: &mut Inbox,
    what: &str,
    done: impl Fn(&Dashboard) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(dash) {
        match tokio::time::timeout_at(deadline, inbox.msgs.recv()).await {
            Ok(Some(msg)) => {
                dash.handle(vec![msg]);
            }
            Ok(None) => panic!("the watchers stopped while waiting for {what}"),
            Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
        }
    }
}

/// Lets already-queued messages in (events, late updates) without waiting for new ones.
async fn settle(dash: &mut Dashboard, inbox: &mut Inbox) {
    while let Ok(Some(msg)) =
        tokio::time::timeout(Duration::from_millis(1500), inbox.msgs.recv()).await
    {
        dash.handle(vec![msg]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_apiserver_restart_and_matches_a_fresh_start() {
    let mut cluster = DevCluster::start(StartOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start a local cluster: {e:#}"));
    let setup = engine(&cluster);
    for (service, kinds) in [("memcached", ["svc", "configmap", "pod"])] {
        for kind in kinds {
            setup
                .create(service, kind.parse().expect("kind"))
                .await
                .unwrap_or_else(|e| panic!("create {service} {kind}: {e:#}"));
        }
    }

    let (mut dash, mut inbox) = Dashboard::start(
        engine(&cluster),
        DashOptions {
            readonly: true,
            local_cluster: true,
        },
    )
    .expect("dashboard");
    pump(&mut dash, &mut inbox, "the first sync", |d| {
        d.model.store().all_synced()
    })
    .await;
    settle(&mut dash, &mut inbox).await;

    cluster
        .stop_component(Component::ApiServer)
        .expect("stop the apiserver");
    pump(&mut dash, &mut inbox, "the dashboard to notice", |d| {
        matches!(d.model.connection(), Link::Lost { .. })
    })
    .await;
    cluster
        .start_component(Component::ApiServer)
        .await
        .expect("restart the apiserver");
    // Deleted while the dashboard is still backing off: only a relist can notice.
    Api::<ConfigMap>::namespaced(cluster.client(), NS)
        .delete("memcached", &DeleteParams::default())
        .await
        .expect("delete memcached's configmap");
    pump(&mut dash, &mut inbox, "the dashboard to reconnect", |d| {
        d.model.connection() == Link::Connected && d.model.store().all_synced()
    })
    .await;
    settle(&mut dash, &mut inbox).await;

    let (mut fresh, mut fresh_inbox) = Dashboard::start(
        engine(&cluster),
        DashOptions {
            readonly: true,
            local_cluster: true,
        },
    )
    .expect("dashboard");
    pump(&mut fresh, &mut fresh_inbox, "a fresh sync", |d| {
        d.model.store().all_synced()
    })
    .await;
    settle(&mut fresh, &mut fresh_inbox).await;

    let row = dash
        .model
        .store()
        .row_of_service("memcached")
        .expect("memcached row");
    assert!(
        dash.model
            .store()
            .cell_objects(row, "configmap".parse().expect("kind"))
            .is_empty(),
        "the configmap deleted while disconnected is gone"
    );
    assert_eq!(
        dash.model.store(),
        fresh.model.store(),
        "after reconnecting, the model knows what a fresh start knows"
    );
    assert!(!dash.disconnected(), "no watch is still waiting to relist");
}
