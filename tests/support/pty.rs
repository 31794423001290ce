//! Runs the real kolla-dash binary in a pseudo-terminal and reads its screen the way a
//! person would: through a terminal emulator (vt100), never by peeking at internals.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::Signal;
use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

use super::cluster::TestCluster;
use super::launch;
use super::wait::wait_for;

pub struct PtyApp {
    screen: Arc<Mutex<vt100::Parser>>,
    /// Set once the program's last output is on `screen` (the terminal closed).
    drained: Arc<AtomicBool>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    // Kept so the terminal stays open for the child (and its modes can be read after).
    master: Box<dyn MasterPty + Send>,
}

/// What the program left the terminal in: what a shell finds when it gets it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalState {
    pub alternate_screen: bool,
    pub cursor_hidden: bool,
    pub mouse_captured: bool,
    /// Neither line editing nor echo: what the dashboard sets, and must undo.
    pub raw: bool,
}

impl TerminalState {
    /// How a shell left it, and wants it back.
    pub const RESTORED: TerminalState = TerminalState {
        alternate_screen: false,
        cursor_hidden: false,
        mouse_captured: false,
        raw: false,
    };
}

impl PtyApp {
    /// Starts `kolla-dash ARGS` with the clean environment plus `env` in a `cols` x `rows`
    /// terminal.
    pub fn spawn(args: &[&str], env: &[(&str, &Path)], cols: u16, rows: u16) -> PtyApp {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(launch::BIN);
        cmd.env_clear();
        for (k, v) in launch::clean_env() {
            cmd.env(k, v);
        }
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("start kolla-dash in the pty");
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let sink = Arc::clone(&screen);
        let drained = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&drained);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("screen lock").process(&buf[..n]);
            }
            done.store(true, Ordering::SeqCst);
        });
        let writer = pair.master.take_writer().expect("pty writer");
        PtyApp {
            screen,
            drained,
            writer,
            child,
            master: pair.master,
        }
    }

    /// The dashboard on `cluster` in `namespace` (`args` first: `--config-dir`, ...),
    /// logging to the test's scratch directory, at 120x40.
    pub fn dashboard(cluster: &TestCluster, namespace: &str, args: &[&str]) -> PtyApp {
        cluster.claim(namespace);
        let log = cluster.scratch().join(format!("dashboard-{namespace}.log"));
        let mut all = args.to_vec();
        all.extend(["--namespace", namespace, "--log-file"]);
        all.push(log.to_str().expect("utf-8 path"));
        let kubeconfig = cluster.kubeconfig_path();
        PtyApp::spawn(&all, &[("KUBECONFIG", kubeconfig.as_path())], 120, 40)
    }

    /// The visible screen as text, one line per row.
    pub fn text(&self) -> String {
        self.screen.lock().expect("screen lock").screen().contents()
    }

    /// How many screen cells have a colour of their own (foreground or background).
    pub fn coloured_cells(&self) -> usize {
        let parser = self.screen.lock().expect("screen lock");
        let screen = parser.screen();
        let (rows, cols) = screen.size();
        (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .filter_map(|(r, c)| screen.cell(r, c))
            .filter(|cell| {
                cell.fgcolor() != vt100::Color::Default || cell.bgcolor() != vt100::Color::Default
            })
            .count()
    }

    /// The terminal's modes as the program left them: the screen's from what it wrote,
    /// line editing from the terminal itself.
    pub fn terminal_state(&self) -> TerminalState {
        let parser = self.screen.lock().expect("screen lock");
        let screen = parser.screen();
        let fd = self.master.as_raw_fd().expect("the pty's descriptor");
        // SAFETY: the descriptor belongs to `self.master`, open for as long as `self`.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let termios = nix::sys::termios::tcgetattr(fd).expect("read the terminal's modes");
        let local = termios.local_flags;
        use nix::sys::termios::LocalFlags;
        TerminalState {
            alternate_screen: screen.alternate_screen(),
            cursor_hidden: screen.hide_cursor(),
            mouse_captured: screen.mouse_protocol_mode() != vt100::MouseProtocolMode::None,
            raw: !local.contains(LocalFlags::ICANON) && !local.contains(LocalFlags::ECHO),
        }
    }

    /// Types `keys` as raw bytes (use "\r" for Enter, "\x1b" for Esc).
    pub fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// The program's process id.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the program's pid")
    }

    /// Sends the program a signal, as a shell or a session manager would.
    pub fn signal(&self, signal: Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.pid()).expect("pid fits"));
        nix::sys::signal::kill(pid, signal).expect("signal the program");
    }

    /// Waits until the screen satisfies `pred`; panics with the screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        wait_for(what, timeout, || {
            let text = self.text();
            if pred(&text) {
                Ok(text)
            } else {
                Err(format!("screen:\n{text}"))
            }
        })
    }

    /// Waits for the process to exit, and for all it wrote to reach the screen; returns
    /// how it ended.
    pub fn exit_status(&mut self, timeout: Duration) -> ExitStatus {
        let child = &mut self.child;
        let screen = &self.screen;
        let drained = &self.drained;
        wait_for("kolla-dash to exit", timeout, || {
            match child.try_wait().expect("poll child") {
                Some(status) if drained.load(Ordering::SeqCst) => Ok(status),
                _ => Err(format!(
                    "screen:\n{}",
                    screen.lock().expect("screen lock").screen().contents()
                )),
            }
        })
    }

    /// Waits for the process to exit and returns whether it succeeded.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        self.exit_status(timeout).success()
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
    }
}

/// The screen line of a grid row (the service's name starts it).
pub fn grid_row<'a>(screen: &'a str, service: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start_matches('│').starts_with(service))
        .unwrap_or("")
}

/// How many cells of a grid row read "✓ ready" (not "no ready endpoints").
pub fn ready_cells(row: &str) -> usize {
    row.matches("✓ ready").count()
}
