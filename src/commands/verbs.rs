//! The guide's verbs on a live cluster: `bootstrap`, `run`, `kill` and
//! `resource create|delete|status`.

use crate::catalog::Verb;
use crate::cli::{GlobalArgs, Output, ResourceArgs, ResourceCreateArgs, ResourceStatusArgs};
use crate::cluster::apply::Found;
use crate::cluster::list::{Listed, list_all};
use crate::engine::{Engine, ForeignObjects, Outcome};
use crate::executor;
use crate::kind::Kind;
use crate::labels;
use crate::model::store::{Store, Sync};
use crate::model::{Consent, Msg};
use crate::status::{CellStatus, forbidden_note};
use crate::summary::{ObjKind, ObjectSummary};
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
    consent: Consent,
) -> anyhow::Result<()> {
    // Check every name before touching anything.
    let (engine, ()) = Engine::connect_checked(global, |catalog| {
        services
            .iter()
            .try_for_each(|s| catalog.service(s).map(|_| ()))
    })
    .await?;
    for s in services {
        print_outcomes(&engine.verb(verb, s, delete_data, consent).await?);
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

pub async fn create(global: &GlobalArgs, args: &ResourceCreateArgs) -> anyhow::Result<()> {
    let (engine, (service, kind)) = connect_for(global, &args.target).await?;
    print_outcomes(
        &engine
            .create(&service, kind, args.consent.consent())
            .await?,
    );
    Ok(())
}

pub async fn delete(
    global: &GlobalArgs,
    args: &ResourceArgs,
    delete_data: bool,
) -> anyhow::Result<()> {
    let (engine, (service, kind)) = connect_for(global, args).await?;
    let refuse = ForeignObjects::Refuse;
    print_outcomes(&engine.delete(&service, kind, delete_data, refuse).await?);
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
    /// Every distinct problem, when there are several (the reason counts them).
    problems: Vec<String>,
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
    let specs = executor::service_specs(&engine)?;
    let mut store = Store::new(&executor::rows(&specs), &ObjKind::WATCHED);
    store.set_desired(executor::desired(&engine)?);
    let only_service = format!("{}={service}", labels::SERVICE);
    let client = &engine.cluster.client;
    for (kind, listed) in list_all(client, engine.namespace(), Some(&only_service)).await? {
        match listed {
            Listed::Objects(objs) => store.resync(kind, objs),
            Listed::Forbidden => store.set_sync(kind, Sync::Forbidden),
        }
    }
    let row = store
        .row_of_service(&service)
        .ok_or_else(|| anyhow::anyhow!("{service} is not in the catalog"))?;
    if kinds
        .iter()
        .all(|&k| *store.status(row, k) == CellStatus::Forbidden)
    {
        anyhow::bail!("forbidden: your credentials may not list any of {service}'s objects (RBAC)");
    }
    // Same-named objects that are not kolla-dash's: the label selector above cannot see
    // them, so each rendered name is looked up (where RBAC lets the cell be read at all).
    for &kind in &kinds {
        if *store.status(row, kind) == CellStatus::Forbidden {
            continue;
        }
        for m in engine.render(&service, kind)? {
            if let Found::Foreign(foreign) = engine.applier.inspect(&m).await? {
                store.observe(Msg::ForeignSeen(foreign));
            }
        }
    }
    // Go on with what can be seen; the cells that needed the rest say forbidden.
    for kind in store.unchecked() {
        eprintln!("kolla-dash: {}", forbidden_note(kind));
    }
    let rows: Vec<StatusRow> = kinds
        .iter()
        .map(|&kind| {
            let status = store.status(row, kind);
            StatusRow {
                service: &service,
                kind,
                status: match status_words(status).1 {
                    "" => "unused",
                    word => word,
                },
                ready: status.is_ok(),
                reason: store.why_not_ready(row, kind).or_else(|| detail(status)),
                problems: match store.problems(row, kind).as_slice() {
                    [] | [_] => Vec::new(),
                    many => many.iter().map(|p| p.sentence()).collect(),
                },
                objects: store.cell_objects(row, kind),
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
        CellStatus::Blank => Some("renders no objects with this configuration".to_string()),
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
        for problem in &r.problems {
            out.push_str(&format!("{:<12} {:<10} {:<12}   · {problem}\n", "", "", ""));
        }
    }
    out
}
