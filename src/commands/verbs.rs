//! The guide's verbs on a live cluster: `bootstrap`, `run`, `kill` and
//! `resource create|delete|status`.

use std::collections::BTreeMap;

use crate::catalog::Verb;
use crate::cli::{GlobalArgs, Output, ResourceArgs, ResourceStatusArgs};
use crate::cluster::list::list_matching;
use crate::engine::{Engine, Outcome};
use crate::kind::Kind;
use crate::labels;
use crate::status::{CellStatus, cell_status, why_not_ready};
use crate::summary::ObjectSummary;
use crate::ui::theme::status_words;

fn print_outcomes(outcomes: &[Outcome]) {
    for o in outcomes {
        println!("{o}");
    }
}

/// `bootstrap|run|kill SERVICE...`: services in the order given; stops at the first error.
pub async fn service_verb(
    global: &GlobalArgs,
    verb: Verb,
    services: &[String],
    delete_data: bool,
) -> anyhow::Result<()> {
    // Check every name before touching anything.
    let (engine, ()) = Engine::connect_checked(global, |catalog| {
        services
            .iter()
            .try_for_each(|s| catalog.service(s).map(|_| ()))
    })
    .await?;
    for s in services {
        print_outcomes(&engine.verb(verb, s, delete_data).await?);
    }
    Ok(())
}

/// Resolves `<service> <kind>` (either order), then connects.
async fn connect_for(
    global: &GlobalArgs,
    args: &ResourceArgs,
) -> anyhow::Result<(Engine, (String, Kind))> {
    Engine::connect_checked(global, |catalog| {
        catalog
            .resolve(&args.first, &args.second)
            .map(|(s, k)| (s.name.clone(), k))
    })
    .await
}

pub async fn create(global: &GlobalArgs, args: &ResourceArgs) -> anyhow::Result<()> {
    let (engine, (service, kind)) = connect_for(global, args).await?;
    print_outcomes(&engine.create(&service, kind).await?);
    Ok(())
}

pub async fn delete(
    global: &GlobalArgs,
    args: &ResourceArgs,
    delete_data: bool,
) -> anyhow::Result<()> {
    let (engine, (service, kind)) = connect_for(global, args).await?;
    print_outcomes(&engine.delete(&service, kind, delete_data).await?);
    Ok(())
}

/// One row of `resource status`.
#[derive(Debug, serde::Serialize)]
struct StatusRow<'a> {
    service: &'a str,
    kind: Kind,
    status: &'static str,
    ready: bool,
    /// Why it is not ready, when it is not.
    reason: Option<String>,
    objects: Vec<&'a ObjectSummary>,
}

pub async fn status(global: &GlobalArgs, args: &ResourceStatusArgs) -> anyhow::Result<()> {
    let (engine, (service, kinds)) = Engine::connect_checked(global, |catalog| {
        Ok(match &args.second {
            Some(second) => {
                let (s, k) = catalog.resolve(&args.first, second)?;
                (s.name.clone(), vec![k])
            }
            None => {
                let s = catalog.service(&args.first)?;
                (s.name.clone(), s.kinds().collect())
            }
        })
    })
    .await?;
    let selector = format!("{},{}={}", labels::SELECTOR, labels::SERVICE, service);
    let objects = list_matching(&engine.connection.client, engine.namespace(), &selector).await?;
    let mut by_kind: BTreeMap<Kind, Vec<&ObjectSummary>> = BTreeMap::new();
    for o in &objects {
        if let Some(owner) = &o.owner {
            by_kind.entry(owner.kind).or_default().push(o);
        }
    }
    let rows: Vec<StatusRow> = kinds
        .iter()
        .map(|&kind| {
            let objs = by_kind.get(&kind).map(Vec::as_slice).unwrap_or(&[]);
            let status = cell_status(kind, objs);
            StatusRow {
                service: &service,
                kind,
                status: status_words(&status).1,
                ready: status.is_ok(),
                reason: why_not_ready(kind, objs).or_else(|| detail(&status)),
                objects: objs.to_vec(),
            }
        })
        .collect();
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Output::Table => print!("{}", table(&rows)),
    }
    Ok(())
}

/// The count or short reason a status carries, for the table.
fn detail(status: &CellStatus) -> Option<String> {
    match status {
        CellStatus::Ready {
            count: Some((r, d)),
        } => Some(format!("{r}/{d} ready")),
        _ => None,
    }
}

fn table(rows: &[StatusRow]) -> String {
    let mut out = format!(
        "{:<12} {:<10} {:<12} {}\n",
        "SERVICE", "KIND", "STATUS", "OBJECTS"
    );
    for r in rows {
        let objects = if r.objects.is_empty() {
            "-".to_string()
        } else {
            r.objects
                .iter()
                .map(|o| format!("{}/{}", o.obj.kind, o.obj.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "{:<12} {:<10} {:<12} {objects}\n",
            r.service,
            r.kind.as_str(),
            r.status
        ));
        if let Some(reason) = &r.reason {
            out.push_str(&format!("{:<12} {:<10} {:<12} └ {reason}\n", "", "", ""));
        }
    }
    out
}
