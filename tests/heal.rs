//! Watching the cluster heal (issue 6) on a local control plane: the dashboard's core
//! reconnects by itself after the API server dies and comes back, and then knows exactly
//! what a fresh start knows.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kolla_dash::devcluster::{Component, DevCluster, StartOptions};
use kolla_dash::model::Connection as Link;
use kolla_dash::tui::Dashboard;
use kube::Api;
use kube::api::DeleteParams;
use support::dash::{Headless, NS, deployed, engine, pump, settle, synced_dashboard};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_apiserver_restart_and_matches_a_fresh_start() {
    let mut cluster = DevCluster::start(StartOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot start a local cluster: {e:#}"));
    let setup = engine(&cluster);
    for (service, kinds) in [("memcached", ["svc", "configmap", "pod"])] {
        for kind in kinds {
            setup
                .create(service, kind.parse().expect("kind"), Default::default())
                .await
                .unwrap_or_else(|e| panic!("create {service} {kind}: {e:#}"));
        }
    }

    let (mut dash, mut inbox) = synced_dashboard(&cluster).await;
    settle(&mut dash, &mut inbox).await;

    cluster
        .stop_component(Component::ApiServer)
        .expect("stop the apiserver");
    pump(&mut dash, &mut inbox, "the dashboard to notice", |d| {
        matches!(
            d.model.connection(),
            Link::Lost { .. } | Link::Silent { .. }
        )
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

    let (mut fresh, mut fresh_inbox) = synced_dashboard(&cluster).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_the_node_under_keystone_heals_it_and_keeps_mariadb_data() {
    use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
    use kolla_dash::model::incident::Step;

    let (cluster, dir) = deployed(&[]).await;

    // The headless command records the same drill, for scripts.
    let headless = Headless::start(&cluster, dir.path());

    let (mut dash, mut inbox) = synced_dashboard(&cluster).await;
    settle(&mut dash, &mut inbox).await;

    let pods: Api<Pod> = Api::namespaced(cluster.client(), NS);
    let node_of = |p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.clone());
    let mariadb_node = node_of(&pods.get("mariadb-0").await.expect("mariadb-0"));
    let keystone_nodes: Vec<String> = pods
        .list(
            &kube::api::ListParams::default()
                .labels("kolla-dash/service=keystone,kolla-dash/kind=pod"),
        )
        .await
        .expect("keystone pods")
        .items
        .iter()
        .filter_map(node_of)
        .collect();
    // Prefer the node that also holds mariadb, to watch its StatefulSet pod too.
    let node = mariadb_node
        .clone()
        .filter(|n| keystone_nodes.contains(n))
        .or_else(|| keystone_nodes.first().cloned())
        .expect("keystone runs somewhere");
    let pvs: Api<PersistentVolume> = Api::all(cluster.client());
    let pv_before = pvs
        .get(&format!("{NS}-mariadb"))
        .await
        .expect("mariadb's PV");

    cluster.fail_node(&node).await.expect("fail the node");
    pump(&mut dash, &mut inbox, "keystone to heal", |d| {
        d.model.incidents().incidents().iter().any(|i| {
            i.nodes.contains_key(&node)
                && i.services
                    .get("keystone")
                    .is_some_and(|s| s.healed_after_ms.is_some())
        })
    })
    .await;
    let incident = dash
        .model
        .incidents()
        .incidents()
        .iter()
        .find(|i| i.nodes.contains_key(&node))
        .expect("an incident for the failed node")
        .clone();
    let heal = incident.services["keystone"]
        .healed_after_ms
        .expect("healed");
    println!("keystone healed {heal} ms after {node} went down");
    assert!(matches!(incident.timeline[0].step, Step::NodeDown { .. }));
    assert!(incident.timeline.iter().any(|t| matches!(
        &t.step,
        Step::PodReady { service, node: on, .. } if service == "keystone" && *on != node
    )));
    // keystone's replicas are all ready again, none on the failed node.
    let keystone = pods
        .list(
            &kube::api::ListParams::default()
                .labels("kolla-dash/service=keystone,kolla-dash/kind=pod"),
        )
        .await
        .expect("keystone pods");
    let ready_elsewhere = keystone
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| node_of(p).is_some_and(|n| n != node))
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count();
    assert_eq!(ready_elsewhere, 3, "3 keystone replicas ready off {node}");

    // mariadb: whatever Kubernetes did, the incident says the same.
    if mariadb_node.as_deref() == Some(node.as_str()) {
        settle(&mut dash, &mut inbox).await;
        let incident = dash
            .model
            .incidents()
            .incidents()
            .iter()
            .find(|i| i.nodes.contains_key(&node))
            .cloned();
        let timeline = incident.expect("incident").timeline;
        let pod = pods.get_opt("mariadb-0").await.expect("get mariadb-0");
        let stuck = pod.as_ref().is_some_and(|p| {
            p.metadata.deletion_timestamp.is_some() && node_of(p).as_deref() == Some(node.as_str())
        });
        if stuck {
            assert!(
                timeline.iter().any(|t| matches!(
                    &t.step,
                    Step::PodTerminating { pod, stuck: Some(_), .. } if pod == "mariadb-0"
                )),
                "a StatefulSet pod stuck Terminating is shown with its reason: {timeline:?}"
            );
        } else {
            assert!(
                timeline.iter().any(|t| matches!(
                    &t.step,
                    Step::PodTerminating { pod, .. } | Step::PodGone { pod, .. } if pod == "mariadb-0"
                )),
                "mariadb-0's eviction is in the timeline: {timeline:?}"
            );
        }
    }
    // The data stays put: the claim is Bound and the volume was not touched.
    let pvc = Api::<PersistentVolumeClaim>::namespaced(cluster.client(), NS)
        .get("mariadb")
        .await
        .expect("mariadb's PVC");
    assert_eq!(
        pvc.status.and_then(|s| s.phase).as_deref(),
        Some("Bound"),
        "mariadb's PVC stays Bound through the drill"
    );
    let pv_after = pvs
        .get(&format!("{NS}-mariadb"))
        .await
        .expect("mariadb's PV");
    assert_eq!(
        pv_before.metadata.resource_version, pv_after.metadata.resource_version,
        "mariadb's PV is untouched"
    );

    cluster.restore_node(&node).await.expect("restore the node");
    pump(&mut dash, &mut inbox, "the node to come back", |d| {
        d.model.incidents().incidents().iter().any(|i| {
            i.nodes.contains_key(&node)
                && i.timeline
                    .iter()
                    .any(|t| matches!(&t.step, Step::NodeUp { node: up } if *up == node))
        })
    })
    .await;

    let headless_text = headless.stop();
    let healed = headless_text.lines().any(|l| {
        let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
        v["event"] == "service-healed" && v["service"] == "keystone"
    });
    assert!(
        healed,
        "the headless command reports keystone healed:\n{headless_text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_node_leaves_mariadb_terminating_until_it_returns() {
    use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
    use kolla_dash::model::incident::Step;

    let (cluster, _dir) = deployed(&["mariadb"]).await;
    let (mut dash, mut inbox) = synced_dashboard(&cluster).await;

    let pods: Api<Pod> = Api::namespaced(cluster.client(), NS);
    let node = pods
        .get("mariadb-0")
        .await
        .expect("mariadb-0")
        .spec
        .and_then(|s| s.node_name)
        .expect("mariadb-0 is placed");
    cluster.vanish_node(&node).await.expect("vanish the node");

    let stuck_shown = |d: &Dashboard| {
        d.model.incidents().incidents().iter().any(|i| {
            i.nodes.contains_key(&node)
                && i.timeline.iter().any(|t| {
                    matches!(
                        &t.step,
                        Step::PodTerminating { pod, stuck: Some(_), .. } if pod == "mariadb-0"
                    )
                })
        })
    };
    pump(
        &mut dash,
        &mut inbox,
        "mariadb-0 shown stuck Terminating",
        stuck_shown,
    )
    .await;
    // Kubernetes really keeps it: a while later it is still there, Terminating, on the
    // vanished node, and its claim is still Bound.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pod = pods.get("mariadb-0").await.expect("mariadb-0 still exists");
    assert!(
        pod.metadata.deletion_timestamp.is_some(),
        "mariadb-0 is Terminating"
    );
    assert_eq!(
        pod.spec.and_then(|s| s.node_name).as_deref(),
        Some(node.as_str())
    );
    let pvc = Api::<PersistentVolumeClaim>::namespaced(cluster.client(), NS)
        .get("mariadb")
        .await
        .expect("mariadb's PVC");
    assert_eq!(pvc.status.and_then(|s| s.phase).as_deref(), Some("Bound"));

    cluster.restore_node(&node).await.expect("restore the node");
    pump(
        &mut dash,
        &mut inbox,
        "mariadb to heal once the node returns",
        |d| {
            d.model.incidents().incidents().iter().any(|i| {
                i.nodes.contains_key(&node)
                    && i.services
                        .get("mariadb")
                        .is_some_and(|s| s.healed_after_ms.is_some())
            })
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_respects_pod_disruption_budgets() {
    use k8s_openapi::api::core::v1::{Node, Pod};
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    use kolla_dash::cluster::nodes;

    let (cluster, _dir) = deployed(&["memcached"]).await;
    let client = cluster.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let selector = "kolla-dash/service=memcached,kolla-dash/kind=pod";
    let list = pods
        .list(&kube::api::ListParams::default().labels(selector))
        .await
        .expect("memcached pods");
    let node = list.items[0]
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .expect("placed");
    let pdb: PodDisruptionBudget = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "memcached"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {
            "kolla-dash/service": "memcached", "kolla-dash/kind": "pod"}}}
    }))
    .expect("pdb");
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), NS);
    pdbs.create(&Default::default(), &pdb)
        .await
        .expect("create pdb");
    // Let the disruption controller compute what the budget allows (none).
    tokio::time::sleep(Duration::from_secs(2)).await;

    let t = std::time::Instant::now();
    let err = nodes::drain(&client, &node, NS, false, Duration::from_secs(3))
        .await
        .expect_err("the budget refuses to evict memcached's only pod");
    assert!(
        format!("{err:#}").contains("PodDisruptionBudget"),
        "{err:#}"
    );
    let cordoned = Api::<Node>::all(client.clone())
        .get(&node)
        .await
        .expect("node")
        .spec
        .and_then(|s| s.unschedulable);
    assert_eq!(cordoned, Some(true), "drain cordons first");

    pdbs.delete("memcached", &Default::default())
        .await
        .expect("delete pdb");
    let evicted = nodes::drain(&client, &node, NS, false, Duration::from_secs(10))
        .await
        .expect("drain without a budget");
    assert!(evicted >= 1, "memcached's pod was evicted");
    println!("both drains took {:.1} s", t.elapsed().as_secs_f64());
    nodes::cordon(&client, &node, false)
        .await
        .expect("uncordon");
}
