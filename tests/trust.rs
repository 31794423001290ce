//! Trust, on a real local control plane through the real binary: objects kolla-dash does
//! not own are never deleted or taken over (unless adopted), two namespaces share no
//! storage, kept data comes back after the namespace is deleted, and a bootstrap is not
//! run again over the data it initialised.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolume, PersistentVolumeClaim, Secret, Service,
};
use k8s_openapi::api::storage::v1::StorageClass;
use kolla_dash::catalog::Catalog;
use kolla_dash::config::Config;
use kolla_dash::kind::Kind;
use kolla_dash::labels;
use kolla_dash::model::{CellStatus, Key, Msg};
use kolla_dash::record;
use kolla_dash::render::Renderer;
use kube::api::{Api, ListParams, PostParams};
use kube::{Resource, ResourceExt as _};
use serde::de::DeserializeOwned;
use support::cluster::TestCluster;
use support::dash::pump;

/// Field manager of the objects "someone else" makes.
const SOMEONE: &str = "someone-else";
const WAIT: Duration = Duration::from_secs(60);

/// Creates `json` as another tool would: its own field manager, none of kolla-dash's
/// labels.
fn create_foreign<K>(cluster: &TestCluster, api: Api<K>, json: serde_json::Value)
where
    K: Resource + Clone + DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let obj: K = serde_json::from_value(json).expect("a valid object");
    let params = PostParams {
        field_manager: Some(SOMEONE.into()),
        ..PostParams::default()
    };
    cluster
        .block_on(api.create(&params, &obj))
        .expect("create a foreign object");
}

/// Panics unless the object exists with no trace of kolla-dash: none of its fields is
/// kolla-dash's (managedFields) and it has none of its labels. (Its resourceVersion may
/// move: controllers write a PV's status.)
fn assert_untouched<K>(cluster: &TestCluster, api: &Api<K>, name: &str)
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let obj = cluster
        .block_on(api.get_opt(name))
        .expect("read an object")
        .unwrap_or_else(|| panic!("{name} is gone"));
    let managers: Vec<String> = obj
        .managed_fields()
        .iter()
        .filter_map(|f| f.manager.clone())
        .collect();
    assert!(
        !managers.iter().any(|m| m == labels::FIELD_MANAGER),
        "{name} was written by kolla-dash: {managers:?}"
    );
    assert!(
        !obj.labels().contains_key(labels::MANAGED_BY),
        "{name} relabelled"
    );
}

fn create_namespace(cluster: &TestCluster, ns: &str) {
    create_foreign(
        cluster,
        Api::<Namespace>::all(cluster.client()),
        serde_json::json!({"metadata": {"name": ns}}),
    );
}

/// A directory with `kolla-kubernetes.yml` = `text`.
fn config_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("kolla-kubernetes.yml"), text).expect("write config");
    dir
}

fn row_status<'a>(rows: &'a [support::cluster::StatusRow], kind: &str) -> &'a str {
    &rows
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} row in {rows:?}"))
        .status
}

#[test]
fn foreign_objects_survive_every_command_and_adopt_takes_one_over() {
    let cluster = TestCluster::shared();
    let ns = "own";
    let kolla = cluster.kolla(ns);
    create_namespace(&cluster, ns);
    let client = cluster.client();
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    create_foreign(
        &cluster,
        configmaps.clone(),
        serde_json::json!({"metadata": {"name": "keystone"}, "data": {"theirs": "1"}}),
    );
    create_foreign(
        &cluster,
        services.clone(),
        serde_json::json!({"metadata": {"name": "memcached"},
            "spec": {"ports": [{"port": 11211}], "selector": {"app": "theirs"}}}),
    );
    create_foreign(
        &cluster,
        volumes.clone(),
        serde_json::json!({"metadata": {"name": "own-mariadb"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "hostPath": {"path": "/srv/theirs"}}}),
    );
    let foreign = [
        ("ConfigMap/keystone", "resource delete keystone configmap"),
        ("Service/memcached", "resource delete memcached svc"),
        (
            "PersistentVolume/own-mariadb",
            "resource delete mariadb pv --delete-data",
        ),
    ];
    for (what, delete) in foreign {
        let reason = kolla.fails(delete);
        assert!(
            reason.contains(what)
                && reason.contains("not kolla-dash's")
                && reason.contains(SOMEONE),
            "{delete}: {reason}"
        );
    }
    let reason = kolla.fails("resource create memcached svc");
    assert!(
        reason.contains("Service/memcached") && reason.contains("--adopt"),
        "{reason}"
    );
    assert_eq!(
        row_status(&kolla.status("keystone"), "configmap"),
        "foreign"
    );

    let out = kolla.ok("kill keystone");
    assert!(
        out.contains("ConfigMap/keystone in namespace own is not kolla-dash's"),
        "{out}"
    );
    let out = kolla.ok("kill mariadb --delete-data");
    assert!(
        out.contains("PersistentVolume/own-mariadb is not kolla-dash's"),
        "{out}"
    );

    let deploy = kolla.run("deploy --timeout 60");
    assert!(
        !deploy.success,
        "deploy over foreign objects succeeded:\n{}",
        deploy.stdout
    );
    for (what, _) in foreign {
        assert!(
            deploy.stderr.contains(what),
            "deploy does not name {what}:\n{}",
            deploy.stderr
        );
    }
    let teardown = kolla.run("teardown --delete-data --timeout 60");
    assert!(teardown.success, "{}{}", teardown.stdout, teardown.stderr);
    for (what, _) in foreign {
        assert!(
            teardown.stderr.contains(what) && teardown.stderr.contains("left alone"),
            "teardown does not name {what}:\n{}",
            teardown.stderr
        );
    }
    // Not one of them was changed.
    assert_untouched(&cluster, &configmaps, "keystone");
    assert_untouched(&cluster, &services, "memcached");
    assert_untouched(&cluster, &volumes, "own-mariadb");

    // --adopt takes one over and says what it overwrote.
    let out = kolla.ok("resource create memcached svc --adopt");
    assert!(
        out.contains("adopted Service/memcached in namespace own (was managed by someone-else")
            && out.contains("overwrote"),
        "{out}"
    );
    let adopted = cluster
        .block_on(services.get("memcached"))
        .expect("the Service");
    assert_eq!(
        adopted.labels().get(labels::MANAGED_BY).map(String::as_str),
        Some(labels::MANAGED_BY_VALUE)
    );
    assert_eq!(row_status(&kolla.status("memcached"), "svc"), "pending");

    // A StorageClass (dynamic provisioning) is judged the same way.
    let gce = config_dir("storage_provider: gce\n");
    let kolla = cluster.kolla("own-gce").with_config_dir(gce.path());
    create_namespace(&cluster, "own-gce");
    let classes: Api<StorageClass> = Api::all(client.clone());
    create_foreign(
        &cluster,
        classes.clone(),
        serde_json::json!({"metadata": {"name": "own-gce-mariadb"}, "provisioner": "example.com/theirs"}),
    );
    let what = "StorageClass/own-gce-mariadb";
    let reason = kolla.fails("resource delete mariadb disk --delete-data");
    assert!(
        reason.contains(what) && reason.contains(SOMEONE),
        "{reason}"
    );
    let out = kolla.ok("kill mariadb --delete-data");
    assert!(out.contains(what), "{out}");
    let deploy = kolla.run("deploy mariadb --timeout 60");
    assert!(
        !deploy.success && deploy.stderr.contains(what),
        "{}",
        deploy.stderr
    );
    let teardown = kolla.run("teardown --delete-data --timeout 60");
    assert!(
        teardown.success && teardown.stderr.contains(what),
        "{}",
        teardown.stderr
    );
    assert_untouched(&cluster, &classes, "own-gce-mariadb");
}

/// The dashboard shows a foreign object's cell as foreign, and takes it over only after a
/// yes.
#[test]
fn the_dashboard_shows_foreign_cells_and_adopts_on_confirmation() {
    let cluster = TestCluster::shared();
    let ns = "own-dash";
    create_namespace(&cluster, ns);
    let configmaps: Api<ConfigMap> = Api::namespaced(cluster.client(), ns);
    create_foreign(
        &cluster,
        configmaps.clone(),
        serde_json::json!({"metadata": {"name": "horizon"}, "data": {"theirs": "1"}}),
    );
    let (mut dash, mut inbox) = cluster.block_on(async { dashboard(&cluster, ns) });
    let row = dash
        .model
        .store()
        .row_of_service("horizon")
        .expect("horizon row");
    cluster.block_on(async {
        pump(
            &mut dash,
            &mut inbox,
            "every watch listed, horizon's configmap foreign",
            |d| {
                d.model.store().all_settled()
                    && *d.model.status(row, Kind::Configmap) == CellStatus::Foreign
            },
        )
        .await;
        let why = dash
            .model
            .why_not_ready(row, Kind::Configmap)
            .unwrap_or_default();
        assert!(
            why.contains("ConfigMap/horizon") && why.contains(SOMEONE),
            "{why}"
        );
        dash.handle(vec![Msg::Select {
            row,
            kind: Kind::Configmap,
        }]);
        press(&mut dash, "c");
        // Nothing is taken over before the answer.
        assert!(matches!(
            dash.model.mode(),
            kolla_dash::model::Mode::Confirm(_)
        ));
        press(&mut dash, "y");
        pump(
            &mut dash,
            &mut inbox,
            "the adoption to finish, the cell ready",
            |d| {
                let finished = d.model.in_flight().is_empty();
                finished && d.model.status(row, Kind::Configmap).is_ok()
            },
        )
        .await;
        let status = dash
            .model
            .status_line()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        assert!(status.contains("adopted ConfigMap/horizon"), "{status}");
    });
    let adopted = cluster
        .block_on(configmaps.get("horizon"))
        .expect("the ConfigMap");
    assert_eq!(
        adopted.labels().get(labels::SERVICE).map(String::as_str),
        Some("horizon")
    );
}

/// hostPath of a PV.
fn host_path(pv: &PersistentVolume) -> String {
    pv.spec
        .as_ref()
        .and_then(|s| s.host_path.as_ref())
        .map(|h| h.path.clone())
        .unwrap_or_default()
}

#[test]
fn two_namespaces_side_by_side_share_no_path_volume_image_or_secret() {
    let cluster = TestCluster::shared();
    let client = cluster.client();
    let mut seen = Vec::new();
    for ns in ["alpha", "beta"] {
        let kolla = cluster.kolla(ns);
        kolla.ok("deploy --timeout 60");
        let claim: PersistentVolumeClaim = cluster
            .block_on(Api::namespaced(client.clone(), ns).get("mariadb"))
            .expect("the claim");
        let volume = claim.spec.and_then(|s| s.volume_name).expect("bound");
        let pv: PersistentVolume = cluster
            .block_on(Api::all(client.clone()).get(&volume))
            .expect("the volume");
        let secret: Secret = cluster
            .block_on(Api::namespaced(client.clone(), ns).get("kolla-passwords"))
            .expect("the passwords");
        let disk: Job = cluster
            .block_on(Api::namespaced(client.clone(), ns).get("mariadb-disk"))
            .expect("the disk Job");
        let mkdir = disk
            .spec
            .and_then(|s| s.template.spec)
            .map(|s| s.containers[0].command.clone());
        seen.push((ns, volume, host_path(&pv), secret.uid(), secret.data, mkdir));
    }
    let (a, b) = (&seen[0], &seen[1]);
    assert_eq!(a.1, "alpha-mariadb");
    assert_eq!(b.1, "beta-mariadb");
    assert_eq!(a.2, "/var/lib/kolla/volumes/alpha/mariadb");
    assert_eq!(b.2, "/var/lib/kolla/volumes/beta/mariadb");
    assert_ne!(a.3, b.3, "one passwords Secret for both");
    assert_ne!(a.4, b.4, "the same passwords in both");
    assert_ne!(a.5, b.5, "both disk Jobs make the same directory");
    // Network storage: the rbd images, the ceph PVs' handles and the cloud storage
    // classes are per namespace too.
    let catalog = Catalog::builtin().expect("catalog");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let gce = config_dir("storage_provider: gce\n");
    for provider_dir in [fixtures.join("ceph"), gce.path().to_path_buf()] {
        let mut names = Vec::new();
        for ns in ["alpha", "beta"] {
            let mut config = Config::load(Some(&provider_dir), &catalog).expect("config");
            config.set_namespace(ns).expect("namespace");
            let renderer = Renderer::new(&config, &catalog).expect("renderer");
            let disk = renderer.render("mariadb", Kind::Disk).expect("disk");
            let text: String = disk.iter().map(|m| m.yaml.clone()).collect();
            names.push((
                disk.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
                text,
            ));
        }
        assert_ne!(names[0], names[1], "{}", provider_dir.display());
        assert!(names[1].1.contains("beta-mariadb") && !names[1].1.contains("alpha"));
    }
}

/// Checks `condition` until it holds, failing with `what` after a minute.
fn wait_for(what: &str, condition: impl FnMut() -> bool) {
    support::wait::wait_for(what, WAIT, condition);
}

#[test]
fn after_the_namespace_is_deleted_deploy_reattaches_the_kept_volume() {
    let cluster = TestCluster::shared();
    let ns = "again";
    let kolla = cluster.kolla(ns);
    kolla.ok("deploy --timeout 60");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), ns);
    let before = cluster
        .block_on(claims.get("mariadb"))
        .expect("the claim")
        .spec
        .and_then(|s| s.volume_name);
    assert_eq!(before.as_deref(), Some("again-mariadb"));

    let namespaces: Api<Namespace> = Api::all(cluster.client());
    cluster
        .block_on(namespaces.delete(ns, &Default::default()))
        .expect("delete the namespace");
    wait_for("the namespace to go", || {
        cluster
            .block_on(namespaces.get_opt(ns))
            .expect("read")
            .is_none()
    });

    let started = Instant::now();
    let out = kolla.ok("deploy --timeout 30");
    let took = started.elapsed();
    println!("deploy after the namespace was deleted: {took:.1?}");
    assert!(took < Duration::from_secs(30), "took {took:?}:\n{out}");
    assert!(
        out.contains("reattached kept data from PV again-mariadb"),
        "{out}"
    );
    assert!(
        out.contains("create mariadb bootstrap, wait: job complete: already in place"),
        "the bootstrap ran again over the kept data:\n{out}"
    );
    let after = cluster.block_on(claims.get("mariadb")).expect("the claim");
    assert_eq!(after.spec.and_then(|s| s.volume_name), before);
    assert_eq!(after.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
}

#[test]
fn a_bootstrap_over_recorded_data_is_refused_unless_forced() {
    let cluster = TestCluster::shared();
    let ns = "once";
    let kolla = cluster.kolla(ns);
    kolla.ok("deploy mariadb --timeout 60");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), ns);
    let volumes: Api<PersistentVolume> = Api::all(cluster.client());
    let record_of = |annotations: &std::collections::BTreeMap<String, String>| {
        annotations.get(record::ANNOTATION).cloned()
    };
    let claim = cluster.block_on(claims.get("mariadb")).expect("the claim");
    let recorded = record_of(claim.annotations()).expect("the claim records the bootstrap");
    assert!(recorded.ends_with(" Job/mariadb-bootstrap"), "{recorded}");
    let pv = cluster
        .block_on(volumes.get("once-mariadb"))
        .expect("the volume");
    assert_eq!(record_of(pv.annotations()), Some(recorded.clone()));

    // mariadb unhealthy (its pods gone) and the Job deleted: nothing but the data
    // remembers the bootstrap.
    kolla.ok("resource delete mariadb pod");
    kolla.ok("resource delete mariadb bootstrap");
    let jobs: Api<Job> = Api::namespaced(cluster.client(), ns);
    wait_for("the bootstrap Job to go", || {
        cluster
            .block_on(jobs.get_opt("mariadb-bootstrap"))
            .expect("read")
            .is_none()
    });
    let reason = kolla.fails("bootstrap mariadb");
    assert!(
        reason.contains("refusing to bootstrap mariadb")
            && reason.contains(recorded.split(' ').next().unwrap_or("?"))
            && reason.contains("--force-bootstrap"),
        "{reason}"
    );
    assert!(
        cluster
            .block_on(jobs.get_opt("mariadb-bootstrap"))
            .expect("read")
            .is_none()
    );
    // deploy skips it and brings the pods back.
    let out = kolla.ok("deploy mariadb --timeout 60");
    assert!(
        out.contains("create mariadb bootstrap, wait: job complete: already in place"),
        "{out}"
    );
    assert!(
        cluster
            .block_on(jobs.get_opt("mariadb-bootstrap"))
            .expect("read")
            .is_none()
    );

    // Forced, it runs.
    kolla.ok("bootstrap mariadb --force-bootstrap");
    wait_for("the forced bootstrap Job to complete", || {
        cluster
            .block_on(jobs.get_opt("mariadb-bootstrap"))
            .expect("read")
            .and_then(|j| j.status)
            .and_then(|s| s.succeeded)
            == Some(1)
    });
    let listed = cluster
        .block_on(jobs.list(&ListParams::default().labels(labels::SELECTOR)))
        .expect("list Jobs");
    assert!(
        listed
            .items
            .iter()
            .any(|j| j.name_any() == "mariadb-bootstrap")
    );
}

/// A dashboard core that may act, on `ns` of `cluster`.
fn dashboard(
    cluster: &TestCluster,
    ns: &str,
) -> (kolla_dash::tui::Dashboard, kolla_dash::tui::Inbox) {
    cluster.claim(ns);
    support::dash::start_in(cluster.client(), ns, Default::default())
}

fn press(dash: &mut kolla_dash::tui::Dashboard, keys: &str) {
    for c in keys.chars() {
        dash.handle(vec![Msg::Key(Key::Char(c))]);
    }
}

#[test]
fn a_drain_that_would_lose_pods_waits_for_the_typed_node_name() {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use kolla_dash::model::Mode;

    // Cordons and drains a node: every other test would see it.
    let cluster = TestCluster::start();
    let (ns, node) = ("drain", "kolla-node-1");
    create_namespace(&cluster, ns);
    let pods: Api<Pod> = Api::namespaced(cluster.client(), ns);
    create_foreign(
        &cluster,
        pods.clone(),
        serde_json::json!({"metadata": {"name": "bare"},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}),
    );
    let template = serde_json::json!({"metadata": {"labels": {"app": "scratch"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox",
                 "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}],
                 "volumes": [{"name": "tmp", "emptyDir": {}}]}});
    create_foreign(
        &cluster,
        Api::<Deployment>::namespaced(cluster.client(), ns),
        serde_json::json!({"metadata": {"name": "scratch"}, "spec": {"replicas": 1,
            "selector": {"matchLabels": {"app": "scratch"}}, "template": template}}),
    );
    let on_node = || -> Vec<String> {
        let list = cluster
            .block_on(pods.list(&ListParams::default().fields(&format!("spec.nodeName={node}"))))
            .expect("list pods");
        list.items.iter().map(|p| p.name_any()).collect()
    };
    wait_for("the bare and the emptyDir pod on the node", || {
        on_node().len() == 2
    });
    let before = on_node();
    let nodes: Api<Node> = Api::all(cluster.client());
    let cordoned = || {
        cluster
            .block_on(nodes.get(node))
            .expect("the node")
            .spec
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
    };

    let (mut dash, mut inbox) = cluster.block_on(async { dashboard(&cluster, ns) });
    cluster.block_on(async {
        pump(
            &mut dash,
            &mut inbox,
            "every watch listed and the nodes known",
            |d| d.model.store().all_settled() && d.model.nodes().contains_key(node),
        )
        .await;
        press(&mut dash, "N");
        while dash.model.selected_node() != Some(node) {
            dash.handle(vec![Msg::Key(Key::Down)]);
        }
        press(&mut dash, "dy");
        pump(
            &mut dash,
            &mut inbox,
            "the drain's refusal",
            |d| matches!(d.model.mode(), Mode::Confirm(c) if c.typed.is_some()),
        )
        .await;
        let Mode::Confirm(confirm) = dash.model.mode() else {
            unreachable!("matched above")
        };
        let warning = confirm.warning.clone().unwrap_or_default();
        assert!(
            warning.contains("drain/bare (no controller recreates it)")
                && warning.contains("its emptyDir data is deleted"),
            "{warning}"
        );
        // A wrong name drains nothing.
        press(&mut dash, "kolla-node-2");
        dash.handle(vec![Msg::Key(Key::Enter)]);
        assert!(matches!(dash.model.mode(), Mode::Confirm(_)));
    });
    assert!(!cordoned(), "the refused drain cordoned the node");
    assert_eq!(on_node(), before, "the refused drain evicted pods");

    cluster.block_on(async {
        for _ in 0.."kolla-node-2".len() {
            dash.handle(vec![Msg::Key(Key::Backspace)]);
        }
        press(&mut dash, node);
        dash.handle(vec![Msg::Key(Key::Enter)]);
        pump(&mut dash, &mut inbox, "the drain to finish", |d| {
            d.model.status_line().is_some_and(|s| {
                s.text.contains("drained") || s.text.contains("--force kolla-node-1 failed")
            })
        })
        .await;
        let status = dash
            .model
            .status_line()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        assert!(
            status.contains(&format!("{node} drained: 2 pods evicted")),
            "{status}"
        );
    });
    assert!(cordoned());
    wait_for("the evicted pods to go", || {
        on_node().iter().all(|p| !before.contains(p))
    });
}
