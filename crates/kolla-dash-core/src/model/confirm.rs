//! When the dashboard asks before acting, and what it asks: typing a name before data is
//! lost or a bootstrap runs over recorded data, yes/no before taking over objects that are
//! not kolla-dash's or removing anything. The action that runs on yes carries the consent
//! the answer gave (`--adopt`, `--force-bootstrap`, `--delete-data`).

use crate::kind::Kind;
use crate::model::input::TextInput;
use crate::model::msg::{Action, Consent};
use crate::model::state::{Confirm, Model, Subject, Typed};
use crate::ownership::Foreign;
use crate::record;

/// What the data-loss dialog warns.
pub const DATA_LOSS: &str = "This deletes data (disk, pv, pvc): it cannot be undone.";
/// What a forced drain warns when the refusal's list is not at hand.
const DRAIN_LOSS: &str = "Draining anyway evicts pods that will not come back as they were.";

/// The question to ask before `action`, if any, with the action as it runs on yes.
pub fn confirmation(model: &Model, action: Action) -> Option<Confirm> {
    match action {
        Action::Create { .. }
        | Action::Bootstrap { .. }
        | Action::Run { .. }
        | Action::Deploy { .. } => creating(model, action),
        other => {
            let typed = other
                .destroys_data()
                .then(|| typed(name_to_type(model, &other)));
            let warning = typed.as_ref().map(|_| match &other {
                Action::Node { .. } => DRAIN_LOSS.to_string(),
                _ => DATA_LOSS.to_string(),
            });
            Some(Confirm {
                subject: Subject::Act(other),
                typed,
                warning,
                plan: Vec::new(),
            })
        }
    }
}

/// Creating: a bootstrap over recorded data asks for the service's name, taking over
/// foreign objects asks yes or no; a plain deploy asks yes or no, and so does anything
/// while the API server is silent (it would only queue up); the rest just runs.
fn creating(model: &Model, mut action: Action) -> Option<Confirm> {
    let mut warnings = Vec::new();
    let mut typed_name = None;
    let recorded = over_recorded_data(model, &action);
    let asked = consent_of(&action);
    if asked.force_bootstrap || !recorded.is_empty() {
        set_consent(&mut action, |c| c.force_bootstrap = true);
        let services: Vec<&str> = recorded.iter().map(|(s, _)| s.as_str()).collect();
        warnings.extend(recorded.iter().map(|(_, w)| w.clone()));
        if warnings.is_empty() {
            warnings.push(
                "Bootstrapping runs KOLLA_BOOTSTRAP over whatever data the service has."
                    .to_string(),
            );
        }
        typed_name = Some(match services.as_slice() {
            [] => services_of(&action).join(" "),
            named => named.join(" "),
        });
    }
    let foreign: Vec<String> = blocking(model, &action)
        .into_iter()
        .map(|f| format!("{}.", f.whose()))
        .collect();
    if asked.adopt || !foreign.is_empty() {
        set_consent(&mut action, |c| c.adopt = true);
        warnings.extend(foreign);
        warnings.push(
            "Yes takes over what is not kolla-dash's: it relabels it and overwrites the fields \
             it renders."
                .to_string(),
        );
    }
    let plain_deploy = matches!(action, Action::Deploy { .. });
    if warnings.is_empty() && !plain_deploy && model.silent_for().is_none() {
        return None;
    }
    let plan = match &action {
        Action::Deploy { services, .. } => preview(model, services),
        _ => Vec::new(),
    };
    Some(Confirm {
        subject: Subject::Act(action),
        typed: typed_name.map(typed),
        warning: (!warnings.is_empty()).then(|| warnings.join(" ")),
        plan,
    })
}

/// Lines of a deploy's plan a dialog shows before the rest is cut.
const PREVIEW_LINES: usize = 8;

/// What a deploy will do, in its order (`Plan::changes`), as the executor will plan it
/// from the same store.
fn preview(model: &Model, services: &[String]) -> Vec<String> {
    let mut lines = match model.deploy_plan(services) {
        Ok(plan) => plan.changes(),
        Err(e) => return vec![format!("cannot plan: {e}")],
    };
    if lines.is_empty() {
        return vec!["Nothing to change: every cell is as the config renders it.".to_string()];
    }
    if lines.len() > PREVIEW_LINES {
        let more = lines.len() - PREVIEW_LINES + 1;
        lines.truncate(PREVIEW_LINES - 1);
        lines.push(format!(
            "… and {more} more (kolla-dash deploy --dry-run lists every step)"
        ));
    }
    lines
}

fn typed(expected: String) -> Typed {
    Typed {
        expected,
        input: TextInput::default(),
    }
}

/// What the operator types to destroy data: the namespace for a teardown, else the
/// service(s) losing it.
fn name_to_type(model: &Model, action: &Action) -> String {
    match action {
        Action::Teardown { .. } => model.header.namespace.clone(),
        Action::Delete { service, .. } => service.clone(),
        Action::Kill { services, .. } => services.join(" "),
        Action::Node { node, .. } => node.clone(),
        other => other.to_string(),
    }
}

/// The consent a creating action carries (none for the others).
fn consent_of(action: &Action) -> Consent {
    match action {
        Action::Create { consent, .. }
        | Action::Bootstrap { consent, .. }
        | Action::Run { consent, .. }
        | Action::Deploy { consent, .. } => *consent,
        _ => Consent::default(),
    }
}

fn set_consent(action: &mut Action, give: impl FnOnce(&mut Consent)) {
    if let Action::Create { consent, .. }
    | Action::Bootstrap { consent, .. }
    | Action::Run { consent, .. }
    | Action::Deploy { consent, .. } = action
    {
        give(consent);
    }
}

/// The services a creating action names (empty for "every service").
fn services_of(action: &Action) -> Vec<String> {
    match action {
        Action::Create { service, .. } => vec![service.clone()],
        Action::Bootstrap { services, .. }
        | Action::Run { services, .. }
        | Action::Deploy { services, .. } => services.clone(),
        _ => Vec::new(),
    }
}

/// For a bootstrap (a row's, or its bootstrap cell's), the services whose data records an
/// earlier one, with the warning for each. A deploy skips recorded bootstraps itself.
fn over_recorded_data(model: &Model, action: &Action) -> Vec<(String, String)> {
    let bootstraps = match action {
        Action::Bootstrap { .. } => true,
        Action::Create { kind, .. } => *kind == Kind::Bootstrap,
        _ => false,
    };
    if !bootstraps {
        return Vec::new();
    }
    services_of(action)
        .into_iter()
        .filter_map(|service| {
            let row = model.store.row_of_service(&service)?;
            let (rec, on) = model.store.bootstrap_record(row)?;
            let warning = record::warning(&service, &rec, &on);
            Some((service, warning))
        })
        .collect()
}

/// Foreign objects in the cells the action creates: one cell for a create, the named
/// services' rows for the verbs, every row for a deploy of everything.
fn blocking<'m>(model: &'m Model, action: &Action) -> Vec<&'m Foreign> {
    let services = services_of(action);
    model
        .store
        .foreign()
        .filter(|f| {
            let Some(cell) = &f.cell else { return false };
            match action {
                Action::Create { service, kind, .. } => {
                    cell.service == *service && cell.kind == *kind
                }
                Action::Deploy { .. } if services.is_empty() => true,
                _ => services.contains(&cell.service),
            }
        })
        .collect()
}
