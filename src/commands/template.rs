//! `resource template` and `resource map`: rendering only, no cluster.

use anyhow::Context;

use crate::catalog::Catalog;
use crate::cli::{GlobalArgs, ResourceArgs};
use crate::config::Config;
use crate::engine::{load_catalog, load_config};
use crate::render::{Manifest, Renderer};
use crate::summary::ObjKind;

pub fn template(global: &GlobalArgs, args: &ResourceArgs) -> anyhow::Result<()> {
    let (catalog, config) = load_config(global)?;
    print!(
        "{}",
        template_text(&catalog, &config, &args.first, &args.second)?
    );
    Ok(())
}

/// The catalog in use, each template marked embedded or overridden (and by which file).
pub fn map(global: &GlobalArgs) -> anyhow::Result<()> {
    print!("{}", load_catalog(global.config_dir.as_deref())?);
    Ok(())
}

/// What `resource template` prints: every object as YAML, secrets' values masked.
pub fn template_text(
    catalog: &Catalog,
    config: &Config,
    first: &str,
    second: &str,
) -> anyhow::Result<String> {
    let (service, kind) = catalog.resolve(first, second)?;
    let manifests = Renderer::new(config, catalog)?.render(&service.name, kind)?;
    if manifests.is_empty() {
        return Ok(format!(
            "# {} {kind}: nothing to create with storage_provider {}\n",
            service.name,
            config.storage.provider.as_str()
        ));
    }
    let docs: Vec<String> = manifests
        .iter()
        .map(printable)
        .collect::<anyhow::Result<_>>()?;
    Ok(docs.join("---\n"))
}

/// A manifest's YAML, with a Secret's values replaced so keys never reach a terminal.
fn printable(manifest: &Manifest) -> anyhow::Result<String> {
    if manifest.obj_kind != ObjKind::Secret {
        return Ok(manifest.yaml.clone());
    }
    let mut object = manifest.object.clone();
    for field in ["data", "stringData"] {
        if let Some(values) = object.get_mut(field).and_then(|v| v.as_object_mut()) {
            for value in values.values_mut() {
                *value = "<redacted>".into();
            }
        }
    }
    serde_saphyr::to_string(&object).context("cannot write the Secret as YAML")
}
