//! Whole-cluster drills on a local control plane, watched by the dashboard's core: the API
//! server paused until node leases lapse, every node failed and one restored, two nodes
//! failing together. The screen and the incidents must say what Kubernetes does, and the
//! cluster must heal without anyone acting.
//!
//! Each drill disturbs the whole cluster (the API server, the nodes): each starts a
//! cluster of its own.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kolla_dash::devcluster::Component;
use kolla_dash::kind::Kind;
use kolla_dash::model::incident::{Incident, Step};
use kolla_dash::model::store::Sync;
use kolla_dash::model::{CellStatus, Connection};
use kolla_dash::summary::ObjKind;
use kolla_dash::summary::{ObjState, PodPhase};
use kolla_dash::tui::{Dashboard, Inbox};
use kube::Api;
use kube::api::ListParams;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::cluster::TestCluster;
use support::dash::{Headless, feed_for, knows_what_a_fresh_start_knows, pump, synced_in};

/// Every service's pods: what the kolla-dash labels select.
const SERVICE_PODS: &str = "kolla-dash/kind=pod";
/// The node lifecycle controller gives up on a node after 10 s without a lease renewal
/// here (docs/dev-cluster.md); paused this long, every lease has lapsed.
const LEASES_LAPSE: Duration = Duration::from_secs(15);

/// Whether every cell of every service reads ready (or completed).
fn all_ready(d: &Dashboard) -> bool {
    let store = d.model.store();
    d.model
        .grid()
        .rows()
        .iter()
        .enumerate()
        .all(|(row, r)| r.kinds.iter().all(|&k| store.status(row, k).is_ok()))
}

/// Whether a running service pod (not being deleted) is not ready.
fn some_pod_not_ready(d: &Dashboard) -> bool {
    (0..d.model.grid().rows().len()).any(|row| {
        d.model.cell_objects(row, Kind::Pod).iter().any(|o| {
            !o.deleting
                && matches!(
                    o.state,
                    ObjState::Pod {
                        phase: PodPhase::Running,
                        ready: false,
                        ..
                    }
                )
        })
    })
}

/// The screen the dashboard would draw now, as text.
fn screen(d: &Dashboard) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    terminal
        .draw(|f| kolla_dash::ui::draw(f, &d.model))
        .expect("draw");
    terminal.backend().to_string()
}

fn the_incident(d: &Dashboard) -> &Incident {
    let all = d.model.incidents().incidents();
    assert_eq!(all.len(), 1, "one incident: {all:#?}");
    &all[0]
}

/// Service pods of `ns` as name -> (node, ready), not counting ones being deleted.
async fn service_pods(cluster: &TestCluster, ns: &str) -> BTreeMap<String, (String, bool)> {
    let pods: Api<Pod> = Api::namespaced(cluster.client(), ns);
    let list = pods
        .list(&ListParams::default().labels(SERVICE_PODS))
        .await
        .expect("list service pods");
    list.items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| {
            let node = p.spec.as_ref()?.node_name.clone()?;
            let ready = p
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            Some((p.metadata.name?, (node, ready)))
        })
        .collect()
}

/// Runs `kolla-dash dev-cluster ARGS --state-dir <the cluster's>`, as an operator would.
fn dev_cluster(cluster: &TestCluster, args: &[&str]) -> String {
    let out = support::launch::dev_cluster(args, &cluster.state_dir());
    assert!(
        out.status.success(),
        "dev-cluster {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A cluster of the drill's own with the whole stack deployed in `ns`.
/// The dashboard's core on `ns`, once every cell of the deployed stack is ready.
async fn watching_ready(cluster: &TestCluster, ns: &str) -> (Dashboard, Inbox) {
    let (mut dash, mut inbox) = synced_in(cluster.client(), ns).await;
    pump(
        &mut dash,
        &mut inbox,
        "every cell ready after the deploy",
        all_ready,
    )
    .await;
    (dash, inbox)
}

fn deployed(ns: &str) -> TestCluster {
    let cluster = TestCluster::start();
    cluster.kolla(ns).ok("deploy");
    cluster
}

#[test]
fn a_paused_api_server_is_noticed_blamed_for_the_node_failures_and_healed_without_action() {
    let ns = "paused";
    let cluster = deployed(ns);
    let headless = Headless::start(&cluster, ns);
    cluster.block_on(async {
        let (mut dash, mut inbox) = watching_ready(&cluster, ns).await;

        // Kubernetes writes whole seconds; nothing can change while the server is frozen.
        let paused_at = jiff::Timestamp::now();
        dev_cluster(&cluster, &["pause-apiserver"]);
        // The simulated kubelets fall silent too, as kubelets behind the same outage would,
        // until the node lifecycle controller has judged their stale leases: a kubelet
        // renewing its lease the moment the server is back would make the drill a race.
        cluster
            .dev_cluster()
            .pause_component(Component::Kwok)
            .expect("pause the simulated kubelets");
        let paused = Instant::now();
        pump(&mut dash, &mut inbox, "the server called silent", |d| {
            matches!(d.model.connection(), Connection::Silent { .. })
        })
        .await;
        let noticed = paused.elapsed();
        println!("a paused API server was noticed after {noticed:.1?}");
        assert!(
            noticed < Duration::from_secs(5),
            "noticed after {noticed:?}"
        );
        pump(&mut dash, &mut inbox, "every kind stale", |d| {
            ObjKind::WATCHED
                .iter()
                .all(|k| d.model.store().sync(*k) == Some(Sync::Lost))
        })
        .await;
        assert_eq!(
            dash.model.status(1, Kind::Pod),
            &CellStatus::Unknown,
            "cells are stale as during a reconnect"
        );
        // Leases lapse inside the frozen control plane: nothing to observe until it runs again.
        feed_for(&mut dash, &mut inbox, LEASES_LAPSE.saturating_sub(noticed)).await;

        dev_cluster(&cluster, &["resume-apiserver"]);
        let resumed = Instant::now();
        pump(&mut dash, &mut inbox, "connected again", |d| {
            d.model.connection() == Connection::Connected && d.model.store().all_synced()
        })
        .await;
        let back = resumed.elapsed();
        println!("connected again {back:.1?} after the resume");
        assert!(back < Duration::from_secs(5), "connected after {back:?}");

        pump(
            &mut dash,
            &mut inbox,
            "an incident blamed on the outage",
            |d| {
                d.model
                    .incidents()
                    .incidents()
                    .iter()
                    .any(|i| i.api_outage.is_some())
            },
        )
        .await;
        let incident = dash
            .model
            .incidents()
            .incidents()
            .iter()
            .find(|i| i.api_outage.is_some())
            .cloned()
            .expect("blamed");
        let outage = incident.api_outage.expect("blamed");
        cluster
            .dev_cluster()
            .resume_component(Component::Kwok)
            .expect("resume the simulated kubelets");
        assert!(
            incident
                .timeline
                .iter()
                .any(|t| matches!(&t.step, Step::ApiOutage { .. })
                    && t.step
                        .to_string()
                        .starts_with("possibly caused by the API server outage of")),
            "{:#?}",
            incident.timeline
        );
        let lasted =
            Duration::from_millis(u64::try_from(outage.to_ms - outage.from_ms).unwrap_or(0));
        assert!(
            lasted >= LEASES_LAPSE,
            "the outage spans the pause: {lasted:?}"
        );

        // The node lifecycle controller marks the pods of the nodes it gave up on not ready;
        // the simulated kubelets report them ready again, as real ones do.
        let saw_not_ready = Cell::new(false);
        pump(
            &mut dash,
            &mut inbox,
            "a pod marked not ready, then every service ready again",
            |d| {
                let not_ready = some_pod_not_ready(d);
                saw_not_ready.set(saw_not_ready.get() || not_ready);
                saw_not_ready.get() && !not_ready && all_ready(d)
            },
        )
        .await;
        let healed = resumed.elapsed();
        println!("every service ready {healed:.1?} after the resume");
        assert!(healed < Duration::from_secs(60), "healed after {healed:?}");
        // Kubernetes agrees: some pod's Ready condition changed back after the resume.
        let pods: Api<Pod> = Api::namespaced(cluster.client(), ns);
        let list = pods
            .list(&ListParams::default().labels(SERVICE_PODS))
            .await
            .expect("list pods");
        let recovered: Vec<String> = list
            .items
            .iter()
            .filter(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| {
                        c.iter().any(|c| {
                            c.type_ == "Ready"
                                && c.status == "True"
                                && c.last_transition_time
                                    .as_ref()
                                    .is_some_and(|t| t.0 > paused_at)
                        })
                    })
            })
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        assert!(
            !recovered.is_empty(),
            "no pod went not ready and back: the leases did not lapse"
        );

        // And the dashboard then knows what a fresh start knows.
        knows_what_a_fresh_start_knows(
            cluster.client(),
            ns,
            (&mut dash, &mut inbox),
            "the dashboard to know what a fresh start knows",
        )
        .await;
    });

    // The headless command blames the outage too, in data and in words.
    let text = headless.stop();
    let blamed = text.lines().any(|l| {
        let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
        v["event"] == "api-outage"
            && v["outage"]["to_ms"].as_i64() > v["outage"]["from_ms"].as_i64()
            && v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("possibly caused by the API server outage of"))
    });
    assert!(blamed, "incidents -o json blames the outage:\n{text}");
}

#[test]
fn every_node_failed_then_one_restored_pauses_evictions_then_heals_onto_it() {
    let ns = "all-down";
    let cluster = deployed(ns);
    cluster.block_on(async {
        let (mut dash, mut inbox) = watching_ready(&cluster, ns).await;
        let pvs: Api<PersistentVolume> = Api::all(cluster.client());
        let pv = format!("{ns}-mariadb");
        let pv_before = pvs.get(&pv).await.expect("mariadb's PV");

        let out = dev_cluster(&cluster, &["fail-node", "--all"]);
        assert_eq!(out.lines().count(), 3, "three nodes fail: {out}");
        pump(&mut dash, &mut inbox, "every node down", |d| {
            d.model.store().node_counts() == (0, 3)
        })
        .await;
        let text = screen(&dash);
        assert!(
            text.contains("Kubernetes pauses evictions (full disruption)")
                && text.contains("the pods shown sit on dead nodes"),
            "the screen says why nothing moves:\n{text}"
        );
        assert!(
            the_incident(&dash).disruption().is_some_and(|e| e.paused()),
            "and the incident"
        );
        let panel = {
            let mut view = dash.model.clone();
            kolla_dash::model::update(
                &mut view,
                kolla_dash::model::Msg::Key(kolla_dash::model::Key::Char('I')),
            );
            let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
            terminal
                .draw(|f| kolla_dash::ui::draw(f, &view))
                .expect("draw");
            terminal.backend().to_string()
        };
        assert!(panel.contains("Kubernetes pauses evictions"), "{panel}");

        let survivor = "kolla-node-1";
        dev_cluster(&cluster, &["restore-node", survivor]);
        let restored = Instant::now();
        pump(&mut dash, &mut inbox, "every service healed", |d| {
            let i = &d.model.incidents().incidents()[0];
            !i.services.is_empty() && i.services.values().all(|s| s.healed_after_ms.is_some())
        })
        .await;
        let took = restored.elapsed();
        assert!(took < Duration::from_secs(60), "healed after {took:?}");
        let incident = the_incident(&dash).clone();
        assert_eq!(incident.nodes.len(), 3, "one incident for the three nodes");
        let returned = incident
            .timeline
            .iter()
            .find(|t| matches!(&t.step, Step::NodeUp { node } if node == survivor))
            .expect("the survivor's return")
            .at_ms;
        assert_eq!(
            incident.heal_from_ms, returned,
            "time to heal counts from the first node's return"
        );
        for (service, heal) in &incident.services {
            println!(
                "{service} healed {} ms after {survivor} returned",
                heal.healed_after_ms.unwrap_or_default()
            );
        }
        // Kubernetes agrees: every replica ready, all on the survivor.
        let pods = service_pods(&cluster, ns).await;
        for (pod, (node, ready)) in &pods {
            assert!(*ready && node == survivor, "{pod} on {node}, ready {ready}");
        }
        // mariadb's data stayed where it was: its claim is Bound to the same volume.
        let pvc = Api::<PersistentVolumeClaim>::namespaced(cluster.client(), ns)
            .get("mariadb")
            .await
            .expect("mariadb's PVC");
        assert_eq!(
            pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref()),
            Some(pv.as_str())
        );
        assert_eq!(pvc.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
        let pv_after = pvs.get(&pv).await.expect("mariadb's PV");
        assert_eq!(pv_before.metadata.uid, pv_after.metadata.uid, "the same PV");

        dev_cluster(&cluster, &["restore-node", "--all"]);
        pump(&mut dash, &mut inbox, "the incident closed", |d| {
            !d.model.incidents().incidents()[0].is_open()
        })
        .await;
    });
}

#[test]
fn two_nodes_failing_two_seconds_apart_are_one_incident_judged_against_both() {
    let ns = "two-down";
    let cluster = deployed(ns);
    cluster.block_on(async {
        let (mut dash, mut inbox) = watching_ready(&cluster, ns).await;
        let dead = ["kolla-node-1", "kolla-node-2"];
        cluster
            .dev_cluster()
            .fail_node(dead[0])
            .await
            .expect("fail the first node");
        // The drill's own spacing: the second failure lands while the first one is handled.
        feed_for(&mut dash, &mut inbox, Duration::from_secs(2)).await;
        cluster
            .dev_cluster()
            .fail_node(dead[1])
            .await
            .expect("fail the second node");

        // Every time a service is judged healed, none of the replicas that count may be on a
        // dead node: check it on every message, against the dashboard's own view of the pods.
        let judged: RefCell<BTreeMap<String, u32>> = RefCell::default();
        let every_service_judged = |d: &Dashboard| {
            let Some(incident) = d.model.incidents().incidents().first() else {
                return false;
            };
            let mut judged = judged.borrow_mut();
            for (service, heal) in &incident.services {
                if heal.healed_after_ms.is_none() || judged.contains_key(service) {
                    continue;
                }
                let row = d.model.store().row_of_service(service).expect("a row");
                let off_dead_nodes = d
                    .model
                    .cell_objects(row, Kind::Pod)
                    .into_iter()
                    .filter(|o| !o.deleting)
                    .filter(|o| match &o.state {
                        ObjState::Pod {
                            ready: true,
                            node: Some(node),
                            ..
                        } => !dead.contains(&node.as_str()),
                        _ => false,
                    })
                    .count();
                let off = u32::try_from(off_dead_nodes).unwrap_or(u32::MAX);
                assert!(
                    off >= heal.replicas,
                    "{service} judged healed with {off} of {} replicas off the dead nodes",
                    heal.replicas
                );
                judged.insert(service.clone(), off);
            }
            !incident.services.is_empty() && judged.len() == incident.services.len()
        };
        pump(
            &mut dash,
            &mut inbox,
            "every service of the incident to heal",
            every_service_judged,
        )
        .await;
        let incident = the_incident(&dash);
        assert_eq!(
            incident
                .nodes
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            dead,
            "both failures are one incident"
        );
        // Kubernetes agrees: every live replica of every service is on the node left.
        for (pod, (node, ready)) in service_pods(&cluster, ns).await {
            assert!(
                ready && !dead.contains(&node.as_str()),
                "{pod} on {node}, ready {ready}"
            );
        }
    });
}
