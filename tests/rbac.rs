//! Least privilege on a real local control plane: users bound only to what
//! `kolla-dash rbac` prints (applied with the admin's credentials) deploy, check, tear down
//! and watch; what they may not do is refused before anything changes, and said once.

mod support;

use std::path::Path;
use std::time::Duration;

use kolla_dash::access::{self, Need, Verb};
use kolla_dash::devcluster::{OPERATOR_CONTEXT, OPERATOR_USER, VIEWER_CONTEXT, VIEWER_USER};
use kolla_dash::summary::ObjKind;
use serde_json::Value;
use support::cluster::{TestCluster, config_dir};
use support::pty::{PtyApp, grid_row, ready_cells};

const SERVICES: [&str; 4] = ["mariadb", "memcached", "keystone", "horizon"];
const SCREEN_WAIT: Duration = Duration::from_secs(30);

/// The namespaced half of what `kolla-dash rbac` printed: no ClusterRole, no binding to it.
fn role_only(doc: &Value) -> bool {
    !matches!(
        doc["kind"].as_str(),
        Some("ClusterRole" | "ClusterRoleBinding")
    )
}

fn cluster_half(doc: &Value) -> bool {
    !role_only(doc)
}

/// An operator config directory with one kolla-kubernetes.yml.
fn config_with(dir: &Path, kolla_kubernetes: &str) {
    std::fs::write(dir.join("kolla-kubernetes.yml"), kolla_kubernetes).expect("write config");
}

/// The dashboard as the kubeconfig's user of `context`, in a pseudo-terminal.
fn dashboard(cluster: &TestCluster, context: &str, namespace: &str, config: &Path) -> PtyApp {
    let config = config.to_str().expect("utf-8 path");
    PtyApp::dashboard(
        cluster,
        namespace,
        &["--config-dir", config, "--context", context],
    )
}

/// Lines of stderr that say what RBAC leaves unchecked.
fn unchecked_notes(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("(RBAC)") && l.contains("cannot list"))
        .collect()
}

#[test]
fn a_namespace_operator_deploys_checks_and_tears_down_with_an_existing_storage_class() {
    let cluster = TestCluster::shared();
    let ns = "t";
    let config = tempfile::tempdir().expect("config dir");
    // gce with the class the cluster's admin provides: nothing cluster-scoped to create.
    config_with(
        config.path(),
        "storage_provider: gce\nstorage_class: kolla-local\n",
    );
    // The dev cluster has no cloud disk driver: its admin stands in for the provisioner
    // with a class whose claims bind, when first used, to a volume it made beforehand.
    cluster.apply_yaml(
        r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: kolla-local}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: kolla-local-1}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: kolla-local
  hostPath: {path: /var/lib/kolla-local/1}
"#,
        |_| true,
    );
    let admin = cluster.kolla(ns).with_config_dir(config.path());
    let grant = admin.ok(&format!("rbac --user {OPERATOR_USER}"));
    assert!(grant.contains("kind: Role\n"), "{grant}");
    assert!(
        !grant.contains("persistentvolumes") && !grant.contains("storageclasses"),
        "an existing class needs no cluster-scoped storage rights:\n{grant}"
    );
    cluster.apply_yaml(&grant, role_only);
    let configmaps = access::to_apply(ObjKind::ConfigMap);
    cluster.wait_granted(OPERATOR_CONTEXT, ns, &configmaps);

    let operator = cluster
        .kolla(ns)
        .with_config_dir(config.path())
        .with_context(OPERATOR_CONTEXT);
    let run = operator.run("deploy");
    assert!(run.success, "{}", operator.transcript());
    // Said once: the nodes cannot be listed; nothing about kinds no cell reads here.
    assert_eq!(
        unchecked_notes(&run.stderr),
        vec!["kolla-dash: cannot list Node objects (RBAC): node health unchecked"],
        "{}",
        run.stderr
    );
    for service in SERVICES {
        let rows = operator.status(service);
        // No disk or pv with an existing class; network storage deletes each bootstrap Job
        // once it completed, before the pods mount the volume.
        let done = |r: &support::cluster::StatusRow| {
            r.present_and_ready() || r.status == "unused" || (r.kind == "bootstrap" && r.absent())
        };
        assert!(rows.iter().all(done), "{service}: {rows:?}");
        assert!(
            rows.iter()
                .any(|r| r.kind == "pod" && r.present_and_ready())
        );
    }
    let status = operator.run("resource status mariadb");
    assert!(status.success, "{}", status.stderr);
    assert_eq!(
        unchecked_notes(&status.stderr).len(),
        1,
        "{}",
        status.stderr
    );

    // The dashboard opens; the header says the node list is forbidden, never a count.
    let mut app = dashboard(&cluster, OPERATOR_CONTEXT, ns, config.path());
    let screen = app.wait_for("the grid to sync with horizon ready", SCREEN_WAIT, |s| {
        s.contains("connected") && ready_cells(grid_row(s, "horizon")) == 3
    });
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("nodes: forbidden"), "{screen}");
    assert!(!screen.contains("0/0"), "{screen}");
    assert!(!screen.contains("[read-only]"), "{screen}");
    // Another namespace cannot be reached from inside: one line says so.
    app.send(":resource delete mariadb pod -n other\r");
    app.wait_for("the command line's refusal", SCREEN_WAIT, |s| {
        s.contains("-n cannot be used inside the dashboard")
    });
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(10)), "exits 0 on q");

    operator.ok("teardown --delete-data");
    for service in SERVICES {
        let rows = operator.status(service);
        let gone = |r: &support::cluster::StatusRow| r.absent() || r.status == "unused";
        assert!(rows.iter().all(gone), "{service}: {rows:?}");
    }
}

#[test]
fn host_storage_is_refused_before_anything_is_created_and_deploys_with_the_cluster_role() {
    // Grants the operator user cluster-wide rights: the other operator test, on the shared
    // cluster, checks what that user may not do.
    let cluster = TestCluster::start();
    let ns = "h";
    let admin = cluster.kolla(ns);
    let grant = admin.ok(&format!(
        "rbac --storage-provider host --user {OPERATOR_USER}"
    ));
    cluster.apply_yaml(&grant, role_only);
    cluster.wait_granted(OPERATOR_CONTEXT, ns, &access::to_apply(ObjKind::ConfigMap));
    let operator = cluster.kolla(ns).with_context(OPERATOR_CONTEXT);

    // Told up front that PersistentVolumes need the ClusterRole, and by which command.
    let reason = operator.fails("deploy");
    assert!(
        reason.contains("forbidden: deploy needs rights these credentials lack (RBAC)")
            && reason.contains("create, patch persistentvolumes")
            && reason.contains("cluster-wide (the ClusterRole)")
            && reason.contains("nothing was changed")
            && reason.contains("kolla-dash rbac --namespace h --storage-provider host"),
        "{reason}"
    );
    assert!(
        cluster.versions(ns).is_empty(),
        "nothing may be created before the refusal: {:?}",
        cluster.versions(ns)
    );
    assert!(cluster.passwords(ns).is_none());

    // With the ClusterRole too, the whole host-provider deploy goes through.
    cluster.apply_yaml(&grant, cluster_half);
    cluster.wait_granted(
        OPERATOR_CONTEXT,
        ns,
        &access::to_apply(ObjKind::PersistentVolume),
    );
    let run = operator.run("deploy");
    assert!(run.success, "{}", operator.transcript());
    assert!(unchecked_notes(&run.stderr).is_empty(), "{}", run.stderr);
    for service in SERVICES {
        let rows = operator.status(service);
        assert!(
            rows.iter().all(|r| r.present_and_ready()),
            "{service}: {rows:?}"
        );
    }
}

#[test]
fn a_viewer_opens_the_dashboard_and_every_action_is_refused_before_the_cluster() {
    let cluster = TestCluster::shared();
    let ns = "v";
    let admin = cluster.kolla(ns);
    admin.ok("run memcached");
    let grant = admin.ok(&format!("rbac --readonly --user {VIEWER_USER}"));
    assert!(
        !grant.contains("- create") && !grant.contains("- patch") && !grant.contains("- delete"),
        "{grant}"
    );
    cluster.apply_yaml(&grant, |_| true);
    cluster.wait_granted(
        VIEWER_CONTEXT,
        ns,
        &[
            Need::on(Verb::List, ObjKind::Pod),
            Need::on(Verb::List, ObjKind::Node),
        ],
    );

    // No --readonly: the dashboard finds out itself that these credentials change nothing.
    let mut app = dashboard(&cluster, VIEWER_CONTEXT, ns, &config_dir());
    app.wait_for("a read-only grid with memcached ready", SCREEN_WAIT, |s| {
        s.contains("[read-only]")
            && s.contains("nodes 3/3 Ready")
            && ready_cells(grid_row(s, "memcached")) == 3
    });
    // Every object has settled (memcached is ready): from here nothing may change.
    let before = cluster.versions(ns);
    // memcached's configmap cell: every action key, the nodes view's and a typed verb.
    app.send("jjllll");
    let refused = |app: &PtyApp, what: &str| {
        app.wait_for(what, SCREEN_WAIT, |s| {
            s.contains(&format!("read-only session: '{what}' refused"))
        });
    };
    app.send("c");
    refused(&app, "resource create memcached configmap");
    app.send("d");
    refused(&app, "resource delete memcached configmap");
    app.send("r");
    refused(&app, "run memcached");
    app.send("K");
    refused(&app, "kill memcached");
    app.send("D");
    refused(&app, "deploy");
    app.send(":teardown --delete-data\r");
    refused(&app, "teardown --delete-data");
    // The nodes view covers the status line: look once it is closed.
    app.send("N");
    app.send("d");
    app.send("\x1b");
    refused(&app, "drain kolla-node-1");
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(10)), "exits 0 on q");
    assert_eq!(cluster.versions(ns), before, "nothing changed");
}
