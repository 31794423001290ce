//! Shell completion: clap's dynamic completion (the shell asks the binary itself), so
//! service names come from the catalog the binary really uses, and the man page.

use std::ffi::OsStr;
use std::io::Write as _;

use clap::CommandFactory as _;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use crate::catalog::Catalog;
use crate::cli::{Cli, Shell};
use crate::kind::Kind;

/// The environment variable the registration script sets when it asks for candidates.
const VAR: &str = "COMPLETE";

/// Answers a completion request and exits, if this run is one (call before parsing).
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .complete();
}

/// Writes `shell`'s registration script: it calls `kolla-dash` for candidates.
pub fn script(shell: Shell) -> anyhow::Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
    };
    let mut out = std::io::stdout().lock();
    completer.write_registration(VAR, "kolla-dash", "kolla-dash", "kolla-dash", &mut out)?;
    out.flush()?;
    Ok(())
}

/// The manual page, in roff.
pub fn man() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(())
}

fn matching<'a>(
    current: &OsStr,
    words: impl IntoIterator<Item = &'a str>,
) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    words
        .into_iter()
        .filter(|w| w.starts_with(prefix.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

fn service_names() -> Vec<String> {
    Catalog::builtin()
        .map(|c| c.service_names())
        .unwrap_or_default()
}

/// The catalog's services.
pub fn services(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = service_names();
    matching(current, names.iter().map(String::as_str))
}

/// The resource kinds.
pub fn kinds(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(current, Kind::ALL.map(Kind::as_str))
}

/// Either, for `resource VERB` whose first word may be a service or (the guide's order) a
/// kind.
pub fn services_or_kinds(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut all = services(current);
    all.extend(kinds(current));
    all
}
