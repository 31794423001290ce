//! Keys as data: one table says, per mode, which key runs which command, how help writes
//! it, what it does, and whether it changes the cluster. The reducer dispatches on it, the
//! help overlay and the footer are drawn from it, and `--readonly` refuses its mutating
//! rows; nothing else names a key.

use crate::model::msg::Key;

/// What has the keyboard, as far as keys are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Every mode (Ctrl-C).
    Any,
    Normal,
    Nodes,
    Incidents,
    /// The help overlay.
    Help,
    /// The detail view of a cell.
    Detail,
    /// A y/n confirmation.
    Confirm,
    /// A confirmation by typing a name (other keys edit the name).
    TypedConfirm,
    /// The `/` filter line (other keys edit it).
    Filter,
    /// The `:` command line (other keys edit it).
    Command,
    /// The context or namespace picker (`:ctx`, `:ns`).
    Picker,
}

/// A condition on the screen that changes what a key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// The log pane has the focus (arrows scroll it).
    LogFocus,
    /// The pod column is selected (`l` has no column to move to: it follows logs).
    PodColumn,
}

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    QuitNow,
    Help,
    MoveUp,
    MoveDown,
    MoveLeft,
    MoveRight,
    ScrollLogUp,
    ScrollLogDown,
    PageUp,
    PageDown,
    SwitchPane,
    Detail,
    /// What deploy would change in the selected cell.
    Diff,
    FollowLogs,
    /// Close a view, stop following logs, clear the filter: one step back.
    Back,
    ToggleAllEvents,
    Filter,
    CommandLine,
    Nodes,
    Incidents,
    Deploy,
    CancelWorkflow,
    Create,
    Delete,
    Bootstrap,
    Run,
    Kill,
    Cordon,
    Uncordon,
    Drain,
    FailNode,
    RestoreNode,
    FailEveryNode,
    RestoreEveryNode,
    Yes,
    No,
    /// Enter in an input line or a typed confirmation.
    Accept,
}

/// One row of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub mode: KeyMode,
    pub when: When,
    pub keys: &'static [Key],
    pub command: Command,
    /// How help writes the keys; rows with the same label and description share a line.
    pub label: &'static str,
    pub description: &'static str,
    /// The footer's word for it, with the key spelled as the footer shows it.
    pub hint: Option<(&'static str, &'static str)>,
    pub mutates: bool,
    /// Only on kolla-dash's local demo cluster.
    pub local_only: bool,
}

const fn row(
    mode: KeyMode,
    keys: &'static [Key],
    command: Command,
    label: &'static str,
    description: &'static str,
) -> Binding {
    Binding {
        mode,
        when: When::Always,
        keys,
        command,
        label,
        description,
        hint: None,
        mutates: false,
        local_only: false,
    }
}

impl Binding {
    const fn when(mut self, when: When) -> Self {
        self.when = when;
        self
    }

    const fn hint(mut self, key: &'static str, word: &'static str) -> Self {
        self.hint = Some((key, word));
        self
    }

    const fn mutating(mut self) -> Self {
        self.mutates = true;
        self
    }

    const fn local(mut self) -> Self {
        self.local_only = true;
        self
    }
}

use Command as C;
use Key as K;
use KeyMode as M;

const MOVE: &str = "↑↓←→ hjkl";
const MOVE_WHAT: &str = "move the selection (or click a cell)";
const SCROLL: &str = "PgUp PgDn";
const SCROLL_WHAT: &str = "scroll the log pane (↑↓ too when it has focus)";
const BACK_WHAT: &str = "close a view or dialog; logs back to events; clear filter";
const DETAIL: &str = "Enter / =";
const DETAIL_WHAT: &str = "detail / diff of the selected cell (what deploy would change)";
const VIEWS: &str = "N / I";
const VIEWS_WHAT: &str = "nodes view / incidents with time-to-heal";
const HELP_QUIT: &str = "? / q";
const HELP_QUIT_WHAT: &str = "this help / quit (closes views first)";
const ANSWER: &str = "y / n";
const ANSWER_WHAT: &str = "answer a confirmation";
const IN_NODES: &str = "in nodes";
const IN_INCIDENTS: &str = "in incidents";
const COMMAND_LINE: &str = "CLI verbs (run keystone), :ctx/:ns [NAME], export incidents FILE";
const PICKER: &str = ":ctx / :ns";
const PICKER_WHAT: &str = "switch context / namespace (no NAME: pick from a list)";

/// The keymap, in the order help lists it.
pub const KEYMAP: &[Binding] = &[
    row(
        M::Normal,
        &[K::Up, K::Char('k')],
        C::MoveUp,
        MOVE,
        MOVE_WHAT,
    )
    .hint("↑↓←→", "move"),
    row(
        M::Normal,
        &[K::Down, K::Char('j')],
        C::MoveDown,
        MOVE,
        MOVE_WHAT,
    ),
    row(
        M::Normal,
        &[K::Left, K::Char('h')],
        C::MoveLeft,
        MOVE,
        MOVE_WHAT,
    ),
    row(
        M::Normal,
        &[K::Right, K::Char('l')],
        C::MoveRight,
        MOVE,
        MOVE_WHAT,
    ),
    row(
        M::Normal,
        &[K::Tab, K::BackTab],
        C::SwitchPane,
        "Tab",
        "switch between the grid and the log pane",
    )
    .hint("Tab", "pane"),
    row(
        M::Normal,
        &[K::Up, K::Char('k')],
        C::ScrollLogUp,
        SCROLL,
        SCROLL_WHAT,
    )
    .when(When::LogFocus),
    row(
        M::Normal,
        &[K::Down, K::Char('j')],
        C::ScrollLogDown,
        SCROLL,
        SCROLL_WHAT,
    )
    .when(When::LogFocus),
    row(M::Normal, &[K::PageUp], C::PageUp, SCROLL, SCROLL_WHAT),
    row(M::Normal, &[K::PageDown], C::PageDown, SCROLL, SCROLL_WHAT),
    row(M::Normal, &[K::Enter], C::Detail, DETAIL, DETAIL_WHAT).hint("Enter", "detail"),
    row(M::Normal, &[K::Char('=')], C::Diff, DETAIL, DETAIL_WHAT).hint("=", "diff"),
    row(
        M::Normal,
        &[K::Char('l')],
        C::FollowLogs,
        "l",
        "follow the selected service's pod logs (pod column)",
    )
    .when(When::PodColumn)
    .hint("l", "logs"),
    row(M::Normal, &[K::Esc], C::Back, "Esc", BACK_WHAT),
    row(
        M::Normal,
        &[K::Char('a')],
        C::ToggleAllEvents,
        "a",
        "events of the selected service / of all services",
    ),
    row(
        M::Normal,
        &[K::Char('/')],
        C::Filter,
        "/",
        "filter rows by service name",
    )
    .hint("/", "filter"),
    row(
        M::Normal,
        &[K::Char(':')],
        C::CommandLine,
        ":",
        COMMAND_LINE,
    )
    .hint(":", "cmd"),
    row(M::Normal, &[K::Char('N')], C::Nodes, VIEWS, VIEWS_WHAT).hint("N", "nodes"),
    row(M::Normal, &[K::Char('I')], C::Incidents, VIEWS, VIEWS_WHAT).hint("I", "incidents"),
    row(
        M::Normal,
        &[K::Char('D')],
        C::Deploy,
        "D",
        "deploy all in order; :deploy S…, :teardown S… [--delete-data]",
    )
    .hint("D", "deploy")
    .mutating(),
    row(
        M::Normal,
        &[K::Char('X')],
        C::CancelWorkflow,
        "X",
        "cancel the running deploy/teardown (asks first)",
    )
    .hint("X", "cancel workflow")
    .mutating(),
    row(
        M::Normal,
        &[K::Char('c')],
        C::Create,
        "c",
        "create the selected cell's resource",
    )
    .hint("c", "create")
    .mutating(),
    row(
        M::Normal,
        &[K::Char('d')],
        C::Delete,
        "d",
        "delete the selected cell's resource (asks first)",
    )
    .hint("d", "delete")
    .mutating(),
    row(
        M::Normal,
        &[K::Char('b')],
        C::Bootstrap,
        "b",
        "bootstrap the selected service",
    )
    .hint("b", "boot")
    .mutating(),
    row(
        M::Normal,
        &[K::Char('r')],
        C::Run,
        "r",
        "run the selected service",
    )
    .hint("r", "run")
    .mutating(),
    row(
        M::Normal,
        &[K::Char('K')],
        C::Kill,
        "K",
        "kill the selected service, keeping its data (asks first)",
    )
    .hint("K", "kill")
    .mutating(),
    // Reached through `:`; listed because it is the one way to lose a service's data.
    row(
        M::Normal,
        &[],
        C::CommandLine,
        ":kill …",
        "kill S --delete-data also deletes data (type S to confirm)",
    )
    .mutating(),
    row(
        M::Nodes,
        &[K::Up, K::Char('k')],
        C::MoveUp,
        IN_NODES,
        "select the node above",
    )
    .hint("↑↓", "node"),
    row(
        M::Nodes,
        &[K::Down, K::Char('j')],
        C::MoveDown,
        IN_NODES,
        "select the node below",
    ),
    row(
        M::Nodes,
        &[K::Char('c')],
        C::Cordon,
        IN_NODES,
        "cordon the node: no new pods",
    )
    .hint("c", "cordon")
    .mutating(),
    row(
        M::Nodes,
        &[K::Char('u')],
        C::Uncordon,
        IN_NODES,
        "uncordon the node",
    )
    .hint("u", "uncordon")
    .mutating(),
    row(
        M::Nodes,
        &[K::Char('d')],
        C::Drain,
        IN_NODES,
        "cordon, then evict its pods (asks first)",
    )
    .hint("d", "drain")
    .mutating(),
    row(
        M::Nodes,
        &[K::Char('f')],
        C::FailNode,
        IN_NODES,
        "make the node NotReady (demo cluster)",
    )
    .hint("f", "fail")
    .mutating()
    .local(),
    row(
        M::Nodes,
        &[K::Char('r')],
        C::RestoreNode,
        IN_NODES,
        "make a failed node Ready (demo cluster)",
    )
    .hint("r", "restore")
    .mutating()
    .local(),
    row(
        M::Nodes,
        &[K::Char('F')],
        C::FailEveryNode,
        IN_NODES,
        "make every node NotReady: the whole-cluster drill (demo cluster, asks first)",
    )
    .hint("F", "fail all")
    .mutating()
    .local(),
    row(
        M::Nodes,
        &[K::Char('R')],
        C::RestoreEveryNode,
        IN_NODES,
        "make every failed node Ready (demo cluster)",
    )
    .hint("R", "restore all")
    .mutating()
    .local(),
    row(
        M::Nodes,
        &[K::Char('I')],
        C::Incidents,
        IN_NODES,
        "the incidents view",
    )
    .hint("I", "incidents"),
    row(
        M::Nodes,
        &[K::Esc, K::Char('N'), K::Char('q')],
        C::Back,
        IN_NODES,
        "close the nodes view",
    )
    .hint("Esc", "close"),
    row(
        M::Incidents,
        &[K::Up, K::Char('k')],
        C::MoveUp,
        IN_INCIDENTS,
        "scroll up",
    )
    .hint("↑↓ PgUp PgDn", "scroll"),
    row(
        M::Incidents,
        &[K::Down, K::Char('j')],
        C::MoveDown,
        IN_INCIDENTS,
        "scroll down",
    ),
    row(
        M::Incidents,
        &[K::PageUp],
        C::PageUp,
        IN_INCIDENTS,
        "scroll a page up",
    ),
    row(
        M::Incidents,
        &[K::PageDown],
        C::PageDown,
        IN_INCIDENTS,
        "scroll a page down",
    ),
    row(
        M::Incidents,
        &[K::Char('N')],
        C::Nodes,
        IN_INCIDENTS,
        "the nodes view",
    )
    .hint("N", "nodes"),
    row(
        M::Incidents,
        &[K::Esc, K::Char('I'), K::Char('q')],
        C::Back,
        IN_INCIDENTS,
        "close the incidents view",
    )
    .hint("Esc", "close"),
    row(
        M::Help,
        &[K::Esc, K::Char('?'), K::Char('q')],
        C::Back,
        "Esc",
        BACK_WHAT,
    )
    .hint("Esc", "close"),
    row(
        M::Detail,
        &[K::Esc, K::Enter, K::Char('q'), K::Char('=')],
        C::Back,
        "Esc",
        BACK_WHAT,
    )
    .hint("Esc", "close"),
    row(
        M::Confirm,
        &[K::Char('y'), K::Char('Y')],
        C::Yes,
        ANSWER,
        ANSWER_WHAT,
    )
    .hint("y", "confirm"),
    row(
        M::Confirm,
        &[K::Char('n'), K::Char('N'), K::Esc],
        C::No,
        ANSWER,
        ANSWER_WHAT,
    )
    .hint("n/Esc", "cancel"),
    row(M::TypedConfirm, &[K::Enter], C::Accept, ANSWER, ANSWER_WHAT).hint("Enter", "confirm"),
    row(M::TypedConfirm, &[K::Esc], C::No, ANSWER, ANSWER_WHAT).hint("Esc", "cancel"),
    row(
        M::Normal,
        &[K::Char('?')],
        C::Help,
        HELP_QUIT,
        HELP_QUIT_WHAT,
    )
    .hint("?", "help"),
    row(
        M::Normal,
        &[K::Char('q')],
        C::Quit,
        HELP_QUIT,
        HELP_QUIT_WHAT,
    )
    .hint("q", "quit"),
    row(
        M::Filter,
        &[K::Enter],
        C::Accept,
        "/",
        "filter rows by service name",
    )
    .hint("Enter", "keep filter"),
    row(
        M::Filter,
        &[K::Esc],
        C::Back,
        "/",
        "filter rows by service name",
    )
    .hint("Esc", "clear filter"),
    row(M::Command, &[K::Enter], C::Accept, ":", COMMAND_LINE).hint("Enter", "run"),
    row(M::Command, &[K::Esc], C::Back, ":", COMMAND_LINE).hint("Esc", "cancel"),
    row(
        M::Picker,
        &[K::Up, K::Char('k')],
        C::MoveUp,
        PICKER,
        "select the name above",
    )
    .hint("↑↓", "select"),
    row(
        M::Picker,
        &[K::Down, K::Char('j')],
        C::MoveDown,
        PICKER,
        "select the name below",
    ),
    row(M::Picker, &[K::Enter], C::Accept, PICKER, PICKER_WHAT).hint("Enter", "switch"),
    row(
        M::Picker,
        &[K::Esc, K::Char('q')],
        C::Back,
        PICKER,
        "close the picker, staying where you are",
    )
    .hint("Esc", "close"),
    row(
        M::Any,
        &[K::Ctrl('c')],
        C::QuitNow,
        "Ctrl-C",
        "quit at once",
    ),
];

/// The command `key` runs in `mode`, given what is on screen; None for an unbound key (in
/// input modes the input takes it).
pub fn command(mode: KeyMode, key: Key, log_focus: bool, pod_column: bool) -> Option<Command> {
    let holds = |when| match when {
        When::Always => true,
        When::LogFocus => log_focus,
        When::PodColumn => pod_column,
    };
    let rows = || {
        KEYMAP
            .iter()
            .filter(|b| (b.mode == mode || b.mode == KeyMode::Any) && b.keys.contains(&key))
    };
    // A row for the situation on screen wins over the plain one.
    rows()
        .find(|b| b.when != When::Always && holds(b.when))
        .or_else(|| rows().find(|b| b.when == When::Always))
        .map(|b| b.command)
}

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    pub keys: &'static str,
    pub description: String,
    pub mutates: bool,
}

/// The help overlay: the keymap's lines, rows sharing a label and description merged; the
/// nodes view's keys summed up on one line (its footer lists them too).
pub fn help() -> Vec<HelpLine> {
    let mut lines: Vec<HelpLine> = Vec::new();
    for b in KEYMAP {
        if matches!(
            b.mode,
            KeyMode::Incidents | KeyMode::Filter | KeyMode::Command | KeyMode::Picker
        ) || b.label == IN_NODES
        {
            // These views teach their keys in their own footers.
            if b.label == IN_NODES && !lines.iter().any(|l| l.keys == IN_NODES) {
                lines.push(nodes_line());
            }
            continue;
        }
        match lines
            .iter_mut()
            .find(|l| l.keys == b.label && l.description == b.description)
        {
            Some(line) => line.mutates |= b.mutates,
            None => lines.push(HelpLine {
                keys: b.label,
                description: b.description.to_string(),
                mutates: b.mutates,
            }),
        }
    }
    lines
}

/// "c cordon, u uncordon, d drain; f fail, r restore, F/R all (demo)": the node actions.
fn nodes_line() -> HelpLine {
    let every = |b: &&Binding| matches!(b.command, C::FailEveryNode | C::RestoreEveryNode);
    let actions = || {
        KEYMAP
            .iter()
            .filter(|b| b.mode == KeyMode::Nodes && b.mutates)
    };
    let words = |local: bool| -> Vec<String> {
        actions()
            .filter(|b| b.local_only == local && !every(b))
            .filter_map(|b| b.hint.map(|(key, word)| format!("{key} {word}")))
            .collect()
    };
    let all: Vec<&str> = actions()
        .filter(every)
        .filter_map(|b| b.hint.map(|(key, _)| key))
        .collect();
    HelpLine {
        keys: IN_NODES,
        description: format!(
            "{}; {}, {} all (demo)",
            words(false).join(", "),
            words(true).join(", "),
            all.join("/")
        ),
        mutates: true,
    }
}

/// What the footer is showing hints for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterContext {
    Normal,
    /// A deploy or teardown runs: cancelling it comes first.
    Workflow,
    Nodes,
    Incidents,
    Help,
    Detail,
    Confirm,
    TypedConfirm,
    Filter,
    Command,
    Picker,
}

/// One footer hint: a key of the keymap, or an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Key(KeyMode, Command),
    Example(&'static str, &'static str),
}

/// The footer's hints for a context, most useful first (a hint that does not fit is left
/// out whole). Read-only sessions drop mutating ones, and, where the read-only footer would
/// be bare, show movement instead.
pub fn footer(
    context: FooterContext,
    readonly: bool,
    local_cluster: bool,
) -> Vec<(&'static str, &'static str)> {
    use FooterContext as F;
    let normal = |c| Hint::Key(KeyMode::Normal, c);
    let hints: Vec<Hint> = match context {
        F::Normal if readonly => [
            C::Help,
            C::MoveUp,
            C::Detail,
            C::Diff,
            C::FollowLogs,
            C::Nodes,
            C::Incidents,
            C::SwitchPane,
            C::Filter,
            C::Quit,
        ]
        .map(normal)
        .to_vec(),
        F::Workflow => [
            C::CancelWorkflow,
            C::Help,
            C::Detail,
            C::Nodes,
            C::Incidents,
            C::MoveUp,
            C::Quit,
        ]
        .map(normal)
        .to_vec(),
        F::Normal => [
            C::Help,
            C::Deploy,
            C::Diff,
            C::Create,
            C::Delete,
            C::Kill,
            C::Nodes,
            C::Incidents,
            C::Bootstrap,
            C::Run,
            C::CommandLine,
            C::Quit,
        ]
        .map(normal)
        .to_vec(),
        F::Nodes => {
            KEYMAP
                .iter()
                .filter(|b| b.mode == KeyMode::Nodes && b.hint.is_some())
                .filter(|b| !b.local_only || local_cluster)
                // With node actions on offer, the incidents view yields its room to them.
                .filter(|b| b.command != C::Incidents || readonly)
                .map(|b| Hint::Key(KeyMode::Nodes, b.command))
                .collect()
        }
        F::Incidents => [C::MoveUp, C::Nodes, C::Back]
            .map(|c| Hint::Key(KeyMode::Incidents, c))
            .to_vec(),
        F::Help => vec![Hint::Key(KeyMode::Help, C::Back)],
        F::Detail => vec![Hint::Key(KeyMode::Detail, C::Back)],
        F::Confirm => [C::Yes, C::No]
            .map(|c| Hint::Key(KeyMode::Confirm, c))
            .to_vec(),
        F::TypedConfirm => [C::Accept, C::No]
            .map(|c| Hint::Key(KeyMode::TypedConfirm, c))
            .to_vec(),
        F::Filter => [C::Accept, C::Back]
            .map(|c| Hint::Key(KeyMode::Filter, c))
            .to_vec(),
        F::Command => vec![
            Hint::Key(KeyMode::Command, C::Accept),
            Hint::Key(KeyMode::Command, C::Back),
            Hint::Example(
                "e.g.",
                "deploy · run keystone · ns other · export incidents FILE",
            ),
        ],
        F::Picker => [C::MoveUp, C::Accept, C::Back]
            .map(|c| Hint::Key(KeyMode::Picker, c))
            .to_vec(),
    };
    hints
        .into_iter()
        .filter_map(|h| match h {
            Hint::Example(key, text) => Some((key, text)),
            Hint::Key(mode, command) => {
                let b = KEYMAP
                    .iter()
                    .find(|b| b.mode == mode && b.command == command && b.hint.is_some())?;
                (!(readonly && b.mutates)).then_some(b.hint?)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_COMMANDS: [Command; 38] = [
        C::Quit,
        C::QuitNow,
        C::Help,
        C::MoveUp,
        C::MoveDown,
        C::MoveLeft,
        C::MoveRight,
        C::ScrollLogUp,
        C::ScrollLogDown,
        C::PageUp,
        C::PageDown,
        C::SwitchPane,
        C::Detail,
        C::Diff,
        C::FollowLogs,
        C::Back,
        C::ToggleAllEvents,
        C::Filter,
        C::CommandLine,
        C::Nodes,
        C::Incidents,
        C::Deploy,
        C::CancelWorkflow,
        C::Create,
        C::Delete,
        C::Bootstrap,
        C::Run,
        C::Kill,
        C::Cordon,
        C::Uncordon,
        C::Drain,
        C::FailNode,
        C::RestoreNode,
        C::FailEveryNode,
        C::RestoreEveryNode,
        C::Yes,
        C::No,
        C::Accept,
    ];

    #[test]
    fn every_command_has_a_key_and_every_row_is_described() {
        for c in ALL_COMMANDS {
            assert!(
                KEYMAP.iter().any(|b| b.command == c && !b.keys.is_empty()),
                "{c:?} has no key"
            );
        }
        for b in KEYMAP {
            assert!(!b.label.is_empty(), "{:?} has no label", b.command);
            let described = !b.description.is_empty() || b.hint.is_some();
            assert!(
                described,
                "{:?} in {:?} is not described",
                b.command, b.mode
            );
        }
    }

    #[test]
    fn no_key_means_two_things_in_one_mode_and_situation() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                let clash = a.mode == b.mode
                    && a.when == b.when
                    && a.keys.iter().any(|k| b.keys.contains(k))
                    && a.command != b.command;
                assert!(!clash, "{:?} and {:?} share a key", a.command, b.command);
            }
        }
    }

    #[test]
    fn situations_change_what_a_key_means() {
        let cmd = |key, log, pod| command(KeyMode::Normal, key, log, pod);
        assert_eq!(cmd(Key::Char('l'), false, false), Some(C::MoveRight));
        assert_eq!(cmd(Key::Char('l'), false, true), Some(C::FollowLogs));
        assert_eq!(cmd(Key::Up, true, false), Some(C::ScrollLogUp));
        assert_eq!(cmd(Key::Up, false, false), Some(C::MoveUp));
        assert_eq!(cmd(Key::Ctrl('c'), false, false), Some(C::QuitNow));
        assert_eq!(command(KeyMode::Filter, Key::Char('q'), false, false), None);
    }

    #[test]
    fn every_footer_hint_exists_and_readonly_hides_mutations() {
        use FooterContext as F;
        for context in [
            F::Normal,
            F::Workflow,
            F::Nodes,
            F::Incidents,
            F::Help,
            F::Detail,
            F::Confirm,
            F::TypedConfirm,
            F::Filter,
            F::Command,
            F::Picker,
        ] {
            assert!(!footer(context, false, true).is_empty(), "{context:?}");
        }
        let readonly = footer(F::Normal, true, false);
        assert!(
            readonly
                .iter()
                .all(|(k, _)| !["c", "d", "D", "K"].contains(k))
        );
        let local = footer(F::Nodes, false, true);
        assert!(local.contains(&("f", "fail")));
        assert!(!footer(F::Nodes, false, false).contains(&("f", "fail")));
    }
}
