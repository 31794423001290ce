//! Switching what the dashboard looks at without restarting, as in k9s: `:ctx [NAME]` and
//! `:ns [NAME]`. Without a name a picker lists what the kubeconfig offers (contexts) or what
//! the cluster lets the user list (namespaces, kolla-dash's first). Switching away from a
//! running deploy or from actions under way asks first. The event loop builds the new
//! target's engine, watchers and model (`Effect::Switch`).

use std::fmt;

use crate::model::keymap::Command;
use crate::model::log::NoteLevel;
use crate::model::msg::Effect;
use crate::model::state::{Confirm, Mode, Model, StatusLine, Subject};

/// What a picker chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A kubeconfig context.
    Context,
    Namespace,
}

impl Pick {
    /// The `:` verb for it.
    pub fn verb(self) -> &'static str {
        match self {
            Pick::Context => "ctx",
            Pick::Namespace => "ns",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Pick::Context => "context",
            Pick::Namespace => "namespace",
        }
    }
}

/// A context or namespace to switch to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub pick: Pick,
    pub name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.pick.noun(), self.name)
    }
}

/// One name a picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    /// A namespace kolla-dash created (it carries kolla-dash's managed-by label).
    pub kolla: bool,
}

/// The picker: what it chooses, what it offers (None while listing), where the cursor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub pick: Pick,
    /// The names in the order shown, or why they could not be listed.
    pub choices: Option<Result<Vec<Choice>, String>>,
    pub cursor: usize,
}

impl Picker {
    /// The choice under the cursor.
    pub fn selected(&self) -> Option<&Choice> {
        match &self.choices {
            Some(Ok(choices)) => choices.get(self.cursor),
            _ => None,
        }
    }
}

/// The current name of what `pick` chooses.
pub fn current(model: &Model, pick: Pick) -> &str {
    match pick {
        Pick::Context => &model.header.context,
        Pick::Namespace => &model.header.namespace,
    }
}

/// `:ctx` or `:ns` without a name: the picker opens and its names are listed.
pub fn open(model: &mut Model, pick: Pick) -> Vec<Effect> {
    model.mode = Mode::Picker(Picker {
        pick,
        choices: None,
        cursor: 0,
    });
    vec![Effect::ListChoices(pick)]
}

/// The names arrived: kolla-dash's namespaces first, then by name; the cursor on the
/// current one. Ignored unless that picker is still open.
pub fn listed(model: &mut Model, pick: Pick, result: Result<Vec<Choice>, String>) {
    let here = current(model, pick).to_string();
    let Mode::Picker(picker) = &mut model.mode else {
        return;
    };
    if picker.pick != pick {
        return;
    }
    let result = result.map(|mut choices| {
        choices.sort_by(|a, b| b.kolla.cmp(&a.kolla).then_with(|| a.name.cmp(&b.name)));
        choices
    });
    picker.cursor = match &result {
        Ok(choices) => choices.iter().position(|c| c.name == here).unwrap_or(0),
        Err(_) => 0,
    };
    picker.choices = Some(result);
}

/// A key in the picker: move, pick, close.
pub fn key(model: &mut Model, mut picker: Picker, command: Option<Command>) -> Vec<Effect> {
    let count = match &picker.choices {
        Some(Ok(choices)) => choices.len(),
        _ => 0,
    };
    match command {
        Some(Command::Back) => return Vec::new(),
        Some(Command::MoveUp) => picker.cursor = picker.cursor.saturating_sub(1),
        Some(Command::MoveDown) => {
            picker.cursor = (picker.cursor + 1).min(count.saturating_sub(1));
        }
        Some(Command::Accept) => {
            if let Some(choice) = picker.selected() {
                let target = Target {
                    pick: picker.pick,
                    name: choice.name.clone(),
                };
                return switch(model, target);
            }
        }
        _ => {}
    }
    model.mode = Mode::Picker(picker);
    Vec::new()
}

/// Switches to `target`, asking first when a deploy or actions would be left behind.
pub fn switch(model: &mut Model, target: Target) -> Vec<Effect> {
    if current(model, target.pick) == target.name {
        let text = format!("already on {target}");
        set_status(model, NoteLevel::Info, text);
        return Vec::new();
    }
    match left_behind(model) {
        Some(warning) => {
            model.mode = Mode::Confirm(Confirm {
                subject: Subject::Switch(target),
                typed: None,
                warning: Some(warning),
                plan: Vec::new(),
            });
            Vec::new()
        }
        None => go(model, target),
    }
}

/// The switch itself, once nothing is left behind or the operator said yes.
pub fn go(model: &mut Model, target: Target) -> Vec<Effect> {
    set_status(
        model,
        NoteLevel::Progress,
        format!("switching to {target}…"),
    );
    vec![Effect::Switch(target)]
}

/// What switching would leave behind: the running deploy (stopped) and actions under way
/// (they finish unseen).
fn left_behind(model: &Model) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(w) = model.workflow.as_ref().filter(|w| w.running) {
        parts.push(format!(
            "Switching stops '{}': steps under way stop, what exists stays (run it again \
             there to resume).",
            w.what
        ));
    }
    let under_way = model.in_flight.len();
    if under_way > 0 {
        let plural = if under_way == 1 { "" } else { "s" };
        parts.push(format!(
            "{under_way} action{plural} under way will finish without being shown here."
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The new target's model is in place: say where it was before.
pub fn arrived(model: &mut Model, from: &str) {
    let text = format!(
        "now on {}/{} (was {from})",
        model.header.context, model.header.namespace
    );
    model.log.note(model.now, NoteLevel::Success, text.clone());
    set_status(model, NoteLevel::Success, text);
}

/// The new target could not be reached or is not valid: the dashboard stays where it is.
pub fn failed(model: &mut Model, target: &Target, error: &str) {
    let text = format!(
        "cannot switch to {target}: {error}; still on {}/{}",
        model.header.context, model.header.namespace
    );
    model.log.note(model.now, NoteLevel::Error, text.clone());
    set_status(model, NoteLevel::Error, text);
}

fn set_status(model: &mut Model, level: NoteLevel, text: String) {
    model.status_line = Some(StatusLine { level, text });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{keys, mid_workflow, synced, typed};
    use crate::model::{Key, Msg, update};

    fn command(m: &mut Model, line: &str) -> Vec<Effect> {
        let mut effects = keys(m, &[Key::Char(':')]);
        effects.extend(typed(m, line));
        effects.extend(keys(m, &[Key::Enter]));
        effects
    }

    fn status(m: &Model) -> String {
        m.status_line().map(|s| s.text.clone()).unwrap_or_default()
    }

    fn ns(name: &str) -> Target {
        Target {
            pick: Pick::Namespace,
            name: name.into(),
        }
    }

    fn choice(name: &str, kolla: bool) -> Choice {
        Choice {
            name: name.into(),
            kolla,
        }
    }

    #[test]
    fn a_name_switches_at_once_and_the_current_one_is_said_to_be_current() {
        let mut m = synced(false);
        assert_eq!(
            command(&mut m, "ns other"),
            vec![Effect::Switch(ns("other"))]
        );
        assert_eq!(status(&m), "switching to namespace other…");
        assert!(matches!(m.mode(), Mode::Normal));
        assert!(command(&mut m, "ns kolla").is_empty());
        assert_eq!(status(&m), "already on namespace kolla");
        let effects = command(&mut m, "ctx prod");
        assert_eq!(
            effects,
            vec![Effect::Switch(Target {
                pick: Pick::Context,
                name: "prod".into()
            })]
        );
    }

    #[test]
    fn the_picker_lists_kolla_namespaces_first_and_enter_switches() {
        let mut m = synced(true);
        assert_eq!(
            command(&mut m, "ns"),
            vec![Effect::ListChoices(Pick::Namespace)]
        );
        assert!(matches!(m.mode(), Mode::Picker(p) if p.choices.is_none()));
        let listed = vec![
            choice("default", false),
            choice("zeta", true),
            choice("kolla", true),
            choice("kube-system", false),
        ];
        update(
            &mut m,
            Msg::Choices {
                pick: Pick::Namespace,
                result: Ok(listed),
            },
        );
        let Mode::Picker(picker) = m.mode() else {
            panic!("the picker is open")
        };
        let Some(Ok(shown)) = &picker.choices else {
            panic!("listed")
        };
        let names: Vec<&str> = shown.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["kolla", "zeta", "default", "kube-system"]);
        assert_eq!(picker.selected().map(|c| c.name.as_str()), Some("kolla"));
        // Read-only sessions switch too: switching changes nothing on the cluster.
        let effects = keys(&mut m, &[Key::Down, Key::Down, Key::Up, Key::Enter]);
        assert_eq!(effects, vec![Effect::Switch(ns("zeta"))]);
        assert!(matches!(m.mode(), Mode::Normal));
    }

    #[test]
    fn the_picker_closes_on_esc_and_shows_why_nothing_was_listed() {
        let mut m = synced(false);
        command(&mut m, "ctx");
        // A late answer for the other picker changes nothing.
        update(
            &mut m,
            Msg::Choices {
                pick: Pick::Namespace,
                result: Ok(vec![choice("x", false)]),
            },
        );
        assert!(matches!(m.mode(), Mode::Picker(p) if p.choices.is_none()));
        let why = "no kubeconfig".to_string();
        update(
            &mut m,
            Msg::Choices {
                pick: Pick::Context,
                result: Err(why.clone()),
            },
        );
        assert!(matches!(m.mode(), Mode::Picker(p) if p.choices == Some(Err(why))));
        assert!(keys(&mut m, &[Key::Enter]).is_empty(), "nothing to pick");
        assert!(keys(&mut m, &[Key::Esc]).is_empty());
        assert!(matches!(m.mode(), Mode::Normal));
    }

    #[test]
    fn a_running_deploy_is_not_left_behind_without_a_yes() {
        let mut m = mid_workflow();
        assert!(m.workflow_running());
        assert!(command(&mut m, "ns other").is_empty());
        let Mode::Confirm(confirm) = m.mode() else {
            panic!("asks first")
        };
        assert_eq!(confirm.subject, Subject::Switch(ns("other")));
        let warning = confirm.warning.clone().unwrap_or_default();
        assert!(warning.starts_with("Switching stops 'deploy'"), "{warning}");
        assert!(keys(&mut m, &[Key::Char('n')]).is_empty());
        assert!(m.workflow_running());
        command(&mut m, "ns other");
        assert_eq!(
            keys(&mut m, &[Key::Char('y')]),
            vec![Effect::Switch(ns("other"))]
        );
    }

    #[test]
    fn arriving_and_failing_are_said_in_the_log_and_the_status_line() {
        let mut m = synced(false);
        update(
            &mut m,
            Msg::Switched {
                from: "kolla-demo/old".into(),
            },
        );
        assert_eq!(status(&m), "now on kolla-demo/kolla (was kolla-demo/old)");
        update(
            &mut m,
            Msg::SwitchFailed {
                target: ns("Bad"),
                error: "--namespace 'Bad' is not a DNS label".into(),
            },
        );
        assert_eq!(
            status(&m),
            "cannot switch to namespace Bad: --namespace 'Bad' is not a DNS label; still on \
             kolla-demo/kolla"
        );
    }
}
