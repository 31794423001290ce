//! Starting detached processes and stopping them again: sessions, signals, /proc. A pid
//! alone names no process for long (after a crash or a reboot it is someone else's), so a
//! process is recorded with its start time and binary, and signalled only while both match.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// How a started process relates to the one starting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detach {
    /// Outlives the starter (`dev-cluster up`).
    Outlive,
    /// Killed by the kernel if the starting thread dies (a throwaway test cluster), so a
    /// test binary killed without unwinding leaves nothing behind.
    DieWithParent,
}

/// Starts `program args` in a new session (so terminal signals meant for the starter do not
/// reach it), with stdout and stderr appended to `log`.
pub fn spawn(program: &Path, args: &[String], log: &Path, detach: Detach) -> anyhow::Result<Child> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let err = out
        .try_clone()
        .with_context(|| format!("opening {}", log.display()))?;
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: between fork and exec only async-signal-safe calls are allowed; setsid(2) and
    // prctl(2) are plain system calls that neither allocate nor take locks.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setsid()?;
            if detach == Detach::DieWithParent {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            }
            Ok(())
        });
    }
    cmd.spawn()
        .with_context(|| format!("starting {}", program.display()))
}

/// One process as it was started: its pid, when it started (clock ticks after boot, from
/// /proc/PID/stat) and the binary it runs. `cluster.json` records these.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "Recorded")]
pub struct Proc {
    pub pid: u32,
    pub start: u64,
    pub exe: PathBuf,
}

/// What `cluster.json` may hold: a process, or (written before start times were kept) a
/// bare pid, which then matches no process and is never signalled.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Recorded {
    Proc { pid: u32, start: u64, exe: PathBuf },
    Pid(u32),
}

impl From<Recorded> for Proc {
    fn from(r: Recorded) -> Proc {
        match r {
            Recorded::Proc { pid, start, exe } => Proc { pid, start, exe },
            Recorded::Pid(pid) => Proc {
                pid,
                start: 0,
                exe: PathBuf::new(),
            },
        }
    }
}

/// True if `pid` is stopped (SIGSTOP): alive, but running nothing.
pub fn is_paused(pid: u32) -> bool {
    process_state(pid) == Some('T')
}

/// The state letter of `pid` in /proc (R, S, T, Z, ...), if it exists.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state letter follows the parenthesised command name.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Stops (`pause`) or continues the recorded process with SIGSTOP / SIGCONT; a pid that is
/// no longer that process is not signalled.
pub fn pause(proc: &Proc, pause: bool) -> anyhow::Result<()> {
    let pid = proc.pid;
    if !proc.is_running() {
        anyhow::bail!("pid {pid} is no longer the process that was started");
    }
    let raw = i32::try_from(pid).with_context(|| format!("pid {pid} out of range"))?;
    let signal = if pause {
        Signal::SIGSTOP
    } else {
        Signal::SIGCONT
    };
    kill(Pid::from_raw(raw), signal).with_context(|| format!("sending {signal} to pid {pid}"))
}

/// What /proc says of a pid now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Now {
    /// The recorded process, still running.
    Running,
    /// Nothing runs under the pid (or only a zombie).
    Gone,
    /// Another process has the pid now: its binary, as far as it can be read.
    Reused(String),
}

impl Proc {
    /// The process running under `pid` now, if any (zombies are not running).
    pub fn of(pid: u32) -> Option<Proc> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the parenthesised command name: state is field 3, starttime 22.
        let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
        let state = fields.next()?;
        if state == "Z" || state == "X" {
            return None;
        }
        let start = fields.nth(18)?.parse().ok()?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        Some(Proc { pid, start, exe })
    }

    /// Whether the recorded process still runs under its pid: same start time, same
    /// binary. Only then may it be signalled.
    pub fn now(&self) -> Now {
        match Proc::of(self.pid) {
            None => Now::Gone,
            Some(p) if p.start == self.start && same_binary(&p.exe, &self.exe) => Now::Running,
            Some(p) => Now::Reused(p.exe.display().to_string()),
        }
    }

    pub fn is_running(&self) -> bool {
        self.now() == Now::Running
    }

    /// A bare pid read from an older `cluster.json`: no start time, no binary.
    pub fn is_bare(&self) -> bool {
        self.start == 0 && self.exe.as_os_str().is_empty()
    }

    /// File name of its binary.
    pub fn binary(&self) -> Option<&str> {
        self.exe.file_name()?.to_str()
    }
}

/// A binary replaced on disk after it started reads back as `PATH (deleted)`; a process
/// that is exiting has no binary to show any more (its start time still names it).
fn same_binary(now: &Path, recorded: &Path) -> bool {
    let now = now.to_string_lossy();
    !recorded.as_os_str().is_empty()
        && (now.is_empty()
            || now.strip_suffix(" (deleted)").unwrap_or(&now) == recorded.to_string_lossy())
}

/// Live processes running a binary from `bin_dir` whose command line mentions
/// `state_dir`: what `down` must stop even when `cluster.json` missed one.
pub fn find_cluster_processes(bin_dir: &Path, state_dir: &Path) -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let needle = state_dir.as_os_str().as_encoded_bytes();
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(Proc::of)
        .filter(|p| {
            p.exe.parent() == Some(bin_dir)
                && std::fs::read(format!("/proc/{}/cmdline", p.pid))
                    .is_ok_and(|cmd| cmd.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

/// Sends SIGTERM to each process's group (each is a session leader) and waits up to
/// `grace` for all to go, then SIGKILLs the rest and waits for those too. A process is
/// signalled only while it is still the one recorded (`Proc::is_running`); a paused one
/// is continued, so it can act on the SIGTERM.
pub fn terminate(procs: &[Proc], grace: Duration) -> anyhow::Result<()> {
    signal_all(procs, Signal::SIGTERM);
    signal_all(procs, Signal::SIGCONT);
    if wait_gone(procs, grace) {
        return Ok(());
    }
    signal_all(procs, Signal::SIGKILL);
    if wait_gone(procs, Duration::from_secs(5)) {
        return Ok(());
    }
    let left: Vec<u32> = procs
        .iter()
        .filter(|p| p.is_running())
        .map(|p| p.pid)
        .collect();
    anyhow::bail!("processes {left:?} survived SIGKILL")
}

fn signal_all(procs: &[Proc], signal: Signal) {
    for p in procs.iter().filter(|p| p.is_running()) {
        let Ok(raw) = i32::try_from(p.pid) else {
            continue;
        };
        let pid = Pid::from_raw(raw);
        // The group first (anything the component forked), then the process itself in case
        // it left its group. Errors mean it is already gone.
        let _ = killpg(pid, signal);
        let _ = kill(pid, signal);
    }
}

fn wait_gone(procs: &[Proc], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if procs.iter().all(|p| !p.is_running()) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last `lines` lines of a log file, for error messages.
pub fn log_tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawned_process_is_found_and_terminated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let watched = dir.path().join("watched");
        std::fs::write(&watched, "").expect("write");
        let tail = std::fs::canonicalize("/usr/bin/tail").expect("tail exists");
        let bin_dir = tail.parent().expect("tail has a directory");
        let mut child = spawn(
            &tail,
            &["-f".into(), watched.display().to_string()],
            &dir.path().join("tail.log"),
            Detach::DieWithParent,
        )
        .expect("spawn tail");
        let proc = Proc::of(child.id()).expect("tail runs");
        assert_eq!(proc.exe, tail);
        assert!(proc.is_running());
        assert!(find_cluster_processes(bin_dir, dir.path()).contains(&proc));
        let elsewhere = tempfile::tempdir().expect("tempdir");
        assert!(!find_cluster_processes(bin_dir, elsewhere.path()).contains(&proc));
        terminate(std::slice::from_ref(&proc), Duration::from_secs(2)).expect("terminate");
        // A zombie until reaped, which counts as gone.
        assert_eq!(proc.now(), Now::Gone);
        child.wait().expect("reap");
    }

    #[test]
    fn a_pid_that_is_another_process_now_is_neither_running_nor_signalled() {
        let mut sleep = Command::new("sleep").arg("600").spawn().expect("sleep");
        let real = Proc::of(sleep.id()).expect("sleep runs");
        let older = Proc {
            start: real.start.saturating_sub(1),
            ..real.clone()
        };
        let other_binary = Proc {
            exe: PathBuf::from("/opt/k8s/kube-apiserver"),
            ..real.clone()
        };
        let legacy: Proc = serde_json::from_str(&real.pid.to_string()).expect("a bare pid");
        for recorded in [&older, &other_binary, &legacy] {
            assert!(matches!(recorded.now(), Now::Reused(_)), "{recorded:?}");
            terminate(std::slice::from_ref(recorded), Duration::from_millis(100))
                .expect("nothing to stop");
        }
        assert!(
            real.is_running(),
            "a process that was not recorded was signalled"
        );
        let _ = sleep.kill();
        sleep.wait().expect("reap");
        let json = serde_json::to_string(&real).expect("serialise");
        assert_eq!(
            serde_json::from_str::<Proc>(&json).expect("read back"),
            real
        );
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        std::fs::write(&path, "a\nb\nc\nd\n").expect("write");
        assert_eq!(log_tail(&path, 2), "c\nd");
    }
}
