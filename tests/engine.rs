//! The engine against a real local control plane: every template passes server-side
//! dry-run for every storage provider, and the guide's create, status and delete sequences
//! run through the real binary, re-runnable, keeping data unless told, never printing
//! passwords. Bad input is refused with the valid names.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use kolla_dash::catalog::Catalog;
use kolla_dash::cluster::apply::Applier;
use kolla_dash::config::{Config, StorageProvider};
use kolla_dash::render::{Manifest, Renderer};
use support::cluster::{Kolla, StatusRow, TestCluster, rendered_object};
use support::dash::{pump, start_in};
use support::launch::unreachable_kubeconfig;

const SERVICES: [&str; 4] = ["mariadb", "memcached", "keystone", "horizon"];
const DATA_KINDS: [&str; 3] = ["disk", "pv", "pvc"];

fn is_data(row: &StatusRow) -> bool {
    DATA_KINDS.contains(&row.kind.as_str())
}

fn provider_config(catalog: &Catalog, provider: StorageProvider) -> Config {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut config = match provider {
        StorageProvider::Ceph => Config::load(Some(&fixtures.join("ceph")), catalog).unwrap(),
        other => {
            let kk = (
                "kolla-kubernetes.yml".to_string(),
                format!("storage_provider: {}\n", other.as_str()),
            );
            Config::parse(Some(&kk), None, Path::new("."), catalog).unwrap()
        }
    };
    config
        .set_namespace(&format!("dry-{}", provider.as_str()))
        .unwrap();
    config
}

#[test]
fn every_template_passes_server_side_dry_run_for_every_storage_provider() {
    let cluster = TestCluster::shared();
    let catalog = Catalog::builtin().unwrap();
    let providers = [
        StorageProvider::Host,
        StorageProvider::Ceph,
        StorageProvider::Gce,
        StorageProvider::Aws,
    ];
    let mut failures = Vec::new();
    // Templates that rendered at least one object with some provider.
    let mut exercised = BTreeSet::new();
    for provider in providers {
        let config = provider_config(&catalog, provider);
        let ns = config.namespace.clone();
        let applier = Applier::new(cluster.client(), ns.clone());
        let namespace = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns},
        });
        cluster.block_on(applier.apply(&namespace, false)).unwrap();

        let renderer = Renderer::new(&config, &catalog).unwrap();
        for m in every_manifest(&renderer, &catalog) {
            let service = catalog.service(&m.service).unwrap();
            exercised.insert(service.template(m.kind).unwrap());
            if let Err(e) = cluster.block_on(applier.apply(&m.object, true)) {
                failures.push(format!(
                    "{provider:?} {} {} {}/{}: {e:#}",
                    m.service, m.kind, m.obj_kind, m.name
                ));
            }
        }
        // A dry run persists nothing: no rendered object exists, of any kind, namespaced
        // or not.
        let persisted: Vec<String> = every_manifest(&renderer, &catalog)
            .iter()
            .filter(|m| {
                cluster
                    .block_on(rendered_object(&cluster.client(), m))
                    .is_some()
            })
            .map(|m| format!("{}/{}", m.obj_kind, m.name))
            .collect();
        assert!(
            persisted.is_empty(),
            "{provider:?}: dry run created {persisted:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "server-side dry run refused:\n{}",
        failures.join("\n")
    );
    let all: BTreeSet<&str> = catalog.templates().map(|(name, _)| name).collect();
    assert_eq!(exercised, all, "some templates never rendered an object");
}

/// Every object the catalog renders with `renderer`'s config.
fn every_manifest(renderer: &Renderer, catalog: &Catalog) -> Vec<Manifest> {
    let mut all = Vec::new();
    for service in catalog.services() {
        for kind in service.kinds() {
            all.extend(renderer.render(&service.name, kind).unwrap());
        }
    }
    all
}

/// Waits until every kind of every service is present and ready, except `gone` kinds
/// (service, kind) which must be absent.
fn wait_all_ready(kolla: &Kolla, gone: &[(&str, &str)]) {
    kolla.wait_until("every kind present and ready", &SERVICES, |service, row| {
        if gone.contains(&(service, row.kind.as_str())) {
            row.absent()
        } else {
            row.present_and_ready()
        }
    });
}

/// Waits until only the data kinds are left, still bound.
fn wait_only_data_left(kolla: &Kolla) {
    kolla.wait_until("only data kinds left", &SERVICES, |_, row| {
        if is_data(row) {
            row.present_and_ready()
        } else {
            row.absent()
        }
    });
}

fn wait_all_absent(kolla: &Kolla) {
    kolla.wait_until("everything removed", &SERVICES, |_, row| row.absent());
}

/// Re-runs `creates` on a settled namespace: each exits 0 and no object changes.
fn assert_rerun_changes_nothing(cluster: &TestCluster, kolla: &Kolla, ns: &str, creates: &[&str]) {
    let before = cluster.versions(ns);
    let passwords = cluster.passwords(ns);
    assert!(
        before.keys().any(|k| k.starts_with("Deployment/"))
            && before.keys().any(|k| k.starts_with("PersistentVolume/")),
        "too few objects to compare: {before:?}"
    );
    for args in creates {
        kolla.ok(args);
    }
    assert_eq!(
        cluster.versions(ns),
        before,
        "re-running creates changed objects"
    );
    assert_eq!(
        cluster.passwords(ns),
        passwords,
        "re-running creates changed passwords"
    );
}

/// The passwords exist, one per catalog key, and no command ever printed one.
fn assert_passwords_kept_secret(cluster: &TestCluster, kolla: &Kolla, ns: &str) {
    let passwords = cluster.passwords(ns).expect("the passwords secret exists");
    let catalog = Catalog::builtin().unwrap();
    let keys: Vec<&str> = passwords.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        catalog.password_keys().into_iter().collect::<Vec<_>>()
    );
    let transcript = kolla.transcript();
    for (key, value) in &passwords {
        assert!(value.len() >= 16, "{key} is too short to be generated");
        assert!(!transcript.contains(value.as_str()), "{key} was printed");
    }
}

fn refuses_without_delete_data(kolla: &Kolla, args: &str) {
    let reason = kolla.fails(args);
    assert!(reason.contains("--delete-data"), "{args}: {reason}");
}

#[test]
fn operator_create_status_and_kill_sequence() {
    let cluster = TestCluster::shared();
    let ns = "operator";
    let kolla = cluster.kolla(ns);
    let ready = |what: &str, service: &'static str, kind: &'static str| {
        kolla.wait_until(what, &[service], |_, row| {
            row.kind != kind || row.present_and_ready()
        });
    };

    let out = kolla.ok("bootstrap ceph");
    assert!(out.contains("nothing to do"), "{out}");
    kolla.ok("bootstrap mariadb");
    let passwords = cluster
        .passwords(ns)
        .expect("bootstrap generated passwords");
    ready("mariadb's bootstrap to finish", "mariadb", "bootstrap");
    kolla.ok("resource delete mariadb bootstrap");
    kolla.ok("run mariadb");
    kolla.ok("run memcached");
    ready("mariadb to start", "mariadb", "pod");
    ready("memcached to start", "memcached", "pod");
    kolla.ok("bootstrap keystone");
    ready("keystone to bootstrap", "keystone", "bootstrap");
    kolla.ok("run keystone");
    ready("keystone to start", "keystone", "pod");
    kolla.ok("run horizon");
    wait_all_ready(&kolla, &[("mariadb", "bootstrap")]);

    // `bootstrap mariadb` is left out: it would bring back the Job the guide deleted.
    let reruns = [
        "bootstrap ceph",
        "run mariadb",
        "run memcached",
        "bootstrap keystone",
        "run keystone",
        "run horizon",
    ];
    assert_rerun_changes_nothing(&cluster, &kolla, ns, &reruns);
    assert_eq!(cluster.passwords(ns).as_ref(), Some(&passwords));

    let out = kolla.ok("kill horizon");
    assert!(out.contains("deleted Deployment/horizon"), "{out}");
    kolla.ok("kill keystone");
    kolla.ok("kill memcached");
    let out = kolla.ok("kill mariadb");
    for kind in DATA_KINDS {
        assert!(out.contains(&format!("kept mariadb {kind}")), "{out}");
    }
    kolla.ok("kill ceph");
    wait_only_data_left(&kolla);
    refuses_without_delete_data(&kolla, "resource delete mariadb pvc");

    // Killing services leaves the passwords alone.
    assert_eq!(cluster.passwords(ns).as_ref(), Some(&passwords));
    kolla.ok("kill mariadb --delete-data");
    wait_all_absent(&kolla);
    assert_passwords_kept_secret(&cluster, &kolla, ns);
}

#[test]
fn workflow_engine_create_status_and_delete_sequence() {
    let cluster = TestCluster::shared();
    let ns = "workflow";
    let kolla = cluster.kolla(ns);
    let ready = |what: &str, service: &'static str, kind: &'static str| {
        kolla.wait_until(what, &[service], |_, row| {
            row.kind != kind || row.present_and_ready()
        });
    };
    // Every create runs twice back to back: the second is harmless.
    let create = |service: &str, kind: &str| {
        for _ in 0..2 {
            kolla.ok(&format!("resource create {service} {kind}"));
        }
    };

    for kind in ["disk", "pv", "pvc", "svc", "configmap", "bootstrap"] {
        create("mariadb", kind);
    }
    ready("mariadb's bootstrap to finish", "mariadb", "bootstrap");
    kolla.ok("resource delete mariadb bootstrap");
    create("mariadb", "pod");
    for kind in ["svc", "configmap", "pod"] {
        create("memcached", kind);
    }
    create("keystone", "svc");
    create("keystone", "configmap");
    ready("mariadb to start", "mariadb", "pod");
    ready("memcached to start", "memcached", "pod");
    create("keystone", "bootstrap");
    ready("keystone to bootstrap", "keystone", "bootstrap");
    create("keystone", "pod");
    create("horizon", "svc");
    create("horizon", "configmap");
    ready("keystone to start", "keystone", "pod");
    create("horizon", "pod");
    wait_all_ready(&kolla, &[("mariadb", "bootstrap")]);

    // Once settled, every create again (the old kind-first order too) changes nothing.
    let mut reruns: Vec<String> = Vec::new();
    for (service, kinds) in [
        (
            "mariadb",
            &["disk", "pv", "pvc", "svc", "configmap", "pod"][..],
        ),
        ("memcached", &["svc", "configmap", "pod"]),
        ("keystone", &["svc", "configmap", "bootstrap", "pod"]),
        ("horizon", &["svc", "configmap", "pod"]),
    ] {
        for kind in kinds {
            reruns.push(format!("resource create {service} {kind}"));
        }
    }
    reruns.push("resource create configmap mariadb".into());
    let reruns: Vec<&str> = reruns.iter().map(String::as_str).collect();
    assert_rerun_changes_nothing(&cluster, &kolla, ns, &reruns);

    for (service, kinds) in [
        ("horizon", &["pod", "configmap", "svc"][..]),
        ("keystone", &["pod", "bootstrap", "configmap", "svc"]),
        ("memcached", &["pod", "configmap", "svc"]),
        ("mariadb", &["pod", "bootstrap", "configmap", "svc"]),
    ] {
        for kind in kinds {
            kolla.ok(&format!("resource delete {service} {kind}"));
        }
    }
    for kind in ["pvc", "pv", "disk"] {
        refuses_without_delete_data(&kolla, &format!("resource delete mariadb {kind}"));
    }
    wait_only_data_left(&kolla);
    for kind in ["pvc", "pv", "disk"] {
        kolla.ok(&format!("resource delete mariadb {kind} --delete-data"));
    }
    wait_all_absent(&kolla);
    assert_passwords_kept_secret(&cluster, &kolla, ns);
}

#[test]
fn bad_input_is_refused_with_the_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let services = "ceph, mariadb, memcached, keystone, horizon";
    for kubeconfig in [
        unreachable_kubeconfig(dir.path()),
        dir.path().join("missing"),
    ] {
        let kolla = Kolla::without_cluster(&kubeconfig, dir.path());
        for args in [
            "bootstrap nova",
            "kill nova",
            "resource status nova",
            "resource create nova pod",
        ] {
            let reason = kolla.fails(args);
            assert!(
                reason.contains("'nova'") && reason.contains(services),
                "{args}: {reason}"
            );
        }
        for args in [
            "resource create mariadb volume",
            "resource delete volume mariadb",
        ] {
            let reason = kolla.fails(args);
            assert!(
                reason.contains("'volume'")
                    && reason.contains(services)
                    && reason.contains("disk, pv, pvc, svc, configmap, bootstrap, pod"),
                "{args}: {reason}"
            );
        }
        let reason = kolla.fails("resource create memcached pvc");
        assert!(
            reason.contains("its kinds: svc, configmap, pod"),
            "{reason}"
        );

        // Rendering needs no cluster, in either argument order.
        let yaml = kolla.ok("resource template mariadb pod");
        assert!(yaml.contains("kind: StatefulSet"), "{yaml}");
        assert_eq!(kolla.ok("resource template pod mariadb"), yaml);
    }

    let kolla = Kolla::without_cluster(&unreachable_kubeconfig(dir.path()), dir.path());
    let reason = kolla.fails("--context nowhere resource status mariadb");
    assert!(
        reason.contains("'nowhere'") && reason.contains("known contexts: dead"),
        "{reason}"
    );
    let kolla = Kolla::without_cluster(&dir.path().join("missing"), dir.path());
    let reason = kolla.fails("--context nowhere resource status mariadb");
    assert!(reason.contains("--context needs a kubeconfig"), "{reason}");
}

#[test]
fn forbidden_operations_name_the_verb_and_the_resource() {
    use kolla_dash::devcluster::UNPRIVILEGED_CONTEXT;
    use kolla_dash::kind::Kind;
    use kolla_dash::model::CellStatus;
    use kolla_dash::tui::DashOptions;

    let cluster = TestCluster::shared();
    let ns = "rbac";
    let kolla = cluster.kolla(ns);
    let nobody = format!("--context {UNPRIVILEGED_CONTEXT}");

    // Refused before anything is sent: the rights it lacks, and where to get them.
    let reason = kolla.fails(&format!("{nobody} resource create mariadb pvc"));
    assert!(
        reason.contains("forbidden: resource create mariadb pvc needs rights")
            // Applying reads the object first (whose is it?): get, like the passwords.
            && reason.contains("get, create, patch secrets, persistentvolumeclaims in namespace rbac")
            && reason.contains("kolla-dash rbac --namespace rbac"),
        "{reason}"
    );
    let reason = kolla.fails(&format!("{nobody} resource status mariadb"));
    assert!(
        reason.contains("forbidden") && reason.contains("may not list"),
        "{reason}"
    );
    let reason = kolla.fails(&format!("{nobody} deploy"));
    assert!(reason.contains("forbidden"), "{reason}");

    // The dashboard marks what it may not watch, once, and keeps running.
    let client = cluster.client_as(UNPRIVILEGED_CONTEXT);
    cluster.block_on(async {
        let (mut dash, mut inbox) = start_in(client, ns, DashOptions::default());
        pump(
            &mut dash,
            &mut inbox,
            "mariadb's pvc cell to turn forbidden",
            |d| {
                let row = d
                    .model
                    .store()
                    .row_of_service("mariadb")
                    .expect("mariadb row");
                *d.model.status(row, Kind::Pvc) == CellStatus::Forbidden
            },
        )
        .await;
    });
}
