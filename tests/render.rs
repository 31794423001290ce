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
                    assert_eq!(
                        spec["hostPath"]["path"],
                        "/var/lib/kolla/volumes/kolla/mariadb"
                    );
                } else {
                    assert_eq!(spec["csi"]["driver"], "rbd.csi.ceph.com");
                    assert_eq!(spec["csi"]["nodeStageSecretRef"]["name"], "pkt-ceph-secret");
                    let container = &disk[0].object["spec"]["template"]["spec"]["containers"][0];
                    let script = container["command"][2].as_str().unwrap();
                    assert!(script.contains(
                        "rbd create \"$RBD_IMAGE\" --size \"$RBD_SIZE\" --image-feature layering"
                    ));
                    let env = env_of(&disk[0].object["spec"]["template"]);
                    let value = |name: &str| {
                        env.iter()
                            .find(|e| e["name"] == name)
                            .map(|e| e["value"].clone())
                    };
                    assert_eq!(value("RBD_SIZE"), Some("10G".into()));
                    // The namespace names the image: two deployments never share one.
                    assert_eq!(value("RBD_IMAGE"), Some("rbd/kolla-mariadb".into()));
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
fn template_errors_name_the_template_line_and_column() {
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
        err.starts_with("assets/templates/bad/svc.yml.j2:4:12: undefined value"),
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

/// Every key path of a manifest (`spec.template.spec.containers[0].env[2].name`): its
/// shape, which no value from the config may change.
fn shape(value: &Value, at: String, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                // The one key a template takes from the config: the node label it selects.
                let key = if at.ends_with(".nodeSelector") {
                    "<node label>"
                } else {
                    key.as_str()
                };
                let path = format!("{at}.{key}");
                out.insert(path.clone());
                shape(v, path, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                shape(v, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// (service, kind, document) -> its key paths, for every object the config renders.
fn shapes(catalog: &Catalog, config: &Config) -> Shapes {
    render_all(catalog, config)
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut paths = std::collections::BTreeSet::new();
            shape(&m.object, String::new(), &mut paths);
            (
                format!("#{i} {} {} {}", m.service, m.kind, m.obj_kind),
                paths,
            )
        })
        .collect()
}

type Shapes = Vec<(String, std::collections::BTreeSet<String>)>;

/// Panics naming each manifest whose keys differ from the baseline, and the keys.
fn assert_same_shape(got: &Shapes, baseline: &Shapes, key: &str, value: &str) {
    assert_eq!(
        got.len(),
        baseline.len(),
        "{key} = {value:?}: another object count"
    );
    for ((name, paths), (_, want)) in got.iter().zip(baseline) {
        let extra: Vec<_> = paths.difference(want).collect();
        let missing: Vec<_> = want.difference(paths).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{key} = {value:.60?} changed {name}: keys no template wrote {extra:?}, missing {missing:?}"
        );
    }
}

/// Strings a hostile operator (or a typo) might put in etc/: YAML syntax, comments,
/// quotes, braces, non-ASCII and a very long value.
fn hostile_values() -> Vec<String> {
    [
        "x\n          securityContext: {privileged: true}",
        "2025.1 #rc",
        "a: b",
        "{x: 1}",
        "[a]",
        "\"quoted\"",
        "'single'",
        "${HOME}",
        "$(CEPH_KEY)",
        "a,b",
        "ünïcödé",
        "-dash-first",
        "",
    ]
    .into_iter()
    .map(String::from)
    .chain([format!("a{}", "b".repeat(10_000))])
    .collect()
}

/// A config with one value replaced, as the operator would write it (a YAML double-quoted
/// scalar, which can carry any of the values above), in `dir`.
fn config_with(dir: &Path, key: &str, value: &str) -> Result<Config, String> {
    let quoted = serde_json::to_string(value).unwrap();
    let ceph = |field: &str, v: &str| {
        let mut fields = vec![
            ("keyring", "\"ceph.client.admin.keyring\"".to_string()),
            ("monitors", "[\"192.0.2.10\"]".to_string()),
            ("pool", "rbd".to_string()),
            ("secretName", "ceph-secret".to_string()),
            ("user", "admin".to_string()),
            ("clusterID", "ceph".to_string()),
        ];
        for (name, text) in &mut fields {
            if *name == field {
                *text = if field == "monitors" {
                    format!("[{v}]")
                } else {
                    v.to_string()
                };
            }
        }
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("  {k}: {v}")).collect();
        format!(
            "storage_provider: ceph\nstorage_ceph:\n{}\n",
            body.join("\n")
        )
    };
    let (kk, globals) = match key.strip_prefix("storage_ceph.") {
        Some(field) => (Some(ceph(field, &quoted)), None),
        None if GLOBALS_KEYS.contains(&key) => (None, Some(format!("{key}: {quoted}\n"))),
        None => (Some(format!("{key}: {quoted}\n")), None),
    };
    let catalog = Catalog::builtin().unwrap();
    let kk = kk.map(|t| ("kolla-kubernetes.yml".to_string(), t));
    let globals = globals.map(|t| ("globals.yml".to_string(), t));
    Config::parse(kk.as_ref(), globals.as_ref(), dir, &catalog).map_err(|e| e.to_string())
}

const GLOBALS_KEYS: [&str; 6] = [
    "docker_registry",
    "docker_namespace",
    "openstack_release",
    "kolla_base_distro",
    "kolla_base_distro_version",
    "openstack_tag",
];

/// The operator values that reach manifests, each replaced by every hostile string: each
/// is either refused as a config error at its file:line:column naming the key, or (the
/// empty tag, meaning "built from the release") rendered with the same shape as the
/// defaults and its value found literally.
#[test]
fn hostile_config_values_are_refused_at_their_place_or_rendered_literally() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("ceph/ceph.client.admin.keyring"),
        dir.path().join("ceph.client.admin.keyring"),
    )
    .unwrap();
    let catalog = Catalog::builtin().unwrap();
    let keys = GLOBALS_KEYS.into_iter().chain([
        "kolla_kubernetes_namespace",
        "dns_domain_name",
        "kolla_controller_label",
        "kolla_compute_label",
        "storage_class",
        "storage_ceph.monitors",
        "storage_ceph.pool",
        "storage_ceph.secretName",
        "storage_ceph.user",
        "storage_ceph.clusterID",
    ]);
    let mut table = Vec::new();
    for key in keys {
        // The defaults, with ceph's when the key is ceph's.
        let base = match key.starts_with("storage_ceph.") {
            true => config_with(dir.path(), "storage_ceph.pool", "rbd"),
            false => config_with(dir.path(), "openstack_tag", ""),
        }
        .unwrap();
        let baseline = shapes(&catalog, &base);
        for value in hostile_values() {
            let outcome = match config_with(dir.path(), key, &value) {
                Err(err) => {
                    let file = if GLOBALS_KEYS.contains(&key) {
                        "globals.yml"
                    } else {
                        "kolla-kubernetes.yml"
                    };
                    let short = key.rsplit('.').next().unwrap();
                    let placed = err.starts_with(&format!("{file}:"))
                        && err
                            .split(':')
                            .nth(1)
                            .is_some_and(|l| l.parse::<u64>().is_ok_and(|l| l > 0))
                        && err
                            .split(':')
                            .nth(2)
                            .is_some_and(|c| c.parse::<u64>().is_ok_and(|c| c > 0));
                    assert!(placed, "{key} = {value:?}: no file:line:col in {err}");
                    assert!(err.contains(short), "{key} = {value:?}: {err}");
                    assert!(!err.contains('\n') && err.len() < 400, "{key}: {err}");
                    "refused"
                }
                Ok(config) => {
                    assert_same_shape(&shapes(&catalog, &config), &baseline, key, &value);
                    let text: String = render_all(&catalog, &config)
                        .iter()
                        .map(|m| m.object.to_string())
                        .collect();
                    let literal = serde_json::to_string(&value).unwrap();
                    assert!(
                        text.contains(literal.trim_matches('"')),
                        "{key} = {value:?} accepted but not rendered literally"
                    );
                    "rendered literally"
                }
            };
            table.push(format!("{key} = {:.40?}: {outcome}", value));
        }
    }
    // Everything dangerous was refused; only empties that mean "default" passed.
    let accepted: Vec<&String> = table.iter().filter(|l| l.ends_with("literally")).collect();
    assert!(
        accepted.iter().all(|l| l.contains("= \"\":")),
        "accepted: {accepted:#?}"
    );
    println!("{}", table.join("\n"));
}

/// Unusual values the grammar allows render as themselves, and no manifest grows a key:
/// a registry with a port, a tag with '_' and '.', a long namespace.
#[test]
fn unusual_valid_values_render_literally_with_the_templates_keys_only() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin().unwrap();
    let baseline = shapes(
        &catalog,
        &config_with(dir.path(), "openstack_tag", "").unwrap(),
    );
    for (key, value) in [
        ("docker_registry", "registry.local:5000"),
        ("docker_namespace", "team/kolla__images"),
        ("openstack_tag", "2025.1_rc-1.x"),
        (
            "kolla_kubernetes_namespace",
            "a-very-long-namespace-name-of-sixty-three-characters-0123456789",
        ),
    ] {
        let config = config_with(dir.path(), key, value).unwrap_or_else(|e| panic!("{e}"));
        assert_same_shape(&shapes(&catalog, &config), &baseline, key, value);
        let text: String = render_all(&catalog, &config)
            .iter()
            .map(|m| m.object.to_string())
            .collect();
        assert!(text.contains(value), "{key} = {value} not rendered");
    }
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

#[test]
fn a_misspelt_name_is_an_error_not_a_null() {
    let templates = vec![(
        "bad/svc.yml.j2".to_string(),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  selector: {{ selectr | tojson }}\n"
            .to_string(),
    )];
    let text = "services:\n- {name: bad, role: controller, kinds: [{kind: svc, template: bad/svc.yml.j2}]}\n";
    let catalog = Catalog::parse("c.yml", text, templates).unwrap();
    let config = Config::parse(None, None, Path::new("."), &catalog).unwrap();
    let err = Renderer::new(&config, &catalog)
        .unwrap()
        .render("bad", Kind::Svc)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("assets/templates/bad/svc.yml.j2:6:")
            && err.contains("undefined value: tojson was given a name that is not defined"),
        "{err}"
    );
}
