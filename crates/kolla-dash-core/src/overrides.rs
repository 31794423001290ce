//! The operator's overrides beside the config, so changing a template or adding a service
//! needs no rebuild: `<config dir>/templates/<path>` replaces the embedded template at
//! `assets/templates/<path>` (or adds one), and `<config dir>/catalog.yml` adds services or
//! replaces built-in ones. Read here; laid over the built-in catalog and checked as it is
//! by `Catalog::layered`, and rendered by the same renderer.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::catalog::{Catalog, CatalogText, Origin, Template};

/// The operator's catalog file in the config directory.
pub const CATALOG_FILE: &str = "catalog.yml";
/// The operator's templates directory in the config directory.
pub const TEMPLATES_DIR: &str = "templates";

/// The catalog the binary uses with the config directory `dir` (`None`: the built-in one
/// alone): the embedded catalog and templates with the operator's files on top.
pub fn load(dir: Option<&Path>) -> anyhow::Result<Catalog> {
    let Some(dir) = dir else {
        return Catalog::builtin();
    };
    let catalog_path = dir.join(CATALOG_FILE);
    let operator = match std::fs::read_to_string(&catalog_path) {
        Ok(text) => Some(CatalogText {
            file: catalog_path.display().to_string(),
            text,
            origin: Origin::Override(catalog_path.clone()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", catalog_path.display()));
        }
    };
    let root = dir.join(TEMPLATES_DIR);
    let mut files = Vec::new();
    if root.is_dir() {
        collect(&root, &mut files)?;
    }
    files.sort();
    let templates = files
        .into_iter()
        .map(|path| {
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let name = path
                .strip_prefix(&root)
                .context("an override found outside its directory")?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            Ok(Template {
                name,
                source,
                origin: Origin::Override(path),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Catalog::layered(operator, templates)
}

/// Every file under `dir`, except hidden ones and editors' backups (`.x.swp`, `x~`).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_none_or(|n| n.starts_with('.') || n.ends_with('~')) {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Kind;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const QUEUE: &str = "services:\n  - name: queue\n    role: controller\n    depends_on: [memcached]\n    kinds:\n      - {kind: svc, template: queue/svc.yml.j2}\n";
    const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: queue\nspec:\n  selector: {{ selector | tojson }}\n  ports: [{port: 5672}]\n";

    #[test]
    fn operator_files_add_services_and_replace_templates() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), CATALOG_FILE, QUEUE);
        write(dir.path(), "templates/queue/svc.yml.j2", SVC);
        write(dir.path(), "templates/memcached/svc.yml.j2", SVC);
        write(dir.path(), "templates/memcached/.svc.yml.j2.swp", "junk");
        let c = load(Some(dir.path())).unwrap();
        assert_eq!(c.service_names().last().map(String::as_str), Some("queue"));
        assert_eq!(
            c.service("queue").unwrap().kinds().collect::<Vec<_>>(),
            [Kind::Svc]
        );
        assert!(matches!(
            c.service("queue").unwrap().origin(),
            Origin::Override(_)
        ));
        assert_eq!(c.service("memcached").unwrap().origin(), &Origin::Embedded);
        let memcached = c.template("memcached/svc.yml.j2").unwrap();
        assert_eq!(
            memcached.origin,
            Origin::Override(dir.path().join("templates/memcached/svc.yml.j2"))
        );
        assert_eq!(
            c.template("memcached/pod.yml.j2").unwrap().origin,
            Origin::Embedded
        );
        let map = c.to_string();
        let line = |template: &str| {
            map.lines()
                .find(|l| l.contains(template))
                .unwrap_or_default()
                .split_whitespace()
                .skip(3)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(line("memcached/pod.yml.j2"), "embedded", "{map}");
        let path = dir.path().join("templates/memcached/svc.yml.j2");
        assert_eq!(
            line("memcached/svc.yml.j2"),
            format!("override {}", path.display()),
            "{map}"
        );
        assert!(
            map.contains("queue (after memcached)  [defined in "),
            "{map}"
        );
    }

    #[test]
    fn a_service_of_the_operators_replaces_the_built_in_one_in_place() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            CATALOG_FILE,
            "services:\n  - name: memcached\n    role: compute\n    kinds:\n      - {kind: svc, template: memcached/svc.yml.j2}\n",
        );
        let c = load(Some(dir.path())).unwrap();
        let names = c.service_names();
        assert_eq!(
            names,
            ["ceph", "mariadb", "memcached", "keystone", "horizon"]
        );
        assert_eq!(c.service("memcached").unwrap().kinds().count(), 1);
    }

    #[test]
    fn mistakes_name_the_operators_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            CATALOG_FILE,
            &QUEUE.replace("queue/svc", "queue/scv"),
        );
        write(dir.path(), "templates/queue/svc.yml.j2", SVC);
        let err = load(Some(dir.path())).unwrap_err().to_string();
        let file = dir.path().join(CATALOG_FILE).display().to_string();
        assert!(
            err.starts_with(&format!(
                "{file}:2:5: service 'queue' kind 'svc' names template 'queue/scv.yml.j2'"
            )),
            "{err}"
        );
        assert!(err.contains("did you mean 'queue/svc.yml.j2'?"), "{err}");

        write(
            dir.path(),
            CATALOG_FILE,
            &QUEUE.replace("role: controller", "role: boss"),
        );
        let err = load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{file}:3:11: ")), "{err}");

        std::fs::remove_file(dir.path().join(CATALOG_FILE)).unwrap();
        write(dir.path(), "templates/keystone/pods.yml.j2", SVC);
        let err = load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("keystone/pods.yml.j2: no service's kind uses the template"),
            "{err}"
        );
        assert!(err.contains("did you mean 'keystone/pod.yml.j2'?"), "{err}");
    }
}
