//! Every stuck pod explains itself (issue 12), on a local control plane: each rehearsed
//! failure reaches keystone's why-line with its cause and its pod; a replacement pod that
//! admission refuses is named with the refusal; `l` follows a pod's container log; a node
//! down before the dashboard started gets its incident.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use kolla_dash::cluster::simulate::{self, Breakage};
use kolla_dash::devcluster::podlogs;
use kolla_dash::kind::Kind;
use kolla_dash::tui::{Dashboard, Inbox};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use support::cluster::TestCluster;
use support::dash::{pump, synced_in};
use support::pty::PtyApp;
use support::wait::wait_for_async;

const WAIT: Duration = Duration::from_secs(60);

fn keystone_why(d: &Dashboard) -> String {
    let store = d.model.store();
    let row = store.row_of_service("keystone").expect("keystone row");
    store.why_not_ready(row, Kind::Pod).unwrap_or_default()
}

fn keystone_ready(d: &Dashboard) -> bool {
    let store = d.model.store();
    let row = store.row_of_service("keystone").expect("keystone row");
    store.status(row, Kind::Pod).is_ok()
}

/// keystone's live pods, by name.
async fn keystone_pods(pods: &Api<Pod>) -> Vec<String> {
    let list = pods
        .list(&ListParams::default().labels("kolla-dash/service=keystone,kolla-dash/kind=pod"))
        .await
        .expect("keystone pods");
    list.items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter_map(|p| p.metadata.name)
        .collect()
}

async fn settle_ready(dash: &mut Dashboard, inbox: &mut Inbox, what: &str) {
    pump(dash, inbox, what, keystone_ready).await;
}

#[test]
fn every_rehearsed_failure_names_its_cause_and_pod_in_the_why_line() {
    let cluster = TestCluster::shared();
    let kolla = cluster.kolla("diag");
    kolla.ok("deploy keystone");
    let client = cluster.client();
    cluster.block_on(async {
        let pods: Api<Pod> = Api::namespaced(client.clone(), "diag");
        let (mut dash, mut inbox) = synced_in(client.clone(), "diag").await;
        settle_ready(&mut dash, &mut inbox, "keystone ready after deploy").await;
        for (how, cause) in [
            (Breakage::ImagePull, "not found: check openstack_tag"),
            (Breakage::CrashLoop, "keeps crashing (exit 1 Error"),
            (Breakage::Oom, "OOMKilled"),
            (
                Breakage::Unready,
                "running but not ready (keystone): Readiness probe failed",
            ),
            (
                Breakage::Evicted,
                "evicted: The node was low on resource: memory",
            ),
        ] {
            let pod = keystone_pods(&pods)
                .await
                .into_iter()
                .next()
                .expect("a keystone pod");
            simulate::break_pod(&client, "diag", &pod, how)
                .await
                .unwrap_or_else(|e| panic!("break {pod} {how:?}: {e:#}"));
            let what = format!("keystone's why-line to name {pod} and '{cause}'");
            pump(&mut dash, &mut inbox, &what, |d| {
                let why = keystone_why(d);
                why.starts_with(&format!("{pod}: ")) && why.contains(cause)
            })
            .await;
            println!("{how:?}: {}", keystone_why(&dash));
            // Replace the broken pod (its Deployment makes a healthy one), as an operator would.
            pods.delete(&pod, &DeleteParams::default())
                .await
                .unwrap_or_else(|e| panic!("delete {pod}: {e}"));
            settle_ready(
                &mut dash,
                &mut inbox,
                &format!("keystone ready again after {how:?}"),
            )
            .await;
        }
    });
}

#[test]
fn a_replacement_pod_admission_refuses_is_named_with_the_refusal() {
    let cluster = TestCluster::shared();
    let kolla = cluster.kolla("quota");
    kolla.ok("deploy keystone");
    let client = cluster.client();
    cluster.block_on(async {
        let pods: Api<Pod> = Api::namespaced(client.clone(), "quota");
        let (mut dash, mut inbox) = synced_in(client.clone(), "quota").await;
        settle_ready(&mut dash, &mut inbox, "keystone ready after deploy").await;
        // No more pods in this namespace: the ReplicaSet cannot replace any.
        let quota: ResourceQuota = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "no-more-pods"},
            "spec": {"hard": {"pods": "0"}},
        }))
        .expect("quota");
        let quotas = Api::<ResourceQuota>::namespaced(client.clone(), "quota");
        quotas
            .create(&PostParams::default(), &quota)
            .await
            .expect("create the quota");
        // Until the quota controller has counted the namespace's pods, admission refuses
        // with "status unknown for quota" instead, and the ReplicaSet backs off.
        wait_for_async("the quota controller to count the pods", WAIT, || async {
            quotas
                .get("no-more-pods")
                .await
                .expect("read the quota")
                .status
                .and_then(|s| s.used)
                .is_some_and(|used| used.contains_key("pods"))
        })
        .await;
        let victim = keystone_pods(&pods)
            .await
            .into_iter()
            .next()
            .expect("a keystone pod");
        pods.delete(&victim, &DeleteParams::default())
            .await
            .expect("delete a keystone pod");
        pump(
            &mut dash,
            &mut inbox,
            "keystone's why-line to name the refused replacement and the quota",
            |d| {
                let why = keystone_why(d);
                why.starts_with("cannot create pods: pods \"keystone-")
                    && why.contains("is forbidden: exceeded quota: no-more-pods")
            },
        )
        .await;
        println!("refused: {}", keystone_why(&dash));
    });
}

#[test]
fn l_follows_a_pods_log_and_shows_lines_written_after_it_started() {
    let cluster = TestCluster::shared();
    let kolla = cluster.kolla("logs");
    kolla.ok("deploy memcached");
    let mut app = PtyApp::dashboard(&cluster, "logs", &[]);
    app.wait_for("memcached's pod ready on screen", WAIT, |s| {
        s.lines()
            .any(|l| l.trim_start_matches('│').starts_with("memcached") && l.contains("1/1"))
    });
    // Rows: ceph, mariadb, memcached; the pod column is the last.
    app.send("jj");
    app.send("llllll");
    app.send("l");
    app.wait_for("memcached's log in the pane", WAIT, |s| {
        s.contains("logs: memcached-") && s.contains("memcached: started")
    });
    let line = "memcached: a line written after the follow started";
    podlogs::append(&cluster.pod_logs_dir(), "memcached", line).expect("append a log line");
    app.wait_for("the new line on screen", WAIT, |s| s.contains(line));
    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
}

#[test]
fn a_node_down_before_the_dashboard_started_gets_a_reconstructed_incident() {
    use kolla_dash::summary::NodeReady;

    // Fails a node: every other test would see it.
    let cluster = TestCluster::start();
    cluster.fail_node("kolla-node-2");
    let client = cluster.client();
    cluster.block_on(async {
        let (mut dash, mut inbox) = synced_in(client.clone(), "overnight").await;
        pump(&mut dash, &mut inbox, "kolla-node-2 NotReady", |d| {
            d.model
                .nodes()
                .get("kolla-node-2")
                .is_some_and(|n| n.ready != NodeReady::True)
        })
        .await;
        // A fresh start sees it down already.
        let (fresh, _inbox) = synced_in(client.clone(), "overnight").await;
        let incidents = fresh.model.incidents().incidents();
        let incident = incidents
            .iter()
            .find(|i| i.nodes.contains_key("kolla-node-2"))
            .unwrap_or_else(|| panic!("no incident for the node that was down: {incidents:?}"));
        assert!(incident.reconstructed && incident.is_open(), "{incident:?}");
        assert!(
            incident.opened_ms < fresh.model.now_ms(),
            "opened when the node went down, before the start: {incident:?}"
        );
    });
}
