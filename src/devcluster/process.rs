//! Starting detached processes and stopping them again: sessions, signals, /proc.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
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

/// True if `pid` exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    process_state(pid).is_some_and(|state| state != 'Z' && state != 'X')
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

/// Stops (`pause`) or continues `pid` with SIGSTOP / SIGCONT.
pub fn pause(pid: u32, pause: bool) -> anyhow::Result<()> {
    let raw = i32::try_from(pid).with_context(|| format!("pid {pid} out of range"))?;
    let signal = if pause {
        Signal::SIGSTOP
    } else {
        Signal::SIGCONT
    };
    kill(Pid::from_raw(raw), signal).with_context(|| format!("sending {signal} to pid {pid}"))
}

/// File name of the executable `pid` runs, if it can be read.
pub fn exe_name(pid: u32) -> Option<String> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    Some(exe.file_name()?.to_str()?.to_owned())
}

/// Pids of live processes running one of `binaries` from `bin_dir` whose command line
/// mentions `state_dir`: what `down` must stop even when `cluster.json` missed a pid.
pub fn find_cluster_processes(bin_dir: &Path, state_dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let needle = state_dir.as_os_str().as_encoded_bytes();
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            let exe_ok = std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.parent() == Some(bin_dir));
            exe_ok
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|cmd| cmd.windows(needle.len()).any(|w| w == needle))
                && is_alive(pid)
        })
        .collect()
}

/// Sends SIGTERM to each process's group (each is a session leader) and waits up to
/// `grace` for all to go, then SIGKILLs the rest and waits for those too. A paused process
/// is continued, so it can act on the SIGTERM.
pub fn terminate(pids: &[u32], grace: Duration) -> anyhow::Result<()> {
    signal_all(pids, Signal::SIGTERM);
    signal_all(pids, Signal::SIGCONT);
    if wait_gone(pids, grace) {
        return Ok(());
    }
    signal_all(pids, Signal::SIGKILL);
    if wait_gone(pids, Duration::from_secs(5)) {
        return Ok(());
    }
    let left: Vec<u32> = pids.iter().copied().filter(|&p| is_alive(p)).collect();
    anyhow::bail!("processes {left:?} survived SIGKILL")
}

fn signal_all(pids: &[u32], signal: Signal) {
    for &pid in pids {
        let Ok(raw) = i32::try_from(pid) else {
            continue;
        };
        let pid = Pid::from_raw(raw);
        // The group first (anything the component forked), then the process itself in case
        // it left its group. Errors mean it is already gone.
        let _ = killpg(pid, signal);
        let _ = kill(pid, signal);
    }
}

fn wait_gone(pids: &[u32], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if pids.iter().all(|&p| !is_alive(p)) {
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
        let pid = child.id();
        assert!(is_alive(pid));
        assert!(find_cluster_processes(bin_dir, dir.path()).contains(&pid));
        let elsewhere = tempfile::tempdir().expect("tempdir");
        assert!(!find_cluster_processes(bin_dir, elsewhere.path()).contains(&pid));
        terminate(&[pid], Duration::from_secs(2)).expect("terminate");
        // A zombie until reaped, which is_alive already counts as gone.
        assert!(!is_alive(pid));
        child.wait().expect("reap");
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        std::fs::write(&path, "a\nb\nc\nd\n").expect("write");
        assert_eq!(log_tail(&path, 2), "c\nd");
    }
}
