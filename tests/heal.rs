//! Watching the cluster heal (issue 6) on a local control plane: the dashboard's core
//! reconnects by itself after the API server dies and comes back, or after its watches
//! fail, and then knows exactly what a fresh start knows.
//!
//! Every test here starts a cluster of its own: each restarts the API server, fails or
//! drains a node, or adds and deletes a Node, which every other test would see.

mod support;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ConfigMap, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event;
use kolla_dash::devcluster::Component;
use kolla_dash::labels;
use kolla_dash::model::incident::Step;
use kolla_dash::model::{Connection as Link, Msg};
use kolla_dash::summary::{ObjKind, ObjRef};
use kolla_dash::tui::Dashboard;
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use support::cluster::TestCluster;
use support::dash::{
    Headless, WAIT, engine_in, knows_what_a_fresh_start_knows, pump, pump_seeing, readonly,
    start_in, synced_in,
};
use support::proxy::Proxy;
use support::wait::wait_for_async;

const KEYSTONE_PODS: &str = "kolla-dash/service=keystone,kolla-dash/kind=pod";

fn node_of(pod: &Pod) -> Option<String> {
    pod.spec.as_ref().and_then(|s| s.node_name.clone())
}

fn is_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The dashboard's connection to the API server goes through a proxy, so the test decides
/// what it misses: the API server restarts, and a ConfigMap is deleted while the dashboard
/// still cannot reach it; only a relist can tell.
#[test]
fn reconnects_after_apiserver_restart_and_matches_a_fresh_start() {
    let mut cluster = TestCluster::start();
    let ns = "restart";
    let kubeconfig = cluster.kubeconfig_path();
    let client = cluster.client();
    cluster.runtime().block_on(async {
        let setup = engine_in(client.clone(), ns);
        for kind in ["svc", "configmap", "pod"] {
            setup
                .create("memcached", kind.parse().expect("kind"), Default::default())
                .await
                .unwrap_or_else(|e| panic!("create memcached {kind}: {e:#}"));
        }
        let proxy = Proxy::to_apiserver(&kubeconfig).await;
        let (mut dash, mut inbox) = synced_in(proxy.client(&kubeconfig).await, ns).await;
        let row = dash
            .model
            .store()
            .row_of_service("memcached")
            .expect("memcached row");
        let configmap = "configmap".parse().expect("kind");
        pump(&mut dash, &mut inbox, "memcached's configmap listed", |d| {
            !d.model.store().cell_objects(row, configmap).is_empty()
        })
        .await;

        let stopped = Instant::now();
        cluster
            .dev_cluster_mut()
            .stop_component(Component::ApiServer)
            .expect("stop the apiserver");
        pump(&mut dash, &mut inbox, "the dashboard to notice", |d| {
            matches!(
                d.model.connection(),
                Link::Lost { .. } | Link::Silent { .. }
            )
        })
        .await;
        // Kept from the dashboard until the ConfigMap is gone.
        proxy.cut();
        cluster
            .dev_cluster_mut()
            .start_component(Component::ApiServer)
            .await
            .expect("restart the apiserver");
        // The node lifecycle controller may have given up on the nodes if the restart
        // outlasted its 10 s grace: they come back by themselves, and the comparison below
        // waits for the two dashboards to agree rather than for a quiet moment.
        println!("the API server was away {:.1?}", stopped.elapsed());
        Api::<ConfigMap>::namespaced(client.clone(), ns)
            .delete("memcached", &DeleteParams::default())
            .await
            .expect("delete memcached's configmap");
        proxy.restore();
        let mut deleted_event = false;
        pump_seeing(
            &mut dash,
            &mut inbox,
            "the dashboard to reconnect without memcached's configmap",
            |msg| {
                deleted_event |= matches!(msg, Msg::Deleted(o) if o.kind == ObjKind::ConfigMap);
            },
            |d| {
                d.model.connection() == Link::Connected
                    && d.model.store().all_synced()
                    && d.model.store().cell_objects(row, configmap).is_empty()
            },
        )
        .await;
        assert!(
            !deleted_event,
            "the ConfigMap was deleted while the dashboard could not see: only a relist tells"
        );

        knows_what_a_fresh_start_knows(
            client.clone(),
            ns,
            (&mut dash, &mut inbox),
            "the reconnected dashboard to know what a fresh start knows",
        )
        .await;
        assert!(!dash.disconnected(), "no watch is still waiting to relist");
    });
}

/// Watches of Nodes, PersistentVolumes, EndpointSlices and Events fail (their connections
/// cut); what changed meanwhile (a Node, a PV and a slice deleted, an Event recorded) is
/// known after the relist, without a Delete event, and no event is shown twice.
#[test]
fn every_watch_relists_after_an_error_and_events_are_shown_once() {
    // Adds and deletes a Node: other tests count nodes.
    let cluster = TestCluster::start();
    let ns = "relist";
    let kubeconfig = cluster.kubeconfig_path();
    let client = cluster.client();
    cluster.block_on(async {
        let admin = engine_in(client.clone(), ns);
        admin
            .create(
                "memcached",
                "svc".parse().expect("kind"),
                Default::default(),
            )
            .await
            .expect("create memcached's svc");
        let nodes: Api<Node> = Api::all(client.clone());
        let volumes: Api<PersistentVolume> = Api::all(client.clone());
        let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), ns);
        let events: Api<Event> = Api::namespaced(client.clone(), ns);
        let create = PostParams::default();
        let (node, volume, slice) = ("relist-node", format!("{ns}-relist"), "relist-slice");
        nodes
            .create(
                &create,
                &json(serde_json::json!({"metadata": {"name": node}})),
            )
            .await
            .expect("create a node");
        let pv = serde_json::json!({
            "metadata": {"name": volume, "labels": kolla_labels(ns, "mariadb", "pv")},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "hostPath": {"path": "/tmp/relist"}}});
        volumes
            .create(&create, &json(pv))
            .await
            .expect("create a PV");
        let endpoints = serde_json::json!({
            "metadata": {"name": slice, "labels": kolla_labels(ns, "memcached", "svc")},
            "addressType": "IPv4", "endpoints": []});
        slices
            .create(&create, &json(endpoints))
            .await
            .expect("create a slice");
        let event = |name: &str, note: &str| {
            json::<Event>(serde_json::json!({
                "metadata": {"name": name},
                "eventTime": jiff::Timestamp::now().to_string(),
                "reportingController": "kolla-dash/test", "reportingInstance": "test",
                "action": "Test", "reason": "Relist", "type": "Normal", "note": note,
                "regarding": {"kind": "Service", "name": "memcached", "namespace": ns}}))
        };
        let (before, during) = ("recorded before the cut", "recorded while cut off");
        events
            .create(&create, &event("relist-before", before))
            .await
            .expect("record an event");

        let proxy = Proxy::to_apiserver(&kubeconfig).await;
        // Not `synced_in`: every message counts, the first list's too.
        let (mut dash, mut inbox) = start_in(proxy.client(&kubeconfig).await, ns, readonly());
        // How many times each event's note reached the dashboard.
        let shown: RefCell<BTreeMap<String, usize>> = RefCell::default();
        let count = |msg: &Msg| {
            if let Msg::Event(e) = msg {
                *shown.borrow_mut().entry(e.note.clone()).or_default() += 1;
            }
        };
        let has = |kind: ObjKind, name: &str| ObjRef {
            kind,
            name: name.to_string(),
        };
        let knows = |d: &Dashboard| {
            let store = d.model.store();
            (
                store.nodes().contains_key(node),
                store
                    .object(&has(ObjKind::PersistentVolume, &volume))
                    .is_some(),
                store.object(&has(ObjKind::EndpointSlice, slice)).is_some(),
            )
        };
        pump_seeing(
            &mut dash,
            &mut inbox,
            "the first sync with the node, the PV, the slice and the first event",
            count,
            |d| {
                d.model.store().all_synced()
                    && knows(d) == (true, true, true)
                    && shown.borrow().contains_key(before)
            },
        )
        .await;

        proxy.cut();
        let failed = [
            ObjKind::Node,
            ObjKind::PersistentVolume,
            ObjKind::EndpointSlice,
        ];
        let lost = RefCell::new(Vec::new());
        pump_seeing(
            &mut dash,
            &mut inbox,
            "the Node, PV and EndpointSlice watches to fail",
            |m| {
                count(m);
                if let Msg::WatchLost(kind) = m {
                    lost.borrow_mut().push(*kind);
                }
            },
            |_| failed.iter().all(|k| lost.borrow().contains(k)),
        )
        .await;
        nodes
            .delete(node, &DeleteParams::default())
            .await
            .expect("delete the node");
        volumes
            .delete(&volume, &DeleteParams::default())
            .await
            .expect("delete the PV");
        slices
            .delete(slice, &DeleteParams::default())
            .await
            .expect("delete the slice");
        events
            .create(&create, &event("relist-during", during))
            .await
            .expect("record an event");
        wait_for_async("the PV to go", WAIT, || async {
            volumes
                .get_opt(&volume)
                .await
                .expect("read the PV")
                .is_none()
        })
        .await;
        proxy.restore();

        let mut deleted = Vec::new();
        let mut relisted = Vec::new();
        pump_seeing(
            &mut dash,
            &mut inbox,
            "the relists to drop the node, the PV and the slice, and the new event",
            |m| {
                count(m);
                match m {
                    Msg::Deleted(o) => deleted.push(o.name.clone()),
                    Msg::Resynced(kind, _) => relisted.push(*kind),
                    _ => {}
                }
            },
            |d| {
                knows(d) == (false, false, false)
                    && d.model.store().all_synced()
                    && shown.borrow().contains_key(during)
            },
        )
        .await;
        assert!(
            deleted.is_empty(),
            "seen as Delete events, not by a relist: {deleted:?}"
        );
        for kind in failed {
            assert!(
                relisted.contains(&kind),
                "{kind} was not relisted: {relisted:?}"
            );
        }
        // The event watch relisted too: the old event came again and was not shown again.
        knows_what_a_fresh_start_knows(
            client.clone(),
            ns,
            (&mut dash, &mut inbox),
            "the relisted dashboard to know what a fresh start knows",
        )
        .await;
        let shown = shown.into_inner();
        assert_eq!(shown.get(before), Some(&1), "{shown:?}");
        assert_eq!(shown.get(during), Some(&1), "{shown:?}");
    });
}

fn json<K: serde::de::DeserializeOwned>(value: serde_json::Value) -> K {
    serde_json::from_value(value).expect("a valid object")
}

/// kolla-dash's labels on an object of `service`'s `kind` cell in `namespace`.
fn kolla_labels(namespace: &str, service: &str, kind: &str) -> serde_json::Value {
    serde_json::json!({
        labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
        labels::SERVICE: service,
        labels::KIND: kind,
        labels::NAMESPACE: namespace,
    })
}

/// Fails the node mariadb-0 runs on (keystone has a replica there too): keystone and
/// mariadb heal on the other nodes, the incident says how, mariadb keeps its data, and
/// `kolla-dash incidents` reports the same.
#[test]
fn failing_the_node_under_keystone_heals_it_and_keeps_mariadb_data() {
    let cluster = TestCluster::start();
    let ns = "heal";
    cluster.kolla(ns).ok("deploy");
    // The headless command records the same drill, for scripts.
    let headless = Headless::start(&cluster, ns);
    let client = cluster.client();
    cluster.block_on(async {
        let (mut dash, mut inbox) = synced_in(client.clone(), ns).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
        let node =
            node_of(&pods.get("mariadb-0").await.expect("mariadb-0")).expect("mariadb-0 is placed");
        let keystone = ListParams::default().labels(KEYSTONE_PODS);
        let keystone_nodes: Vec<String> = pods
            .list(&keystone)
            .await
            .expect("keystone pods")
            .items
            .iter()
            .filter_map(node_of)
            .collect();
        assert!(
            keystone_nodes.contains(&node),
            "the scheduler spreads keystone's 3 replicas over the 3 nodes, one beside \
             mariadb on {node}: {keystone_nodes:?}"
        );
        let pvs: Api<PersistentVolume> = Api::all(client.clone());
        let pv_before = pvs
            .get(&format!("{ns}-mariadb"))
            .await
            .expect("mariadb's PV");

        cluster
            .dev_cluster()
            .fail_node(&node)
            .await
            .expect("fail the node");
        let healed = |d: &Dashboard, service: &str| {
            d.model.incidents().incidents().iter().any(|i| {
                i.nodes.contains_key(&node)
                    && i.services
                        .get(service)
                        .is_some_and(|s| s.healed_after_ms.is_some())
            })
        };
        pump(&mut dash, &mut inbox, "keystone and mariadb to heal", |d| {
            healed(d, "keystone") && healed(d, "mariadb")
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
        for service in ["keystone", "mariadb"] {
            let heal = incident.services[service].healed_after_ms.expect("healed");
            println!("{service} healed {heal} ms after {node} went down");
        }
        let timeline = &incident.timeline;
        assert!(
            matches!(timeline[0].step, Step::NodeDown { .. }),
            "{timeline:#?}"
        );
        for service in ["keystone", "mariadb"] {
            assert!(
                timeline.iter().any(|t| matches!(
                    &t.step,
                    Step::PodReady { service: s, node: on, .. } if s == service && *on != node
                )),
                "{service} ready again off {node}: {timeline:#?}"
            );
        }
        // A NotReady node's kubelet still confirms deletions: mariadb-0 is evicted and goes,
        // not stuck Terminating (that is a vanished node's, below).
        assert!(
            timeline.iter().any(|t| matches!(
                &t.step,
                Step::PodTerminating { pod, stuck: None, .. } if pod == "mariadb-0"
            )),
            "mariadb-0's eviction, not stuck: {timeline:#?}"
        );
        // Kubernetes agrees: keystone's 3 replicas and mariadb-0 are ready off the node.
        let ready_elsewhere = |list: Vec<Pod>| {
            list.iter()
                .filter(|p| is_ready(p) && node_of(p).is_some_and(|n| n != node))
                .count()
        };
        let keystone_pods = pods.list(&keystone).await.expect("keystone pods").items;
        assert_eq!(
            ready_elsewhere(keystone_pods),
            3,
            "3 keystone replicas ready off {node}"
        );
        let mariadb = pods.get("mariadb-0").await.expect("mariadb-0");
        assert_eq!(
            ready_elsewhere(vec![mariadb]),
            1,
            "mariadb-0 ready off {node}"
        );
        // The data stays put: the claim is Bound and the volume was not touched.
        let pvc = Api::<PersistentVolumeClaim>::namespaced(client.clone(), ns)
            .get("mariadb")
            .await
            .expect("mariadb's PVC");
        assert_eq!(
            pvc.status.and_then(|s| s.phase).as_deref(),
            Some("Bound"),
            "mariadb's PVC stays Bound through the drill"
        );
        let pv_after = pvs
            .get(&format!("{ns}-mariadb"))
            .await
            .expect("mariadb's PV");
        assert_eq!(
            pv_before.metadata.resource_version, pv_after.metadata.resource_version,
            "mariadb's PV is untouched"
        );

        cluster
            .dev_cluster()
            .restore_node(&node)
            .await
            .expect("restore the node");
        pump(&mut dash, &mut inbox, "the node to come back", |d| {
            d.model.incidents().incidents().iter().any(|i| {
                i.nodes.contains_key(&node)
                    && i.timeline
                        .iter()
                        .any(|t| matches!(&t.step, Step::NodeUp { node: up } if *up == node))
            })
        })
        .await;
    });

    let headless_text = headless.stop();
    let healed: Vec<String> = headless_text
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
            (v["event"] == "service-healed").then(|| v["service"].as_str().unwrap_or("").into())
        })
        .collect();
    for service in ["keystone", "mariadb"] {
        assert!(
            healed.iter().any(|s| s == service),
            "the headless command reports {service} healed:\n{headless_text}"
        );
    }
}

#[test]
fn a_vanished_node_leaves_mariadb_terminating_until_it_returns() {
    let cluster = TestCluster::start();
    let ns = "vanish";
    cluster.kolla(ns).ok("deploy mariadb");
    let client = cluster.client();
    cluster.block_on(async {
        let (mut dash, mut inbox) = synced_in(client.clone(), ns).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
        let node =
            node_of(&pods.get("mariadb-0").await.expect("mariadb-0")).expect("mariadb-0 is placed");
        cluster
            .dev_cluster()
            .vanish_node(&node)
            .await
            .expect("vanish the node");

        pump(
            &mut dash,
            &mut inbox,
            "mariadb-0 shown stuck Terminating",
            |d| {
                d.model.incidents().incidents().iter().any(|i| {
                    i.nodes.contains_key(&node) && i.timeline.iter().any(|t| {
                        matches!(
                            &t.step,
                            Step::PodTerminating { pod, stuck: Some(_), .. } if pod == "mariadb-0"
                        )
                    })
                })
            },
        )
        .await;
        // Kubernetes really keeps it: past the time its deletion was due (the grace period
        // from its deletionTimestamp), it is still there, Terminating, on the vanished node,
        // and its claim is still Bound.
        let due = pods
            .get("mariadb-0")
            .await
            .expect("mariadb-0")
            .metadata
            .deletion_timestamp
            .expect("mariadb-0 is Terminating")
            .0;
        wait_for_async("mariadb-0's deletion to be due", WAIT, || async {
            jiff::Timestamp::now() > due
        })
        .await;
        let pod = pods.get("mariadb-0").await.expect("mariadb-0 still exists");
        assert!(
            pod.metadata.deletion_timestamp.is_some(),
            "mariadb-0 is Terminating"
        );
        assert_eq!(node_of(&pod).as_deref(), Some(node.as_str()));
        let pvc = Api::<PersistentVolumeClaim>::namespaced(client.clone(), ns)
            .get("mariadb")
            .await
            .expect("mariadb's PVC");
        assert_eq!(pvc.status.and_then(|s| s.phase).as_deref(), Some("Bound"));

        cluster
            .dev_cluster()
            .restore_node(&node)
            .await
            .expect("restore the node");
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
    });
}

#[test]
fn drain_respects_pod_disruption_budgets() {
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    use kolla_dash::cluster::nodes;

    let cluster = TestCluster::start();
    let ns = "budget";
    cluster.kolla(ns).ok("deploy memcached");
    let client = cluster.client();
    cluster.block_on(async {
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
        let selector = "kolla-dash/service=memcached,kolla-dash/kind=pod";
        let list = pods
            .list(&ListParams::default().labels(selector))
            .await
            .expect("memcached pods");
        let node = node_of(&list.items[0]).expect("placed");
        let pdb: PodDisruptionBudget = json(serde_json::json!({
            "metadata": {"name": "memcached"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {
                "kolla-dash/service": "memcached", "kolla-dash/kind": "pod"}}}
        }));
        let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), ns);
        pdbs.create(&Default::default(), &pdb)
            .await
            .expect("create pdb");
        wait_for_async(
            "the disruption controller to allow memcached no disruption",
            WAIT,
            || async {
                let pdb = pdbs.get("memcached").await.expect("read the pdb");
                let status = pdb.status.unwrap_or_default();
                status.observed_generation == pdb.metadata.generation
                    && status.current_healthy == Some(1)
                    && status.disruptions_allowed == Some(0)
            },
        )
        .await;

        let t = Instant::now();
        let err = nodes::drain(&client, &node, ns, false, Duration::from_secs(3))
            .await
            .expect_err("the budget refuses to evict memcached's only pod");
        assert!(
            format!("{err:#}").contains(
                "by a PodDisruptionBudget: The disruption budget memcached needs 1 healthy pods"
            ),
            "a budget's refusal, named as such: {err:#}"
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
        let evicted = nodes::drain(&client, &node, ns, false, Duration::from_secs(10))
            .await
            .expect("drain without a budget");
        assert!(evicted >= 1, "memcached's pod was evicted");
        println!("both drains took {:.1} s", t.elapsed().as_secs_f64());
        nodes::cordon(&client, &node, false)
            .await
            .expect("uncordon");
    });
}
