//! The `:` command line: the CLI's own grammar (parsed by clap, which does no I/O), turned
//! into what the dashboard can do with it.

use std::path::PathBuf;

use clap::Parser;

use crate::cli::{
    Cli, Command, DeployArgs, KillArgs, Output, ResourceArgs, ResourceCommand, ServicesArgs,
    TeardownArgs,
};
use crate::kind::Kind;
use crate::model::grid::Row;
use crate::model::msg::Action;

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
}

/// Parses one command line against the grid's services; the error is one line for the
/// status line.
pub fn parse(line: &str, rows: &[Row]) -> Result<Request, String> {
    let mut first = line.split_whitespace();
    if first.next() == Some("export") {
        return export(first);
    }
    let words = std::iter::once("kolla-dash").chain(line.split_whitespace());
    let cli = Cli::try_parse_from(words).map_err(|e| first_line(&e.to_string()))?;
    let command = cli
        .command
        .ok_or_else(|| "type a command, e.g. run keystone".to_string())?;
    let request = match command {
        Command::Bootstrap(ServicesArgs { services }) => Request::Act(Action::Bootstrap {
            services: known(services, rows)?,
        }),
        Command::Run(ServicesArgs { services }) => Request::Act(Action::Run {
            services: known(services, rows)?,
        }),
        Command::Kill(KillArgs {
            services,
            delete_data,
        }) => Request::Act(Action::Kill {
            services: known(services, rows)?,
            delete_data,
        }),
        Command::Deploy(DeployArgs {
            services,
            dry_run,
            output,
            ..
        }) => {
            shell_only(dry_run, output)?;
            Request::Act(Action::Deploy {
                services: known(services, rows)?,
            })
        }
        Command::Teardown(TeardownArgs {
            services,
            delete_data,
            dry_run,
            output,
            ..
        }) => {
            shell_only(dry_run, output)?;
            Request::Act(Action::Teardown {
                services: known(services, rows)?,
                delete_data,
            })
        }
        Command::Resource(ResourceCommand::Create(args)) => {
            let (row, kind) = cell(&args.first, &args.second, rows)?;
            Request::Act(Action::Create {
                service: rows[row].service.clone(),
                kind,
            })
        }
        Command::Resource(ResourceCommand::Delete(args)) => {
            let ResourceArgs { first, second } = &args.target;
            let (row, kind) = cell(first, second, rows)?;
            if kind.holds_data() && !args.delete_data {
                return Err(format!("{kind} holds data: add --delete-data to delete it"));
            }
            let service = rows[row].service.clone();
            Request::Act(Action::Delete {
                service,
                kind,
                delete_data: args.delete_data,
            })
        }
        Command::Resource(ResourceCommand::Status(args)) => {
            let row = row_of(&args.first, rows)?;
            let kind = args
                .second
                .as_deref()
                .map(str::parse::<Kind>)
                .transpose()
                .map_err(|e| e.to_string())?;
            Request::Show { row, kind }
        }
        _ => {
            return Err(format!(
                "'{}' is not available in the dashboard",
                line.trim()
            ));
        }
    };
    Ok(request)
}

/// `--dry-run` and `-o json` print to a terminal the dashboard owns.
fn shell_only(dry_run: bool, output: Output) -> Result<(), String> {
    if dry_run || output == Output::Json {
        return Err(
            "--dry-run and -o json print to a shell: run them outside the dashboard".into(),
        );
    }
    Ok(())
}

/// `export incidents FILE`; `words` follow the word `export`.
fn export<'a>(mut words: impl Iterator<Item = &'a str>) -> Result<Request, String> {
    match (words.next(), words.next(), words.next()) {
        (Some("incidents"), Some(file), None) => Ok(Request::ExportIncidents(PathBuf::from(file))),
        _ => Err("usage: export incidents FILE".to_string()),
    }
}

/// clap's errors span several lines (usage, tips); the first says what is wrong.
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid command");
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

fn row_of(service: &str, rows: &[Row]) -> Result<usize, String> {
    rows.iter()
        .position(|r| r.service == service)
        .ok_or_else(|| format!("unknown service '{service}'"))
}

fn known(services: Vec<String>, rows: &[Row]) -> Result<Vec<String>, String> {
    for s in &services {
        row_of(s, rows)?;
    }
    Ok(services)
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
                services: vec!["mariadb".into(), "horizon".into()]
            })
        );
        assert_eq!(
            act("bootstrap mariadb"),
            Ok(Action::Bootstrap {
                services: vec!["mariadb".into()]
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
        });
        assert_eq!(act("resource create mariadb pvc"), want);
        assert_eq!(act("resource create pvc mariadb"), want);
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
        assert_eq!(act("deploy"), Ok(Action::Deploy { services: vec![] }));
        assert_eq!(
            act("deploy horizon"),
            Ok(Action::Deploy {
                services: vec!["horizon".into()]
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
