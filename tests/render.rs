//! Rendering every (service, kind) for every storage provider, checked for the contract the
//! cluster side relies on, and `resource template` output pinned by snapshots.

use std::path::Path;

use kolla_dash::catalog::Catalog;
use kolla_dash::commands::template::template_text;
use kolla_dash::config::{Config, StorageProvider};
use kolla_dash::kind::Kind;
use kolla_dash::labels;
use kolla_dash::render::{Manifest, PASSWORDS_SECRET, Renderer};
use kolla_dash::summary::ObjKind;
use serde_json::Value;

const FIXTURE_KEY: &str = "AQDFixtureKeyNotARealOne0000000000000==";

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn config(catalog: &Catalog, provider: StorageProvider) -> Config {
    match provider {
        StorageProvider::Ceph => Config::load(Some(&fixtures().join("ceph")), catalog).unwrap(),
        other => {
            let kk = (
                "kk.yml".to_string(),
                format!("storage_provider: {}\n", other.as_str()),
            );
            Config::parse(Some(&kk), None, Path::new("."), catalog).unwrap()
        }
    }
}

const PROVIDERS: [StorageProvider; 4] = [
    StorageProvider::Host,
    StorageProvider::Ceph,
    StorageProvider::Gce,
    StorageProvider::Aws,
];

fn render_all(catalog: &Catalog, config: &Config) -> Vec<Manifest> {
    let renderer = Renderer::new(config, catalog).unwrap();
    let mut all = Vec::new();
    for service in catalog.services() {
        for kind in service.kinds() {
            let manifests = renderer
                .render(&service.name, kind)
                .unwrap_or_else(|e| panic!("{} {kind}: {e}", service.name));
            all.extend(manifests);
        }
    }
    all
}

fn find<'a>(all: &'a [Manifest], service: &str, kind: Kind) -> Vec<&'a Manifest> {
    all.iter()
        .filter(|m| m.service == service && m.kind == kind)
        .collect()
}

fn labels_of(object: &Value) -> &serde_json::Map<String, Value> {
    object["metadata"]["labels"].as_object().expect("labels")
}

fn assert_labelled(labels: &serde_json::Map<String, Value>, service: &str, kind: Kind, what: &str) {
    assert_eq!(
        labels[labels::MANAGED_BY],
        labels::MANAGED_BY_VALUE,
        "{what}"
    );
    assert_eq!(labels[labels::SERVICE], service, "{what}");
    assert_eq!(labels[labels::KIND], kind.as_str(), "{what}");
}

/// Every env entry of every container of a pod template.
fn env_of(pod_template: &Value) -> Vec<&Value> {
    pod_template["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["env"].as_array().into_iter().flatten())
        .collect()
}

#[test]
fn every_service_and_kind_renders_for_every_storage_provider() {
    let catalog = Catalog::builtin().unwrap();
    for provider in PROVIDERS {
        let config = config(&catalog, provider);
        let all = render_all(&catalog, &config);
        let what = |m: &Manifest| format!("{provider:?} {} {} {}", m.service, m.kind, m.name);

        for m in &all {
            assert_labelled(labels_of(&m.object), &m.service, m.kind, &what(m));
            assert_eq!(m.object["metadata"]["name"], m.name.as_str());
            if m.obj_kind.cluster_scoped() {
                assert_eq!(m.namespace, None, "{}", what(m));
                assert!(m.object["metadata"].get("namespace").is_none());
            } else {
                assert_eq!(m.namespace.as_deref(), Some("kolla"), "{}", what(m));
                assert_eq!(m.object["metadata"]["namespace"], "kolla");
            }
            let reparsed: Value = serde_saphyr::from_str(&m.yaml).unwrap();
            assert_eq!(reparsed, m.object, "{}: yaml is the object", what(m));
            if provider != StorageProvider::Ceph {
                assert!(!m.yaml.contains(FIXTURE_KEY));
            }
        }

        // Storage, per provider.
        let disk = find(&all, "mariadb", Kind::Disk);
        let pv = find(&all, "mariadb", Kind::Pv);
        let pvc = find(&all, "mariadb", Kind::Pvc);
        assert_eq!((disk.len(), pvc.len()), (1, 1), "{provider:?}");
        let claim = &pvc[0].object["spec"];
        match provider {
            StorageProvider::Host | StorageProvider::Ceph => {
                assert_eq!(disk[0].obj_kind, ObjKind::Job);
                assert_eq!(pv.len(), 1);
                let spec = &pv[0].object["spec"];
                assert_eq!(spec["persistentVolumeReclaimPolicy"], "Retain");
                assert_eq!(spec["claimRef"]["name"], "mariadb");
                assert_eq!(claim["volumeName"], pv[0].name.as_str());
                assert_eq!(claim["storageClassName"], "");
                if provider == StorageProvider::Host {
                    assert_eq!(spec["hostPath"]["path"], "/var/lib/kolla/volumes/mariadb");
                } else {
                    assert_eq!(spec["csi"]["driver"], "rbd.csi.ceph.com");
                    assert_eq!(spec["csi"]["nodeStageSecretRef"]["name"], "pkt-ceph-secret");
                    let script =
                        disk[0].object["spec"]["template"]["spec"]["containers"][0]["command"][2]
                            .as_str()
                            .unwrap();
                    assert!(
                        script.contains(
                            "rbd create \"$RBD_IMAGE\" --size 10G --image-feature layering"
                        )
                    );
                }
            }
            StorageProvider::Gce | StorageProvider::Aws => {
                assert!(
                    pv.is_empty(),
                    "{provider:?}: dynamic provisioning has no static PV"
                );
                let class = disk[0];
                assert_eq!(class.obj_kind, ObjKind::StorageClass);
                let driver = if provider == StorageProvider::Gce {
                    "pd.csi.storage.gke.io"
                } else {
                    "ebs.csi.aws.com"
                };
                assert_eq!(class.object["provisioner"], driver);
                assert_eq!(class.object["reclaimPolicy"], "Retain");
                assert_eq!(claim["storageClassName"], class.name.as_str());
            }
        }

        // The ceph secret exists only for ceph, and carries the keyring's key.
        let ceph = find(&all, "ceph", Kind::Bootstrap);
        if provider == StorageProvider::Ceph {
            assert_eq!(ceph.len(), 1);
            assert_eq!(ceph[0].obj_kind, ObjKind::Secret);
            assert_eq!(ceph[0].object["stringData"]["userKey"], FIXTURE_KEY);
            assert_eq!(ceph[0].object["stringData"]["userID"], "admin");
        } else {
            assert!(ceph.is_empty(), "{provider:?}");
        }
    }
}

#[test]
fn an_existing_storage_class_replaces_the_rendered_one() {
    let catalog = Catalog::builtin().unwrap();
    let kk = (
        "kk.yml".to_string(),
        "storage_provider: aws\nstorage_class: gp3\n".to_string(),
    );
    let config = Config::parse(Some(&kk), None, Path::new("."), &catalog).unwrap();
    let all = render_all(&catalog, &config);
    assert!(find(&all, "mariadb", Kind::Disk).is_empty());
    assert!(find(&all, "mariadb", Kind::Pv).is_empty());
    assert!(
        all.iter().all(|m| m.namespace.is_some()),
        "nothing cluster-scoped is rendered"
    );
    let pvc = find(&all, "mariadb", Kind::Pvc);
    assert_eq!(pvc[0].object["spec"]["storageClassName"], "gp3");
}

#[test]
fn workloads_are_labelled_placed_and_sized_from_the_config() {
    let catalog = Catalog::builtin().unwrap();
    let config = config(&catalog, StorageProvider::Host);
    let all = render_all(&catalog, &config);
    let expected = [
        ("mariadb", ObjKind::StatefulSet, 1),
        ("memcached", ObjKind::Deployment, 1),
        ("keystone", ObjKind::Deployment, 3),
        ("horizon", ObjKind::Deployment, 3),
    ];
    for (service, obj_kind, replicas) in expected {
        let pods = find(&all, service, Kind::Pod);
        assert_eq!(pods.len(), 1, "{service}");
        let controller = &pods[0].object;
        assert_eq!(pods[0].obj_kind, obj_kind, "{service}");
        assert_eq!(controller["spec"]["replicas"], replicas, "{service}");
        let template = &controller["spec"]["template"];
        assert_labelled(labels_of(template), service, Kind::Pod, service);
        assert_eq!(
            controller["spec"]["selector"]["matchLabels"],
            template["metadata"]["labels"]
        );
        assert_eq!(template["spec"]["nodeSelector"]["kolla_controller"], "true");
        // Every Service of the service selects exactly these pods.
        for svc in find(&all, service, Kind::Svc) {
            assert_eq!(
                svc.object["spec"]["selector"], template["metadata"]["labels"],
                "{service}"
            );
        }
    }
    let mariadb = &find(&all, "mariadb", Kind::Pod)[0].object["spec"]["template"]["spec"];
    assert_eq!(
        mariadb["volumes"][1]["persistentVolumeClaim"]["claimName"],
        "mariadb"
    );
}

#[test]
fn bootstrap_jobs_are_kolla_bootstrap_runs_labelled_as_bootstrap() {
    let catalog = Catalog::builtin().unwrap();
    let config = config(&catalog, StorageProvider::Host);
    let all = render_all(&catalog, &config);
    let names = |service| -> Vec<String> {
        find(&all, service, Kind::Bootstrap)
            .iter()
            .map(|m| m.name.clone())
            .collect()
    };
    assert_eq!(names("mariadb"), ["mariadb-bootstrap"]);
    assert_eq!(
        names("keystone"),
        [
            "keystone-create-db",
            "keystone-manage-db",
            "keystone-endpoints"
        ]
    );
    for job in all.iter().filter(|m| m.kind == Kind::Bootstrap) {
        assert_eq!(job.obj_kind, ObjKind::Job);
        let template = &job.object["spec"]["template"];
        assert_labelled(
            labels_of(template),
            &job.service,
            Kind::Bootstrap,
            &job.name,
        );
        assert!(
            env_of(template)
                .iter()
                .any(|e| e["name"] == "KOLLA_BOOTSTRAP"),
            "{} sets KOLLA_BOOTSTRAP",
            job.name
        );
    }
}

#[test]
fn passwords_only_arrive_through_the_passwords_secret() {
    let catalog = Catalog::builtin().unwrap();
    let config = config(&catalog, StorageProvider::Host);
    let all = render_all(&catalog, &config);
    let mut seen = 0;
    for m in &all {
        let Some(template) = m.object["spec"].get("template") else {
            continue;
        };
        let listed = &catalog.service(&m.service).unwrap().passwords;
        for env in env_of(template) {
            let name = env["name"].as_str().unwrap();
            if let Some(secret) = env["valueFrom"].get("secretKeyRef") {
                assert_eq!(secret["name"], PASSWORDS_SECRET, "{}", m.name);
                let key = secret["key"].as_str().unwrap();
                assert!(
                    listed.iter().any(|k| k == key),
                    "{}: {key} is not in the catalog's passwords",
                    m.name
                );
                seen += 1;
            } else if name.contains("PASSWORD") || name.contains("SECRET") {
                panic!("{}: {name} has a literal value", m.name);
            }
        }
    }
    assert!(seen >= 8, "secret references found: {seen}");
    let keystone = &find(&all, "keystone", Kind::Pod)[0].object;
    let env = env_of(&keystone["spec"]["template"]);
    let names: Vec<&str> = env.iter().map(|e| e["name"].as_str().unwrap()).collect();
    let db = names
        .iter()
        .position(|n| *n == "OS_DATABASE__CONNECTION")
        .unwrap();
    let pw = names
        .iter()
        .position(|n| *n == "KEYSTONE_DATABASE_PASSWORD")
        .unwrap();
    assert!(
        pw < db,
        "Kubernetes expands $(VAR) only from entries before it"
    );
    assert_eq!(
        env[db]["value"],
        "mysql+pymysql://keystone:$(KEYSTONE_DATABASE_PASSWORD)@mariadb.kolla.svc.cluster.local:3306/keystone"
    );
}

#[test]
fn template_errors_name_the_template_and_line() {
    let templates = vec![(
        "bad/svc.yml.j2".to_string(),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ no_such_value }}\n".to_string(),
    )];
    let text = "services:\n- {name: bad, role: controller, kinds: [{kind: svc, template: bad/svc.yml.j2}]}\n";
    let catalog = Catalog::parse("c.yml", text, templates).unwrap();
    let config = Config::parse(None, None, Path::new("."), &catalog).unwrap();
    let err = Renderer::new(&config, &catalog)
        .unwrap()
        .render("bad", Kind::Svc)
        .unwrap_err();
    let err = err.to_string();
    assert!(
        err.starts_with("assets/templates/bad/svc.yml.j2:4: undefined value"),
        "{err}"
    );
}

#[test]
fn resource_template_output_is_pinned() {
    let catalog = Catalog::builtin().unwrap();
    let host = config(&catalog, StorageProvider::Host);
    for service in catalog.services() {
        for kind in service.kinds() {
            let text = template_text(&catalog, &host, &service.name, kind.as_str()).unwrap();
            insta::assert_snapshot!(format!("host__{}_{kind}", service.name), text);
        }
    }
    let ceph = config(&catalog, StorageProvider::Ceph);
    for (service, kind) in [
        ("ceph", Kind::Bootstrap),
        ("mariadb", Kind::Disk),
        ("mariadb", Kind::Pv),
        ("mariadb", Kind::Pvc),
    ] {
        let text = template_text(&catalog, &ceph, service, kind.as_str()).unwrap();
        assert!(
            !text.contains(FIXTURE_KEY),
            "resource template never prints the ceph key"
        );
        insta::assert_snapshot!(format!("ceph__{service}_{kind}"), text);
    }
    // The old kind-first order prints the same.
    assert_eq!(
        template_text(&catalog, &host, "pvc", "mariadb").unwrap(),
        template_text(&catalog, &host, "mariadb", "pvc").unwrap()
    );
}

#[test]
fn resource_map_is_pinned() {
    let catalog = Catalog::builtin().unwrap();
    insta::assert_snapshot!("resource_map", catalog.to_string());
}

#[test]
fn rbac_output_is_pinned() {
    use kolla_dash::access::Wanted;
    use kolla_dash::commands::rbac::rbac_text;

    let catalog = Catalog::builtin().unwrap();
    let mut host = config(&catalog, StorageProvider::Host);
    host.set_namespace("t").unwrap();
    let full = rbac_text(&catalog, &host, Wanted::default(), None).unwrap();
    insta::assert_snapshot!("rbac_host", full);
    let readonly = Wanted {
        readonly: true,
        node_actions: false,
    };
    let text = rbac_text(&catalog, &host, readonly, Some("viewer".into())).unwrap();
    insta::assert_snapshot!("rbac_host_readonly_bound", text);
    // Every document is one kubectl can apply: the YAML parses into objects of the kinds
    // RBAC knows.
    let docs = kolla_dash::yaml::parse_all("rbac", &full).unwrap();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, ["Namespace", "Role", "ClusterRole"]);
}
