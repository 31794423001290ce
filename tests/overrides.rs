//! The operator's overrides on a real local control plane, with the README's worked example
//! (docs/examples/overrides: rabbitmq added, memcached's Deployment given resource limits
//! and an annotation): what they render passes the API server's dry run, a user bound only
//! to what `kolla-dash rbac` derives from them deploys them, and the grid shows rabbitmq.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kolla_dash::access;
use kolla_dash::cluster::apply::Applier;
use kolla_dash::config::Config;
use kolla_dash::devcluster::{OPERATOR_CONTEXT, OPERATOR_USER};
use kolla_dash::engine::load_catalog;
use kolla_dash::render::Renderer;
use kolla_dash::summary::ObjKind;
use kube::Api;
use support::cluster::TestCluster;
use support::pty::{PtyApp, grid_row, ready_cells};

const WAIT: Duration = Duration::from_secs(30);

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/overrides")
}

#[test]
fn the_worked_example_passes_dry_run_deploys_with_derived_rights_and_shows_in_the_grid() {
    // Binds the operator user (the same user in every test) to rights, some cluster-wide:
    // a cluster of its own, so no other test's operator gains them.
    let cluster = TestCluster::start();
    let ns = "ovr";
    let dir = example();

    // Every object the overridden and added templates render passes server-side dry run.
    let catalog = load_catalog(Some(&dir)).expect("the example's catalog");
    let mut config = Config::load(Some(&dir), &catalog).expect("the example's config");
    config.set_namespace(ns).expect("namespace");
    let renderer = Renderer::new(&config, &catalog).expect("templates compile");
    let applier = Applier::new(cluster.client(), ns.to_string());
    let namespace = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns},
    });
    cluster
        .block_on(applier.apply(&namespace, false))
        .expect("create the namespace");
    let mut rendered = 0;
    for service in ["rabbitmq", "memcached"] {
        for kind in catalog.service(service).expect("in the catalog").kinds() {
            for m in renderer.render(service, kind).expect("renders") {
                cluster
                    .block_on(applier.apply(&m.object, true))
                    .unwrap_or_else(|e| panic!("dry run of {service} {kind}: {e:#}"));
                rendered += 1;
            }
        }
    }
    assert_eq!(rendered, 9, "rabbitmq's 6 kinds and memcached's 3");

    // A user bound only to what `rbac` derives from the example deploys it.
    let admin = cluster.kolla(ns).with_config_dir(&dir);
    let grant = admin.ok(&format!("rbac --user {OPERATOR_USER}"));
    cluster.apply_yaml(&grant, |_| true);
    cluster.wait_granted(
        OPERATOR_CONTEXT,
        ns,
        &access::to_apply(ObjKind::StatefulSet),
    );
    let operator = cluster
        .kolla(ns)
        .with_config_dir(&dir)
        .with_context(OPERATOR_CONTEXT);
    let run = operator.run("deploy rabbitmq memcached");
    assert!(run.success, "{}", operator.transcript());
    operator.wait_until(
        "rabbitmq and memcached ready",
        &["rabbitmq", "memcached"],
        |_, r| r.present_and_ready(),
    );
    let deployments: Api<Deployment> = Api::namespaced(cluster.client(), ns);
    let memcached = cluster
        .block_on(deployments.get("memcached"))
        .expect("memcached's Deployment");
    let annotations = memcached.metadata.annotations.unwrap_or_default();
    assert_eq!(
        annotations.get("example.com/owner").map(String::as_str),
        Some("cloud-team")
    );
    let container = &memcached
        .spec
        .and_then(|s| s.template.spec)
        .expect("pod spec")
        .containers[0];
    let limits = container
        .resources
        .as_ref()
        .and_then(|r| r.limits.clone())
        .unwrap_or_default();
    assert_eq!(limits.get("memory").map(|q| q.0.as_str()), Some("256Mi"));

    // The grid has rabbitmq's row, every cell done.
    let dir = dir.to_str().expect("utf-8 path");
    let mut app = PtyApp::dashboard(&cluster, ns, &["--config-dir", dir]);
    app.wait_for("rabbitmq's row with every cell done", WAIT, |s| {
        let row = grid_row(s, "rabbitmq");
        row.contains("✓ completed") && ready_cells(row) == 5
    });
    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
}
