//! The `:` command line: the CLI's verbs (the same words as `kolla-dash --help` lists; the
//! binary crate's tests check they stay the same), parsed here without the CLI's parser,
//! turned into what the dashboard can do with it. Flags the dashboard cannot honour are
//! refused, never ignored.

use std::path::PathBuf;

use crate::kind::Kind;
use crate::model::grid::Row;
use crate::model::msg::{Action, Consent};
use crate::model::switch::{Pick, Target};

/// The verbs `:` understands; each is also a CLI command.
pub const VERBS: [&str; 7] = [
    "bootstrap",
    "run",
    "kill",
    "deploy",
    "teardown",
    "resource",
    "export",
];

/// CLI commands that make no sense inside the dashboard.
const SHELL_ONLY: [&str; 6] = ["demo", "dash", "incidents", "dev-cluster", "rbac", "help"];

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Act(Action),
    /// `resource status SERVICE [KIND]`: open that cell's detail view.
    Show {
        row: usize,
        kind: Option<Kind>,
    },
    /// `export incidents FILE` (the dashboard's own verb).
    ExportIncidents(PathBuf),
    /// `ctx NAME`, `ns NAME` (the dashboard's own verbs): look there instead.
    Switch(Target),
    /// `ctx`, `ns` without a name: the picker.
    Pick(Pick),
}

/// A command line split into its words and the flags each verb allows.
struct Words<'a> {
    args: Vec<&'a str>,
    delete_data: bool,
    dry_run: bool,
    json: bool,
    consent: Consent,
}

/// Parses one command line against the grid's services; the error is one line for the
/// status line.
pub fn parse(line: &str, rows: &[Row]) -> Result<Request, String> {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Err("type a command, e.g. run keystone".to_string());
    };
    if verb == "export" {
        return export(words);
    }
    if let Some(pick) = [Pick::Context, Pick::Namespace]
        .into_iter()
        .find(|p| p.verb() == verb)
    {
        return switch(pick, words);
    }
    let shell_resource =
        verb == "resource" && matches!(line.split_whitespace().nth(1), Some("template" | "map"));
    if SHELL_ONLY.contains(&verb) || shell_resource {
        return Err(format!(
            "'{}' is not available in the dashboard",
            line.trim()
        ));
    }
    if !VERBS.contains(&verb) {
        return Err(format!("unrecognized subcommand '{verb}'"));
    }
    let w = flags(words.collect())?;
    let allowed_data = matches!(verb, "kill" | "teardown")
        || (verb == "resource" && w.args.first() == Some(&"delete"));
    if w.delete_data && !allowed_data {
        return Err(format!("'{verb}' takes no --delete-data"));
    }
    if (w.dry_run || w.json) && !matches!(verb, "deploy" | "teardown") {
        return Err(format!("'{verb}' takes no --dry-run or -o"));
    }
    let creates = verb == "resource" && w.args.first() == Some(&"create");
    if w.consent.adopt && !(creates || matches!(verb, "bootstrap" | "run" | "deploy")) {
        return Err(format!("'{verb}' takes no --adopt"));
    }
    let bootstraps = creates && w.args.get(1..3).is_some_and(|a| a.contains(&"bootstrap"));
    if w.consent.force_bootstrap && !(bootstraps || verb == "bootstrap") {
        return Err(
            "only 'bootstrap' and 'resource create S bootstrap' take --force-bootstrap".into(),
        );
    }
    let request = match verb {
        "bootstrap" => Request::Act(Action::Bootstrap {
            services: required(w.args, rows)?,
            consent: w.consent,
        }),
        "run" => Request::Act(Action::Run {
            services: required(w.args, rows)?,
            consent: w.consent,
        }),
        "kill" => Request::Act(Action::Kill {
            services: required(w.args, rows)?,
            delete_data: w.delete_data,
        }),
        "deploy" => {
            shell_only(w.dry_run, w.json)?;
            Request::Act(Action::Deploy {
                services: known(w.args, rows)?,
                consent: w.consent,
            })
        }
        "teardown" => {
            shell_only(w.dry_run, w.json)?;
            Request::Act(Action::Teardown {
                services: known(w.args, rows)?,
                delete_data: w.delete_data,
            })
        }
        _ => resource(&w.args, w.delete_data, w.consent, rows)?,
    };
    Ok(request)
}

/// Takes the flags out of `words`; a flag no verb of the dashboard honours is an error.
fn flags(words: Vec<&str>) -> Result<Words<'_>, String> {
    let mut out = Words {
        args: Vec::new(),
        delete_data: false,
        dry_run: false,
        json: false,
        consent: Consent::default(),
    };
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        match word {
            "--delete-data" => out.delete_data = true,
            "--dry-run" => out.dry_run = true,
            "--adopt" => out.consent.adopt = true,
            "--force-bootstrap" => out.consent.force_bootstrap = true,
            "-o" | "--output" => match words.next() {
                Some("json") => out.json = true,
                Some("table") => {}
                _ => return Err("-o takes json or table".to_string()),
            },
            "-ojson" | "--output=json" => out.json = true,
            w if ["-n", "--namespace"].contains(&w) || w.starts_with("--namespace=") => {
                return Err(format!(
                    "{w} cannot be used inside the dashboard: `:ns NAME` switches the namespace (`:ns` lists them)"
                ));
            }
            w if w == "--context" || w.starts_with("--context=") => {
                return Err(format!(
                    "{w} cannot be used inside the dashboard: `:ctx NAME` switches the context (`:ctx` lists them)"
                ));
            }
            w if w.starts_with('-') => {
                return Err(format!("{w} is not available inside the dashboard"));
            }
            w => out.args.push(w),
        }
    }
    Ok(out)
}

/// `resource create|delete|status ...`.
fn resource(
    args: &[&str],
    delete_data: bool,
    consent: Consent,
    rows: &[Row],
) -> Result<Request, String> {
    let usage = "usage: resource create|delete SERVICE KIND, or resource status SERVICE [KIND]";
    match args {
        ["create", first, second] => {
            let (row, kind) = cell(first, second, rows)?;
            Ok(Request::Act(Action::Create {
                service: rows[row].service.clone(),
                kind,
                consent,
            }))
        }
        ["delete", first, second] => {
            let (row, kind) = cell(first, second, rows)?;
            if kind.holds_data() && !delete_data {
                return Err(format!("{kind} holds data: add --delete-data to delete it"));
            }
            Ok(Request::Act(Action::Delete {
                service: rows[row].service.clone(),
                kind,
                delete_data,
            }))
        }
        ["status", service, rest @ ..] if rest.len() <= 1 => {
            let row = row_of(service, rows)?;
            let kind = rest
                .first()
                .map(|k| k.parse::<Kind>())
                .transpose()
                .map_err(|e| e.to_string())?;
            Ok(Request::Show { row, kind })
        }
        _ => Err(usage.to_string()),
    }
}

/// At least one service, every one known.
fn required(services: Vec<&str>, rows: &[Row]) -> Result<Vec<String>, String> {
    if services.is_empty() {
        return Err("the following required arguments were not provided: SERVICE...".to_string());
    }
    known(services, rows)
}

/// `--dry-run` and `-o json` print to a terminal the dashboard owns.
fn shell_only(dry_run: bool, json: bool) -> Result<(), String> {
    if dry_run || json {
        return Err(
            "--dry-run and -o json print to a shell: run them outside the dashboard".into(),
        );
    }
    Ok(())
}

/// `ctx [NAME]` or `ns [NAME]`; `words` follow the verb.
fn switch<'a>(pick: Pick, mut words: impl Iterator<Item = &'a str>) -> Result<Request, String> {
    match (words.next(), words.next()) {
        (None, _) => Ok(Request::Pick(pick)),
        (Some(name), None) if !name.starts_with('-') => Ok(Request::Switch(Target {
            pick,
            name: name.to_string(),
        })),
        _ => Err(format!(
            "usage: {} [NAME] (without NAME: pick from a list)",
            pick.verb()
        )),
    }
}

/// `export incidents FILE`; `words` follow the word `export`.
fn export<'a>(mut words: impl Iterator<Item = &'a str>) -> Result<Request, String> {
    match (words.next(), words.next(), words.next()) {
        (Some("incidents"), Some(file), None) => Ok(Request::ExportIncidents(PathBuf::from(file))),
        _ => Err("usage: export incidents FILE".to_string()),
    }
}

fn row_of(service: &str, rows: &[Row]) -> Result<usize, String> {
    rows.iter()
        .position(|r| r.service == service)
        .ok_or_else(|| format!("unknown service '{service}'"))
}

fn known(services: Vec<&str>, rows: &[Row]) -> Result<Vec<String>, String> {
    services
        .into_iter()
        .map(|s| row_of(s, rows).map(|_| s.to_string()))
        .collect()
}

/// `SERVICE KIND`, or the old `KIND SERVICE` order (the two name sets are disjoint).
fn cell(first: &str, second: &str, rows: &[Row]) -> Result<(usize, Kind), String> {
    let (service, kind) = match (first.parse::<Kind>(), second.parse::<Kind>()) {
        (Ok(kind), Err(_)) => (second, kind),
        (_, parsed) => (first, parsed.map_err(|e| e.to_string())?),
    };
    let row = row_of(service, rows)?;
    if !rows[row].has(kind) {
        return Err(format!("{service} has no {kind}"));
    }
    Ok((row, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        vec![
            Row::new("mariadb", Kind::ALL),
            Row::new("horizon", [Kind::Svc, Kind::Configmap, Kind::Pod]),
        ]
    }

    fn act(line: &str) -> Result<Action, String> {
        match parse(line, &rows())? {
            Request::Act(a) => Ok(a),
            other => panic!("not an action: {other:?}"),
        }
    }

    #[test]
    fn verbs_become_actions() {
        assert_eq!(
            act("run mariadb horizon"),
            Ok(Action::Run {
                services: vec!["mariadb".into(), "horizon".into()],
                consent: Consent::default(),
            })
        );
        assert_eq!(
            act("bootstrap mariadb"),
            Ok(Action::Bootstrap {
                services: vec!["mariadb".into()],
                consent: Consent::default(),
            })
        );
        assert_eq!(
            act("kill horizon --delete-data"),
            Ok(Action::Kill {
                services: vec!["horizon".into()],
                delete_data: true
            })
        );
        assert_eq!(
            act("resource delete horizon pod"),
            Ok(Action::Delete {
                service: "horizon".into(),
                kind: Kind::Pod,
                delete_data: false
            })
        );
    }

    #[test]
    fn resource_accepts_both_word_orders() {
        let want = Ok(Action::Create {
            service: "mariadb".into(),
            kind: Kind::Pvc,
            consent: Consent::default(),
        });
        assert_eq!(act("resource create mariadb pvc"), want);
        assert_eq!(act("resource create pvc mariadb"), want);
    }

    #[test]
    fn adopt_and_force_bootstrap_go_only_where_they_mean_something() {
        assert_eq!(
            act("resource create mariadb configmap --adopt"),
            Ok(Action::Create {
                service: "mariadb".into(),
                kind: Kind::Configmap,
                consent: Consent::ADOPT,
            })
        );
        assert_eq!(
            act("bootstrap mariadb --force-bootstrap"),
            Ok(Action::Bootstrap {
                services: vec!["mariadb".into()],
                consent: Consent::FORCE_BOOTSTRAP,
            })
        );
        assert!(act("resource create bootstrap mariadb --force-bootstrap").is_ok());
        assert!(act("deploy --adopt").is_ok());
        assert_eq!(
            act("kill mariadb --adopt"),
            Err("'kill' takes no --adopt".into())
        );
        assert!(act("run mariadb --force-bootstrap").is_err());
        assert!(act("resource create mariadb pod --force-bootstrap").is_err());
    }

    #[test]
    fn data_kind_delete_needs_the_flag() {
        assert_eq!(
            act("resource delete mariadb pvc"),
            Err("pvc holds data: add --delete-data to delete it".into())
        );
        assert!(act("resource delete mariadb pvc --delete-data").is_ok());
    }

    #[test]
    fn errors_are_one_line_and_name_the_problem() {
        assert_eq!(act("run nova"), Err("unknown service 'nova'".into()));
        assert_eq!(
            act("resource create horizon pvc"),
            Err("horizon has no pvc".into())
        );
        let e = act("frobnicate").unwrap_err();
        assert!(e.contains("unrecognized subcommand 'frobnicate'"), "{e}");
        assert!(!e.contains('\n'));
        let e = act("run").unwrap_err();
        assert!(e.contains("required"), "{e}");
        assert_eq!(
            act("dev-cluster status"),
            Err("'dev-cluster status' is not available in the dashboard".into())
        );
    }

    #[test]
    fn deploy_and_teardown_become_workflow_actions() {
        let consent = Consent::default();
        assert_eq!(
            act("deploy"),
            Ok(Action::Deploy {
                services: vec![],
                consent
            })
        );
        assert_eq!(
            act("deploy horizon"),
            Ok(Action::Deploy {
                services: vec!["horizon".into()],
                consent
            })
        );
        assert_eq!(
            act("teardown mariadb --delete-data"),
            Ok(Action::Teardown {
                services: vec!["mariadb".into()],
                delete_data: true
            })
        );
        assert_eq!(
            act("teardown"),
            Ok(Action::Teardown {
                services: vec![],
                delete_data: false
            })
        );
        assert_eq!(act("deploy nova"), Err("unknown service 'nova'".into()));
        assert!(
            act("deploy --dry-run")
                .unwrap_err()
                .contains("outside the dashboard")
        );
        assert!(
            act("teardown -o json")
                .unwrap_err()
                .contains("outside the dashboard")
        );
    }

    #[test]
    fn export_incidents_names_a_file() {
        assert_eq!(
            parse("export incidents /tmp/inc.jsonl", &rows()),
            Ok(Request::ExportIncidents(PathBuf::from("/tmp/inc.jsonl")))
        );
        assert_eq!(
            parse("export incidents", &rows()),
            Err("usage: export incidents FILE".into())
        );
        assert_eq!(
            parse("export nodes x", &rows()),
            Err("usage: export incidents FILE".into())
        );
    }

    #[test]
    fn ctx_and_ns_switch_or_pick_and_the_flags_point_at_them() {
        let target = |pick, name: &str| {
            Ok(Request::Switch(Target {
                pick,
                name: name.into(),
            }))
        };
        assert_eq!(parse("ns other", &rows()), target(Pick::Namespace, "other"));
        assert_eq!(parse("ctx prod", &rows()), target(Pick::Context, "prod"));
        assert_eq!(parse("ns", &rows()), Ok(Request::Pick(Pick::Namespace)));
        assert_eq!(parse(" ctx ", &rows()), Ok(Request::Pick(Pick::Context)));
        assert_eq!(
            parse("ns a b", &rows()),
            Err("usage: ns [NAME] (without NAME: pick from a list)".into())
        );
        let e = act("run mariadb -n other").unwrap_err();
        assert!(e.contains("`:ns NAME` switches the namespace"), "{e}");
        let e = act("deploy --context=prod").unwrap_err();
        assert!(e.contains("`:ctx NAME` switches the context"), "{e}");
    }

    #[test]
    fn status_opens_the_cell() {
        assert_eq!(
            parse("resource status mariadb pvc", &rows()),
            Ok(Request::Show {
                row: 0,
                kind: Some(Kind::Pvc)
            })
        );
        assert_eq!(
            parse("resource status horizon", &rows()),
            Ok(Request::Show { row: 1, kind: None })
        );
    }
}
