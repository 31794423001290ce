//! Embeds every file under assets/templates/ into the binary, so adding a service's templates
//! needs no Rust change and the binary needs no files at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // The assets live at the top of the repository, beside etc/, where operators look.
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../..");
    let templates = root.join("assets/templates");
    println!("cargo::rerun-if-changed=../../assets");
    let mut files = Vec::new();
    collect(&templates, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Every template under assets/templates/: (path relative to it, source).\n",
    );
    out.push_str("pub(crate) static TEMPLATES: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file
            .strip_prefix(&templates)
            .expect("collected under the root");
        let rel = rel
            .to_str()
            .expect("template paths are UTF-8")
            .replace('\\', "/");
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    std::fs::write(&dest, out).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
